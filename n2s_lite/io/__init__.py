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
    """Load any supported recording. subject and keep_raw apply to iBIDS only (keep_raw keeps rec.raw)."""
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
    """Write `rec` in the flinkerlab per-subject HDF5 layout (125 Hz; see `flinker.write`)."""
    flinker.write(rec, path, overwrite=overwrite)


def write_ibids(rec: Recording, root, subject: str = "01", overwrite: bool = False):
    """Write `rec` (needs rec.raw) as ROOT/sub-XX in the Verwoert iBIDS layout; return the .nwb path."""
    return ibids.write(rec, root, subject=subject, overwrite=overwrite)
