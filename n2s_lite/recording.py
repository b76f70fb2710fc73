"""`Recording`: one listening experiment (audio, high-gamma, electrodes, trials), the package's data contract.

Frame clock: high-gamma and trial indices are at `frame_rate` (100 Hz), audio at `audio_rate` (16 kHz);
frame t covers audio samples [160 t, 160 (t + 1)).
"""
from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import audio as A
from .errors import InputError

SPLITS = ("train", "val", "test")
TASKS = ("listening", "speaking")  # what the participant did while high-gamma was recorded
ELECTRODE_COLUMNS = ("name", "x", "y", "bad")
TRIAL_COLUMNS = ("start", "end", "text", "split", "stimulus_id")


@dataclass
class Recording:
    """A listening (or speaking) experiment on the 100 Hz frame clock.

    audio: (N,) float32 in [-1, 1] at audio_rate (16 kHz).
    high_gamma: (T, E) float32 high-gamma envelope at frame_rate (100 Hz), T == N // 160.
    electrodes: DataFrame with columns name (str), x, y (float, grid or cortical 2-D position), bad (bool).
    trials: DataFrame with columns start, end (frames, end exclusive), text, split ('train'/'val'/'test'),
        stimulus_id (same id = same sentence presented again).
    raw / raw_rate: optional (S, E) float32 broadband signal and its rate in Hz.
    task: 'listening' (high-gamma follows the sound) or 'speaking' (cortex leads the produced sound); it decides
        the default lag window of every decoder (`lags.LagWindow.for_task`).
    ground_truth: optional arrays a simulator knows (noiseless responses, tuning), by name.
    metadata: JSON-serialisable facts (subject, source file, simulator settings, mel parameters, ...).
    """

    audio: np.ndarray
    high_gamma: np.ndarray
    electrodes: pd.DataFrame
    trials: pd.DataFrame
    audio_rate: int = A.SAMPLE_RATE
    frame_rate: float = float(A.FRAME_RATE)
    raw: np.ndarray | None = None
    raw_rate: float | None = None
    task: str = "listening"
    ground_truth: dict = field(default_factory=dict)
    metadata: dict = field(default_factory=dict)

    # ------------------------------------------------------------------ views
    @property
    def n_frames(self) -> int:
        """Frames of high-gamma on the 100 Hz clock (its rows)."""
        return int(self.high_gamma.shape[0])

    @property
    def n_electrodes(self) -> int:
        """Electrodes (columns of high_gamma), bad ones included."""
        return int(self.high_gamma.shape[1])

    @property
    def duration(self) -> float:
        """Seconds of recording on the frame clock."""
        return self.n_frames / self.frame_rate

    def mel(self) -> np.ndarray:
        """(T, 80) dB log-mel of the audio on the frame clock (computed with `audio.log_mel`)."""
        mel = A.log_mel(self.audio)
        if mel.shape[0] < self.n_frames:  # pad by edge values if audio is a frame short
            mel = np.pad(mel, ((0, self.n_frames - mel.shape[0]), (0, 0)), mode="edge")
        return mel[: self.n_frames]

    def trials_in(self, split: str) -> pd.DataFrame:
        """Trials of one split ('train', 'val' or 'test')."""
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        return self.trials[self.trials["split"] == split]

    def good_electrodes(self) -> np.ndarray:
        """(E,) bool mask of electrodes not flagged bad."""
        return ~self.electrodes["bad"].to_numpy(dtype=bool)

    def replace(self, **changes) -> "Recording":
        return dataclasses.replace(self, **changes)

    # ------------------------------------------------------------- validation
    def validate(self, source: str = "<recording>") -> "Recording":
        """Check every contract; raise InputError naming `source` and the field. Returns self."""
        if self.task not in TASKS:
            raise InputError(source, "task", f"one of {TASKS}", repr(self.task))
        audio = np.asarray(self.audio)
        if audio.ndim != 1 or audio.size == 0:
            raise InputError(source, "audio", "a non-empty 1-D waveform", f"shape {audio.shape}")
        if not np.all(np.isfinite(audio)):
            raise InputError(source, "audio", "finite samples", "NaN or infinite values")
        hg = np.asarray(self.high_gamma)
        if hg.ndim != 2 or hg.shape[0] == 0 or hg.shape[1] == 0:
            raise InputError(source, "high_gamma", "a (time, electrodes) array", f"shape {hg.shape}")
        if not np.all(np.isfinite(hg)):
            bad_t, bad_e = np.argwhere(~np.isfinite(hg))[0]
            raise InputError(source, "high_gamma", "finite values",
                             f"NaN/inf (first at frame {bad_t}, electrode {bad_e})")
        expected_frames = int(round(audio.size * self.frame_rate / self.audio_rate))
        if abs(expected_frames - hg.shape[0]) > 1:
            raise InputError(source, "high_gamma", f"{expected_frames} frames to match {audio.size} audio samples "
                             f"at {self.audio_rate} Hz", f"{hg.shape[0]} frames")
        missing = [c for c in ELECTRODE_COLUMNS if c not in self.electrodes.columns]
        if missing:
            raise InputError(source, "electrodes", f"columns {ELECTRODE_COLUMNS}", f"missing {missing}")
        if len(self.electrodes) != hg.shape[1]:
            raise InputError(source, "electrodes", f"{hg.shape[1]} rows (one per high_gamma column)",
                             f"{len(self.electrodes)} rows")
        missing = [c for c in TRIAL_COLUMNS if c not in self.trials.columns]
        if missing:
            raise InputError(source, "trials", f"columns {TRIAL_COLUMNS}", f"missing {missing}")
        starts, ends = self.trials["start"].to_numpy(), self.trials["end"].to_numpy()
        if len(self.trials) and (np.any(starts < 0) or np.any(ends > hg.shape[0]) or np.any(ends <= starts)):
            raise InputError(source, "trials", f"0 <= start < end <= {hg.shape[0]} frames", "out-of-range trial bounds")
        unknown = set(self.trials["split"]) - set(SPLITS)
        if unknown:
            raise InputError(source, "trials.split", f"values in {SPLITS}", f"{sorted(unknown)}")
        leaked = _leaked_stimuli(self.trials)
        if leaked:
            raise InputError(source, "trials.stimulus_id", "each sentence in one split only",
                             f"{len(leaked)} sentence(s) in test and another split, e.g. {leaked[0]!r}")
        if self.raw is not None:
            raw = np.asarray(self.raw)
            if raw.ndim != 2 or raw.shape[1] != hg.shape[1] or not self.raw_rate:
                raise InputError(source, "raw", f"a (samples, {hg.shape[1]}) array with raw_rate set",
                                 f"shape {raw.shape}, raw_rate {self.raw_rate}")
        return self


