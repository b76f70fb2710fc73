"""Writes a BIDS iEEG recording with events, the generic layout `io.bids` reads (for test_bids.py and
test_bench_recordings.py)."""
from __future__ import annotations

import warnings
from pathlib import Path

import mne
import numpy as np
import pandas as pd
import soundfile as sf
from mne_bids import BIDSPath, write_raw_bids

from n2s_lite import audio as A


def write_events_recording(root: Path, subject: str, raw: mne.io.BaseRaw, onsets_s, sounds: dict,
                           order: list[str], **columns) -> Path:
    """raw (volts) as sub-SUBJECT/ieeg/*_task-sentences_ieeg.edf under root, one event per entry of `order`
    (a name of `sounds`) at its onset (s), each sound written as stimuli/NAME (16 kHz); events.tsv gets
    `stim_file` and any further `columns` (one value per event). -> the events.tsv path."""
    (root / "stimuli").mkdir(parents=True)
    for name, sound in sounds.items():
        sf.write(str(root / "stimuli" / name), sound, A.SAMPLE_RATE)
    codes = {name: i + 1 for i, name in enumerate(sounds)}
    onsets = np.round(np.asarray(onsets_s) * raw.info["sfreq"]).astype(int)
    events = np.stack([onsets, np.zeros_like(onsets), [codes[name] for name in order]], axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        write_raw_bids(raw, BIDSPath(root=root, subject=subject, task="sentences", datatype="ieeg"), events=events,
                       event_id={Path(name).stem: code for name, code in codes.items()}, format="EDF",
                       allow_preload=True, verbose="error")
    path = next(root.rglob("*_events.tsv"))
    pd.read_csv(path, sep="\t").assign(stim_file=order, **columns).to_csv(path, sep="\t", index=False)
    return path
