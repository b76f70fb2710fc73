"""Helpers shared by the recording formats: checks, audio and frame-clock conversion, splits, summaries."""
from __future__ import annotations

import contextlib
import json
import math
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import pandas as pd

from .. import audio as A
from ..errors import InputError

# gzip (readable everywhere, unlike lzf) at level 1: on 10 min of speech + (T, 128) high-gamma it is 40 %
# faster than level 4 for a file only 2 % larger
COMPRESSION = dict(compression="gzip", compression_opts=1, shuffle=True)
DURATION_TOLERANCE_S = 0.05  # audio and neural streams may disagree by this much before we refuse a file
TEST_FRACTION = 0.1
VAL_FRACTION = 0.1


@dataclass(frozen=True)
class Layout:
    """What differs between BIDS listening datasets (`bids`; `podcast.LAYOUT` is one).

    stimulus / transcript: paths under ROOT of one continuous stimulus that starts at the recording's sample 0,
        and its word transcript (word, start, end in s); None: the stimuli come from events.tsv.
    derivative: path under ROOT of a high-gamma derivative (FIF), with {subject} (sub-XX) and {task};
        derivative_band: its band in Hz. line_freq: mains frequency in Hz when no sidecar gives PowerLineFrequency
        (None: required). download: the command that fetches the dataset, quoted when a file is missing.
    """

    name: str
    stimulus: str | None = None
    transcript: str | None = None
    derivative: str | None = None
    derivative_band: tuple | None = None
    line_freq: float | None = None
    download: str | None = None

    def fetch_hint(self) -> str:
        """' (get it with: COMMAND)' for error messages, or ''."""
        return f" (get it with: {self.download})" if self.download else ""


@contextlib.contextmanager
def reading_hdf5(path):
    """Open an HDF5 file read-only; a truncated or corrupt file becomes an InputError naming it."""
    try:
        with h5py.File(path, "r") as handle:
            yield handle
    except OSError as exc:
        raise InputError(path, "file", "a complete, readable HDF5 file", f"truncated or corrupt ({exc})") from exc


def require(handle, name: str, source) -> h5py.Dataset:
    """The dataset `name` of an open HDF5 file, or an InputError saying it is missing."""
    if name not in handle:
        raise InputError(source, name, "a dataset of that name", "missing")
    return handle[name]


def check_finite(source, field: str, values: np.ndarray) -> np.ndarray:
    """Raise InputError at the first NaN/inf of `values`; return `values`."""
    bad = ~np.isfinite(values)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise InputError(source, field, "finite values", f"NaN/inf at index {where}")
    return values


def as_strings(values) -> list[str]:
    """Bytes or str labels (an HDF5/NWB string array) -> list of Python str."""
    return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in np.asarray(values).ravel()]


def as_audio(source, field: str, wave: np.ndarray, rate: float) -> tuple[np.ndarray, float]:
    """(N,) or (N, 1) waveform at `rate` -> ((M,) float32 at 16 kHz in [-1, 1], scale applied).

    Audio whose peak exceeds 1 (e.g. stored in int16 units) is divided by its peak; the scale is returned.
    """
    wave = np.asarray(wave)
    if wave.ndim == 2 and wave.shape[1] == 1:
        wave = wave[:, 0]
    if wave.ndim != 1 or wave.size == 0:
        raise InputError(source, field, "a mono waveform of shape (N,) or (N, 1)", f"shape {wave.shape}")
    wave = check_finite(source, field, wave.astype(np.float32))
    peak = float(np.abs(wave).max())
    scale = 1.0 / peak if peak > 1.0 else 1.0
    return A.to_mono_16k(wave * scale, int(round(rate))), scale


def check_same_duration(source, field: str, audio_seconds: float, neural_seconds: float) -> None:
    """Refuse audio and neural streams whose durations differ by more than DURATION_TOLERANCE_S."""
    difference = audio_seconds - neural_seconds
    if abs(difference) > DURATION_TOLERANCE_S:
        raise InputError(source, field, f"audio as long as the neural data ({neural_seconds:.3f} s, "
                         f"within {DURATION_TOLERANCE_S} s)",
                         f"{audio_seconds:.3f} s ({abs(difference):.3f} s {'longer' if difference > 0 else 'shorter'})")


def read_tsv(path) -> pd.DataFrame:
    """A BIDS .tsv table as strings ('n/a' kept as text); a UTF-8 byte-order mark is ignored."""
    try:
        return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(path, "file", "a readable tab-separated BIDS table", f"{type(exc).__name__}: {exc}") from exc


def line_frequency(sidecar, override: float | None, default: float | None) -> tuple[float, str]:
    """Mains frequency in Hz and where it came from: `override` if given, else the BIDS sidecar's
    PowerLineFrequency (sidecar: an _ieeg.json path or None), else the layout's documented `default`."""
    if override is not None:
        return float(override), "given by the caller (line_freq)"
    if sidecar is not None and Path(sidecar).is_file():
        try:
            value = json.loads(Path(sidecar).read_text(encoding="utf-8-sig")).get("PowerLineFrequency")
        except (OSError, json.JSONDecodeError, AttributeError) as exc:
            raise InputError(sidecar, "file", "a readable JSON sidecar", f"{type(exc).__name__}: {exc}") from exc
        if isinstance(value, (int, float)) and value > 0:
            return float(value), f"{Path(sidecar).name} (PowerLineFrequency)"
    if default is None:
        raise InputError(sidecar or "<recording>", "PowerLineFrequency", "the mains frequency in Hz (BIDS "
                         "_ieeg.json), or line_freq=50 / 60 when loading", "none")
    return float(default), "the layout's default (no PowerLineFrequency in a sidecar)"


