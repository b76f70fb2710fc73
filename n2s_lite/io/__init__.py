"""Recording files: the package's own HDF5 schema, the public layouts users already have, and BIDS iEEG.

    io.save(rec, "rec.h5")          # own versioned schema, atomic, never overwrites unless asked
    rec = io.load(path)             # own HDF5, flinkerlab HDF5, iBIDS directory (or its .nwb file),
                                    # BIDS iEEG listening (EDF/BrainVision/FIF; the Podcast ECoG dataset)
    rec = io.load("ds005574", subject="03", source="derivative")   # the Podcast dataset's own high-gamma
    io.describe(path)               # what a file holds, for `n2s info`
    io.write_flinker(rec, path); io.write_ibids(rec, root, subject="01")
Every load returns a validated `Recording` on the 100 Hz frame clock.
"""
from __future__ import annotations

from ..highgamma import BAND_HZ
from ..recording import Recording
from . import bids, flinker, hdf5, ibids
from .detect import FORMATS, detect_format
from .hdf5 import save

__all__ = ["FORMATS", "describe", "detect_format", "load", "save", "write_flinker", "write_ibids"]


def load(path, *, subject: str | None = None, keep_raw: bool = False, line_freq: float | None = None,
         source: str = "raw", band=BAND_HZ, task: str | None = None) -> Recording:
    """Load any supported recording as a validated `Recording`.

    audio: (N,) float32 in [-1, 1] at 16 kHz. high_gamma: (T, E) float32 at 100 Hz (frame t: audio samples
    160 t .. 160 t + 159), every electrode (bad ones flagged in electrodes.bad, not dropped): as stored (n2s
    HDF5), the file's ecog_alldataset resampled from 125 Hz (flinker), or the z-scored envelope that
    `highgamma.high_gamma` extracts from the raw iEEG (iBIDS, BIDS iEEG). Decoders take it z-scored on the training
    trials with bad electrodes dropped (`data.trial_arrays`). An n2s HDF5 file keeps the audio_rate and frame_rate
    it stores (16 kHz and 100 Hz when n2s-lite wrote it).
    trials: start, end (frames, end exclusive), text, split, stimulus_id; splits as stored (n2s HDF5, and
    flinker files n2s-lite wrote), else recomputed by stimulus (`common.split_by_stimulus`), or for a continuous
    stimulus (the Podcast dataset) trials cut at transcript pauses in contiguous split blocks (`segment`).
    raw: (S, E) float32 at rec.raw_rate if the n2s file stores one or, for iBIDS / BIDS iEEG, with keep_raw.
    Options of the iBIDS and BIDS iEEG layouts: subject ("03" or "sub-03") where the root holds several;
    line_freq (Hz) overrides the mains frequency of the sidecar / layout default (rec.metadata['line_freq_hz']);
    band (low, high) Hz of the extracted high-gamma (e.g. (70, 200)). BIDS iEEG only: source 'raw' or
    'derivative' (the dataset's own high-gamma, where the layout has one); task (the BIDS task entity).
    """
    fmt = detect_format(path)
    if fmt == "n2s-hdf5":
        rec = hdf5.read(path)
    elif fmt == "flinker-hdf5":
        rec = flinker.read(path)
    elif fmt == "ibids":
        rec = ibids.read(path, subject=subject, keep_raw=keep_raw, line_freq=line_freq, band=band)
    else:
        rec = bids.read(path, subject=subject, task=task, source=source, band=band, line_freq=line_freq,
                        keep_raw=keep_raw)
    return rec.validate(source=str(path))


def describe(path, *, subject: str | None = None, source: str = "raw", line_freq: float | None = None,
             task: str | None = None) -> dict:
    """Facts about a recording file without loading its big arrays (format, duration, electrodes, trials...)."""
    fmt = detect_format(path)
    if fmt == "n2s-hdf5":
        return hdf5.describe(path)
    if fmt == "flinker-hdf5":
        return flinker.describe(path)
    if fmt == "ibids":
        return ibids.describe(path, subject=subject, line_freq=line_freq)
    return bids.describe(path, subject=subject, task=task, source=source, line_freq=line_freq)


def write_flinker(rec: Recording, path, overwrite: bool = False) -> None:
    """Write `rec` in the flinkerlab per-subject HDF5 layout (125 Hz; see `flinker.write`), with n2s-lite's own
    fields for electrode names, splits and stimulus ids so that `load` gives them back."""
    flinker.write(rec, path, overwrite=overwrite)


def write_ibids(rec: Recording, root, subject: str = "01", overwrite: bool = False):
    """Write `rec` (needs rec.raw) as ROOT/sub-XX in the Verwoert iBIDS layout; return the .nwb path."""
    return ibids.write(rec, root, subject=subject, overwrite=overwrite)
