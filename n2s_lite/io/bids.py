"""BIDS iEEG listening recordings (EDF, BrainVision or FIF), read through MNE-BIDS (`BIDSPath`, `read_raw_bids`).

    ROOT/participants.tsv                              participant_id, ...
    ROOT/sub-XX[/ses-YY]/ieeg/sub-XX_task-T_ieeg.edf   the recording (.edf, .vhdr or .fif), read lazily
        ..._ieeg.json                                  PowerLineFrequency: the notch of the high-gamma extraction
        ..._channels.tsv                               name, type, units, status (good/bad); ECOG, SEEG and DBS
                                                       channels are read, other BIDS types are listed as not read
        sub-XX_*electrodes.tsv                         name, x, y, z (optional)
        ..._events.tsv                                 onset (s), stim_file (under ROOT/stimuli), optional text
    ROOT/stimuli/...                                   the sounds played

The participant heard each event's stim_file from its onset on: the audio track is silence with each sound placed
at its onset, one trial per event (text from a `text` column, else `trial_type`, else the file name), and trials
split by stimulus (`common.split_by_stimulus`). A `Layout` changes what differs between datasets; the Podcast ECoG
dataset (`podcast.LAYOUT`) has one continuous stimulus starting at sample 0, cut into trials at the pauses of its
word transcript (`n2s_lite.segment`), and a high-gamma derivative that can be read instead of the raw file.

Channel types, units, bad channels (`status`) and the line frequency come from the sidecars. Electrode positions
are (y, z) of electrodes.tsv: the lateral (sagittal) projection, anterior to the right and superior up (both
hemispheres fall on one plane), for the package's 2-D plots.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import audio as A
from .. import segment
from ..errors import InputError
from ..highgamma import BAND_HZ, high_gamma, resample_envelope
from ..recording import Recording, electrode_table, trial_table
from . import podcast
from .common import (Layout, check_same_duration, fit_audio_to_frames, grid_positions, line_frequency,
                     participant_row, read_tsv, read_wav_mono, split_by_stimulus, summary, to_frames)

EXTENSIONS = (".edf", ".vhdr", ".fif")
NEURAL_TYPES = ("ECOG", "SEEG", "DBS")  # channel types whose high-gamma is extracted
OTHER_TYPES = ("EEG", "VEOG", "HEOG", "EOG", "ECG", "EKG", "EMG", "TRIG", "AUDIO", "PD", "EYEGAZE", "PUPIL", "MISC",
               "SYSCLOCK", "ADC", "DAC", "REF", "OTHER", "RESP", "GSR", "TEMP")  # BIDS types left unread
SOURCES = ("raw", "derivative")


EVENTS = Layout(name="BIDS iEEG with events.tsv stim_file")


@dataclass(frozen=True)
class Files:
    """One recording's files."""

    root: Path
    bids_path: object  # mne_bids.BIDSPath of the recording
    channels: Path
    sidecar: Path | None
    electrodes: Path | None
    events: Path | None
    participants: Path | None

    @property
    def subject(self) -> str:
        return f"sub-{self.bids_path.subject}"


def looks_like(directory: Path) -> bool:
    """True for a BIDS root or subject directory holding an EDF, BrainVision or FIF iEEG recording."""
    return bool(_recordings(directory))


def _recordings(directory: Path) -> list[Path]:
    found = []
    for pattern in ("sub-*/ieeg/*_ieeg", "sub-*/ses-*/ieeg/*_ieeg", "ieeg/*_ieeg", "ses-*/ieeg/*_ieeg"):
        found += [p for ext in EXTENSIONS for p in Path(directory).glob(pattern + ext)]
    return sorted(found)


def layout_for(task: str | None) -> Layout:
    """The layout of a BIDS task: the Podcast ECoG dataset's for task 'podcast', else events.tsv."""
    return podcast.LAYOUT if task == podcast.TASK else EVENTS


