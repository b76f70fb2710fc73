"""What the neural decoders share: the training-window sampler."""
import numpy as np
import pytest
import torch

from n2s_lite import data
from n2s_lite.decoding import TrainingSettings, WindowSampler, train_network
from n2s_lite.errors import InputError


def _trials(n_frames: int, n_trials: int = 3, n_electrodes: int = 4) -> list:
    rng = np.random.default_rng(0)
    return [data.Trial(stimulus_id=f"s{i}", text="", start=i * n_frames,
                       hg=rng.standard_normal((n_frames, n_electrodes)), mel=rng.standard_normal((n_frames, 80)))
            for i in range(n_trials)]


def test_an_epoch_covers_about_the_training_frames_once():
    sampler = WindowSampler(_trials(400), window=50, batch_size=4, seed=0)  # 1200 frames / 200 per batch
    batches = list(sampler(0))
    assert len(batches) == 6 and batches[0][0].shape == (4, 50, 4) and batches[0][1].shape == (4, 50, 80)


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
