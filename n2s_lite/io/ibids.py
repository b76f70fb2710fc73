"""The iBIDS layout of Verwoert et al. 2022 ("SingleWordProductionDutch"), read and written.

    ROOT/participants.tsv                                        participant_id, ...
    ROOT/sub-XX/ieeg/sub-XX_task-wordProduction_ieeg.nwb         acquisitions iEEG (samples, channels) at
                                                                 1024 Hz, Audio (samples,) at 48 kHz and
                                                                 Stimulus (samples,) word shown (iEEG clock)
    ROOT/sub-XX/ieeg/sub-XX_task-wordProduction_channels.tsv     name, ... (optional BIDS `status` good/bad)
    ROOT/sub-XX/ieeg/sub-XX_*electrodes.tsv                      optional name, x, y, z coordinates
    ROOT/sub-XX/ieeg/sub-XX_task-wordProduction_ieeg.json        optional BIDS sidecar (PowerLineFrequency)

The participants spoke the words (Recording.task 'speaking'). High-gamma is extracted from the raw iEEG with
`n2s_lite.highgamma.high_gamma`, notched at the mains frequency: the sidecar's PowerLineFrequency where there is
one, else 50 Hz (LINE_FREQ_HZ: the recordings were made in the Netherlands), or the caller's line_freq; the value
and its source are in rec.metadata. A trial is a contiguous run of one non-empty Stimulus word; the stimulus id is
the word.
"""
from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.signal import resample_poly

from .. import audio as A
from ..errors import InputError
from ..highgamma import BAND_HZ, high_gamma
from ..recording import Recording, electrode_table, trial_table
from ..utils import atomic_path
from .common import (as_audio, as_strings, check_finite, check_same_duration, fit_audio_to_frames,
                     grid_positions, line_frequency, participant_row, read_tsv, split_by_stimulus, subject_staging,
                     summary, to_frames)

TASK = "wordProduction"
DEFAULT_IEEG_RATE = 1024.0  # Hz, used if the NWB series does not state its rate
DEFAULT_AUDIO_RATE = 48_000.0
AUDIO_UPSAMPLING = 3  # 16 kHz -> 48 kHz when writing
LINE_FREQ_HZ = 50.0  # mains in the Netherlands, where Verwoert et al. recorded; used without a sidecar value


@dataclass(frozen=True)
class Files:
    """Where one subject's files are."""

    subject: str  # "sub-XX"
    nwb: Path
    channels: Path
    sidecar: Path  # the _ieeg.json BIDS sidecar (may not exist)
    electrodes: Path | None
    participants: Path | None


def looks_like(directory: Path) -> bool:
    """True for an iBIDS root or subject directory."""
    return (directory / "participants.tsv").is_file() or any(directory.glob("sub-*/ieeg/*_ieeg.nwb")) \
        or any(directory.glob("ieeg/*_ieeg.nwb"))


def locate(path, subject: str | None = None) -> Files:
    """Resolve an iBIDS root, subject directory or .nwb file (and an optional subject "01"/"sub-01")."""
    path = Path(path)
    if path.is_file():
        nwb = path
    else:
        subject_dir = path if (path / "ieeg").is_dir() else _subject_dir(path, subject)
        found = sorted((subject_dir / "ieeg").glob("*_ieeg.nwb"))
        if not found:
            raise InputError(subject_dir / "ieeg", "*_ieeg.nwb", "one NWB recording", "none")
        nwb = found[0]
    ieeg_dir = nwb.parent
    root = ieeg_dir.parent.parent if ieeg_dir.name == "ieeg" else ieeg_dir
    electrodes = sorted(ieeg_dir.glob(f"{nwb.name.split('_')[0]}*_electrodes.tsv"))
    participants = root / "participants.tsv"
    return Files(subject=nwb.name.split("_")[0], nwb=nwb,
                 channels=nwb.with_name(nwb.name.replace("_ieeg.nwb", "_channels.tsv")),
                 sidecar=nwb.with_name(nwb.name.replace("_ieeg.nwb", "_ieeg.json")),
                 electrodes=electrodes[0] if electrodes else None,
                 participants=participants if participants.is_file() else None)


