"""Which recording format a path holds: "n2s-hdf5", "flinker-hdf5" or "ibids"."""
from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from . import flinker, hdf5, ibids
from .common import reading_hdf5

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
FORMATS = ("n2s-hdf5", "flinker-hdf5", "ibids")
_EXPECTED = "an n2s or flinkerlab HDF5 file, an iBIDS directory or its .nwb file"


def detect_format(path) -> str:
    """Name the format of `path` by its content (not its suffix); unknown content raises InputError."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or directory")
    if path.is_dir():
        if ibids.looks_like(path):
            return "ibids"
        raise InputError(path, "directory", _EXPECTED, "a directory without participants.tsv or sub-*/ieeg/*.nwb")
    with open(path, "rb") as stream:
        if stream.read(len(HDF5_SIGNATURE)) != HDF5_SIGNATURE:
            raise InputError(path, "file", _EXPECTED, "content that is not HDF5")
    with reading_hdf5(path) as handle:
        if hdf5.is_own_schema(handle):
            return "n2s-hdf5"
        if flinker.looks_like(handle):
            return "flinker-hdf5"
        if "iEEG" in handle.get("acquisition", {}):
            return "ibids"
        keys = sorted(handle)
    raise InputError(path, "file", _EXPECTED, f"HDF5 with unrelated content (top-level keys {keys[:8]})")
