import numpy as np
import pytest
import torch
from phase2_fakes import fake_splits

from n2s_lite import decoding as D
from n2s_lite.baselines import LSTMCNNRegressor, MLPRegressor, neural, train_baseline
from n2s_lite.lags import LagWindow

SETTINGS = D.TrainingSettings(window=64, batch_size=8, max_epochs=4, patience=4)
SIZES = {"mlp": dict(hidden=32), "lstm_cnn": dict(channels=12, hidden=16)}


@pytest.fixture(scope="module")
def splits():
    return fake_splits()


@pytest.mark.parametrize("network", [MLPRegressor(5, hidden=16), LSTMCNNRegressor(5, channels=8, hidden=8)])
def test_networks_map_each_frame_to_80_mel_bins(network):
    assert network(torch.randn(2, 33, 5)).shape == (2, 33, 80)


@pytest.mark.parametrize("window", [LagWindow.for_task("listening"), LagWindow.for_task("speaking"),
                                    LagWindow(-300, -100)])
def test_mlp_reads_exactly_its_lag_window(window):
    torch.manual_seed(0)
    net = MLPRegressor(3, hidden=8, lag_frames=window.frames).eval()
    hg = torch.randn(1, 100, 3)
    poked = hg.clone()
    poked[:, 50] += 1.0
    with torch.no_grad():
        changed = ((net(hg) - net(poked)).abs().amax(dim=(0, 2)) > 1e-6).numpy()
    # mel frame t reads high-gamma t + lag for lag in the window, so frame 50 reaches mel frames 50 - lag
    assert np.flatnonzero(changed).tolist() == sorted(50 - lag for lag in window.lags)


@pytest.mark.parametrize("name", ["mlp", "lstm_cnn"])
def test_training_lowers_the_validation_loss_and_predicts_every_frame(splits, name):
    decoder = train_baseline(name, splits["train"], splits["val"], SETTINGS, seed=0, **SIZES[name])
    assert decoder.history[-1]["val_loss"] < decoder.history[0]["val_loss"]
    trial = splits["test"][0]
    assert decoder.predict(trial.hg).shape == trial.mel.shape
    assert decoder.n_parameters == sum(p.numel() for p in decoder.network.parameters())


@pytest.mark.parametrize("name", ["mlp", "lstm_cnn"])
def test_same_seed_same_numbers_and_save_load(splits, name, tmp_path):
    first, second = (train_baseline(name, splits["train"], splits["val"], SETTINGS, seed=3, **SIZES[name])
                     for _ in range(2))
    hg = splits["test"][0].hg
    assert np.array_equal(first.predict(hg), second.predict(hg))
    neural.save(first, tmp_path / f"{name}.pt")
    loaded = neural.load(tmp_path / f"{name}.pt")
    assert loaded.name == name and np.array_equal(loaded.predict(hg), first.predict(hg))


def test_unknown_baseline_and_bad_trials_are_rejected(splits):
    from n2s_lite.errors import InputError

    with pytest.raises(ValueError, match="mlp"):
        train_baseline("svm", splits["train"], splits["val"], SETTINGS)
    with pytest.raises(InputError, match="trials"):
        train_baseline("mlp", [], splits["val"], SETTINGS)
    with pytest.raises(InputError, match="hg"):
        train_baseline("mlp", splits["train"], splits["val"], SETTINGS, **SIZES["mlp"]).predict(np.zeros(10))