def _subject_dir(root: Path, subject: str | None) -> Path:
    subjects = sorted(p.parent.parent.name for p in root.glob("sub-*/ieeg/*_ieeg.nwb"))
    if subject is not None:
        wanted = subject if subject.startswith("sub-") else f"sub-{subject}"
        if wanted not in subjects:
            raise InputError(root, "subject", f"one of {subjects}", repr(subject))
        return root / wanted
    if len(subjects) != 1:
        raise InputError(root, "subject", "a single subject, or subject=... (or the subject's .nwb path)",
                         f"subjects {subjects}")
    return root / subjects[0]


# ------------------------------------------------------------------------------------------------ reading
@contextlib.contextmanager
def reading_nwb(path):
    """Yield the NWBFile at `path`; unreadable, truncated or corrupt files become an InputError naming it."""
    from pynwb import NWBHDF5IO

    try:
        reader = NWBHDF5IO(str(path), "r")
    except Exception as exc:  # h5py/hdmf raise several types for unreadable files
        raise InputError(path, "file", "a readable NWB file", f"{type(exc).__name__}: {exc}") from exc
    try:
        try:
            nwbfile = reader.read()
        except Exception as exc:  # as above
            raise InputError(path, "file", "a readable NWB file", f"{type(exc).__name__}: {exc}") from exc
        yield nwbfile
    except OSError as exc:
        raise InputError(path, "file", "a complete NWB file", f"truncated or corrupt ({exc})") from exc
    finally:
        reader.close()


def _series(nwbfile, files: Files, name: str, default_rate: float):
    if name not in nwbfile.acquisition:
        raise InputError(files.nwb, f"acquisition/{name}", "a TimeSeries of that name",
                         f"missing (acquisitions: {sorted(nwbfile.acquisition)})")
    series = nwbfile.acquisition[name]
    return series, float(series.rate or default_rate)


def read(path, subject: str | None = None, keep_raw: bool = False, line_freq: float | None = None,
         band=BAND_HZ) -> Recording:
    """Load one subject; high-gamma (`band` Hz) from the raw iEEG (not yet validated; `io.load` does that).

    keep_raw=True also keeps the (samples, channels) iEEG in rec.raw at its own rate. line_freq (Hz) overrides
    the sidecar's PowerLineFrequency and the layout's default (LINE_FREQ_HZ).
    """
    files = locate(path, subject)
    with reading_nwb(files.nwb) as nwbfile:
        header = _header(nwbfile, files, line_freq)
        raw = check_finite(files.nwb, "acquisition/iEEG", np.asarray(nwbfile.acquisition["iEEG"].data[:]))
        wave = nwbfile.acquisition["Audio"].data[:]
    raw_rate, audio_rate = header["ieeg_rate"], header["audio_rate"]
    check_same_duration(files.nwb, "acquisition/Audio", len(wave) / audio_rate, raw.shape[0] / raw_rate)
    electrodes = header["electrodes"]
    try:
        hg = np.asarray(high_gamma(raw, raw_rate, bad=electrodes["bad"].to_numpy(),
                                   line_hz=header["metadata"]["line_freq_hz"], band=band), dtype=np.float32)
    except InputError as exc:  # name the file, not the array
        raise InputError(files.nwb, f"acquisition/iEEG ({exc.field})", exc.expected, exc.got) from exc
    audio, scale = as_audio(files.nwb, "acquisition/Audio", wave, audio_rate)
    trials = _trials(header["words"], raw_rate, hg.shape[0])
    metadata = dict(header["metadata"], audio_scale=scale,
                    high_gamma=f"n2s_lite.highgamma.high_gamma, {band[0]:g}-{band[1]:g} Hz")
    return Recording(audio=fit_audio_to_frames(audio, hg.shape[0]), high_gamma=hg, electrodes=electrodes,
                     trials=trials, raw=raw.astype(np.float32) if keep_raw else None,
                     raw_rate=raw_rate if keep_raw else None, task="speaking", metadata=metadata)


