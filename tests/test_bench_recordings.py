"""`n2s bench --recording`: the comparison on participants' own files, listening and speaking, in every layout."""
import json

import numpy as np
import pandas as pd
import pytest
from bids_writing import write_events_recording
from phase2_fakes import write_tone_corpus

from n2s_lite import audio as A
from n2s_lite import bench, corpora, io, leakage, neuro
from n2s_lite.cli import main
from n2s_lite.corpora.corpus import sentence_key
from n2s_lite.errors import InputError
from n2s_lite.io import podcast
from n2s_lite.lags import LagWindow


def write_events_bids(rec, root, subject: str = "04"):
    """`rec` (with rec.raw, in microvolts) as a BIDS iEEG listening recording with events.tsv, the layout
    `io.bids` reads when no dataset-specific one applies: one event per trial at its start, with the trial's
    sound as stimuli/trialNNN.wav (stim_file) and its sentence (text) -> the subject's folder."""
    import mne

    names = [f"trial{i:03d}.wav" for i in range(len(rec.trials))]
    sounds = {name: rec.audio[start * A.HOP:end * A.HOP]
              for name, start, end in zip(names, rec.trials["start"], rec.trials["end"])}
    info = mne.create_info(rec.electrodes["name"].tolist(), float(rec.raw_rate), "ecog")
    info["line_freq"] = 60
    raw = mne.io.RawArray(np.asarray(rec.raw, np.float64).T * 1e-6, info, verbose="error")
    write_events_recording(root, subject, raw, rec.trials["start"].to_numpy() / A.FRAME_RATE, sounds, names,
                           text=rec.trials["text"].tolist())
    return root / f"sub-{subject}"


@pytest.fixture(scope="module")
def participants(tmp_path_factory):
    """A listening and a speaking participant (simulated, raw broadband included), written in every layout:
    {layout: (path, task)}."""
    root = tmp_path_factory.mktemp("own_data")
    _pretrain, stimuli = corpora.pretraining_and_stimuli(corpora.load(write_tone_corpus(root / "tones", 120)))
    size = dict(minutes=1.5, n_electrodes=12, with_raw=True)
    listening = neuro.simulate_listening(stimuli, seed=3, **size)
    speaking = neuro.simulate_speaking(stimuli, seed=4, **size)
    io.save(listening, root / "listening.h5")
    io.write_flinker(speaking, root / "NY001.h5")
    ibids_root = root / "ibids"
    io.write_ibids(speaking, ibids_root, subject="02")
    words = pd.DataFrame({"word": listening.trials["text"],
                          "start": listening.trials["start"] / A.FRAME_RATE,
                          "end": listening.trials["end"] / A.FRAME_RATE})
    podcast.write(listening, root / "podcast", words, subject="03")
    events_root = write_events_bids(neuro.simulate_listening(stimuli, seed=5, **size), root / "bids")
    return {"n2s-hdf5": (root / "listening.h5", "listening"), "flinker-hdf5": (root / "NY001.h5", "speaking"),
            "ibids": (ibids_root / "sub-02", "speaking"), "podcast": (root / "podcast" / "sub-03", "listening"),
            "bids-events": (events_root, "listening")}


@pytest.mark.slow
def test_bench_runs_on_each_layout_and_a_speaking_file_gets_the_speaking_window(participants, tmp_path):
    out = tmp_path / "bench.json"
    paths = [str(path) for path, _task in participants.values()]
    assert main(["bench", "--profile", "smoke", "--recording", *paths, "--methods", "transfer", "transfer_causal",
                 "ridge", "--seeds", "1", "--jobs", "1", "--out", str(out)]) == 0
    results = json.loads(out.read_text())
    assert results["corpora"]["stimuli"] is None and len(results["participants"]) == len(participants)
    for (layout, (path, task)), p in zip(participants.items(), results["participants"]):
        assert p["source"]["kind"] == "recording" and p["source"]["path"] == str(path.resolve())
        assert len(p["source"]["sha256"]) == 64 and p["task"] == task and p["task_from"] == "the recording"
        window = LagWindow.for_task(task)
        assert p["lag_window"]["frames"] == list(window.frames), layout
        assert p["lag_window"]["causal"]["frames"] == list(window.causal().frames)
        assert p["pretraining_overlap"]["checked"] == "transcripts" and p["splits"]["rule"]
        assert set(p["methods"]) == {"transfer", "transfer_causal", "ridge"}
        for method in p["methods"].values():
            means = method["seeds"]["0"]["means"]
            assert np.isfinite([means["spectrogram_r"], means["estoi"]]).all()
        assert p["data"]["trials"]["test"] >= 1 and set(p["sentence_comparisons"]) == {"transfer_causal", "ridge"}
    speaking = [p for p in results["participants"] if p["task"] == "speaking"]
    assert {p["source"]["format"] for p in speaking} == {"flinker-hdf5", "ibids"}