def locate(path, subject: str | None = None, task: str | None = None) -> Files:
    """Resolve a BIDS root, subject directory or recording file (and optional subject "03"/"sub-03", task)."""
    from mne_bids import BIDSPath, get_entities_from_fname

    path = Path(path)
    candidates = [path] if path.is_file() else _recordings(path)
    wanted = None if subject is None else subject.removeprefix("sub-")
    entities = [get_entities_from_fname(p.name, on_error="ignore") for p in candidates]
    chosen = [(p, e) for p, e in zip(candidates, entities)
              if (wanted is None or e.get("subject") == wanted) and (task is None or e.get("task") == task)]
    if len(chosen) != 1:
        names = sorted(p.name for p in candidates)
        raise InputError(path, "subject" if len(chosen) > 1 or subject else "recording",
                         "one recording (choose with subject=..., task=..., or give its file)",
                         f"{len(chosen)} matching {names[:12]}")
    recording, entity = chosen[0]
    subject_dir = next(p for p in recording.parents if p.name.startswith("sub-"))
    root = subject_dir.parent
    keep = ("subject", "session", "task", "acquisition", "run")
    bids_path = BIDSPath(root=root, datatype="ieeg", suffix="ieeg", extension=recording.suffix,
                         **{k: entity.get(k) for k in keep})

    def sidecar(suffix, extension):
        found = bids_path.find_matching_sidecar(suffix=suffix, extension=extension, on_error="ignore")
        return Path(found) if found else None

    channels = sidecar("channels", ".tsv") or recording.with_name(recording.name.replace(
        "_ieeg" + recording.suffix, "_channels.tsv"))
    electrodes = sorted(recording.parent.glob(f"{subject_dir.name}*_electrodes.tsv"))
    participants = root / "participants.tsv"
    return Files(root=root, bids_path=bids_path, channels=channels, sidecar=sidecar("ieeg", ".json"),
                 electrodes=electrodes[0] if electrodes else None, events=sidecar("events", ".tsv"),
                 participants=participants if participants.is_file() else None)


# ------------------------------------------------------------------------------------------------ reading
def read(path, subject: str | None = None, task: str | None = None, source: str = "raw", band=BAND_HZ,
         line_freq: float | None = None, keep_raw: bool = False) -> Recording:
    """Load one recording as a listening `Recording` (not yet validated; `io.load` does that).

    source: 'raw' (high-gamma extracted from the recording: bad channels from channels.tsv, common average over
    the good ones, notch at the line frequency and its harmonics, `band` in Hz) or 'derivative' (the layout's
    high-gamma derivative resampled to 100 Hz). line_freq (Hz) overrides the sidecar's PowerLineFrequency.
    keep_raw: also keep the raw neural channels in rec.raw (source 'raw' only).
    """
    plan = _plan(path, subject, task, source, band, line_freq)
    fs = plan["neural"].info["sfreq"]
    if source == "raw":
        try:
            hg = high_gamma(plan["neural"], fs, bad=plan["electrodes"]["bad"].to_numpy(),
                            line_hz=plan["metadata"]["line_freq_hz"], band=band, progress=True)
        except InputError as exc:  # name the file, not the array
            raise InputError(plan["neural_file"], exc.field, exc.expected, exc.got) from exc
    else:
        hg = resample_envelope(plan["neural"], fs)
    audio = _audio(plan, hg.shape[0])
    raw = plan["neural"].get_data().T.astype(np.float32) if keep_raw and source == "raw" else None
    return Recording(audio=audio, high_gamma=hg, electrodes=plan["electrodes"], trials=plan["trials"],
                     raw=raw, raw_rate=fs if raw is not None else None, task="listening", metadata=plan["metadata"])


def describe(path, subject: str | None = None, task: str | None = None, source: str = "raw",
             band=BAND_HZ, line_freq: float | None = None) -> dict:
    """Summary of one recording from its headers, sidecars, stimulus and transcript (no signal is filtered)."""
    plan = _plan(path, subject, task, source, band, line_freq)
    meta = plan["metadata"]
    neural = plan["neural"]
    return summary("bids-ieeg", plan["neural_file"], subject=meta["subject"],
                   duration_s=neural.n_times / neural.info["sfreq"], audio_rate=meta["source_audio_rate"],
                   neural_rate=neural.info["sfreq"], electrodes=plan["electrodes"], trials=plan["trials"],
                   n_good_electrodes=int((~plan["electrodes"]["bad"]).sum()), layout=meta["layout"],
                   participant=meta["participant"], task="listening", bids_task=meta["bids_task"], source=source,
                   high_gamma=meta["high_gamma"], line_freq_hz=meta["line_freq_hz"],
                   split_source=meta["split_source"], not_read=meta["not_read"])