def describe(path, subject: str | None = None, line_freq: float | None = None) -> dict:
    """Summary of one subject, from the file headers, the tables and the Stimulus words (no high-gamma)."""
    files = locate(path, subject)
    with reading_nwb(files.nwb) as nwbfile:
        header = _header(nwbfile, files, line_freq)
        n_samples = nwbfile.acquisition["iEEG"].data.shape[0]
    n_frames = int(round(n_samples * A.FRAME_RATE / header["ieeg_rate"]))  # as `neuro.high_gamma` makes
    return summary("ibids", files.nwb, subject=files.subject, duration_s=n_samples / header["ieeg_rate"],
                   audio_rate=header["audio_rate"], neural_rate=header["ieeg_rate"],
                   electrodes=header["electrodes"], trials=_trials(header["words"], header["ieeg_rate"], n_frames),
                   participant=header["metadata"]["participant"], task="speaking",
                   line_freq_hz=header["metadata"]["line_freq_hz"])


def _header(nwbfile, files: Files, line_freq: float | None = None) -> dict:
    """Rates, Stimulus words, electrode table and metadata of one subject (iEEG and Audio left unread)."""
    ieeg, ieeg_rate = _series(nwbfile, files, "iEEG", DEFAULT_IEEG_RATE)
    audio, audio_rate = _series(nwbfile, files, "Audio", DEFAULT_AUDIO_RATE)
    stimulus, _ = _series(nwbfile, files, "Stimulus", ieeg_rate)
    if len(ieeg.data.shape) != 2 or 0 in ieeg.data.shape:
        raise InputError(files.nwb, "acquisition/iEEG", "a (samples, channels) array", f"shape {ieeg.data.shape}")
    if len(audio.data.shape) not in (1, 2):
        raise InputError(files.nwb, "acquisition/Audio", "a (samples,) waveform", f"shape {audio.data.shape}")
    words = np.asarray(as_strings(stimulus.data[:]))
    if len(words) != ieeg.data.shape[0]:
        raise InputError(files.nwb, "acquisition/Stimulus", f"{ieeg.data.shape[0]} samples (one per iEEG sample)",
                         f"{len(words)}")
    electrodes, position_source = _electrodes(files, ieeg.data.shape[1])
    hz, hz_source = line_frequency(files.sidecar, line_freq, LINE_FREQ_HZ)
    metadata = dict(source_format="ibids", source_file=str(files.nwb), subject=files.subject,
                    participant=participant_row(files.participants, files.subject), source_neural_rate=ieeg_rate,
                    source_audio_rate=audio_rate, electrode_positions=position_source, line_freq_hz=hz,
                    line_freq_source=hz_source)
    return dict(ieeg_rate=ieeg_rate, audio_rate=audio_rate, words=words, electrodes=electrodes, metadata=metadata)


def _electrodes(files: Files, n_channels: int) -> tuple[pd.DataFrame, str]:
    if not files.channels.is_file():
        raise InputError(files.channels, "channels.tsv", "a BIDS channels table beside the .nwb file", "missing file")
    channels = read_tsv(files.channels)
    if "name" not in channels.columns:
        raise InputError(files.channels, "name", "a 'name' column", f"columns {list(channels.columns)}")
    if len(channels) != n_channels:
        raise InputError(files.channels, "name", f"{n_channels} rows (one per iEEG channel)", f"{len(channels)}")
    bad = channels["status"].str.lower().eq("bad") if "status" in channels.columns else None
    positions, source = grid_positions(n_channels), "grid from channel index, in grid units (no electrodes.tsv)"
    if files.electrodes is not None:
        table = read_tsv(files.electrodes).set_index("name")
        if set(channels["name"]) <= set(table.index) and {"x", "y"} <= set(table.columns):
            positions = table.loc[channels["name"], ["x", "y"]].apply(pd.to_numeric).to_numpy(np.float32)
            source = f"{files.electrodes.name} (x, y)"
    return electrode_table(channels["name"], positions, bad), source