def mark_unusable_channels(rec: Recording, source: str = "<recording>", field: str = "high_gamma") -> Recording:
    """`rec` with electrodes whose high-gamma holds NaN/inf or never changes flagged bad, with a warning naming
    `source` and them; their NaN/inf values become 0 (decoders drop bad electrodes, `data.trial_arrays`).
    None left good: an InputError naming `source` and `field` (the file's name for the neural data)."""
    hg = np.asarray(rec.high_gamma, dtype=np.float32)
    not_finite = ~np.isfinite(hg).all(axis=0)
    finite = np.where(np.isfinite(hg), hg, 0.0)
    flat = ~not_finite & (finite.max(axis=0) == finite.min(axis=0))
    newly = (not_finite | flat) & ~rec.electrodes["bad"].to_numpy(dtype=bool)
    if not (newly.any() or not_finite.any()):
        return rec
    names = rec.electrodes["name"].to_numpy()
    if newly.any():
        warnings.warn(f"{source}: electrodes {', '.join(map(str, names[newly]))} have NaN/inf or constant high-gamma "
                      "and are marked bad", stacklevel=2)
    electrodes = rec.electrodes.copy()
    electrodes["bad"] = electrodes["bad"].to_numpy(dtype=bool) | not_finite | flat
    if electrodes["bad"].all():
        raise InputError(source, field, "at least one electrode without NaN/inf and not constant",
                         f"none of {len(electrodes)} ({int(not_finite.sum())} with NaN/inf, {int(flat.sum())} constant)")
    return rec.replace(high_gamma=finite.astype(np.float32), electrodes=electrodes)


def _leaked_stimuli(trials: pd.DataFrame) -> list:
    """Stimulus ids that appear in the test split and in another split."""
    test = set(trials.loc[trials["split"] == "test", "stimulus_id"])
    other = set(trials.loc[trials["split"] != "test", "stimulus_id"])
    return sorted(test & other, key=str)


def electrode_table(names, positions, bad=None) -> pd.DataFrame:
    """Build the electrode table: names (E,), positions (E, 2), bad (E,) bool."""
    positions = np.asarray(positions, dtype=np.float32).reshape(-1, 2)
    bad = np.zeros(len(positions), bool) if bad is None else np.asarray(bad, dtype=bool)
    return pd.DataFrame({"name": [str(n) for n in names], "x": positions[:, 0], "y": positions[:, 1], "bad": bad})


def trial_table(starts, ends, texts, splits, stimulus_ids=None) -> pd.DataFrame:
    """Build the trial table from (n_trials,) sequences: start and end frames (end exclusive), texts, splits
    ('train' / 'val' / 'test') and stimulus ids (default: the texts)."""
    ids = list(texts) if stimulus_ids is None else list(stimulus_ids)
    return pd.DataFrame({"start": np.asarray(starts, dtype=np.int64), "end": np.asarray(ends, dtype=np.int64),
                         "text": [str(t) for t in texts], "split": [str(s) for s in splits],
                         "stimulus_id": [str(i) for i in ids]})
