"""Trials of a Recording as arrays for training: z-scored high-gamma and the log-mel of the same frames.

Contracts: splits are by sentence (the Recording's trial table decides them); high-gamma is z-scored with
the mean and standard deviation of training-trial frames only (`neural_stats`), so nothing about the
validation or test sentences leaks into training. Bad electrodes are dropped: `Trial.hg` holds the good
electrodes only, in the order of `good_electrode_names(rec)`.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from tqdm.auto import tqdm

from . import audio as A
from .errors import InputError
from .recording import SPLITS, Recording

STFT_CONTEXT = 4  # frames of audio around a trial given to the STFT, so its mel equals the session's


@dataclass(frozen=True)
class Trial:
    """One sentence presentation. hg: (T, E_good) float32 z-scored; mel: (T, 80) float32 dB; tracks: None, or
    the (T, 4) reference tracks of the heard speech (`with_reference_tracks`)."""

    hg: np.ndarray
    mel: np.ndarray
    text: str
    stimulus_id: str
    start: int  # first frame in the recording
    tracks: np.ndarray | None = None


def neural_stats(rec: Recording) -> tuple[np.ndarray, np.ndarray]:
    """(E,) mean and (E,) std of high-gamma over the frames of training trials (all electrodes).

    A constant electrode gets std 1, so z-scoring never divides by zero.
    """
    train = rec.trials_in("train")
    if train.empty:
        raise InputError("<recording>", "trials.split", "at least one 'train' trial", "none")
    frames = np.concatenate([np.arange(s, e) for s, e in zip(train["start"], train["end"])])
    values = np.asarray(rec.high_gamma, np.float64)[frames]
    std = values.std(axis=0)
    return values.mean(axis=0).astype(np.float32), np.where(std > 0, std, 1.0).astype(np.float32)


def good_electrode_names(rec: Recording) -> list[str]:
    """Names of the electrodes kept in `Trial.hg` (those not flagged bad), in column order."""
    return list(rec.electrodes.loc[rec.good_electrodes(), "name"])


def trial_mel(rec: Recording, start: int, end: int) -> np.ndarray:
    """(end - start, 80) dB log-mel of frames [start, end), equal to those rows of `rec.mel()`.

    Only the trial's audio and STFT_CONTEXT frames either side are analysed (zero-padded past the ends of
    the recording, as the session's centred STFT is), instead of the whole session.
    """
    return A.log_mel(_audio_with_context(rec, start, end))[STFT_CONTEXT: STFT_CONTEXT + end - start]


def _audio_with_context(rec: Recording, start: int, end: int) -> np.ndarray:
    """The audio of frames [start, end) and STFT_CONTEXT frames either side, zero-padded past the recording."""
    low, high = (start - STFT_CONTEXT) * A.HOP, (end + STFT_CONTEXT) * A.HOP
    wave = rec.audio[max(low, 0): min(high, len(rec.audio))]
    return np.pad(wave, (max(0, -low), max(0, high - len(rec.audio))))


def with_reference_tracks(rec: Recording, trials: list[Trial], progress: bool = False) -> list[Trial]:
    """The trials with `tracks`: (T, 4) pYIN f0 and LPC F1-F3 in Hz of the speech heard during each trial (NaN
    where unvoiced or unmeasured; `synth.formants.reference_tracks`), on the frames of its mel. They supervise a
    synthesizer decoder's controls in phase 2 as in phase 1. pYIN takes about a twelfth of the audio's length."""
    from .synth.formants import reference_tracks

    return [replace(t, tracks=reference_tracks(_audio_with_context(rec, t.start, t.start + len(t.mel)))
                                [STFT_CONTEXT: STFT_CONTEXT + len(t.mel)])
            for t in tqdm(trials, desc="pYIN and LPC", leave=False, disable=not progress)]


def trial_arrays(rec: Recording, split: str, stats: tuple[np.ndarray, np.ndarray] | None = None) -> list[Trial]:
    """Trials of one split ('train', 'val', 'test'), each with hg (T, E_good) float32 z-scored high-gamma of the
    good electrodes and mel (T, 80) dB log-mel of the same 100 Hz frames.

    stats: (mean, std), each (E,) over all electrodes, that z-score hg; default `neural_stats(rec)` (training
    frames only)."""
    if split not in SPLITS:
        raise InputError("<recording>", "split", f"one of {SPLITS}", repr(split))
    mean, std = neural_stats(rec) if stats is None else stats
    good = rec.good_electrodes()
    hg = rec.high_gamma
    return [Trial(hg=((hg[s:e] - mean) / std)[:, good].astype(np.float32), mel=trial_mel(rec, s, e),
                  text=str(text), stimulus_id=str(sid), start=int(s))
            for s, e, text, sid in zip(*(rec.trials_in(split)[c] for c in ("start", "end", "text", "stimulus_id")))]


def split_trials(rec: Recording) -> dict:
    """{'train', 'val', 'test'} -> list of `Trial`, z-scored with training statistics only."""
    stats = neural_stats(rec)
    return {split: trial_arrays(rec, split, stats) for split in ("train", "val", "test")}
