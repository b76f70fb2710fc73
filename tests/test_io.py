import hashlib
import json
import warnings

import h5py
import numpy as np
import pandas as pd
import pytest
from scipy.signal import butter, sosfiltfilt

from n2s_lite import audio as A
from n2s_lite import cli, io
from n2s_lite.errors import InputError
from n2s_lite.io import common, flinker, ibids
from n2s_lite.recording import Recording, electrode_table, trial_table

RAW_RATE = 1024
WORDS = ["appel", "boom", "citroen", "deur", "emmer", "fiets"]


def _recording(seed=0, with_raw=True) -> Recording:
    """6 s, 4 electrodes (the last one bad), 12 trials of 6 words; raw = 110 Hz carrier modulated by high-gamma."""
    rng = np.random.default_rng(seed)
    frames, n_el = 600, 4
    t = np.arange(frames) / A.FRAME_RATE
    rates = np.array([0.3, 0.7, 1.1, 1.5])  # Hz: smooth envelopes survive 100 <-> 125 Hz resampling
    high_gamma = (1.0 + 0.8 * np.sin(2 * np.pi * rates * t[:, None] + rng.uniform(0, 6, n_el))).astype(np.float32)
    starts = 5 + 48 * np.arange(12)
    texts = WORDS * 2
    trials = trial_table(starts, starts + 40, texts, common.split_by_stimulus(texts))
    audio = (0.05 * rng.standard_normal(frames * A.HOP)).astype(np.float32)
    for start, end in zip(trials["start"], trials["end"]):
        n = (end - start) * A.HOP
        audio[start * A.HOP: end * A.HOP] += 0.4 * np.sin(2 * np.pi * 220 * np.arange(n) / A.SAMPLE_RATE)
    raw = None
    if with_raw:  # independent 70-150 Hz noise per electrode, amplitude-modulated by its high-gamma
        samples = np.arange(frames * RAW_RATE // A.FRAME_RATE) / RAW_RATE
        envelope = np.stack([np.interp(samples, t, high_gamma[:, e]) for e in range(n_el)], axis=1)
        band = sosfiltfilt(butter(4, [70, 150], btype="bandpass", fs=RAW_RATE, output="sos"),
                           rng.standard_normal(envelope.shape), axis=0)
        raw = (envelope * band / band.std() + 0.5 * np.sin(2 * np.pi * 8 * samples)[:, None]
               + 0.05 * rng.standard_normal(envelope.shape)).astype(np.float32)
    return Recording(audio=np.clip(audio, -1, 1), high_gamma=high_gamma,
                     electrodes=electrode_table([f"G{i + 1}" for i in range(n_el)], rng.random((n_el, 2)) * 10,
                                                bad=[False, False, False, True]),
                     trials=trials, raw=raw, raw_rate=float(RAW_RATE) if with_raw else None,
                     ground_truth={"clean": high_gamma * 2, "tuning": rng.random((n_el, 80)),
                                   "labels": np.array(["a", "bb"])},
                     metadata={"subject": "sim-01", "simulator": {"snr": 1.5, "seed": seed}, "notes": ["x", 1]})


def _digest(path):
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    return [(str(p), p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest()) for p in files]


def _corr(a, b):
    return float(np.corrcoef(a, b)[0, 1])


# ------------------------------------------------------------------------------------------- own schema
def test_save_load_round_trip_is_exact(tmp_path):
    rec = _recording()
    rec = rec.replace(  # extra columns of other dtypes round-trip too
        electrodes=rec.electrodes.assign(region=pd.Series(["STG", "STG", "MTG", "ü"], dtype=object)),
        trials=rec.trials.assign(repeat=np.arange(12, dtype=np.int16) // 6, onset_s=rec.trials["start"] / 100))
    io.save(rec, tmp_path / "rec.h5")
    back = io.load(tmp_path / "rec.h5")
    assert back.audio.dtype == np.float32 and np.array_equal(back.audio, rec.audio)
    assert back.high_gamma.dtype == np.float32 and np.array_equal(back.high_gamma, rec.high_gamma)
    assert np.array_equal(back.raw, rec.raw) and back.raw_rate == rec.raw_rate
    pd.testing.assert_frame_equal(back.electrodes, rec.electrodes, check_exact=True)
    pd.testing.assert_frame_equal(back.trials, rec.trials, check_exact=True)
    assert back.ground_truth.keys() == rec.ground_truth.keys()
    for name, values in rec.ground_truth.items():
        assert back.ground_truth[name].dtype == values.dtype and np.array_equal(back.ground_truth[name], values)
    assert back.metadata == rec.metadata
    assert (back.audio_rate, back.frame_rate) == (rec.audio_rate, rec.frame_rate)
    assert isinstance(back.audio_rate, int)


def test_task_round_trips_and_a_file_without_it_reads_as_listening_with_a_warning(tmp_path):
    io.save(_recording(with_raw=False).replace(task="speaking"), tmp_path / "speaking.h5")
    assert io.load(tmp_path / "speaking.h5").task == "speaking"
    io.save(_recording(with_raw=False), tmp_path / "old.h5")
    with h5py.File(tmp_path / "old.h5", "a") as handle:  # a schema-1 file: no task attribute
        del handle.attrs["task"]
        handle.attrs["schema_version"] = 1
    with pytest.warns(UserWarning, match="listening or speaking"):
        assert io.load(tmp_path / "old.h5").task == "listening"
    with pytest.raises(InputError, match="task"):
        _recording(with_raw=False).replace(task="dreaming").validate("x.h5")


def test_saved_file_carries_schema_mel_params_and_compression(tmp_path):
    io.save(_recording(with_raw=False), tmp_path / "rec.h5")
    with h5py.File(tmp_path / "rec.h5") as handle:
        assert handle.attrs["n2s_schema"] == "n2s-recording" and handle.attrs["schema_version"] == 2
        assert handle.attrs["task"] == "listening"
        assert json.loads(handle.attrs["mel_params"]) == json.loads(json.dumps(A.mel_params()))
        assert handle["audio"].compression == "gzip" and "raw" not in handle
    assert io.load(tmp_path / "rec.h5").raw is None


def test_save_never_overwrites_unless_asked(tmp_path):
    path = tmp_path / "rec.h5"
    io.save(_recording(seed=0), path)
    before = _digest(path)
    with pytest.raises(FileExistsError):
        io.save(_recording(seed=1), path)
    assert _digest(path) == before
    io.save(_recording(seed=1), path, overwrite=True)
    assert io.load(path).metadata["simulator"]["seed"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["rec.h5"]  # no temporary file left behind


def test_save_refuses_an_invalid_recording(tmp_path):
    rec = _recording()
    with pytest.raises(InputError, match="high_gamma"):
        io.save(rec.replace(high_gamma=rec.high_gamma[:100]), tmp_path / "rec.h5")
    assert not (tmp_path / "rec.h5").exists()


def test_newer_schema_version_is_refused_clearly(tmp_path):
    path = tmp_path / "rec.h5"
    io.save(_recording(), path)
    with h5py.File(path, "a") as handle:
        handle.attrs["schema_version"] = 3
    with pytest.raises(InputError, match="upgrade n2s-lite") as error:
        io.load(path)
    assert error.value.field == "schema_version" and str(path) in str(error.value)


@pytest.mark.parametrize("pandas_dtype, message", [(None, "'pandas_dtype' attribute.*got none"),
                                                    ("no-such-dtype", "no-such-dtype")])
def test_a_column_without_a_usable_pandas_dtype_names_file_and_column(pandas_dtype, message, tmp_path):
    path = tmp_path / "rec.h5"
    io.save(_recording(), path)
    with h5py.File(path, "a") as handle:
        del handle["electrodes/bad"].attrs["pandas_dtype"]
        if pandas_dtype is not None:
            handle["electrodes/bad"].attrs["pandas_dtype"] = pandas_dtype
    for read in (io.load, io.describe):
        with pytest.raises(InputError, match=message) as error:
            read(path)
        assert error.value.field == "electrodes/bad" and str(path) in str(error.value)
    assert cli.main(["info", str(path)]) == 2


# ----------------------------------------------------------------------------------- format detection
WRITTEN_HERE = ("n2s-hdf5", "flinker-hdf5", "ibids")  # formats _write makes; BIDS iEEG is tested in test_bids.py


def _write(fmt, rec, tmp_path):
    """Write rec in `fmt`; return the path to load."""
    if fmt == "n2s-hdf5":
        io.save(rec, tmp_path / "rec.h5")
        return tmp_path / "rec.h5"
    if fmt == "flinker-hdf5":
        io.write_flinker(rec, tmp_path / "NY000.h5")
        return tmp_path / "NY000.h5"
    io.write_ibids(rec, tmp_path / "bids")
    return tmp_path / "bids"


@pytest.mark.parametrize("fmt", WRITTEN_HERE)
def test_each_writer_is_detected_as_its_format(fmt, tmp_path):
    assert io.detect_format(_write(fmt, _recording(), tmp_path)) == fmt


def test_unknown_content_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("not a recording\n")
    with h5py.File(tmp_path / "other.h5", "w") as handle:
        handle["weights"] = np.zeros(3)
    (tmp_path / "empty").mkdir()
    for name in ("notes.txt", "other.h5", "empty"):
        with pytest.raises(InputError) as error:
            io.load(tmp_path / name)
        assert str(tmp_path / name) in str(error.value)
    with pytest.raises(InputError, match="unrelated content"):
        io.detect_format(tmp_path / "other.h5")
    with pytest.raises(FileNotFoundError):
        io.load(tmp_path / "missing.h5")


@pytest.mark.parametrize("fmt", WRITTEN_HERE)
def test_truncated_file_is_an_input_error_naming_it(fmt, tmp_path):
    path = _write(fmt, _recording(), tmp_path)
    if fmt == "ibids":
        path = next(path.rglob("*_ieeg.nwb"))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated or corrupt") as error:
        io.load(path)
    assert str(path) in str(error.value)


@pytest.mark.parametrize("fmt", WRITTEN_HERE)
def test_loading_and_describing_never_modify_the_input(fmt, tmp_path):
    path = _write(fmt, _recording(), tmp_path)
    before = _digest(path)
    io.load(path)
    io.describe(path)
    assert _digest(path) == before


# --------------------------------------------------------------------------------------------- splits
def test_split_by_stimulus_keeps_each_word_in_one_split_and_tests_the_last_words():
    words = [f"w{i % 20}" for i in range(100)]
    splits = common.split_by_stimulus(words)
    assert splits == common.split_by_stimulus(words)
    by_word = pd.DataFrame({"word": words, "split": splits}).groupby("word")["split"].nunique()
    assert (by_word == 1).all()
    assert splits.count("test") == splits.count("val") == 10
    assert set(np.array(words)[np.array(splits) == "test"]) == {"w18", "w19"}  # the last presented
    assert common.split_by_stimulus(["only", "only"]) == ["train", "train"]


# -------------------------------------------------------------------------------------------- flinker
def test_flinker_round_trip_lands_on_the_100_hz_clock(tmp_path):
    rec = _recording()
    io.write_flinker(rec, tmp_path / "NY000.h5")
    with h5py.File(tmp_path / "NY000.h5") as handle:
        n125 = handle["ecog_alldataset"].shape[0]
        assert handle["wave_re_alldataset"].shape == (n125 * 128, 1)
        assert handle["wave_re_spec_alldataset"].shape == (n125, 256)
    back = io.load(tmp_path / "NY000.h5")
    assert back.n_frames == rec.n_frames and len(back.audio) // A.HOP == back.n_frames
    good = rec.good_electrodes()
    inner = slice(10, -10)  # resampling edges
    assert np.abs(back.high_gamma[inner, good] - rec.high_gamma[inner, good]).max() < 0.02
    assert back.electrodes["bad"].tolist() == rec.electrodes["bad"].tolist()
    assert np.array_equal(back.audio, rec.audio)
    assert back.trials["text"].tolist() == rec.trials["text"].tolist()
    assert np.abs(back.trials["start"] - rec.trials["start"]).max() <= 1
    assert np.abs(back.trials["end"] - rec.trials["end"]).max() <= 1
    assert (back.trials["stimulus_id"] == back.trials["text"]).all()
    assert back.metadata["subject"] == "NY000"
    assert "wave_re_spec_alldataset" in back.metadata["flinker_unread_fields"]
    assert "grid" in back.metadata["electrode_positions"]


def test_flinker_round_trip_keeps_electrode_names_splits_and_stimulus_ids(tmp_path):
    rec = _recording()
    rec = rec.replace(trials=rec.trials.assign(  # a split the loader would not recompute, and ids unlike the text
        split=["train"] * 8 + ["val", "val", "test", "test"], stimulus_id=[f"stim-{i}" for i in range(12)]))
    io.write_flinker(rec, tmp_path / "NY000.h5")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing is recomputed, so nothing to warn about
        back = io.load(tmp_path / "NY000.h5")
    assert back.electrodes["name"].tolist() == rec.electrodes["name"].tolist()
    for column in ("split", "stimulus_id", "text"):
        assert back.trials[column].tolist() == rec.trials[column].tolist()
    assert back.metadata["trial_splits"] == flinker.STORED_SPLITS
    assert not set(flinker.N2S_FIELDS) & set(back.metadata["flinker_unread_fields"])
    facts = io.describe(tmp_path / "NY000.h5")
    assert facts["bad_electrodes"] == ["G4"] and facts["trials_per_split"] == dict(train=8, val=2, test=2)


def test_flinker_file_without_n2s_fields_loads_as_before_and_warns_that_splits_are_recomputed(tmp_path):
    rec = _recording()
    path = tmp_path / "NY000.h5"
    io.write_flinker(rec.replace(trials=rec.trials.assign(split="train")), path)
    for field in flinker.N2S_FIELDS:
        _edit_flinker(path, field)
    with pytest.warns(UserWarning, match=r"NY000.h5: the file stores no train/val/test split.*recomputed"):
        back = io.load(path)
    assert back.electrodes["name"].tolist() == ["e000", "e001", "e002", "e003"]
    assert back.trials["split"].tolist() == common.split_by_stimulus(WORDS * 2)
    assert (back.trials["stimulus_id"] == back.trials["text"]).all()
    assert "recomputed" in io.describe(path)["trial_splits"]


def test_flinker_n2s_field_of_the_wrong_length_is_named(tmp_path):
    path = tmp_path / "NY000.h5"
    io.write_flinker(_recording(), path)
    _edit_flinker(path, "n2s_electrode_name", np.array([b"G1", b"G2"]))
    with pytest.raises(InputError, match="4 values") as error:
        io.load(path)
    assert error.value.field == "n2s_electrode_name" and str(path) in str(error.value)


def test_flinker_coordinates_field_gives_positions(tmp_path):
    path = tmp_path / "NY000.h5"
    io.write_flinker(_recording(), path)
    coordinates = np.arange(12, dtype=np.float32).reshape(4, 3)
    with h5py.File(path, "a") as handle:
        handle["mni_coordinate_alldateset"] = coordinates
    electrodes = io.load(path).electrodes
    assert np.array_equal(electrodes[["x", "y"]].to_numpy(), coordinates[:, 1:])


def test_flinker_nan_and_flat_channels_are_marked_bad_with_a_warning(tmp_path):
    path = tmp_path / "NY001.h5"
    io.write_flinker(_recording(), path)
    with h5py.File(path) as handle:
        ecog = handle["ecog_alldataset"][()]
    ecog[100:120, 1] = np.nan
    ecog[:, 2] = 3.0
    _edit_flinker(path, "ecog_alldataset", ecog)
    with pytest.warns(UserWarning, match="marked bad"):
        rec = io.load(path)
    assert rec.electrodes["bad"].tolist()[1:3] == [True, True] and np.isfinite(rec.high_gamma).all()
    assert rec.task == "speaking"


def test_flinker_test_count_decides_the_test_set(tmp_path):
    path = tmp_path / "NY002.h5"
    io.write_flinker(_recording(), path)
    for field in ("n2s_trial_split", "n2s_trial_stimulus_id", "n2s_electrode_name"):
        _edit_flinker(path, field)
    with h5py.File(path, "a") as handle:
        handle["TestNum_cum"] = np.array([3], np.int32)
        n_trials = len(handle["label_alldataset"])
    rec = io.load(path)
    assert rec.trials["split"].tolist()[-3:] == ["test"] * 3
    assert (rec.trials["split"] == "test").sum() == 3 and (rec.trials["split"] == "val").any()
    assert "TestNum_cum" in rec.metadata["trial_splits"] and "TestNum_cum" not in rec.metadata["flinker_unread_fields"]
    with h5py.File(path, "a") as handle:
        handle["TestNum_cum"][...] = n_trials
    with pytest.raises(InputError, match="test-trial count") as error:
        io.load(path)
    assert error.value.field == "TestNum_cum"


def _edit_flinker(path, field, values=None):
    with h5py.File(path, "a") as handle:
        del handle[field]
        if values is not None:
            handle[field] = values


@pytest.mark.parametrize("field, make_bad, message", [
    ("label_alldataset", lambda v: None, "missing"),
    ("ecog_alldataset", lambda v: v[:, 0], "time, electrodes"),
    ("ecog_alldataset", lambda v: np.where(np.arange(len(v))[:, None] == 7, np.nan, v), "NaN"),
    ("wave_re_alldataset", lambda v: v[: len(v) // 2], "as long as the neural data"),
    ("start_ind_re_valid_alldataset", lambda v: v[:-1], "one per label"),
    ("end_ind_re_valid_alldataset", lambda v: v + 10_000, "out-of-range"),
])
def test_flinker_bad_input_names_file_and_field(field, make_bad, message, tmp_path):
    """(A NaN frame on every channel leaves no usable electrode: an error, not a warning.)"""
    path = tmp_path / "NY000.h5"
    io.write_flinker(_recording(), path)
    with h5py.File(path) as handle:
        original = handle[field][()]
    _edit_flinker(path, field, make_bad(original))
    with pytest.raises(InputError, match=message) as error:
        io.load(path)
    assert str(path) in str(error.value)
    expected_field = "start_ind_re_valid_alldataset" if field == "end_ind_re_valid_alldataset" else field
    assert error.value.field == expected_field


# ---------------------------------------------------------------------------------------------- iBIDS
def test_ibids_round_trip_extracts_high_gamma_and_word_trials(tmp_path):
    rec = _recording()
    nwb = io.write_ibids(rec, tmp_path / "bids", subject="07")
    assert nwb == tmp_path / "bids/sub-07/ieeg/sub-07_task-wordProduction_ieeg.nwb"
    assert (tmp_path / "bids/sub-07/ieeg/sub-07_task-wordProduction_channels.tsv").is_file()
    assert pd.read_csv(tmp_path / "bids/participants.tsv", sep="\t")["participant_id"].tolist() == ["sub-07"]
    back = io.load(tmp_path / "bids", keep_raw=True)
    assert abs(back.n_frames - rec.n_frames) <= 1 and len(back.audio) // A.HOP == back.n_frames
    assert back.trials["text"].tolist() == rec.trials["text"].tolist()
    assert np.abs(back.trials["start"] - rec.trials["start"]).max() <= 1
    assert np.abs(back.trials["end"] - rec.trials["end"]).max() <= 1
    assert back.electrodes["name"].tolist() == rec.electrodes["name"].tolist()
    assert back.electrodes["bad"].tolist() == rec.electrodes["bad"].tolist()
    assert np.allclose(back.electrodes[["x", "y"]], rec.electrodes[["x", "y"]])
    inner = slice(20, rec.n_frames - 20)  # each extracted channel follows its own envelope, not the others'
    corr = np.corrcoef(back.high_gamma[inner].T, rec.high_gamma[inner].T)[:4, 4:]
    assert np.diag(corr).min() > 0.7 and (corr.argmax(axis=1) == np.arange(4)).all()
    assert _corr(back.audio[: len(rec.audio)], rec.audio[: len(back.audio)]) > 0.99
    assert np.array_equal(back.raw, rec.raw) and back.raw_rate == RAW_RATE
    assert back.metadata["subject"] == "sub-07"
    assert io.load(nwb).raw is None  # the .nwb path works too; raw is dropped by default


def test_ibids_root_with_several_subjects_needs_a_subject(tmp_path):
    io.write_ibids(_recording(seed=0), tmp_path / "bids", subject="01")
    io.write_ibids(_recording(seed=1), tmp_path / "bids", subject="02")
    assert pd.read_csv(tmp_path / "bids/participants.tsv", sep="\t")["participant_id"].tolist() == ["sub-01", "sub-02"]
    with pytest.raises(InputError, match="sub-01") as error:
        io.load(tmp_path / "bids")
    assert error.value.field == "subject"
    assert io.load(tmp_path / "bids", subject="02").metadata["subject"] == "sub-02"
    with pytest.raises(FileExistsError):
        io.write_ibids(_recording(), tmp_path / "bids", subject="01")


def test_write_ibids_needs_raw(tmp_path):
    with pytest.raises(InputError, match="raw"):
        io.write_ibids(_recording(with_raw=False), tmp_path / "bids")
    assert not (tmp_path / "bids").exists()


def test_ibids_missing_channels_tsv_is_named(tmp_path):
    io.write_ibids(_recording(), tmp_path / "bids")
    channels = next((tmp_path / "bids").rglob("*_channels.tsv"))
    channels.unlink()
    with pytest.raises(InputError, match="missing file") as error:
        io.load(tmp_path / "bids")
    assert str(channels) in str(error.value)


def test_ibids_channel_count_must_match(tmp_path):
    io.write_ibids(_recording(), tmp_path / "bids")
    channels = next((tmp_path / "bids").rglob("*_channels.tsv"))
    table = pd.read_csv(channels, sep="\t")
    table.iloc[:-1].to_csv(channels, sep="\t", index=False)
    with pytest.raises(InputError, match="one per iEEG channel") as error:
        io.describe(tmp_path / "bids")
    assert str(channels) in str(error.value)


def test_ibids_high_gamma_errors_name_the_file(tmp_path):
    nwb = io.write_ibids(_recording(), tmp_path / "bids")
    channels = next((tmp_path / "bids").rglob("*_channels.tsv"))
    pd.read_csv(channels, sep="\t").assign(status="bad").to_csv(channels, sep="\t", index=False)
    with pytest.raises(InputError, match="at least one good channel") as error:
        io.load(tmp_path / "bids")
    assert error.value.field == "acquisition/iEEG (bad)" and str(nwb) in str(error.value)


@pytest.mark.parametrize("change, field, message", [
    (lambda r: r.replace(raw=np.where(np.arange(len(r.raw))[:, None] == 50, np.nan, r.raw)),
     "acquisition/iEEG", "NaN"),
    (lambda r: r.replace(audio=r.audio[: len(r.audio) // 2]), "acquisition/Audio", "as long as the neural data"),
])
def test_ibids_bad_signals_name_file_and_field(change, field, message, tmp_path):
    nwb = io.write_ibids(_recording(), tmp_path / "bids")
    nwb.unlink()
    ibids._write_nwb(change(_recording()), nwb, "sub-01")
    with pytest.raises(InputError, match=message) as error:
        io.load(nwb)
    assert error.value.field == field and str(nwb) in str(error.value)


# ----------------------------------------------------------------------------------------- describe, cli
@pytest.mark.parametrize("fmt", WRITTEN_HERE)
def test_describe_summarises_every_format(fmt, tmp_path):
    rec = _recording()
    facts = io.describe(_write(fmt, rec, tmp_path))
    assert facts["format"] == fmt
    assert facts["n_electrodes"] == 4 and facts["bad_electrodes"] == ["G4"]
    assert facts["n_trials"] == 12 and sum(facts["trials_per_split"].values()) == 12
    assert facts["trials_per_split"] == rec.trials["split"].value_counts().reindex(
        ["train", "val", "test"], fill_value=0).to_dict()
    assert abs(facts["duration_s"] - rec.duration) < 0.02
    assert facts["frame_rate"] == 100


@pytest.mark.parametrize("fmt", WRITTEN_HERE)
def test_cli_info_prints_a_table_and_json(fmt, tmp_path, capsys):
    path = _write(fmt, _recording(), tmp_path)
    assert cli.main(["info", str(path)]) == 0
    table = capsys.readouterr().out
    assert fmt in table and "n_trials" in table
    assert cli.main(["info", str(path), "--json"]) == 0
    facts = json.loads(capsys.readouterr().out)
    assert facts["format"] == fmt and facts["n_trials"] == 12


def test_cli_info_reports_bad_input_without_a_traceback(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("hello")
    assert cli.main(["info", str(tmp_path / "notes.txt")]) == 2
    assert "notes.txt" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------- line noise
def test_a_100_hz_mains_harmonic_is_removed_with_50_hz_and_not_with_60_hz():
    """50 Hz mains puts its harmonic at 100 Hz, inside the band; its fluctuations leak into high-gamma unless
    the notch sits on the recording's own line frequency."""
    from n2s_lite.highgamma import high_gamma

    rng = np.random.default_rng(3)
    seconds = 20
    t = np.arange(seconds * RAW_RATE) / RAW_RATE
    frames = np.arange(seconds * A.FRAME_RATE) / A.FRAME_RATE
    neural_t, neural_f = (1.2 + np.sin(2 * np.pi * 0.3 * x) for x in (t, frames))
    mains_t, mains_f = (1.2 + np.sin(2 * np.pi * 0.11 * x + 1.0) for x in (t, frames))
    band = sosfiltfilt(butter(4, [70, 150], btype="bandpass", fs=RAW_RATE, output="sos"),
                       rng.standard_normal((t.size, 3)), axis=0)
    raw = band * neural_t[:, None] * np.array([1.0, 0.2, 0.2])
    raw[:, 0] += 3.0 * mains_t * np.sin(2 * np.pi * 100 * t)
    r = {}
    for line_hz in (50.0, 60.0):
        hg = high_gamma(raw, RAW_RATE, line_hz=line_hz)[:, 0]
        r[line_hz] = (_corr(hg, neural_f), _corr(hg, mains_f))
    assert r[50.0][0] > 0.8 and abs(r[50.0][1]) < 0.3, r
    assert r[60.0][1] > 0.8 and r[60.0][0] < 0.5, r


def test_ibids_line_frequency_comes_from_the_sidecar_else_50_hz_and_can_be_overridden(tmp_path):
    nwb = io.write_ibids(_recording(), tmp_path / "bids")
    rec = io.load(tmp_path / "bids")
    assert rec.task == "speaking" and io.describe(tmp_path / "bids")["task"] == "speaking"
    assert rec.metadata["line_freq_hz"] == ibids.LINE_FREQ_HZ == 50 and "default" in rec.metadata["line_freq_source"]
    sidecar = nwb.with_name(nwb.name.replace("_ieeg.nwb", "_ieeg.json"))
    sidecar.write_text(json.dumps({"PowerLineFrequency": 60, "TaskName": "wordProduction"}))
    rec = io.load(tmp_path / "bids")
    assert rec.metadata["line_freq_hz"] == 60
    assert rec.metadata["line_freq_source"] == f"{sidecar.name} (PowerLineFrequency)"
    assert io.describe(nwb)["line_freq_hz"] == 60
    overridden = io.load(nwb, line_freq=50)
    assert overridden.metadata["line_freq_hz"] == 50 and "caller" in overridden.metadata["line_freq_source"]
