"""The flinkerlab neural_speech_decoding per-subject HDF5 layout (Chen et al. 2024), read and written.

Fields read (all on a 125 Hz clock, audio at 16 kHz, so 128 audio samples per neural frame):
    ecog_alldataset (T, E) high-gamma; wave_re_alldataset (T * 128, 1) audio;
    start_ind_re_valid_alldataset / end_ind_re_valid_alldataset (n_trials,) frame indices;
    label_alldataset (n_trials,) words (bytes).
    TestNum_cum (optional, scalar or (1,)): the number of test trials, the last ones of the file (flinkerlab's
    protocol); when present it decides the test set.
Every other field (wave_re_spec_alldataset, formant/pitch/intensity labels, ...) is listed by name and shape
in the metadata, not loaded. The layout has no electrode names or bad-channel field: flat (constant) and
NaN channels are flagged bad (`recording.mark_unusable_channels`); positions come from an (E, 3) coordinate
field if present (its y, z: the lateral-surface view), else from a grid. The flinkerlab data are speech
production: the Recording's task is 'speaking'.

So that a recording survives `write` then `io.load` with the same electrodes and test set, n2s-lite adds three
fields of its own (UTF-8 bytes; flinkerlab code reads fields by name and never sees them):
    n2s_electrode_name (E,) electrode names; n2s_trial_split (n_trials,) 'train'/'val'/'test';
    n2s_trial_stimulus_id (n_trials,) stimulus ids.
A file without them (e.g. from the flinkerlab pipeline) loads as the layout allows: electrodes named e000,
e001, ...; the stimulus id is the label; the test set from TestNum_cum where the file has it (validation: the
last-presented words of the other trials), else splits recomputed by stimulus (`common.split_by_stimulus`:
the last-presented words are the test set), with a warning from `read`. With the file's own test set a word
can be spoken in training and in test; such test trials get their own stimulus id ("word (test trial k)"), so
the recording stays valid, and the metadata counts them.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import h5py
import librosa
import numpy as np
from scipy.signal import resample_poly

from .. import audio as A
from ..errors import InputError
from ..recording import Recording, electrode_table, mark_unusable_channels, trial_table
from ..utils import atomic_path
from .common import (COMPRESSION, as_audio, as_strings, check_same_duration, fit_audio_to_frames,
                     grid_positions, reading_hdf5, require, split_by_stimulus, summary, to_frames)

NEURAL_RATE = 125  # Hz, the flinkerlab frame clock
SAMPLES_PER_FRAME = A.SAMPLE_RATE // NEURAL_RATE  # 128
UP, DOWN = 4, 5  # 125 Hz * 4 / 5 = 100 Hz
SPEC_BINS = 256
STORED_SPLITS = "stored in the file (n2s_trial_split)"
RECOMPUTED_SPLITS = "recomputed by stimulus: the last-presented words are the test set (common.split_by_stimulus)"
FILE_TEST_SPLITS = ("the file's TestNum_cum: its last trials are the test set; validation: the last-presented words "
                    "of the other trials (common.split_by_stimulus)")
COORDINATE_FIELDS = ("mni_coordinate_alldataset", "mni_coordinate_alldateset",  # both spellings occur upstream
                     "T1_coordinate_alldataset", "T1_coordinate_alldateset")
N2S_FIELDS = ("n2s_electrode_name", "n2s_trial_split", "n2s_trial_stimulus_id")  # written by n2s-lite only
READ_FIELDS = ("ecog_alldataset", "wave_re_alldataset", "start_ind_re_valid_alldataset",
               "end_ind_re_valid_alldataset", "label_alldataset", "TestNum_cum") + N2S_FIELDS


def looks_like(handle: h5py.File) -> bool:
    return "ecog_alldataset" in handle


# ------------------------------------------------------------------------------------------------ reading
def read(path) -> Recording:
    """Load a flinkerlab file onto the 100 Hz clock (not yet validated; `io.load` does that).

    Warns when the file stores no split (no n2s_trial_split) and the splits are recomputed.
    """
    with reading_hdf5(path) as handle:
        ecog = _ecog(handle, path)
        wave = require(handle, "wave_re_alldataset", path)[()]
        header = _header(handle, path, ecog)
    check_same_duration(path, "wave_re_alldataset", np.asarray(wave).shape[0] / A.SAMPLE_RATE,
                        ecog.shape[0] / NEURAL_RATE)
    if header["metadata"]["trial_splits"] == RECOMPUTED_SPLITS:
        warnings.warn(f"{path}: the file stores no train/val/test split (n2s_trial_split); {RECOMPUTED_SPLITS}",
                      stacklevel=3)
    high_gamma = resample_poly(np.nan_to_num(ecog.astype(np.float64)), UP, DOWN, axis=0).astype(np.float32)
    high_gamma[:, ~np.isfinite(ecog).all(axis=0)] = np.nan  # kept for mark_unusable_channels to flag
    audio, scale = as_audio(path, "wave_re_alldataset", wave, A.SAMPLE_RATE)
    n_frames = high_gamma.shape[0]
    starts, ends = to_frames(header["starts"], header["ends"], NEURAL_RATE, n_frames)
    trials = trial_table(starts, ends, header["labels"], header["splits"], header["stimulus_ids"])
    metadata = dict(header["metadata"], audio_scale=scale)
    return mark_unusable_channels(Recording(audio=fit_audio_to_frames(audio, n_frames), high_gamma=high_gamma,
                                            electrodes=header["electrodes"], trials=trials, task="speaking",
                                            metadata=metadata), path, "ecog_alldataset")


def describe(path) -> dict:
    """Summary of a flinkerlab file (its trial and electrode tables, without resampling anything)."""
    with reading_hdf5(path) as handle:
        ecog = _ecog(handle, path)
        header = _header(handle, path, ecog)
    trials = trial_table(header["starts"], header["ends"], header["labels"], header["splits"], header["stimulus_ids"])
    return summary("flinker-hdf5", path, subject=header["metadata"]["subject"],
                   duration_s=ecog.shape[0] / NEURAL_RATE, audio_rate=A.SAMPLE_RATE, neural_rate=NEURAL_RATE,
                   electrodes=header["electrodes"], trials=trials, task="speaking",
                   trial_splits=header["metadata"]["trial_splits"],
                   unread_fields=sorted(header["metadata"]["flinker_unread_fields"]))


def _ecog(handle: h5py.File, path) -> np.ndarray:
    ecog = require(handle, "ecog_alldataset", path)[()]
    if ecog.ndim != 2 or min(ecog.shape) == 0:
        raise InputError(path, "ecog_alldataset", "a (time, electrodes) array", f"shape {ecog.shape}")
    return ecog  # NaN channels are flagged bad by `read`


def _header(handle: h5py.File, path, ecog: np.ndarray) -> dict:
    """Trials (on the 125 Hz clock), electrode table and metadata of an open flinkerlab file."""
    labels = as_strings(require(handle, "label_alldataset", path)[()])
    starts = np.asarray(require(handle, "start_ind_re_valid_alldataset", path)[()]).ravel()
    ends = np.asarray(require(handle, "end_ind_re_valid_alldataset", path)[()]).ravel()
    for field, values in (("start_ind_re_valid_alldataset", starts), ("end_ind_re_valid_alldataset", ends)):
        if len(values) != len(labels):
            raise InputError(path, field, f"{len(labels)} indices (one per label_alldataset entry)",
                             f"{len(values)}")
    if np.any(starts < 0) or np.any(ends > ecog.shape[0]) or np.any(ends <= starts):
        raise InputError(path, "start_ind_re_valid_alldataset", f"0 <= start < end <= {ecog.shape[0]} frames",
                         "out-of-range trial indices")
    positions, position_source = _positions(handle, path, ecog.shape[1])
    names = (_n2s_labels(handle, path, "n2s_electrode_name", ecog.shape[1], "ecog_alldataset column")
             or [f"e{i:03d}" for i in range(ecog.shape[1])])
    electrodes = electrode_table(names, positions, bad=~(np.nanmax(ecog, axis=0) > np.nanmin(ecog, axis=0)))
    stimulus_ids = _n2s_labels(handle, path, "n2s_trial_stimulus_id", len(labels), "label") or labels
    splits = _n2s_labels(handle, path, "n2s_trial_split", len(labels), "label")
    split_rule, shared_words = STORED_SPLITS, 0
    if splits is None and "TestNum_cum" in handle:
        splits, stimulus_ids, shared_words = _file_test_split(handle, path, stimulus_ids)
        split_rule = FILE_TEST_SPLITS
    elif splits is None:
        splits, split_rule = split_by_stimulus(stimulus_ids), RECOMPUTED_SPLITS
    unread = {name: list(handle[name].shape) for name in handle
              if name not in READ_FIELDS and isinstance(handle[name], h5py.Dataset)}
    metadata = dict(source_format="flinker-hdf5", source_file=str(path), subject=Path(path).stem,
                    source_neural_rate=NEURAL_RATE, electrode_positions=position_source,
                    bad_electrodes_rule="flat (constant) or NaN channels", flinker_unread_fields=unread,
                    trial_splits=split_rule, test_words_also_in_training=shared_words)
    return dict(labels=labels, starts=starts.astype(np.int64), ends=ends.astype(np.int64), electrodes=electrodes,
                stimulus_ids=stimulus_ids, splits=splits, metadata=metadata)


def _file_test_split(handle: h5py.File, path, stimulus_ids: list[str]) -> tuple[list[str], list[str], int]:
    """Splits from TestNum_cum (its last trials are 'test'; 'val' the last-presented words of the rest), the
    stimulus ids with test trials of words also spoken outside the test set renamed, and how many those are."""
    count = np.asarray(handle["TestNum_cum"][()]).ravel()
    n_trials = len(stimulus_ids)
    if count.size != 1 or not 0 < int(count[0]) < n_trials - 1:
        raise InputError(path, "TestNum_cum", f"one test-trial count between 1 and {n_trials - 2} (the file has "
                         f"{n_trials} trials; training and validation need at least one each)", f"{count.tolist()}")
    n_test = int(count[0])
    rest = stimulus_ids[:-n_test]
    splits = split_by_stimulus(rest, test_fraction=0.0) + ["test"] * n_test
    seen = set(rest)
    ids = rest + [f"{word} (test trial {k})" if word in seen else word
                  for k, word in enumerate(stimulus_ids[-n_test:])]
    return splits, ids, sum(word in seen for word in stimulus_ids[-n_test:])


def _n2s_labels(handle: h5py.File, path, field: str, n: int, per: str) -> list[str] | None:
    """The n strings of n2s-lite's own field `field` (one per `per`), or None in a file without it."""
    if field not in handle:
        return None
    values = as_strings(handle[field][()])
    if len(values) != n:
        raise InputError(path, field, f"{n} values (one per {per})", f"{len(values)}")
    return values


