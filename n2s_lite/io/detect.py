"""Which recording format a path holds: "n2s-hdf5", "flinker-hdf5", "ibids" (Verwoert NWB) or "bids-ieeg"
(EDF / BrainVision / FIF through MNE-BIDS, the Podcast ECoG dataset among them)."""
from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from . import bids, flinker, hdf5, ibids
from .common import reading_hdf5

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
FORMATS = ("n2s-hdf5", "flinker-hdf5", "ibids", "bids-ieeg")
_EXPECTED = ("an n2s or flinkerlab HDF5 file, an iBIDS directory or its .nwb file, or a BIDS iEEG directory or its "
             ".edf/.vhdr/.fif recording")


def detect_format(path) -> str:
    """Name the format of `path` by its content (a BIDS recording by its BIDS name); unknown content raises
    InputError."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or directory")
    if path.is_dir():
        if bids.looks_like(path):  # before iBIDS, whose test is satisfied by any participants.tsv
            return "bids-ieeg"
        if ibids.looks_like(path):
            return "ibids"
        raise InputError(path, "directory", _EXPECTED, "a directory without participants.tsv, sub-*/ieeg/*.nwb or "
                         "sub-*/ieeg/*_ieeg.edf|vhdr|fif")
    if path.suffix.lower() in bids.EXTENSIONS and path.name.removesuffix(path.suffix).endswith("_ieeg"):
        return "bids-ieeg"
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
