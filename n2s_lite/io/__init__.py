"""Recording files: the package's own HDF5 schema and the two public layouts users already have.

    io.save(rec, "rec.h5")          # own versioned schema, atomic, never overwrites unless asked
    rec = io.load(path)             # own HDF5, flinkerlab HDF5, iBIDS directory (or its .nwb file)
    io.describe(path)               # what a file holds, for `n2s info`
    io.write_flinker(rec, path); io.write_ibids(rec, root, subject="01")
Every load returns a validated `Recording` on the 100 Hz frame clock.
"""
from __future__ import annotations

from ..recording import Recording
from . import flinker, hdf5, ibids
from .detect import FORMATS, detect_format
from .hdf5 import save

__all__ = ["FORMATS", "describe", "detect_format", "load", "save", "write_flinker", "write_ibids"]


def load(path, *, subject: str | None = None, keep_raw: bool = False) -> Recording:
    """Load any supported recording as a validated `Recording`. subject and keep_raw apply to iBIDS only.

    audio: (N,) float32 in [-1, 1] at 16 kHz. high_gamma: (T, E) float32 at 100 Hz (frame t: audio samples
    160 t .. 160 t + 159), every electrode (bad ones flagged in electrodes.bad, not dropped): as stored (n2s
    HDF5), the file's ecog_alldataset resampled from 125 Hz (flinker), or the z-scored envelope that
    `neuro.high_gamma` extracts from the raw iEEG (iBIDS). Decoders take it z-scored on the training trials
    with bad electrodes dropped (`data.trial_arrays`). An n2s HDF5 file keeps the audio_rate and frame_rate it
    stores (16 kHz and 100 Hz when n2s-lite wrote it).
    trials: start, end (frames, end exclusive), text, split, stimulus_id; splits as stored (n2s HDF5, and
    flinker files n2s-lite wrote), else recomputed by stimulus (`common.split_by_stimulus`).
    raw: (S, E) float32 at rec.raw_rate if the n2s file stores one or, for iBIDS, with keep_raw; else None.
    """
    fmt = detect_format(path)
    if fmt == "n2s-hdf5":
        rec = hdf5.read(path)
    elif fmt == "flinker-hdf5":
        rec = flinker.read(path)
    else:
        rec = ibids.read(path, subject=subject, keep_raw=keep_raw)
    return rec.validate(source=str(path))


def describe(path, *, subject: str | None = None) -> dict:
    """Facts about a recording file without loading its big arrays (format, duration, electrodes, trials...)."""
    fmt = detect_format(path)
    if fmt == "n2s-hdf5":
        return hdf5.describe(path)
    if fmt == "flinker-hdf5":
        return flinker.describe(path)
    return ibids.describe(path, subject=subject)


def write_flinker(rec: Recording, path, overwrite: bool = False) -> None:
    """Write `rec` in the flinkerlab per-subject HDF5 layout (125 Hz; see `flinker.write`), with n2s-lite's own
    fields for electrode names, splits and stimulus ids so that `load` gives them back."""
    flinker.write(rec, path, overwrite=overwrite)


def write_ibids(rec: Recording, root, subject: str = "01", overwrite: bool = False):
    """Write `rec` (needs rec.raw) as ROOT/sub-XX in the Verwoert iBIDS layout; return the .nwb path."""
    return ibids.write(rec, root, subject=subject, overwrite=overwrite)