@pytest.mark.slow
@pytest.mark.parametrize("layout", ["flinker-hdf5", "ibids", "podcast", "bids-events"])
def test_reproduce_runs_a_participants_notebook_on_each_layout(participants, layout, tmp_path):
    """`n2s reproduce --recording` on each layout (the n2s file, with notebooks 2 and 5, is in test_reproduce):
    notebook 2 reads the file, says its task and lag window, and records the file's sha256."""
    path, task = participants[layout]
    figures = tmp_path / "figures"
    assert main(["reproduce", "--profile", "smoke", "--recording", str(path), "--figures-dir", str(figures),
                 "--executed-dir", str(tmp_path / "executed"), "--notebooks", "2"]) == 0
    saved = json.loads((figures / "results_02.json").read_text())
    assert saved["recording"]["path"] == str(path.resolve()) and len(saved["recording"]["sha256"]) == 64
    assert saved["results"]["task"] == task and saved["results"]["lags"] == LagWindow.for_task(task).to_dict()
    assert (figures / "fig02_electrode_maps.png").stat().st_size > 0


def _bench(paths, tmp_path, **options) -> dict:
    return bench.run_bench("smoke", tmp_path / "r.json", seeds=[0], methods=("ridge",), jobs=1,
                           recordings=[str(p) for p in paths], **options)


def test_task_and_lags_can_be_overridden_and_the_json_says_so(participants, tmp_path, fake_phase_1):
    path, _task = participants["flinker-hdf5"]
    (p,) = _bench([path], tmp_path, task="listening", lags=LagWindow(-200, 200))["participants"]
    assert p["task"] == "listening" and p["task_from"] == "--task"
    assert p["lag_window"]["frames"] == [-20, 20] and p["lag_window"]["chosen_by"] == "--lags"
    assert p["lag_window"]["causal"]["frames"] == [-40, 0]


def test_a_test_sentence_heard_in_pre_training_is_refused(participants, tmp_path, fake_phase_1, monkeypatch):
    path, _task = participants["n2s-hdf5"]
    rec = io.load(path)
    heard = rec.trials_in("test")["text"].iloc[0]
    monkeypatch.setattr(leakage, "pretraining_sentences", lambda corpus: frozenset({sentence_key(heard)}))
    with pytest.raises(InputError, match="phase 1 never heard") as error:
        _bench([path], tmp_path)
    assert str(path) in str(error.value) and error.value.field == "trials.text"


def test_too_little_data_is_a_clear_error_naming_the_file(participants, tmp_path, fake_phase_1):
    rec = io.load(participants["n2s-hdf5"][0])
    short = tmp_path / "short.h5"
    trials = rec.trials.copy()
    trials.loc[trials["split"] == "val", "split"] = "train"
    io.save(rec.replace(trials=trials), short)
    with pytest.raises(InputError, match="at least 1 'val'") as error:
        _bench([short], tmp_path)
    assert str(short) in str(error.value) and "0 val" in str(error.value)


def test_a_recording_on_other_clocks_is_refused_with_what_to_resample(participants, tmp_path, fake_phase_1):
    rec = io.load(participants["n2s-hdf5"][0])
    other = tmp_path / "200hz.h5"
    io.save(rec.replace(frame_rate=200.0, high_gamma=np.repeat(rec.high_gamma, 2, axis=0)), other)
    with pytest.raises(InputError, match="resample") as error:
        _bench([other], tmp_path)
    assert str(other) in str(error.value) and error.value.field == "frame_rate"


def test_unknown_methods_are_refused_before_anything_runs(tmp_path, fake_phase_1):
    with pytest.raises(ValueError, match="methods"):
        bench.run_bench("smoke", tmp_path / "r.json", methods=("transfer", "svm"))
    assert fake_phase_1 == []