def _plan(path, subject, task, source, band, line_freq) -> dict:
    """Everything but the signals: files, lazily opened neural channels, electrodes, trials, metadata."""
    if source not in SOURCES:
        raise InputError(path, "source", f"one of {SOURCES}", repr(source))
    files = locate(path, subject, task)
    task = files.bids_path.task
    layout = layout_for(task)
    channels = _channels(files)
    hz, hz_source = line_frequency(files.sidecar, line_freq, layout.line_freq)
    not_read = [f"{kind} channels {list(group['name'])} (not neural)"
                for kind, group in channels[~channels["neural"]].groupby("type")]
    if source == "raw":
        neural, neural_file = _raw(files, channels), files.bids_path.fpath
        how = f"n2s_lite.highgamma.high_gamma from the raw recording, {band[0]:g}-{band[1]:g} Hz"
        if layout.derivative:
            not_read.append(f"the high-gamma derivative {layout.derivative.format(subject=files.subject, task=task)}")
    else:
        neural, neural_file = _derivative(files, layout, channels)
        how = f"the dataset's derivative ({layout.derivative_band[0]:g}-{layout.derivative_band[1]:g} Hz envelope)"
        not_read.append(f"the raw recording {files.bids_path.fpath.name}")
    status = channels.set_index("name")
    bad = status.loc[neural.ch_names, "bad"].to_numpy(bool)
    positions, position_source = _positions(files, neural.ch_names)
    electrodes = electrode_table(neural.ch_names, positions, bad)
    n_frames = int(round(neural.n_times * A.FRAME_RATE / neural.info["sfreq"]))
    seconds = neural.n_times / neural.info["sfreq"]
    stimulus = _continuous_trials(files, layout, seconds, n_frames) if layout.stimulus \
        else _event_trials(files, seconds, n_frames)
    not_read += stimulus.pop("not_read")
    metadata = dict(source_format="bids-ieeg", layout=layout.name, source_file=str(neural_file),
                    subject=files.subject, participant=participant_row(files.participants, files.subject),
                    bids_task=task, source=source, high_gamma=how, line_freq_hz=hz, line_freq_source=hz_source,
                    source_neural_rate=float(neural.info["sfreq"]), source_audio_rate=stimulus.pop("audio_rate"),
                    units=sorted(set(channels.loc[channels["neural"], "units"])),
                    electrode_positions=position_source, not_read=not_read, **stimulus.pop("metadata"))
    return dict(files=files, layout=layout, neural=neural, neural_file=neural_file, electrodes=electrodes,
                metadata=metadata, **stimulus)


def _channels(files: Files) -> pd.DataFrame:
    """channels.tsv checked: name, type (a BIDS type), units, bad (status), neural (type in NEURAL_TYPES)."""
    if not files.channels.is_file():
        raise InputError(files.channels, "channels.tsv", "a BIDS channels table beside the recording", "missing file")
    table = read_tsv(files.channels)
    missing = [c for c in ("name", "type") if c not in table.columns]
    if missing:
        raise InputError(files.channels, "columns", "'name' and 'type' columns", f"columns {list(table.columns)}")
    types = table["type"].str.upper()
    unknown = ~types.isin(NEURAL_TYPES + OTHER_TYPES)
    if unknown.any():
        row = table[unknown].iloc[0]
        raise InputError(files.channels, "type", f"a BIDS channel type ({', '.join(NEURAL_TYPES + OTHER_TYPES)})",
                         f"{row['type']!r} for channel {row['name']!r}")
    neural = types.isin(NEURAL_TYPES)
    if not neural.any():
        raise InputError(files.channels, "type", f"at least one channel of type {NEURAL_TYPES}",
                         f"types {sorted(set(types))}")
    status = table["status"].str.lower() if "status" in table.columns else pd.Series("good", index=table.index)
    units = table["units"] if "units" in table.columns else pd.Series("n/a", index=table.index)
    return pd.DataFrame({"name": table["name"], "type": types, "units": units, "bad": status.eq("bad"),
                         "neural": neural})


