"""High-gamma envelope extraction from raw broadband ECoG/sEEG (70-150 Hz by default, or 70-200 Hz as the
Podcast ECoG dataset's own preprocessing): used by the importers of real recordings and by the simulator alike.

Steps: notch at the mains frequency `line_hz` and its harmonics (from the recording's metadata: 50 Hz in
Europe, 60 Hz in America); common average reference over good channels; 8 log-spaced
Butterworth bands across the band, zero-phase; Hilbert amplitude of each band; average of the
bands; anti-aliased resampling to 100 Hz; z-score per electrode over the whole signal.

The zero-phase filtering (what `scipy.signal.sosfiltfilt` does: |H(f)|^2) and the Hilbert transform
(zeroing negative frequencies) are both multiplications of the spectrum, so they are done together on one
FFT per channel, as in the Chang lab's frequency-domain Hilbert pipeline (Moses 2019). The analytic band
signal is synthesised straight at 4 x 100 Hz, which makes 20 minutes of 64 channels at 1 kHz take seconds.
`high_gamma_reference` is the plain time-domain version it is tested against. Edges are treated circularly
(the recording wraps around), which only affects the first and last few hundred milliseconds.

Memory: channels are read and filtered in chunks of about `chunk_mb` megabytes of float64 signal, and the raw
may be a lazily read source (an `mne.io.Raw` read with preload=False, a `np.memmap`, an h5py dataset), so a
recording larger than memory is processed chunk by chunk rather than loaded whole. The common average is
accumulated in a first pass over the chunks.
"""
from __future__ import annotations

import numpy as np
import scipy.fft
from scipy import signal as sps
from tqdm.auto import tqdm

from . import audio as A
from .errors import InputError

BAND_HZ = (70.0, 150.0)  # the package's default high-gamma band; (70, 200) is the Podcast dataset's
N_SUBBANDS = 8  # log-spaced sub-bands whose Hilbert amplitudes are averaged
BAND_EDGES_HZ = np.geomspace(*BAND_HZ, N_SUBBANDS + 1)
FILTER_ORDER = 4  # Butterworth order of each band (applied forward and backward)
LINE_HZ = 60.0
NOTCH_Q = 30.0
ENVELOPE_OVERSAMPLING = 4  # envelope computed at 4 x the frame rate, then anti-aliased down
CHUNK_MB = 64.0  # float64 megabytes of raw signal filtered at once (peak memory is a few times this)


def band_edges(band=BAND_HZ) -> np.ndarray:
    """(9,) edges in Hz of the 8 log-spaced sub-bands spanning `band` (low, high) Hz."""
    low, high = (float(f) for f in band)
    if not 0 < low < high:
        raise InputError("<band>", "band", "(low, high) Hz with 0 < low < high", str(band))
    return np.geomspace(low, high, N_SUBBANDS + 1)


