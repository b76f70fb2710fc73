"""Trial arrays and training-only normalisation (n2s_lite.data)."""
from __future__ import annotations

import numpy as np
import pytest

from n2s_lite import audio as A
from n2s_lite import data, neuro
from n2s_lite.errors import InputError
from n2s_lite.recording import Recording, electrode_table, trial_table
from test_neuro import toy_corpus


@pytest.fixture(scope="module")
def rec():
    return neuro.simulate_listening(toy_corpus(40, seed=1), minutes=1.0, n_electrodes=32, seed=0)


def _shifted_test_recording() -> Recording:
    """4 trials of 100 frames; the test trial's high-gamma is offset by +50 (so whole-session stats differ)."""
    rng = np.random.default_rng(0)
    n_frames, n_electrodes = 400, 3
    hg = rng.standard_normal((n_frames, n_electrodes)).astype(np.float32) * [1.0, 2.0, 3.0]
    hg[300:] += 50.0
    hg = hg.astype(np.float32)
    audio = 0.1 * rng.standard_normal(n_frames * A.HOP).astype(np.float32)
    trials = trial_table([0, 100, 200, 300], [100, 200, 300, 400], ["a", "b", "c", "d"],
                         ["train", "train", "val", "test"])
    electrodes = electrode_table(["E1", "E2", "E3"], np.zeros((3, 2)), bad=[False, True, False])
    return Recording(audio=audio, high_gamma=hg, electrodes=electrodes, trials=trials).validate()


def test_stats_come_from_training_frames_only():
    rec = _shifted_test_recording()
    mean, std = data.neural_stats(rec)
    train = rec.high_gamma[:200]
    np.testing.assert_allclose(mean, train.mean(axis=0), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(std, train.std(axis=0), rtol=1e-5)
    assert np.all(np.abs(mean) < 1) and np.all(rec.high_gamma.mean(axis=0) > 10)  # the whole session would leak
    test_trial, = data.trial_arrays(rec, "test")
    assert test_trial.hg.mean() > 10  # the shift stays visible instead of being normalised away
    train_hg = np.concatenate([t.hg for t in data.trial_arrays(rec, "train")])
    np.testing.assert_allclose(train_hg.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(train_hg.std(axis=0), 1, atol=1e-4)


def test_bad_electrodes_are_dropped_and_named():
    rec = _shifted_test_recording()
    trials = data.trial_arrays(rec, "train")
    assert data.good_electrode_names(rec) == ["E1", "E3"]
    assert all(t.hg.shape == (100, 2) and t.hg.dtype == np.float32 for t in trials)


def test_given_stats_are_used():
    rec = _shifted_test_recording()
    stats = (np.zeros(3, np.float32), np.ones(3, np.float32))
    trial, = data.trial_arrays(rec, "val", stats)
    np.testing.assert_allclose(trial.hg, rec.high_gamma[200:300][:, [0, 2]])


def test_trials_match_the_recording(rec):
    full_mel = rec.mel()
    good = rec.good_electrodes()
    mean, std = data.neural_stats(rec)
    for split in ("train", "val", "test"):
        trials = data.trial_arrays(rec, split)
        table = rec.trials_in(split)
        assert [t.stimulus_id for t in trials] == list(table["stimulus_id"])
        for t, (start, end) in zip(trials, zip(table["start"], table["end"])):
            assert t.mel.shape == (end - start, A.N_MELS) and t.hg.shape == (end - start, good.sum())
            np.testing.assert_allclose(t.mel, full_mel[start:end], atol=1e-3)
            np.testing.assert_allclose(t.hg, ((rec.high_gamma[start:end] - mean) / std)[:, good], atol=1e-5)


def test_no_sentence_is_in_test_and_in_training(rec):
    ids = {split: {t.stimulus_id for t in data.trial_arrays(rec, split)} for split in ("train", "val", "test")}
    assert ids["test"] and ids["train"] and ids["val"]
    assert not ids["test"] & (ids["train"] | ids["val"])
    assert not ids["val"] & ids["train"]


def test_bad_split_and_missing_training_data_are_errors(rec):
    with pytest.raises(InputError, match="split"):
        data.trial_arrays(rec, "holdout")
    no_train = rec.replace(trials=rec.trials.assign(split=np.where(rec.trials["split"] == "train", "val",
                                                                   rec.trials["split"])))
    with pytest.raises(InputError, match="train"):
        data.neural_stats(no_train)


def test_reference_tracks_follow_the_heard_speech_frame_by_frame():
    from test_formants import VOWELS_HZ, vowel

    n_frames = 400
    audio = np.zeros(n_frames * A.HOP, np.float32)
    audio[150 * A.HOP:250 * A.HOP] = vowel(VOWELS_HZ["a"], f0_hz=125.0, seconds=1.0)  # frames 150-249, in trial 1
    hg = np.random.default_rng(0).standard_normal((n_frames, 2)).astype(np.float32)
    trials = trial_table([0, 100, 200, 300], [100, 200, 300, 400], ["a", "b", "c", "d"], ["train"] * 4)
    rec = Recording(audio=audio, high_gamma=hg, electrodes=electrode_table(["E1", "E2"], np.zeros((2, 2))),
                    trials=trials).validate()
    plain = data.trial_arrays(rec, "train")
    tracked = data.with_reference_tracks(rec, plain)
    assert all(t.tracks is None for t in plain)  # the trials given are left as they were
    assert [t.tracks.shape for t in tracked] == [(100, 4)] * 4
    assert np.isnan(tracked[0].tracks[:, 0]).all() and np.isnan(tracked[3].tracks[:, 0]).all()
    f0 = np.concatenate([tracked[1].tracks[:, 0], tracked[2].tracks[:, 0]])  # frames 100-299
    voiced = np.flatnonzero(np.isfinite(f0)) + 100
    assert 145 <= voiced.min() <= 155 and 245 <= voiced.max() <= 255
    assert abs(12 * np.log2(np.nanmedian(f0) / 125.0)) < 1.0
    assert np.all(np.abs(12 * np.log2(np.nanmedian(tracked[1].tracks[60:, 1:], axis=0) / VOWELS_HZ["a"])) < 2.0)
