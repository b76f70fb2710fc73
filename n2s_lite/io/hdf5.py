"""The package's own versioned HDF5 schema for a `Recording` (lossless round trip).

Layout of schema version 2 (version 1 lacks `task`, and reads as listening with a warning):
    /                 attrs n2s_schema="n2s-recording", schema_version=2, audio_rate (int), frame_rate (float),
                      task ("listening" or "speaking"), mel_params (JSON of `audio.mel_params()`), n2s_version
    /audio            (N,) float32
    /high_gamma       (T, E) float32
    /raw              optional (S, E) float32, attr raw_rate
    /electrodes/<col> one dataset per column (strings UTF-8); attrs columns (JSON order), per column pandas_dtype
    /trials/<col>     the same for the trial table
    /ground_truth/<name>  any named arrays
    /metadata         scalar UTF-8 string: JSON of rec.metadata (a dataset, not an attribute: attributes
                      are capped at 64 kB)
Table indices are not stored: tables load with a RangeIndex.
"""
from __future__ import annotations

import json
import warnings

import h5py
import numpy as np
import pandas as pd

from .. import __version__
from .. import audio as A
from ..errors import InputError
from ..recording import Recording
from ..utils import atomic_path
from .common import COMPRESSION, reading_hdf5, require, summary

SCHEMA_NAME = "n2s-recording"
SCHEMA_VERSION = 2
_COMPRESS_FROM = 4096  # arrays with at least this many elements are gzip-compressed
_STRING = h5py.string_dtype("utf-8")


def is_own_schema(handle: h5py.File) -> bool:
    return handle.attrs.get("n2s_schema") == SCHEMA_NAME


# ------------------------------------------------------------------------------------------------ writing
def save(rec: Recording, path, overwrite: bool = False) -> None:
    """Write `rec` to `path` atomically; an existing file is replaced only with overwrite=True."""
    rec.validate(source="<recording to save>")
    with atomic_path(path, overwrite=overwrite) as tmp, h5py.File(tmp, "w") as handle:
        handle.attrs.update(n2s_schema=SCHEMA_NAME, schema_version=SCHEMA_VERSION, n2s_version=__version__,
                            audio_rate=int(rec.audio_rate), frame_rate=float(rec.frame_rate), task=rec.task,
                            mel_params=json.dumps(A.mel_params()))
        _write_array(handle, "audio", np.asarray(rec.audio))
        _write_array(handle, "high_gamma", np.asarray(rec.high_gamma))
        if rec.raw is not None:
            _write_array(handle, "raw", np.asarray(rec.raw)).attrs["raw_rate"] = float(rec.raw_rate)
        _write_table(handle.create_group("electrodes"), rec.electrodes, "electrodes")
        _write_table(handle.create_group("trials"), rec.trials, "trials")
        truth = handle.create_group("ground_truth")
        for name, values in rec.ground_truth.items():
            _write_array(truth, _checked_name(name, "ground_truth"), np.asarray(values))
        handle.create_dataset("metadata", data=json.dumps(rec.metadata, default=_json_default), dtype=_STRING)


def _write_array(group: h5py.Group, name: str, values: np.ndarray) -> h5py.Dataset:
    if values.dtype.kind == "U":
        return group.create_dataset(name, data=values.astype(object), dtype=_STRING)
    options = COMPRESSION if values.size >= _COMPRESS_FROM else {}
    return group.create_dataset(name, data=values, **options)


def _write_table(group: h5py.Group, table: pd.DataFrame, what: str) -> None:
    group.attrs["columns"] = json.dumps([str(c) for c in table.columns])
    for column in table.columns:
        series = table[column]
        if series.dtype.kind in "biuf":
            dataset = _write_array(group, _checked_name(column, what), series.to_numpy())
        else:
            values = series.to_numpy(dtype=object)
            if not all(isinstance(v, str) for v in values):
                raise InputError("<recording to save>", f"{what}.{column}", "numbers, booleans or strings",
                                 f"values of type {sorted({type(v).__name__ for v in values})}")
            dataset = group.create_dataset(_checked_name(column, what), data=values, dtype=_STRING)
        dataset.attrs["pandas_dtype"] = str(series.dtype)


def _checked_name(name, what: str) -> str:
    if not isinstance(name, str) or not name or "/" in name:
        raise InputError("<recording to save>", what, "names that are non-empty strings without '/'", repr(name))
    return name


def _json_default(value):
    """NumPy scalars and arrays inside metadata become plain JSON numbers and lists."""
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    raise TypeError(f"metadata value {value!r} is not JSON-serialisable")


