"""The Podcast ECoG dataset (Zada et al. 2025, OpenNeuro ds005574, CC0): a configuration (`LAYOUT`) of the BIDS iEEG
reader (`bids`), and a writer of the same layout for tests and benchmarks.

    ROOT/participants.tsv                                          participant_id, nyu_id
    ROOT/sub-XX/ieeg/sub-XX_task-podcast_ieeg.edf                  ECoG at 512 Hz, sample 0 = audio time 0
        sub-XX_task-podcast_ieeg.json                              PowerLineFrequency (60)
        sub-XX_task-podcast_channels.tsv                           name type units ... status status_description
        sub-XX_space-MNI152NLin2009aSym_electrodes.tsv             name x y z size group (MNI, mm)
    ROOT/stimuli/podcast.wav                                       44.1 kHz stereo, as long as the recording
    ROOT/stimuli/podcast_transcript.csv                            word, start, end (s; some start NaN)
    ROOT/derivatives/ecogprep/sub-XX/ieeg/sub-XX_task-podcast_desc-highgamma_ieeg.fif
                                                                   70-200 Hz envelope at 512 Hz, good channels

    rec = io.load("ds005574", subject="03")                          # or io.load("ds005574/sub-03")
    rec = io.load("ds005574/sub-03", source="derivative")            # the dataset's own high-gamma
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.signal import resample_poly

from ..errors import InputError
from ..recording import Recording
from ..utils import atomic_path
from .common import Layout, subject_staging

TASK = "podcast"
SPACE = "MNI152NLin2009aSym"
DERIVATIVE = "derivatives/ecogprep/{subject}/ieeg/{subject}_task-{task}_desc-highgamma_ieeg.fif"
DERIVATIVE_BAND = (70.0, 200.0)
LAYOUT = Layout(name="Podcast ECoG (OpenNeuro ds005574)", stimulus="stimuli/podcast.wav",
                transcript="stimuli/podcast_transcript.csv", derivative=DERIVATIVE, derivative_band=DERIVATIVE_BAND,
                line_freq=60.0, download="openneuro-py download --dataset=ds005574 --target-dir=ds005574")
WAV_RATE = 44_100  # the dataset's stimulus: 44.1 kHz stereo 16-bit
VOLTS_PER_UNIT = 1e-6  # rec.raw is taken to be in microvolts when written to EDF


def write(rec: Recording, root, words: pd.DataFrame, subject: str = "01", line_freq: float = 60.0,
          derivative: bool = True, overwrite: bool = False) -> Path:
    """Write `rec` (which needs rec.raw, in microvolts) as one participant of the Podcast layout; return its EDF.

    words: the transcript (word, start, end in s), written as stimuli/podcast_transcript.csv with rec.audio as
    stimuli/podcast.wav (both shared by every participant: written once, left as they are if present).
    The EDF goes through MNE's exporter; channels.tsv starts with a UTF-8 byte-order mark as several of the
    dataset's do; electrodes.tsv holds x = -40 mm (left hemisphere), y, z = rec.electrodes x, y, so that the
    reader's lateral projection gives the positions back. derivative=True also writes the high-gamma derivative,
    made with MNE as the dataset describes its own (common average of the good channels, notch at line_freq and
    its harmonics, 70-200 Hz band-pass, Hilbert envelope, good channels only).
    """
    rec.validate(source="<recording to write>")
    if rec.raw is None:
        raise InputError("<recording to write>", "raw", "the raw broadband signal (rec.raw)", "None")
    root = Path(root)
    subject, target, staging = subject_staging(root, subject, overwrite)
    try:
        ieeg = staging / subject / "ieeg"
        ieeg.mkdir(parents=True)
        stem = f"{subject}_task-{TASK}"
        seconds = _write_edf(rec, ieeg / f"{stem}_ieeg.edf", line_freq)
        _write_sidecars(rec, ieeg, subject, line_freq)
        moves = {staging / subject: target}
        if derivative:
            path = staging / "derivative" / DERIVATIVE.format(subject=subject, task=TASK)
            path.parent.mkdir(parents=True)
            _write_derivative(rec, path, line_freq)
            moves[path.parent.parent] = root / Path(DERIVATIVE.format(subject=subject, task=TASK)).parent.parent
        for made, destination in moves.items():
            if destination.exists():
                shutil.rmtree(destination)
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.replace(made, destination)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    _write_shared(rec, root, words, subject, seconds)
    return target / "ieeg" / f"{subject}_task-{TASK}_ieeg.edf"


def _write_edf(rec: Recording, path: Path, line_freq: float) -> float:
    """Export rec.raw through MNE; return the file's duration in s (EDF pads to whole 1 s records)."""
    import mne

    info = mne.create_info(rec.electrodes["name"].tolist(), float(rec.raw_rate), ch_types="ecog")
    raw = mne.io.RawArray(np.asarray(rec.raw, np.float64).T * VOLTS_PER_UNIT, info, verbose="error")
    raw.info["line_freq"] = line_freq
    mne.export.export_raw(path, raw, fmt="edf", verbose="error")
    written = mne.io.read_raw_edf(path, preload=False, verbose="error")
    return written.n_times / written.info["sfreq"]


