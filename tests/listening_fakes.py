"""A synthetic Podcast-ECoG participant for the BIDS tests and scripts/bench_highgamma.py.

A story of word bursts separated by short gaps inside phrases and longer pauses between them; raw ECoG of
background 1/f-like activity, mains noise, and 70-170 Hz noise whose amplitude follows the audio envelope 100 ms
later on the `tracking` channels (and an unrelated slow drift on the others); one bad channel of large noise.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.signal import butter, sosfiltfilt

from n2s_lite import audio as A
from n2s_lite import segment
from n2s_lite.recording import Recording, electrode_table, trial_table

LAG_FRAMES = 10  # tracking channels follow the sound envelope 100 ms later


def story_words(seconds: float, rng) -> pd.DataFrame:
    """Words (word, start, end in s) of phrases of 2-6 words, gaps 20-120 ms inside, pauses 0.5-1.2 s between."""
    rows, t, index = [], 0.4, 0
    while True:
        phrase = []
        for _ in range(rng.integers(2, 7)):
            length = rng.uniform(0.18, 0.4)
            phrase.append((f"w{index}", t, t + length))
            index, t = index + 1, t + length + rng.uniform(0.02, 0.12)
        if phrase[-1][2] > seconds - 0.5:
            break
        rows += phrase
        t = phrase[-1][2] + rng.uniform(0.5, 1.2)
    return pd.DataFrame(rows, columns=["word", "start", "end"])


def participant(seconds: int = 40, n_channels: int = 8, fs: int = 512, tracking=(0, 1, 2), bad=(6,), seed: int = 0,
                line_hz: float = 60.0) -> tuple[Recording, pd.DataFrame]:
    """(Recording with raw in microvolts at fs, its word transcript). seconds must be whole (EDF records of 1 s)."""
    rng = np.random.default_rng(seed)
    words = story_words(seconds, rng)
    n_frames = seconds * A.FRAME_RATE
    audio = 0.005 * rng.standard_normal(n_frames * A.HOP).astype(np.float32)
    voice = butter(4, [300, 3000], btype="bandpass", fs=A.SAMPLE_RATE, output="sos")
    for start, end in zip(words["start"], words["end"]):
        first, last = int(start * A.SAMPLE_RATE), int(end * A.SAMPLE_RATE)
        burst = sosfiltfilt(voice, rng.standard_normal(last - first)) * np.hanning(last - first)
        audio[first:last] += (0.3 * burst / np.abs(burst).max()).astype(np.float32)
    envelope = np.sqrt((audio[: n_frames * A.HOP].reshape(n_frames, A.HOP) ** 2).mean(axis=1))
    envelope = np.roll(envelope / envelope.max(), LAG_FRAMES)
    drift = sosfiltfilt(butter(2, 0.5, fs=A.FRAME_RATE, output="sos"), rng.standard_normal((n_frames, n_channels)),
                        axis=0)
    amplitude = 1.0 + 0.5 * drift / drift.std()
    amplitude[:, list(tracking)] = 0.5 + 4.0 * envelope[:, None]
    amplitude = np.clip(amplitude, 0.1, None)
    raw = _raw(amplitude, fs, line_hz, bad, rng)
    cut = segment.at_pauses(words)
    trials = trial_table(np.floor(cut["start_s"] * 100), np.ceil(cut["end_s"] * 100), cut["text"],
                         segment.contiguous_splits(len(cut)), [f"podcast:{i:04d}" for i in range(len(cut))])
    columns = int(np.ceil(np.sqrt(n_channels)))
    positions = np.stack([np.arange(n_channels) % columns, np.arange(n_channels) // columns], 1) * 10.0 - 20.0
    rec = Recording(audio=np.clip(audio, -1, 1), high_gamma=amplitude.astype(np.float32),
                    electrodes=electrode_table([f"G{i + 1}" for i in range(n_channels)], positions,
                                               np.isin(np.arange(n_channels), bad)),
                    trials=trials, raw=raw, raw_rate=float(fs), task="listening")
    return rec.validate(), words


def _raw(amplitude: np.ndarray, fs: int, line_hz: float, bad, rng, chunk: int = 16) -> np.ndarray:
    """(S, E) float32 microvolts: 70-170 Hz noise scaled by `amplitude` (T, E at 100 Hz) + background + mains."""
    n_frames, n_channels = amplitude.shape
    n_samples = n_frames * fs // A.FRAME_RATE
    t = np.arange(n_samples) / fs
    frames_t = np.arange(n_frames) / A.FRAME_RATE
    band = butter(4, [70, 170], btype="bandpass", fs=fs, output="sos")
    slow = butter(2, 20, fs=fs, output="sos")
    raw = np.empty((n_samples, n_channels), np.float32)
    for first in range(0, n_channels, chunk):
        cols = range(first, min(first + chunk, n_channels))
        carrier = sosfiltfilt(band, rng.standard_normal((n_samples, len(cols))), axis=0)
        scale = np.stack([np.interp(t, frames_t, amplitude[:, c]) for c in cols], axis=1)
        background = sosfiltfilt(slow, rng.standard_normal((n_samples, len(cols))), axis=0)
        raw[:, first:first + len(cols)] = (scale * carrier / carrier.std() + 20.0 * background / background.std()
                                           + 3.0 * np.sin(2 * np.pi * line_hz * t)[:, None]
                                           + 0.2 * rng.standard_normal((n_samples, len(cols))))
    for c in bad:
        raw[:, c] += 50.0 * rng.standard_normal(n_samples).astype(np.float32)
    return raw
