"""Raw broadband signal (~1 kHz) whose high-gamma envelope carries the simulated response.

Per electrode, in microvolts: a 1/f^1.5 background (ongoing low-frequency activity, dominant in power),
a reference signal common to all channels (removed by common average referencing), a 70-150 Hz
broadband "high-gamma" carrier whose amplitude is exp(HG_DEPTH x activity), and 60 Hz line noise with
harmonics of channel-specific strength. `neuro.high_gamma` recovers the envelope from this.
"""
from __future__ import annotations

import numpy as np

from .. import audio as A

BACKGROUND_UV = 40.0
REFERENCE_UV = 20.0
CARRIER_UV = 10.0
HG_DEPTH = 0.5  # log-amplitude change of the carrier per standard deviation of activity
LINE_UV = {60.0: 15.0, 120.0: 5.0, 180.0: 3.0}
CARRIER_BAND_HZ = (70.0, 150.0)
CHUNK = 8


def carrier_envelope(activity: np.ndarray) -> np.ndarray:
    """(T, E) high-gamma activity (z units) -> (T, E) carrier amplitude in microvolts."""
    return (CARRIER_UV * np.exp(HG_DEPTH * activity)).astype(np.float32)


def synthesize_raw(rng: np.random.Generator, activity: np.ndarray, fs: float) -> np.ndarray:
    """(T, E) activity at 100 Hz -> (S, E) float32 raw signal in microvolts at fs Hz, S = round(T fs / 100)."""
    n_frames, n_electrodes = activity.shape
    n_samples = int(round(n_frames * fs / A.FRAME_RATE))
    t = np.arange(n_samples) / fs
    frame_times = (np.arange(n_frames) + 0.5) / A.FRAME_RATE
    freqs = np.fft.rfftfreq(n_samples, d=1.0 / fs)
    carrier_shape = ((freqs >= CARRIER_BAND_HZ[0]) & (freqs <= CARRIER_BAND_HZ[1])).astype(float)
    background_shape = np.maximum(freqs, 0.5) ** -0.75  # amplitude ~ f^-0.75: power ~ 1/f^1.5
    background_shape[0] = 0.0
    envelope = carrier_envelope(activity)

    raw = np.empty((n_samples, n_electrodes), np.float32)
    for first in range(0, n_electrodes, CHUNK):
        cols = slice(first, min(first + CHUNK, n_electrodes))
        width = cols.stop - cols.start
        carrier = _shaped_noise(rng, n_samples, width, carrier_shape)
        upsampled = np.stack([np.interp(t, frame_times, envelope[:, e]) for e in range(cols.start, cols.stop)], 1)
        background = BACKGROUND_UV * _shaped_noise(rng, n_samples, width, background_shape)
        raw[:, cols] = carrier * upsampled + background
    reference = REFERENCE_UV * _shaped_noise(rng, n_samples, 1, background_shape)
    line = sum(uv * np.sin(2 * np.pi * hz * t + rng.uniform(0, 2 * np.pi)) for hz, uv in LINE_UV.items())
    raw += reference + line[:, None] * rng.uniform(0.5, 1.5, n_electrodes)[None, :].astype(np.float32)
    return raw


def _shaped_noise(rng: np.random.Generator, n_samples: int, n_channels: int, shape: np.ndarray) -> np.ndarray:
    """(n_samples, n_channels) float32 unit-variance Gaussian noise with amplitude spectrum `shape`."""
    spectrum = rng.standard_normal((len(shape), n_channels)) + 1j * rng.standard_normal((len(shape), n_channels))
    noise = np.fft.irfft(spectrum * shape[:, None], n=n_samples, axis=0)
    return (noise / (noise.std(axis=0, keepdims=True) + 1e-12)).astype(np.float32)