def _write_sidecars(rec: Recording, ieeg: Path, subject: str, line_freq: float) -> None:
    stem = f"{subject}_task-{TASK}"
    bad = ~rec.good_electrodes()
    pd.DataFrame({"name": rec.electrodes["name"], "type": "ECOG", "units": "uV", "low_cutoff": "n/a",
                  "high_cutoff": "n/a", "sampling_frequency": rec.raw_rate, "status": np.where(bad, "bad", "good"),
                  "status_description": np.where(bad, "noisy psd", "n/a")}).to_csv(
        ieeg / f"{stem}_channels.tsv", sep="\t", index=False, encoding="utf-8-sig")
    pd.DataFrame({"name": rec.electrodes["name"], "x": -40.0, "y": rec.electrodes["x"], "z": rec.electrodes["y"],
                  "size": 2.3, "group": "G"}).to_csv(ieeg / f"{subject}_space-{SPACE}_electrodes.tsv", sep="\t",
                                                     index=False)
    (ieeg / f"{subject}_space-{SPACE}_coordsystem.json").write_text(json.dumps(dict(
        iEEGCoordinateSystem=SPACE, iEEGCoordinateUnits="mm")), encoding="utf-8")
    (ieeg / f"{stem}_ieeg.json").write_text(json.dumps(dict(
        TaskName=TASK, PowerLineFrequency=line_freq, SamplingFrequency=float(rec.raw_rate), iEEGReference="n/a",
        SoftwareFilters="n/a"), indent=1), encoding="utf-8")


def _write_derivative(rec: Recording, path: Path, line_freq: float) -> None:
    import mne

    good = rec.good_electrodes()
    info = mne.create_info(rec.electrodes["name"][good].tolist(), float(rec.raw_rate), ch_types="ecog")
    raw = mne.io.RawArray(np.asarray(rec.raw, np.float64)[:, good].T * VOLTS_PER_UNIT, info, verbose="error")
    raw.set_eeg_reference("average", ch_type="ecog", verbose="error")
    raw.notch_filter(np.arange(line_freq, rec.raw_rate / 2, line_freq), verbose="error")
    raw.filter(*DERIVATIVE_BAND, verbose="error")
    raw.apply_hilbert(envelope=True, verbose="error")
    raw.save(path, verbose="error")


def _write_shared(rec: Recording, root: Path, words: pd.DataFrame, subject: str, seconds: float) -> None:
    """participants.tsv (the subject's row added), dataset_description.json and the stimuli, each atomically; the
    wav is zero-padded to `seconds`, the EDF's duration, as the dataset's audio is as long as its recordings."""
    import soundfile as sf

    participants = root / "participants.tsv"
    table = pd.read_csv(participants, sep="\t", dtype=str, keep_default_na=False) if participants.is_file() \
        else pd.DataFrame({"participant_id": pd.Series(dtype=str), "nyu_id": pd.Series(dtype=str)})
    if subject not in set(table["participant_id"]):
        table = pd.concat([table, pd.DataFrame({"participant_id": [subject], "nyu_id": ["n/a"]})], ignore_index=True)
        with atomic_path(participants) as tmp:
            table.to_csv(tmp, sep="\t", index=False)
    description = root / "dataset_description.json"
    if not description.exists():
        with atomic_path(description, overwrite=False) as tmp:
            tmp.write_text(json.dumps(dict(Name="Podcast ECoG layout written by n2s-lite", BIDSVersion="1.9.0")))
    wav, transcript = root / LAYOUT.stimulus, root / LAYOUT.transcript
    if not wav.exists():
        mono = resample_poly(np.asarray(rec.audio, np.float64), WAV_RATE, rec.audio_rate)
        mono = np.pad(mono, (0, max(0, int(round(seconds * WAV_RATE)) - len(mono))))
        stereo = np.repeat(mono[:, None], 2, axis=1)
        with atomic_path(wav, overwrite=False) as tmp:
            sf.write(str(tmp), np.clip(stereo, -1.0, 1.0), WAV_RATE, subtype="PCM_16", format="WAV")
    if not transcript.exists():
        with atomic_path(transcript, overwrite=False) as tmp:
            words[["word", "start", "end"]].to_csv(tmp, index=False)