# ------------------------------------------------------------------------------------------------ reading
def read(path) -> Recording:
    """Load a Recording from an n2s HDF5 file (not yet validated; `io.load` does that)."""
    with reading_hdf5(path) as handle:
        _check_version(handle, path)
        raw, raw_rate = None, None
        if "raw" in handle:
            raw, raw_rate = handle["raw"][()], float(handle["raw"].attrs["raw_rate"])
        return Recording(audio=require(handle, "audio", path)[()], high_gamma=require(handle, "high_gamma", path)[()],
                         electrodes=_read_table(handle, "electrodes", path), trials=_read_table(handle, "trials", path),
                         audio_rate=int(handle.attrs["audio_rate"]), frame_rate=float(handle.attrs["frame_rate"]),
                         raw=raw, raw_rate=raw_rate, task=_read_task(handle, path),
                         ground_truth=_read_ground_truth(handle),
                         metadata=json.loads(require(handle, "metadata", path).asstr()[()]))


def _read_task(handle: h5py.File, path) -> str:
    """The file's task attribute; a file that does not say (schema version 1) is taken as listening, with a warning."""
    if "task" in handle.attrs:
        return str(handle.attrs["task"])
    warnings.warn(f"{path}: the file does not say whether the participant was listening or speaking (no 'task' "
                  "attribute); taking 'listening'. Pass --task (or Recording.replace(task=...)) if it was speaking.",
                  stacklevel=3)
    return "listening"


def describe(path) -> dict:
    """Summary of an n2s HDF5 file, read from its header and tables only."""
    with reading_hdf5(path) as handle:
        version = _check_version(handle, path)
        n_frames = require(handle, "high_gamma", path).shape[0]
        frame_rate = float(handle.attrs["frame_rate"])
        metadata = json.loads(require(handle, "metadata", path).asstr()[()])
        return summary("n2s-hdf5", path, subject=metadata.get("subject"), duration_s=n_frames / frame_rate,
                       audio_rate=int(handle.attrs["audio_rate"]), neural_rate=frame_rate,
                       electrodes=_read_table(handle, "electrodes", path), trials=_read_table(handle, "trials", path),
                       schema_version=version, task=_read_task(handle, path), has_raw="raw" in handle,
                       raw_rate=float(handle["raw"].attrs["raw_rate"]) if "raw" in handle else None,
                       ground_truth=sorted(handle["ground_truth"]) if "ground_truth" in handle else [])


def _check_version(handle: h5py.File, path) -> int:
    version = int(handle.attrs.get("schema_version", -1))
    if version > SCHEMA_VERSION:
        raise InputError(path, "schema_version", f"at most {SCHEMA_VERSION} (the file was written by a newer "
                         "n2s-lite; upgrade n2s-lite to read it)", str(version))
    if version < 1:
        raise InputError(path, "schema_version", "a positive integer", str(version))
    return version


def _read_table(handle: h5py.File, name: str, path) -> pd.DataFrame:
    if name not in handle or "columns" not in handle[name].attrs:
        raise InputError(path, name, "a group of column datasets with a 'columns' attribute", "missing")
    group = handle[name]
    return pd.DataFrame({column: _read_column(require(group, column, f"{path}:{name}"), path)
                         for column in json.loads(group.attrs["columns"])})


def _read_column(dataset: h5py.Dataset, path) -> pd.Series:
    """One table column, restored to the pandas dtype `save` recorded in its pandas_dtype attribute."""
    field = dataset.name.lstrip("/")
    if "pandas_dtype" not in dataset.attrs:
        raise InputError(path, field, "a 'pandas_dtype' attribute (schema version 1 stores one per column)", "none")
    values = dataset.asstr()[()] if h5py.check_string_dtype(dataset.dtype) else dataset[()]
    try:
        return pd.Series(values).astype(dataset.attrs["pandas_dtype"])
    except (TypeError, ValueError) as exc:
        raise InputError(path, field, "a 'pandas_dtype' attribute its values convert to",
                         f"{dataset.attrs['pandas_dtype']!r} ({exc})") from exc


def _read_ground_truth(handle: h5py.File) -> dict:
    truth = {}
    for name, dataset in handle.get("ground_truth", {}).items():
        if h5py.check_string_dtype(dataset.dtype):
            truth[name] = np.asarray(dataset.asstr()[()], dtype=str)
        else:
            truth[name] = dataset[()]
    return truth
