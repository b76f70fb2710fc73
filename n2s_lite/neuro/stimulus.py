"""What the simulated auditory cortex hears: per-sentence log-mel, auditory spectrogram and pitch.

Everything is on the package's 100 Hz frame clock. Sentences are analysed with `CONTEXT` frames of the
surrounding silence on each side, so pasting them into a silent-gapped session reproduces exactly the
log-mel of the whole session (`audio.log_mel`) without computing one huge STFT.
"""
from __future__ import annotations

from dataclasses import dataclass

import librosa
import numpy as np
from scipy.cluster.vq import kmeans2, vq

from .. import audio as A
from ..errors import InputError

CONTEXT = 4  # frames of silence analysed on each side of a sentence (> N_FFT / 2 / HOP = 3.2)
PITCH_RATE = 4_000  # Hz; pitch is estimated on audio downsampled to this rate
PITCH_FRAME = 256  # samples at PITCH_RATE (64 ms)
F0_RANGE = (70.0, 400.0)  # Hz
VOICING_THRESHOLD = 0.5  # normalised autocorrelation peak above which a frame counts as voiced
HEARING_RANGE_DB = 60.0  # dynamic range of the auditory spectrogram below the session's loudest bins
N_CATEGORIES = 8  # broad sound categories of category-tuned sites
AUDIBLE_LEVEL = 0.2  # mean auditory level (a fraction of HEARING_RANGE_DB) above which a frame is a sound


@dataclass(frozen=True)
class SentenceFeatures:
    """Features of one sentence with CONTEXT silent frames on each side (n = sentence frames + 2 CONTEXT).

    mel: (n, 80) dB log-mel; f0: (n,) Hz (NaN when unvoiced); periodicity: (n,) in [0, 1].
    """

    mel: np.ndarray
    f0: np.ndarray
    periodicity: np.ndarray


def sentence_features(wave: np.ndarray) -> SentenceFeatures:
    """(N,) 16 kHz sentence -> its features, with CONTEXT frames of silence analysed on each side."""
    pad = CONTEXT * A.HOP
    n = A.n_frames(len(wave)) + 2 * CONTEXT
    padded = np.pad(np.asarray(wave, np.float32), (pad, pad + A.HOP))
    mel = A.log_mel(padded)[:n]
    f0, periodicity = autocorrelation_pitch(padded, n)
    return SentenceFeatures(mel=mel, f0=f0, periodicity=periodicity)


def autocorrelation_pitch(wave: np.ndarray, n_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """(N,) 16 kHz -> f0 (n_frames,) Hz (NaN if unvoiced) and periodicity (n_frames,) in [0, 1].

    Classic normalised-autocorrelation pitch: the highest autocorrelation peak between 1/400 s and 1/70 s
    in 64 ms Hann frames, on audio downsampled to 4 kHz. Cheap, and good enough to drive pitch-tuned sites.
    """
    low = librosa.resample(np.asarray(wave, np.float32), orig_sr=A.SAMPLE_RATE, target_sr=PITCH_RATE,
                           res_type="soxr_hq")
    hop = PITCH_RATE // A.FRAME_RATE
    frames = librosa.util.frame(np.pad(low, (PITCH_FRAME // 2, PITCH_FRAME)), frame_length=PITCH_FRAME,
                                hop_length=hop, axis=0)[:n_frames]
    frames = (frames - frames.mean(axis=1, keepdims=True)) * np.hanning(PITCH_FRAME)
    power = np.abs(np.fft.rfft(frames, n=2 * PITCH_FRAME, axis=1)) ** 2
    min_lag, max_lag = int(PITCH_RATE / F0_RANGE[1]), int(PITCH_RATE / F0_RANGE[0])
    autocorr = np.fft.irfft(power, axis=1)[:, :max_lag + 1]
    window = np.hanning(PITCH_FRAME)
    window_ac = np.correlate(window, window, "full")[PITCH_FRAME - 1: PITCH_FRAME + max_lag]
    autocorr = autocorr / window_ac / np.maximum(autocorr[:, :1] / window_ac[0], 1e-12)  # unbiased, r(0) = 1
    lags = min_lag + np.argmax(autocorr[:, min_lag:max_lag + 1], axis=1)
    periodicity = np.clip(autocorr[np.arange(len(lags)), lags], 0.0, 1.0)
    energy = (frames**2).mean(axis=1)
    audible = energy > 1e-4 * max(energy.max(), 1e-12)
    voiced = (periodicity > VOICING_THRESHOLD) & audible
    f0 = np.where(voiced, PITCH_RATE / lags, np.nan)
    return f0.astype(np.float32), np.where(audible, periodicity, 0.0).astype(np.float32)


def auditory_spectrogram(mel_db: np.ndarray) -> np.ndarray:
    """(T, 80) dB log-mel -> (T, 80) level above hearing threshold in [0, 1].

    The threshold sits HEARING_RANGE_DB below the session's loudest bins (99.9th percentile), so the
    simulated cortex does not care about the absolute recording level and ignores the -50 dB silence floor.
    """
    top = np.percentile(mel_db, 99.9)
    return np.clip((mel_db - (top - HEARING_RANGE_DB)) / HEARING_RANGE_DB, 0.0, 1.0).astype(np.float32)


def relative_pitch(f0: np.ndarray) -> np.ndarray:
    """(T,) Hz (NaN unvoiced) -> (T,) log-f0 z-scored over voiced frames, 0 where unvoiced (Tang 2017)."""
    log_f0 = np.log(f0)
    voiced = np.isfinite(log_f0)
    if voiced.sum() < 2:
        return np.zeros_like(f0, dtype=np.float32)
    z = (log_f0 - log_f0[voiced].mean()) / (log_f0[voiced].std() + 1e-6)
    return np.where(voiced, z, 0.0).astype(np.float32)


def sound_categories(aud: np.ndarray, rng: np.random.Generator, n_categories: int = N_CATEGORIES) -> np.ndarray:
    """(T, 80) auditory spectrogram -> (T, n_categories) float32 one-hot: the broad sound category of each
    audible frame (all zero where the mean level is below AUDIBLE_LEVEL).

    The categories are k-means clusters of the spectral shape (the frame's mean level removed) of the
    session's audible frames: a stand-in, found without phone labels, for the phonetic classes (manner and
    place of articulation) STG sites are selective to (Mesgarani 2014). Two frames of one category drive a
    site tuned to it alike, however loud they are and however their spectra differ within the category.
    """
    level = aud.mean(axis=1)
    audible = level > AUDIBLE_LEVEL
    if audible.sum() < n_categories:
        raise InputError("<stimulus>", "audio", f"at least {n_categories} audible frames to find sound categories in",
                         f"{int(audible.sum())}")
    shape = (aud - level[:, None]).astype(np.float64)
    centres, _ = kmeans2(shape[audible], n_categories, minit="++", rng=rng)
    nearest, _ = vq(shape, centres, check_finite=False)
    return np.eye(n_categories, dtype=np.float32)[nearest] * audible[:, None]
