"""BIDS iEEG listening recordings: the Podcast ECoG layout (written by io.podcast.write through MNE's EDF exporter
and MNE's filters for the derivative) and a BIDS layout with events.tsv (written by mne_bids.write_raw_bids)."""
import codecs
import json
import shutil

import mne
import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from bids_writing import write_events_recording
from listening_fakes import LAG_FRAMES, participant
from scipy.signal import butter, sosfiltfilt

from n2s_lite import audio as A
from n2s_lite import cli, io
from n2s_lite.errors import InputError
from n2s_lite.highgamma import high_gamma
from n2s_lite.io import podcast

SECONDS, CHANNELS, TRACKING, BAD = 40, 8, (0, 1, 2), (6,)


@pytest.fixture(scope="module")
def podcast_root(tmp_path_factory):
    """A Podcast-layout root with participant sub-03, every 7th word of its transcript without an onset."""
    root = tmp_path_factory.mktemp("ds005574")
    rec, words = participant(seconds=SECONDS, n_channels=CHANNELS, tracking=TRACKING, bad=BAD)
    words.loc[::7, "start"] = np.nan
    podcast.write(rec, root, words, subject="03")
    return root, rec, words


@pytest.fixture(scope="module")
def loaded(podcast_root):
    root = podcast_root[0]
    return io.load(root, subject="03"), io.load(root / "sub-03", source="derivative")


def _copy(podcast_root, tmp_path):
    return shutil.copytree(podcast_root[0], tmp_path / "copy")


def _tracking_order(rec):
    """Electrode names sorted by how well their high-gamma follows the sound's loudness 100 ms earlier, best first."""
    frames = rec.audio[: rec.n_frames * A.HOP].reshape(rec.n_frames, A.HOP)
    loudness = np.sqrt((frames ** 2).mean(axis=1))
    r = [np.corrcoef(rec.high_gamma[LAG_FRAMES:, e], loudness[:-LAG_FRAMES])[0, 1] for e in range(rec.n_electrodes)]
    return [rec.electrodes["name"].iloc[e] for e in np.argsort(r)[::-1]], np.sort(r)[::-1]


# -------------------------------------------------------------------------------------------- Podcast layout
def test_podcast_layout_is_detected_and_written_as_the_dataset_writes_it(podcast_root):
    root = podcast_root[0]
    ieeg = root / "sub-03" / "ieeg"
    assert io.detect_format(root) == io.detect_format(root / "sub-03") == "bids-ieeg" and "bids-ieeg" in io.FORMATS
    assert (ieeg / "sub-03_task-podcast_channels.tsv").read_bytes().startswith(codecs.BOM_UTF8)
    info = sf.info(str(root / "stimuli/podcast.wav"))
    assert (info.samplerate, info.channels, info.subtype) == (44_100, 2, "PCM_16")
    assert mne.io.read_raw_edf(ieeg / "sub-03_task-podcast_ieeg.edf", verbose="error").info["sfreq"] == 512
    assert (root / podcast.DERIVATIVE.format(subject="sub-03", task="podcast")).is_file()


def test_podcast_lengths_clock_audio_and_bad_channels(podcast_root, loaded):
    _, rec, _ = podcast_root
    raw, derivative = loaded
    for back in loaded:
        assert back.task == "listening" and back.audio_rate == A.SAMPLE_RATE and back.frame_rate == A.FRAME_RATE
        assert back.n_frames == SECONDS * A.FRAME_RATE and len(back.audio) == back.n_frames * A.HOP
        assert np.corrcoef(back.audio, rec.audio)[0, 1] > 0.99  # 44.1 kHz stereo and back, on the same clock
        assert back.metadata["line_freq_hz"] == 60 and "PowerLineFrequency" in back.metadata["line_freq_source"]
    assert raw.electrodes["name"].tolist() == rec.electrodes["name"].tolist()
    assert raw.electrodes["bad"].tolist() == rec.electrodes["bad"].tolist()  # from channels.tsv status
    assert np.allclose(raw.electrodes[["x", "y"]], rec.electrodes[["x", "y"]])  # MNI (y, z), lateral projection
    assert derivative.electrodes["name"].tolist() == rec.electrodes["name"][rec.good_electrodes()].tolist()
    assert raw.metadata["source"] == "raw" and derivative.metadata["source"] == "derivative"
    assert any("derivative" in item for item in raw.metadata["not_read"])
    assert any(".edf" in item for item in derivative.metadata["not_read"])


def test_raw_and_derivative_agree_on_which_electrodes_track_the_sound(loaded):
    tracking = {f"G{e + 1}" for e in TRACKING}
    for back in loaded:
        order, r = _tracking_order(back)
        assert set(order[: len(TRACKING)]) == tracking, (back.metadata["source"], order, r)
        assert r[len(TRACKING) - 1] > 0.5 and r[len(TRACKING)] < 0.4
    raw, derivative = loaded
    for name in tracking:  # the same envelope, though the derivative is one 70-200 Hz band (raw: 8 sub-bands of 70-150)
        column = list(derivative.electrodes["name"]).index(name)
        assert np.corrcoef(raw.high_gamma[:, int(name[1:]) - 1], derivative.high_gamma[:, column])[0, 1] > 0.5