def participant_row(participants, subject: str) -> dict:
    """The row of `subject` ("sub-XX") in participants.tsv (path or None) as strings; {} without file or row."""
    if participants is None:
        return {}
    table = read_tsv(participants)
    if "participant_id" not in table.columns:
        return {}
    rows = table[table["participant_id"] == subject]
    return {str(k): str(v) for k, v in rows.iloc[0].items()} if len(rows) else {}


def read_wav_mono(path) -> tuple[np.ndarray, int]:
    """A sound file -> ((N,) float32 mono, the mean of its channels, sample rate), read in blocks (a 30-minute
    stereo file never exists in memory as float twice)."""
    import soundfile as sf

    try:
        info = sf.info(str(path))
        mono = np.empty(info.frames, np.float32)
        position = 0
        for block in sf.blocks(str(path), blocksize=1 << 20, dtype="float32", always_2d=True):
            mono[position: position + len(block)] = block.mean(axis=1)
            position += len(block)
    except (RuntimeError, sf.LibsndfileError) as exc:
        raise InputError(path, "file", "a readable sound file (wav, flac)", f"{type(exc).__name__}: {exc}") from exc
    return mono[:position], int(info.samplerate)


def fit_audio_to_frames(wave: np.ndarray, n_frames: int) -> np.ndarray:
    """Crop or zero-pad a 16 kHz waveform to exactly n_frames * 160 samples."""
    n = n_frames * A.HOP
    return np.pad(wave[:n], (0, max(0, n - len(wave)))).astype(np.float32)


def to_frames(starts, ends, rate: float, n_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """Sample/frame indices at `rate` -> (start, end) on the 100 Hz clock: start rounded down, end up, clipped."""
    factor = A.FRAME_RATE / float(rate)
    start = np.clip(np.floor(np.asarray(starts) * factor).astype(np.int64), 0, n_frames - 1)
    end = np.clip(np.ceil(np.asarray(ends) * factor).astype(np.int64), 0, n_frames)
    return start, np.maximum(end, start + 1)


def split_by_stimulus(stimulus_ids, test_fraction: float = TEST_FRACTION,
                      val_fraction: float = VAL_FRACTION) -> list[str]:
    """Deterministic split per trial, by stimulus: every trial of one stimulus lands in one split.

    Like flinkerlab's "last trials are the test set": stimuli are taken from the end of the session
    (latest last presentation first) into 'test' until it holds test_fraction of the trials, then into
    'val'; the rest is 'train'. At least one stimulus always stays in 'train'.
    """
    ids = [str(i) for i in stimulus_ids]
    last_seen = {stimulus: index for index, stimulus in enumerate(ids)}
    latest_first = sorted(last_seen, key=last_seen.get, reverse=True)
    counts = Counter(ids)
    split_of, cursor = {}, 0
    for split, fraction in (("test", test_fraction), ("val", val_fraction)):
        taken = 0
        while taken < fraction * len(ids) and cursor < len(latest_first) - 1:
            split_of[latest_first[cursor]] = split
            taken += counts[latest_first[cursor]]
            cursor += 1
    return [split_of.get(i, "train") for i in ids]


def grid_positions(n_electrodes: int) -> np.ndarray:
    """(E, 2) float32 positions in grid units on a square-ish grid, row by row, for files without coordinates."""
    columns = math.ceil(math.sqrt(n_electrodes))
    index = np.arange(n_electrodes)
    return np.stack([index % columns, index // columns], axis=1).astype(np.float32)


def summary(fmt: str, path, *, subject, duration_s: float, audio_rate: float, neural_rate: float,
            electrodes: pd.DataFrame, trials: pd.DataFrame, **extra) -> dict:
    """The facts `n2s info` prints, in one order for every format; `extra` adds format-specific ones."""
    per_split = {split: int((trials["split"] == split).sum()) for split in ("train", "val", "test")}
    facts = dict(format=fmt, path=str(path), subject=subject, duration_s=round(float(duration_s), 3),
                 audio_rate=audio_rate, neural_rate=neural_rate, frame_rate=A.FRAME_RATE,
                 n_electrodes=len(electrodes), bad_electrodes=electrodes.loc[electrodes["bad"], "name"].tolist(),
                 n_trials=len(trials), n_stimuli=int(trials["stimulus_id"].nunique()), trials_per_split=per_split)
    facts.update(extra)
    return facts


def subject_staging(root, subject: str, overwrite: bool) -> tuple[str, Path, Path]:
    """For a writer of one BIDS subject: ('sub-XX', ROOT/sub-XX, a fresh staging folder in ROOT). The writer builds
    the subject in the staging folder and moves it into place at the end, so a failed write leaves no half
    subject; an existing ROOT/sub-XX is refused (FileExistsError) unless overwrite."""
    root = Path(root)
    subject = subject if subject.startswith("sub-") else f"sub-{subject}"
    target = root / subject
    if target.exists() and not overwrite:
        raise FileExistsError(f"{target}: exists already; refusing to overwrite it")
    root.mkdir(parents=True, exist_ok=True)
    return subject, target, Path(tempfile.mkdtemp(prefix=f".{subject}.", suffix=".part", dir=root))
