"""What the neural decoders share: the training-window sampler."""
import dataclasses

import numpy as np
import pytest
import torch
from phase2_fakes import fake_recording

from n2s_lite import data
from n2s_lite.baselines.neural import LSTMCNNRegressor
from n2s_lite.decoding import NeuralDecoder, TrainingSettings, WindowSampler, train_network
from n2s_lite.errors import InputError


def _trials(n_frames: int, n_trials: int = 3, n_electrodes: int = 4) -> list:
    rng = np.random.default_rng(0)
    return [data.Trial(stimulus_id=f"s{i}", text="", start=i * n_frames,
                       hg=rng.standard_normal((n_frames, n_electrodes)), mel=rng.standard_normal((n_frames, 80)))
            for i in range(n_trials)]


def test_an_epoch_covers_about_the_training_frames_once_in_aligned_windows():
    trials = _trials(400)
    sampler = WindowSampler(trials, window=50, batch_size=4, seed=0)  # 1200 frames / 200 per batch
    batches = list(sampler(0))
    assert len(batches) == 6 and batches[0][0].shape == (4, 50, 4) and batches[0][1].shape == (4, 50, 80)
    hg_stream = np.concatenate([t.hg for t in trials]).astype(np.float32)  # the trials laid end to end
    mel_stream = np.concatenate([t.mel for t in trials]).astype(np.float32)
    for hg, mel in batches:
        for window_hg, window_mel in zip(hg.numpy(), mel.numpy()):
            start = int(np.flatnonzero((hg_stream == window_hg[0]).all(axis=1))[0])
            assert np.array_equal(window_hg, hg_stream[start:start + 50])
            assert np.array_equal(window_mel, mel_stream[start:start + 50])  # the mel of the same frames


def test_fixed_steps_per_epoch_override_the_one_pass_rule():
    assert len(list(WindowSampler(_trials(400), window=50, batch_size=4, seed=0, steps=9)(0))) == 9


def test_training_takes_the_settings_steps_per_epoch():
    trials, batches = _trials(400), []

    def loss(net, hg, mel):
        batches.append(len(hg))
        return torch.nn.functional.mse_loss(net(hg.float()), mel.float())

    settings = TrainingSettings(window=50, batch_size=2, max_epochs=2, patience=5, steps_per_epoch=3)
    train_network(torch.nn.Linear(4, 80), trials[:2], trials[2:], settings, seed=0, batch_loss=loss)
    assert batches == [2] * 6  # 2 epochs of 3 batches of 2 windows (one pass would be 8 batches an epoch)


def test_windows_are_reproducible_per_seed_and_epoch_and_differ_between_epochs():
    sampler = WindowSampler(_trials(400), window=50, batch_size=4, seed=7)
    first, again, other = list(sampler(0)), list(sampler(0)), list(sampler(1))
    assert all(torch.equal(a[0], b[0]) for a, b in zip(first, again))
    assert not torch.equal(first[0][0], other[0][0])


def test_too_little_data_for_one_window_is_a_clear_error():
    with pytest.raises(InputError, match="at least 500 frames"):
        WindowSampler(_trials(100), window=500, batch_size=4, seed=0)


def test_windows_carry_the_reference_tracks_of_the_same_frames():
    trials = [dataclasses.replace(t, tracks=np.stack([t.hg[:, 0] * 0 + 100 * i + np.arange(len(t.hg))] * 4, 1))
              for i, t in enumerate(_trials(400))]
    hg, mel, tracks = next(WindowSampler(trials, window=50, batch_size=4, seed=0, with_tracks=True)(0))
    assert tracks.shape == (4, 50, 4) and tracks.dtype == torch.float32
    stream_hg = np.concatenate([t.hg for t in trials]).astype(np.float32)
    stream_tracks = np.concatenate([t.tracks for t in trials]).astype(np.float32)
    for window in range(4):  # find each window's start by its high-gamma, then compare its tracks
        start = int(np.flatnonzero((stream_hg == hg[window, 0].numpy()).all(1))[0])
        assert np.array_equal(tracks[window].numpy(), stream_tracks[start:start + 50])
    assert len(next(WindowSampler(trials, window=50, batch_size=4, seed=0)(0))) == 2  # only when asked for


def test_windows_with_tracks_need_every_trial_to_have_them():
    trials = _trials(400)
    trials[0] = dataclasses.replace(trials[0], tracks=np.zeros((400, 4)))
    with pytest.raises(InputError, match=r"<trial 1>.*tracks.*none on 2 of 3 trials"):
        WindowSampler(trials, window=50, batch_size=4, seed=0, with_tracks=True)


def test_predicting_from_all_electrodes_when_trained_on_the_good_ones_says_to_drop_the_bad():
    rec = fake_recording(n_sentences=6, n_electrodes=4)
    rec.electrodes.loc[2, "bad"] = True
    trial = data.trial_arrays(rec, "train")[0]
    decoder = NeuralDecoder("lstm_cnn", LSTMCNNRegressor(n_electrodes=3, channels=8, hidden=8))
    assert decoder.n_electrodes == 3 and decoder.predict(trial.hg).shape == (len(trial.mel), 80)
    with pytest.raises(InputError, match=r"expected 3 columns.*rec.good_electrodes\(\).*got 4 columns"):
        decoder.predict(rec.high_gamma[trial.start: trial.start + len(trial.mel)])