def test_transcript_is_cut_at_pauses_into_contiguous_splits(podcast_root, loaded):
    _, _, words = podcast_root
    rec = loaded[0]
    trials = rec.trials.sort_values("start")
    assert " ".join(trials["text"]).split() == words["word"].tolist()  # no word lost, words without onset included
    assert np.all(trials["start"].to_numpy()[1:] >= trials["end"].to_numpy()[:-1])
    splits = trials["split"].tolist()
    assert splits == sorted(splits, key=["train", "val", "test"].index) and set(splits) == {"train", "val", "test"}
    timed = words.dropna()
    assert trials["start"].iloc[0] == int(np.floor(timed["start"].iloc[0] * 100))
    assert "contiguous blocks" in rec.metadata["split_source"]
    assert rec.metadata["segmentation"]["words_without_onset"] == int(words["start"].isna().sum())


def test_every_way_to_name_the_participant_reads_the_same(podcast_root, loaded, capsys):
    root = podcast_root[0]
    edf = root / "sub-03/ieeg/sub-03_task-podcast_ieeg.edf"
    np.testing.assert_array_equal(io.load(edf).high_gamma, loaded[0].high_gamma)
    facts = io.describe(root / "sub-03")
    assert facts["subject"] == "sub-03" and facts["participant"]["nyu_id"] == "n/a"
    assert facts["duration_s"] == SECONDS and facts["bad_electrodes"] == ["G7"] and facts["n_electrodes"] == CHANNELS
    assert facts["trials_per_split"] == loaded[0].trials["split"].value_counts().to_dict()
    assert facts["source"] == "raw" and facts["task"] == "listening" and facts["not_read"]
    assert io.describe(root, subject="sub-03", source="derivative")["n_electrodes"] == CHANNELS - len(BAD)
    assert cli.main(["info", str(root / "sub-03"), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["format"] == "bids-ieeg" and printed["line_freq_hz"] == 60 and printed["source"] == "raw"
    assert cli.main(["info", str(root), "--subject", "03", "--source", "derivative", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["source"] == "derivative" and printed["n_good_electrodes"] == CHANNELS - len(BAD)


def test_a_root_with_several_participants_needs_one_named(podcast_root, tmp_path):
    root = _copy(podcast_root, tmp_path)
    shutil.copytree(root / "sub-03", root / "sub-04")
    for path in (root / "sub-04" / "ieeg").iterdir():
        path.rename(path.with_name(path.name.replace("sub-03", "sub-04")))
    with pytest.raises(InputError, match="choose with subject=") as error:
        io.load(root)
    assert error.value.field == "subject" and "sub-04_task-podcast_ieeg.edf" in str(error.value)
    assert io.describe(root, subject="04")["subject"] == "sub-04"


def _write_wav(path, seconds):
    sf.write(str(path), np.zeros((int(seconds * podcast.WAV_RATE), 2), np.int16), podcast.WAV_RATE)


def _set_channels(root, column, row, value):
    path = next(root.rglob("*_channels.tsv"))
    table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    table.loc[row, column] = value
    table.to_csv(path, sep="\t", index=False, encoding="utf-8-sig")
    return path


@pytest.mark.parametrize("spoil, culprit, message", [
    (lambda root: (root / "stimuli/podcast.wav").unlink(), "stimuli/podcast.wav",
     r"stimulus audio of the dataset \(get it with: openneuro-py download --dataset=ds005574"),
    (lambda root: _write_wav(root / "stimuli/podcast.wav", SECONDS - 1.5), "stimuli/podcast.wav",
     r"38\.500 s \(1\.500 s shorter\)"),
    (lambda root: pd.DataFrame({"word": ["a", "b"], "start": [np.nan, np.nan], "end": [1.0, 2.0]}).to_csv(
        root / "stimuli/podcast_transcript.csv", index=False), "stimuli/podcast_transcript.csv", "no usable onset"),
    (lambda root: _set_channels(root, "type", 2, "ECOGG"), "sub-03_task-podcast_channels.tsv", "'ECOGG' for channel"),
    (lambda root: _set_channels(root, "name", 4, "X5"), "sub-03_task-podcast_channels.tsv",
     r"names not in the recording \['X5'\]"),
])
def test_bad_podcast_input_is_an_error_naming_the_file(spoil, culprit, message, podcast_root, tmp_path):
    root = _copy(podcast_root, tmp_path)
    spoil(root)
    for read in (io.load, io.describe):
        with pytest.raises(InputError, match=message) as error:
            read(root / "sub-03")
        assert error.value.source.endswith(culprit)


def test_a_missing_derivative_says_what_to_download(podcast_root, tmp_path):
    root = _copy(podcast_root, tmp_path)
    shutil.rmtree(root / "derivatives")
    with pytest.raises(InputError, match="download the derivatives folder"):
        io.load(root / "sub-03", source="derivative")
    assert io.load(root / "sub-03").metadata["source"] == "raw"


# ------------------------------------------------------------------------------------ BIDS with events.tsv
ONSETS = [1.0, 4.5, 8.0, 11.5, 15.0, 18.5]
STIMULI = ["s1.wav", "s2.wav", "s3.wav"] * 2


def _events_layout(root, fs=512, seconds=24, seed=0):
    """Sentences s1-s3 played twice each; channel E1's 70-150 Hz power follows them, E2-E4 do not; a MISC channel."""
    rng = np.random.default_rng(seed)
    sounds = {}
    for name in STIMULI[:3]:
        n = int(1.5 * A.SAMPLE_RATE)
        sounds[name] = (0.3 * np.sin(2 * np.pi * rng.uniform(150, 300) * np.arange(n) / A.SAMPLE_RATE)
                        * np.hanning(n)).astype(np.float32)
    t = np.arange(fs * seconds) / fs
    playing = np.zeros_like(t)
    for onset in ONSETS:
        playing[(t >= onset + 0.1) & (t < onset + 1.6)] = 1.0
    band = sosfiltfilt(butter(4, [70, 150], btype="bandpass", fs=fs, output="sos"), rng.standard_normal((4, t.size)))
    gain = np.ones((4, t.size))
    gain[0] += 4.0 * playing
    data = np.vstack([gain * band + 0.2 * rng.standard_normal((4, t.size)) + np.sin(2 * np.pi * 50 * t),
                      rng.standard_normal(t.size)]) * 1e-5
    info = mne.create_info(["E1", "E2", "E3", "E4", "STIM"], fs, ["ecog"] * 4 + ["misc"])
    info["line_freq"] = 50
    path = write_events_recording(root, "05", mne.io.RawArray(data, info, verbose="error"), ONSETS, sounds, STIMULI)
    return sounds, path


def test_events_layout_places_each_stimulus_at_its_onset(tmp_path):
    sounds, _ = _events_layout(tmp_path / "bids")
    rec = io.load(tmp_path / "bids")
    assert rec.task == "listening" and rec.n_frames == 2400
    assert rec.electrodes["name"].tolist() == ["E1", "E2", "E3", "E4"]
    assert rec.trials["stimulus_id"].tolist() == STIMULI and rec.trials["text"].tolist() == ["s1", "s2", "s3"] * 2
    assert rec.trials["start"].tolist() == [int(o * 100) for o in ONSETS]
    for onset, name in zip(ONSETS, STIMULI):
        first = int(onset * A.SAMPLE_RATE)
        np.testing.assert_allclose(rec.audio[first: first + len(sounds[name])], sounds[name], atol=1e-4)  # 16 bit
    for stimulus, group in rec.trials.groupby("stimulus_id"):
        assert group["split"].nunique() == 1
    assert rec.metadata["line_freq_hz"] == 50 and any("STIM" in item for item in rec.metadata["not_read"])
    assert _tracking_order(rec)[0][0] == "E1"


def test_events_layout_missing_stimulus_names_events_tsv(tmp_path):
    _, events = _events_layout(tmp_path / "bids")
    (tmp_path / "bids/stimuli/s2.wav").unlink()
    with pytest.raises(InputError, match="'s2.wav' missing") as error:
        io.load(tmp_path / "bids")
    assert error.value.source == str(events)


# -------------------------------------------------------------------------------------- high-gamma options
def test_high_gamma_reads_lazy_sources_in_channel_chunks_with_the_same_result(podcast_root):
    _, rec, _ = podcast_root
    bad = ~rec.good_electrodes()
    whole = high_gamma(rec.raw, rec.raw_rate, bad=bad)
    info = mne.create_info(rec.electrodes["name"].tolist(), rec.raw_rate, "ecog")
    lazy = mne.io.RawArray(rec.raw.T.astype(np.float64), info, verbose="error")
    chunk_mb = 2.5 * rec.raw.shape[0] * 8 / 2**20  # 2 channels per chunk
    np.testing.assert_allclose(high_gamma(lazy, rec.raw_rate, bad=bad, chunk_mb=chunk_mb), whole, atol=2e-4)


def test_band_option_reaches_200_hz():
    fs, seconds = 1024, 20
    rng = np.random.default_rng(1)
    t = np.arange(fs * seconds) / fs
    slow = 1.0 + 0.9 * np.sin(2 * np.pi * 0.3 * t)
    raw = np.stack([slow * sosfiltfilt(butter(4, [170, 195], btype="bandpass", fs=fs, output="sos"),
                                       rng.standard_normal(t.size))] + [0.05 * rng.standard_normal(t.size)] * 2, axis=1)
    truth = 1.0 + 0.9 * np.sin(2 * np.pi * 0.3 * np.arange(seconds * A.FRAME_RATE) / A.FRAME_RATE)
    r = {band: np.corrcoef(high_gamma(raw, fs, band=band)[:, 0], truth)[0, 1]
         for band in ((70, 150), (70, 200))}
    assert r[(70, 200)] > 0.6 and r[(70, 150)] < r[(70, 200)] - 0.3, r
