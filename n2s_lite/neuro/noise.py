"""Noise of a high-gamma recording, in units of the response standard deviation of a gain-1 site.

Components (variance shares of the per-electrode noise, NOISE_SHARES):
- white: independent per electrode (amplifier and estimation noise);
- pink: independent 1/f fluctuations per electrode (ongoing local activity);
- common: several slow 1/f sources with smooth spatial loadings shared by neighbouring electrodes
  (ongoing cortical state, non-auditory processes); it does not average out across the grid;
- drift: very slow (< 0.02 Hz) wandering of each electrode's baseline.
Bad channels get one of three failures (BAD_KINDS) and are flagged in the electrode table.
"""
from __future__ import annotations

import numpy as np

from .. import audio as A
from .grid import smooth_field

NOISE_SHARES = dict(white=0.2, pink=0.25, common=0.45, drift=0.1)
N_COMMON_SOURCES = 8
BAD_KINDS = ("dead", "noisy", "popping")


def colored_noise(rng: np.random.Generator, n_frames: int, n_channels: int, exponent: float,
                  frame_rate: float = A.FRAME_RATE, low_hz: float = 0.01, high_hz: float | None = None) -> np.ndarray:
    """(n_frames, n_channels) unit-variance noise with power ~ 1/f**exponent between low_hz and high_hz."""
    freqs = np.fft.rfftfreq(n_frames, d=1.0 / frame_rate)
    shape = np.maximum(freqs, low_hz) ** (-exponent / 2.0)
    if high_hz is not None:
        shape = shape / (1.0 + (freqs / high_hz) ** 4)
    shape[0] = 0.0
    spectrum = rng.standard_normal((len(freqs), n_channels)) + 1j * rng.standard_normal((len(freqs), n_channels))
    noise = np.fft.irfft(spectrum * shape[:, None], n=n_frames, axis=0)
    return noise / (noise.std(axis=0, keepdims=True) + 1e-12)


def neural_noise(rng: np.random.Generator, n_frames: int, grid: tuple[int, int], n_electrodes: int,
                 variance: float) -> np.ndarray:
    """(n_frames, E) float32 noise with total variance `variance` per electrode, shared as NOISE_SHARES."""
    white = rng.standard_normal((n_frames, n_electrodes))
    pink = colored_noise(rng, n_frames, n_electrodes, exponent=1.0)
    sources = colored_noise(rng, n_frames, N_COMMON_SOURCES, exponent=1.0, high_hz=5.0)
    # Smooth, mostly positive loadings: neighbours share noise; 8 local sources cannot all be read off
    # the non-responsive sites and subtracted.
    loadings = np.stack([smooth_field(rng, grid, n_electrodes, width_mm=6.0) + 0.5
                         for _ in range(N_COMMON_SOURCES)])  # (sources, E)
    common = sources @ loadings
    common /= common.std(axis=0, keepdims=True) + 1e-12
    drift = colored_noise(rng, n_frames, n_electrodes, exponent=2.0, low_hz=0.002, high_hz=0.02)
    parts = dict(white=white, pink=pink, common=common, drift=drift)
    noise = sum(np.sqrt(NOISE_SHARES[k] * variance) * parts[k] for k in NOISE_SHARES)
    return noise.astype(np.float32)


def break_channels(rng: np.random.Generator, signal: np.ndarray, n_bad: int) -> np.ndarray:
    """Corrupt n_bad random electrodes of (T, E) signal in place; return (E,) str failure ('' if good).

    dead: a flat, near-constant trace; noisy: 10x more broadband noise; popping: large random steps
    and spikes (loose contact).
    """
    n_frames, n_electrodes = signal.shape
    failure = np.full(n_electrodes, "", dtype=object)
    chosen = rng.choice(n_electrodes, size=n_bad, replace=False)
    kinds = [BAD_KINDS[i % len(BAD_KINDS)] for i in range(n_bad)]
    scale = signal.std() + 1e-6
    for e, kind in zip(chosen, kinds):
        failure[e] = kind
        if kind == "dead":
            signal[:, e] = 1e-3 * scale * rng.standard_normal(n_frames)
        elif kind == "noisy":
            signal[:, e] += 10.0 * scale * rng.standard_normal(n_frames)
        else:
            steps = np.cumsum(rng.random(n_frames) < 0.002) % 2 * 8.0 * scale
            spikes = (rng.random(n_frames) < 0.003) * rng.normal(0.0, 20.0 * scale, n_frames)
            signal[:, e] += steps + spikes
    return failure.astype(str)