def _raw(files: Files, channels: pd.DataFrame):
    """The recording read lazily with `read_raw_bids`, neural channels only, after checking its channel names."""
    import mne
    from mne_bids import read_raw_bids

    fpath = files.bids_path.fpath
    try:
        names = mne.io.read_raw(fpath, preload=False, verbose="error").ch_names
    except Exception as exc:  # MNE's readers raise several types for unreadable files
        raise InputError(fpath, "file", "a readable EDF, BrainVision or FIF recording",
                         f"{type(exc).__name__}: {exc}") from exc
    if list(names) != channels["name"].tolist():
        extra, absent = sorted(set(channels["name"]) - set(names)), sorted(set(names) - set(channels["name"]))
        raise InputError(files.channels, "name", f"the {len(names)} channel names of {fpath.name}, in its order",
                         f"names not in the recording {extra[:8]}, recording channels not listed {absent[:8]}"
                         if extra or absent else "the same names in another order")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mne-bids warns about optional sidecars it does not find
        try:
            raw = read_raw_bids(files.bids_path, verbose="error")
        except Exception as exc:  # mne-bids raises several types for inconsistent sidecars
            raise InputError(fpath, "BIDS sidecars", "sidecars MNE-BIDS can apply to the recording",
                             f"{type(exc).__name__}: {exc}") from exc
    return raw.pick(channels.loc[channels["neural"], "name"].tolist())


def _derivative(files: Files, layout: Layout, channels: pd.DataFrame):
    """The layout's high-gamma derivative read lazily, (path); its channels must be in channels.tsv."""
    import mne

    if not layout.derivative:
        raise InputError(files.root, "source", "a layout with a high-gamma derivative (source='raw' otherwise)",
                         f"layout {layout.name!r} without one")
    path = files.root / layout.derivative.format(subject=files.subject, task=files.bids_path.task)
    if not path.is_file():
        raise InputError(path, "file", "the high-gamma derivative (download the derivatives folder too, or read "
                         f"source='raw'){layout.fetch_hint()}", "missing")
    try:
        derivative = mne.io.read_raw_fif(path, preload=False, verbose="error")
    except Exception as exc:  # as in _raw
        raise InputError(path, "file", "a readable FIF file", f"{type(exc).__name__}: {exc}") from exc
    unknown = sorted(set(derivative.ch_names) - set(channels.loc[channels["neural"], "name"]))
    if unknown:
        raise InputError(path, "channels", f"neural channels of {files.channels.name}", f"unknown {unknown[:8]}")
    return derivative, path


def _positions(files: Files, names: list[str]) -> tuple[np.ndarray, str]:
    """(E, 2) positions: (y, z) of electrodes.tsv (lateral projection) if it lists every channel, else a grid."""
    if files.electrodes is not None:
        table = read_tsv(files.electrodes)
        if {"name", "y", "z"} <= set(table.columns) and set(names) <= set(table["name"]):
            yz = table.set_index("name").loc[names, ["y", "z"]].apply(pd.to_numeric, errors="coerce").to_numpy()
            if np.isfinite(yz).all():
                return yz.astype(np.float32), (f"{files.electrodes.name} (y, z): lateral (sagittal) projection, "
                                               "anterior to the right, superior up, both hemispheres on one plane")
    return grid_positions(len(names)), "grid from channel index, in grid units (no usable electrodes.tsv)"