class ChannelSource:
    """Uniform chunked access to a (samples, channels) signal held as an array or read lazily.

    raw: (S, E) array-like (np.ndarray, np.memmap, h5py dataset: sliced per chunk) or an `mne.io.BaseRaw`
    (channels x samples, read with get_data(picks=...), in volts). `read(first, last)` -> (S, last - first) float32.
    """

    def __init__(self, raw):
        self.raw = raw
        self.is_mne = hasattr(raw, "get_data") and hasattr(raw, "info")
        if self.is_mne:
            self.shape = (int(raw.n_times), len(raw.ch_names))
        else:
            if not hasattr(raw, "shape"):
                raw = self.raw = np.asarray(raw)
            self.shape = tuple(int(n) for n in raw.shape)

    def read(self, first: int, last: int) -> np.ndarray:
        if self.is_mne:
            return self.raw.get_data(picks=np.arange(first, last)).T.astype(np.float32)
        return np.asarray(self.raw[:, first:last], dtype=np.float32)

    def chunks(self, chunk_mb: float = CHUNK_MB) -> list[tuple[int, int]]:
        """(first, last) channel ranges of about chunk_mb float64 megabytes each (at least one channel)."""
        per_chunk = max(1, int(chunk_mb * 2**20 // (8 * max(self.shape[0], 1))))
        return [(first, min(first + per_chunk, self.shape[1])) for first in range(0, self.shape[1], per_chunk)]


def high_gamma(raw, fs: float, bad=None, line_hz: float = LINE_HZ, band=BAND_HZ, chunk_mb: float = CHUNK_MB,
               progress: bool = False) -> np.ndarray:
    """(S, E) raw signal at fs Hz -> (T, E) float32 z-scored high-gamma envelope at 100 Hz, T = round(S 100 / fs).

    raw: an array or a lazily read source (see `ChannelSource`); it is read in channel chunks of about chunk_mb.
    bad: optional (E,) bool mask of channels left out of the common average (they are still extracted).
    line_hz: mains frequency in Hz; it and its harmonics below fs / 2 are notched. band: (low, high) Hz.
    progress: show a tqdm bar over the channel chunks.
    """
    source = ChannelSource(raw)
    edges = band_edges(band)
    good = _check(source, fs, bad, edges)
    chunks = source.chunks(chunk_mb)
    n_samples = source.shape[0]
    average = np.zeros(n_samples, np.float64)  # common average of the good channels, first pass
    for first, last in chunks:  # every chunk is read once here, so a NaN anywhere fails before the filtering
        average += _finite(source.read(first, last), first)[:, good[first:last]].sum(axis=1, dtype=np.float64)
    average = (average / good.sum()).astype(np.float32)[:, None]
    n_out = int(round(n_samples * A.FRAME_RATE / fs))
    gain = _band_gains(n_samples, fs, line_hz, edges)  # (bands, S//2+1)
    n_env = ENVELOPE_OVERSAMPLING * n_out
    envelope = np.empty((n_out, source.shape[1]), np.float32)
    for first, last in tqdm(chunks, desc="high-gamma", unit="chunk", disable=not progress):
        spectrum = scipy.fft.rfft(source.read(first, last) - average, axis=0)
        amplitude = 0.0
        for band_gain in gain:
            analytic = np.zeros((n_env, spectrum.shape[1]), complex)
            keep = min(n_env, spectrum.shape[0])
            analytic[:keep] = 2.0 * band_gain[:keep, None] * spectrum[:keep]
            amplitude = amplitude + np.abs(scipy.fft.ifft(analytic, axis=0)) * (n_env / n_samples)
        envelope[:, first:last] = sps.resample_poly(amplitude / len(gain), 1, ENVELOPE_OVERSAMPLING, axis=0)
    return zscore(envelope)


def resample_envelope(envelope, fs: float, chunk_mb: float = CHUNK_MB) -> np.ndarray:
    """(S, E) envelope already extracted at fs Hz (array or lazy source, see `ChannelSource`) -> (T, E) float32
    z-scored at 100 Hz, T = round(S 100 / fs), anti-aliased (`scipy.signal.resample_poly`), chunk by chunk."""
    source = ChannelSource(envelope)
    n_out = int(round(source.shape[0] * A.FRAME_RATE / fs))
    up, down = _ratio(A.FRAME_RATE, fs)
    frames = np.zeros((n_out, source.shape[1]), np.float32)
    for first, last in source.chunks(chunk_mb):
        resampled = sps.resample_poly(_finite(source.read(first, last), first), up, down, axis=0)[:n_out]
        frames[: len(resampled), first:last] = resampled
    return zscore(frames)


def _band_gains(n_samples: int, fs: float, line_hz: float, edges: np.ndarray = BAND_EDGES_HZ) -> np.ndarray:
    """(8, n_samples//2+1) zero-phase gains |H_notch H_band|^2 of each band on the rfft frequency grid."""
    freqs = np.fft.rfftfreq(n_samples, d=1.0 / fs)
    notch = np.ones_like(freqs)
    for harmonic in np.arange(line_hz, fs / 2.0, line_hz):
        b, a = sps.iirnotch(harmonic, NOTCH_Q, fs=fs)
        notch *= np.abs(sps.freqz(b, a, worN=freqs, fs=fs)[1]) ** 2
    gains = []
    for low, high in zip(edges[:-1], edges[1:]):
        sos = sps.butter(FILTER_ORDER, [low, high], btype="bandpass", fs=fs, output="sos")
        gains.append(notch * np.abs(sps.sosfreqz(sos, worN=freqs, fs=fs)[1]) ** 2)
    return np.array(gains)


def high_gamma_reference(raw: np.ndarray, fs: float, bad=None, line_hz: float = LINE_HZ,
                         band=BAND_HZ) -> np.ndarray:
    """Time-domain version of `high_gamma` (filtfilt notch, CAR, sosfiltfilt bands, scipy Hilbert): slow, for tests."""
    edges = band_edges(band)
    good = _check(ChannelSource(raw), fs, bad, edges)
    raw = _finite(np.asarray(raw, dtype=np.float32), 0)
    x = raw
    for harmonic in np.arange(line_hz, fs / 2.0, line_hz):
        b, a = sps.iirnotch(harmonic, NOTCH_Q, fs=fs)
        x = sps.filtfilt(b, a, x, axis=0)
    x = x - x[:, good].mean(axis=1, keepdims=True)
    amplitude = 0.0
    for low, high in zip(edges[:-1], edges[1:]):
        sos = sps.butter(FILTER_ORDER, [low, high], btype="bandpass", fs=fs, output="sos")
        amplitude = amplitude + np.abs(sps.hilbert(sps.sosfiltfilt(sos, x, axis=0), axis=0))
    n_out = int(round(raw.shape[0] * A.FRAME_RATE / fs))
    up, down = _ratio(A.FRAME_RATE, fs)
    envelope = sps.resample_poly(amplitude / (len(edges) - 1), up, down, axis=0)[:n_out]
    return zscore(envelope)


def _ratio(target: float, fs: float) -> tuple[int, int]:
    from fractions import Fraction

    fraction = Fraction(str(target)) / Fraction(str(fs))
    return fraction.numerator, fraction.denominator


def zscore(x: np.ndarray) -> np.ndarray:
    """(T, E) -> float32 z-scored per column; constant columns become 0."""
    x = np.asarray(x, np.float64)
    std = x.std(axis=0)
    return ((x - x.mean(axis=0)) / np.where(std > 0, std, 1.0)).astype(np.float32)


def _finite(chunk: np.ndarray, first: int) -> np.ndarray:
    """Raise InputError if a chunk of channels (the first being channel `first`) holds NaN/inf; return it."""
    bad = ~np.isfinite(chunk)
    if bad.any():
        sample, channel = np.argwhere(bad)[0]
        raise InputError("<raw>", "raw", "finite values",
                         f"NaN or infinite samples (first at sample {sample}, channel {first + channel})")
    return chunk


def _check(source: ChannelSource, fs, bad, edges) -> np.ndarray:
    """Check shape, rate and bad mask; return the (E,) good-channel mask."""
    shape = source.shape
    if len(shape) != 2 or shape[0] < 2 or shape[1] == 0:
        raise InputError("<raw>", "raw", "a (samples, electrodes) array", f"shape {shape}")
    if not fs or fs < 2 * edges[-1] * 1.2:
        raise InputError("<raw>", "fs", f"a sampling rate above {2.4 * edges[-1]:.0f} Hz for a band up to "
                         f"{edges[-1]:.0f} Hz", str(fs))
    good = np.ones(shape[1], bool) if bad is None else ~np.asarray(bad, dtype=bool)
    if good.shape != (shape[1],) or not good.any():
        raise InputError("<raw>", "bad", f"an ({shape[1]},) bool mask leaving at least one good channel",
                         f"{np.asarray(bad).shape} with {int(good.sum())} good")
    return good