def _trials(words: np.ndarray, rate: float, n_frames: int) -> pd.DataFrame:
    """Trials = runs of one non-empty word in the per-sample Stimulus; split by word."""
    bounds = np.concatenate([[0], np.flatnonzero(words[1:] != words[:-1]) + 1, [len(words)]])
    starts, ends = bounds[:-1], bounds[1:]
    keep = np.char.strip(words[starts].astype(str)) != ""
    texts = [str(w) for w in words[starts[keep]]]
    start, end = to_frames(starts[keep], ends[keep], rate, n_frames)
    return trial_table(start, end, texts, split_by_stimulus(texts))


# ------------------------------------------------------------------------------------------------ writing
def write(rec: Recording, root, subject: str = "01", overwrite: bool = False) -> Path:
    """Write `rec` (which needs rec.raw) as one subject of an iBIDS tree; return the .nwb path.

    The subject directory is built beside ROOT/sub-XX and moved into place at the end; participants.tsv
    gains the subject's row. An existing subject directory is replaced only with overwrite=True.
    """
    rec.validate(source="<recording to write>")
    if rec.raw is None:
        raise InputError("<recording to write>", "raw", "the raw broadband iEEG (rec.raw) for the iBIDS layout",
                         "None (simulate with raw, or load with keep_raw=True)")
    root = Path(root)
    subject, target, staging = subject_staging(root, subject, overwrite)
    try:
        ieeg_dir = staging / "ieeg"
        ieeg_dir.mkdir()
        stem = f"{subject}_task-{TASK}"
        _write_nwb(rec, ieeg_dir / f"{stem}_ieeg.nwb", subject)
        status = np.where(rec.good_electrodes(), "good", "bad")
        pd.DataFrame({"name": rec.electrodes["name"], "type": "ECOG", "units": "V", "status": status}).to_csv(
            ieeg_dir / f"{stem}_channels.tsv", sep="\t", index=False)
        pd.DataFrame({"name": rec.electrodes["name"], "x": rec.electrodes["x"], "y": rec.electrodes["y"],
                      "z": 0.0}).to_csv(ieeg_dir / f"{subject}_electrodes.tsv", sep="\t", index=False)
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    _add_participant(root / "participants.tsv", subject)
    return target / "ieeg" / f"{subject}_task-{TASK}_ieeg.nwb"


def _write_nwb(rec: Recording, path: Path, subject: str) -> None:
    from pynwb import NWBHDF5IO, NWBFile, TimeSeries

    raw = np.asarray(rec.raw, dtype=np.float32)
    words = np.full(raw.shape[0], "", dtype=object)
    to_samples = rec.raw_rate / rec.frame_rate
    for start, end, text in zip(rec.trials["start"], rec.trials["end"], rec.trials["text"]):
        words[int(round(start * to_samples)): int(round(end * to_samples))] = text
    audio = resample_poly(np.asarray(rec.audio, np.float64), AUDIO_UPSAMPLING, 1).astype(np.float32)
    nwbfile = NWBFile(session_description=f"n2s-lite recording in the Verwoert et al. 2022 layout ({subject})",
                      identifier=f"n2s-lite-{subject}", session_start_time=datetime(2000, 1, 1, tzinfo=timezone.utc))
    nwbfile.add_acquisition(TimeSeries(name="iEEG", data=raw, rate=float(rec.raw_rate), unit="V"))
    nwbfile.add_acquisition(TimeSeries(name="Audio", data=np.clip(audio, -1.0, 1.0),
                                       rate=float(rec.audio_rate * AUDIO_UPSAMPLING), unit="a.u."))
    nwbfile.add_acquisition(TimeSeries(name="Stimulus", data=words, rate=float(rec.raw_rate), unit="word"))
    with NWBHDF5IO(str(path), "w") as writer:
        writer.write(nwbfile)


def _add_participant(path: Path, subject: str) -> None:
    """Add the subject's row to participants.tsv (written atomically; other rows are kept)."""
    table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False) if path.is_file() \
        else pd.DataFrame({"participant_id": pd.Series(dtype=str)})
    if subject in set(table["participant_id"]):
        return
    table = pd.concat([table, pd.DataFrame({"participant_id": [subject]})], ignore_index=True).fillna("n/a")
    with atomic_path(path) as tmp:
        table.to_csv(tmp, sep="\t", index=False)