def _positions(handle: h5py.File, path, n_electrodes: int) -> tuple[np.ndarray, str]:
    for field in COORDINATE_FIELDS:
        if field in handle:
            coordinates = np.asarray(handle[field][()], dtype=np.float32)
            if coordinates.shape != (n_electrodes, 3):
                raise InputError(path, field, f"({n_electrodes}, 3) coordinates", f"shape {coordinates.shape}")
            return coordinates[:, 1:], f"{field} (y, z)"
    return grid_positions(n_electrodes), "grid from electrode index, in grid units (the file has no coordinates)"


# ------------------------------------------------------------------------------------------------ writing
def write(rec: Recording, path, overwrite: bool = False) -> None:
    """Write `rec` in the flinkerlab layout at 125 Hz (bad electrodes become flat zeros), plus the n2s_* fields
    (electrode names, each trial's split and stimulus id) that let `io.load` give the same tables back.

    wave_re_spec_alldataset holds a (T, 256) dB magnitude STFT (n_fft 512, hop 128) so the layout is
    complete; the flinkerlab pipeline scales its own spectrogram differently and n2s-lite never reads it.
    """
    rec.validate(source="<recording to write>")
    ecog = resample_poly(np.asarray(rec.high_gamma, np.float64), DOWN, UP, axis=0).astype(np.float32)
    ecog[:, ~rec.good_electrodes()] = 0.0
    n_frames = ecog.shape[0]
    wave = np.pad(rec.audio, (0, max(0, n_frames * SAMPLES_PER_FRAME - len(rec.audio))))
    wave = wave[: n_frames * SAMPLES_PER_FRAME].astype(np.float32)
    starts, ends = _to_flinker_frames(rec.trials["start"], rec.trials["end"], n_frames)
    with atomic_path(path, overwrite=overwrite) as tmp, h5py.File(tmp, "w") as handle:
        handle.create_dataset("ecog_alldataset", data=ecog, **COMPRESSION)
        handle.create_dataset("wave_re_alldataset", data=wave[:, None], **COMPRESSION)
        handle.create_dataset("wave_re_spec_alldataset", data=_spectrogram(wave, n_frames), **COMPRESSION)
        handle.create_dataset("start_ind_re_valid_alldataset", data=starts)
        handle.create_dataset("end_ind_re_valid_alldataset", data=ends)
        handle.create_dataset("label_alldataset", data=_utf8(rec.trials["text"]))
        handle.create_dataset("n2s_electrode_name", data=_utf8(rec.electrodes["name"]))
        handle.create_dataset("n2s_trial_split", data=_utf8(rec.trials["split"]))
        handle.create_dataset("n2s_trial_stimulus_id", data=_utf8(rec.trials["stimulus_id"]))


def _utf8(values) -> np.ndarray:
    """Strings -> a fixed-length bytes array (UTF-8), as flinkerlab stores its labels."""
    return np.array([str(v).encode("utf-8") for v in values])


def _to_flinker_frames(starts, ends, n_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """100 Hz trial bounds -> 125 Hz frame indices."""
    factor = NEURAL_RATE / A.FRAME_RATE
    start = np.floor(np.asarray(starts) * factor).astype(np.int64)
    end = np.minimum(np.ceil(np.asarray(ends) * factor).astype(np.int64), n_frames)
    return start, end


def _spectrogram(wave: np.ndarray, n_frames: int) -> np.ndarray:
    """(n_frames, 256) float32 dB magnitude spectrogram at 125 Hz."""
    magnitude = np.abs(librosa.stft(wave, n_fft=2 * SPEC_BINS, hop_length=SAMPLES_PER_FRAME))[:SPEC_BINS]
    return librosa.amplitude_to_db(magnitude, ref=1.0, top_db=None).T[:n_frames].astype(np.float32)