def _continuous_trials(files: Files, layout: Layout, seconds: float, n_frames: int) -> dict:
    """Trials of a continuous stimulus at the pauses of its transcript; contiguous splits."""
    import soundfile as sf

    stimulus, transcript = files.root / layout.stimulus, files.root / layout.transcript
    for path, what in ((stimulus, "stimulus audio"), (transcript, "word transcript")):
        if not path.is_file():
            raise InputError(path, "file", f"the {what} of the dataset{layout.fetch_hint()}", "missing")
    info = sf.info(str(stimulus))
    check_same_duration(stimulus, "duration", info.frames / info.samplerate, seconds)
    words = segment.read_transcript(transcript)
    cut = segment.at_pauses(words, source=transcript)
    start, end = to_frames(cut["start_s"].to_numpy(), cut["end_s"].to_numpy(), 1.0, n_frames)
    ids = [f"{stimulus.stem}:{i:04d}" for i in range(len(cut))]
    trials = trial_table(start, end, cut["text"], segment.contiguous_splits(len(cut)), ids)
    untimed = int((~np.isfinite(words["start"]) | ~np.isfinite(words["end"])).sum())
    metadata = dict(stimulus_file=str(stimulus), transcript_file=str(transcript), split_source=segment.split_source(),
                    segmentation=dict(min_pause_s=segment.MIN_PAUSE_S, max_trial_s=segment.MAX_TRIAL_S,
                                      n_words=len(words), words_without_onset=untimed))
    not_read = [f"onsets of {untimed} transcript words (NaN; their text stays in its trial)"] if untimed else []
    return dict(trials=trials, audio_rate=float(info.samplerate), metadata=metadata, not_read=not_read,
                placements=[(stimulus, 0.0)])


def _event_trials(files: Files, seconds: float, n_frames: int) -> dict:
    """One trial per events.tsv row with a stim_file, from its onset for the sound's length; splits by stimulus."""
    import soundfile as sf

    if files.events is None:
        raise InputError(files.bids_path.fpath, "events.tsv", "an events table with onset and stim_file columns "
                         "beside the recording", "missing file")
    events = read_tsv(files.events)
    if not {"onset", "stim_file"} <= set(events.columns):
        raise InputError(files.events, "columns", "'onset' and 'stim_file' columns", f"columns {list(events.columns)}")
    played = events[~events["stim_file"].isin(["", "n/a"])]
    if played.empty:
        raise InputError(files.events, "stim_file", "at least one event with a stimulus file", "none")
    onsets = pd.to_numeric(played["onset"], errors="coerce").to_numpy(np.float64)
    if not np.isfinite(onsets).all():
        raise InputError(files.events, "onset", "onsets in seconds for every event with a stim_file", "NaN or text")
    lengths, rate = {}, None
    for name in played["stim_file"].unique():
        path = files.root / "stimuli" / name
        if not path.is_file():
            raise InputError(files.events, "stim_file", f"files under {files.root / 'stimuli'}", f"{name!r} missing")
        info = sf.info(str(path))
        lengths[name], rate = info.frames / info.samplerate, float(info.samplerate)
    ends = onsets + played["stim_file"].map(lengths).to_numpy()
    if ends.max() > seconds + 0.05:
        raise InputError(files.events, "onset", f"stimuli that end within the recording ({seconds:.3f} s)",
                         f"one ending at {ends.max():.3f} s ({ends.max() - seconds:.3f} s after it)")
    text_column = next((c for c in ("text", "trial_type") if c in played.columns), None)
    texts = played[text_column] if text_column else played["stim_file"].map(lambda n: Path(n).stem)
    start, end = to_frames(onsets, ends, 1.0, n_frames)
    ids = played["stim_file"].tolist()
    trials = trial_table(start, end, texts, split_by_stimulus(ids), ids)
    metadata = dict(events_file=str(files.events), split_source="by stimulus (common.split_by_stimulus): the "
                    "last-presented sounds are the test set")
    skipped = len(events) - len(played)
    not_read = [f"{skipped} events without a stim_file"] if skipped else []
    return dict(trials=trials, audio_rate=rate, metadata=metadata, not_read=not_read,
                placements=[(files.root / "stimuli" / n, o) for n, o in zip(ids, onsets)])


def _audio(plan: dict, n_frames: int) -> np.ndarray:
    """(n_frames * 160,) float32 audio at 16 kHz: silence with each stimulus sound added from its onset."""
    track = np.zeros(n_frames * A.HOP, np.float32)
    cache = {}
    for path, onset in plan["placements"]:
        if path not in cache:
            mono, rate = read_wav_mono(path)
            cache[path] = A.to_mono_16k(mono, rate)
        sound = cache[path]
        first = int(round(onset * A.SAMPLE_RATE))
        piece = sound[: max(0, len(track) - first)]
        track[first: first + len(piece)] += piece
    return fit_audio_to_frames(np.clip(track, -1.0, 1.0), n_frames)

