"""Time-lagged closed-form ridge (n2s_lite.baselines.ridge)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from n2s_lite import metrics
from n2s_lite.baselines import RidgeDecoder
from n2s_lite.baselines.ridge import LaggedRidge, lagged
from n2s_lite.data import Trial
from n2s_lite.errors import InputError


def test_lagged_pads_trial_edges_with_zeros():
    x = np.arange(1, 11, dtype=np.float32).reshape(5, 2)
    features = lagged(x, [-1, 0, 2])
    assert features.shape == (5, 6)
    np.testing.assert_array_equal(features[0], [0, 0, 1, 2, 5, 6])  # no frame before the trial
    np.testing.assert_array_equal(features[4], [7, 8, 9, 10, 0, 0])  # no frame after it
    np.testing.assert_array_equal(features[2, 4:], x[4])


def _linear_trials(rng, weights, lags, n_trials, noise=0.01, offset=3.0):
    """Trials whose outputs are an exact lagged linear map of the inputs (plus a little noise)."""
    xs, ys = [], []
    for _ in range(n_trials):
        x = rng.standard_normal((int(rng.integers(80, 120)), weights.shape[0] // len(lags))).astype(np.float32)
        xs.append(x)
        ys.append(lagged(x, lags) @ weights + offset + noise * rng.standard_normal((len(x), weights.shape[1])))
    return xs, ys


def test_ridge_recovers_a_known_lagged_linear_map():
    rng = np.random.default_rng(0)
    lags = (0, 1, 2, 3)
    weights = rng.standard_normal((3 * len(lags), 2))
    xs, ys = _linear_trials(rng, weights, lags, 40)
    val_xs, val_ys = _linear_trials(rng, weights, lags, 5)
    model = LaggedRidge(lags=lags, alphas=np.logspace(-3, 3, 7)).fit_arrays(xs, ys, val_xs, val_ys)
    np.testing.assert_allclose(model.coef_, weights, atol=0.02)
    np.testing.assert_allclose(model.intercept_, 3.0, atol=0.02)
    x_new, y_new = _linear_trials(rng, weights, lags, 1, noise=0.0)
    np.testing.assert_allclose(model.predict(x_new[0]), y_new[0], atol=0.05)


def _needs_shrinkage():
    """Few noisy training frames and many features, where only lag 0 matters -> rng (to draw more trials
    of the same map), lags, weights, training and validation trials."""
    rng = np.random.default_rng(1)
    lags = tuple(range(10))
    weights = np.zeros((8 * len(lags), 1))
    weights[:8, 0] = 1.0
    xs, ys = _linear_trials(rng, weights, lags, 2, noise=3.0)
    val_xs, val_ys = _linear_trials(rng, weights, lags, 20, noise=3.0)
    return rng, lags, weights, xs, ys, val_xs, val_ys


def test_alpha_is_chosen_on_validation():
    """Few noisy training frames and many features: validation must pick strong shrinkage."""
    rng, lags, weights, xs, ys, val_xs, val_ys = _needs_shrinkage()
    alphas = np.logspace(-4, 4, 9)
    model = LaggedRidge(lags=lags, alphas=alphas).fit_arrays(xs, ys, val_xs, val_ys)
    assert model.val_scores_.shape == (9, 1)
    assert model.alpha_ == alphas[np.argmax(model.val_scores_.mean(axis=1))]
    assert model.alpha_ > alphas[0]
    weakest = LaggedRidge(lags=lags, alphas=alphas[:1]).fit_arrays(xs, ys, val_xs, val_ys)
    test_xs, test_ys = _linear_trials(rng, weights, lags, 20, noise=3.0)
    r_chosen = np.mean([np.corrcoef(model.predict(x)[:, 0], y[:, 0])[0, 1] for x, y in zip(test_xs, test_ys)])
    r_weakest = np.mean([np.corrcoef(weakest.predict(x)[:, 0], y[:, 0])[0, 1] for x, y in zip(test_xs, test_ys)])
    assert r_chosen > r_weakest


def test_constant_output_does_not_decide_the_alpha():
    """An output constant in every validation trial (a mel bin above the audio's bandwidth) has no
    correlation; alpha is chosen on the others, silently, as without it."""
    _rng, lags, _weights, xs, ys, val_xs, val_ys = _needs_shrinkage()
    alphas = np.logspace(-4, 4, 9)
    alone = LaggedRidge(lags=lags, alphas=alphas).fit_arrays(xs, ys, val_xs, val_ys)
    with_floor = [np.hstack([y, np.full_like(y, -50.0)]) for y in ys]
    val_with_floor = [np.hstack([y, np.full_like(y, -50.0)]) for y in val_ys]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = LaggedRidge(lags=lags, alphas=alphas).fit_arrays(xs, with_floor, val_xs, val_with_floor)
    assert np.isnan(model.val_scores_[:, 1]).all()
    assert model.alpha_ == alone.alpha_ > alphas[0]
    assert np.allclose(model.predict(val_xs[0])[:, 1], -50.0, atol=1e-3)


def test_per_output_alphas():
    rng = np.random.default_rng(2)
    lags = tuple(range(6))
    weights = np.zeros((6 * len(lags), 2))
    weights[:6] = 1.0
    xs, ys = _linear_trials(rng, weights, lags, 3, noise=0.0)
    ys = [y + np.stack([0.01 * rng.standard_normal(len(y)), 30 * rng.standard_normal(len(y))], 1) for y in ys]
    val_xs, val_ys = _linear_trials(rng, weights, lags, 10, noise=1.0)
    model = LaggedRidge(lags=lags, alphas=np.logspace(-4, 5, 10)).fit_arrays(xs, ys, val_xs, val_ys,
                                                                          per_output_alpha=True)
    assert model.alpha_.shape == (2,) and model.alpha_[1] > model.alpha_[0]  # the noisy output is shrunk more


def test_ridge_decoder_on_trials():
    rng = np.random.default_rng(3)
    mixing = rng.standard_normal((6, 80))

    def trial(i):
        hg = rng.standard_normal((150, 6)).astype(np.float32)
        mel = np.roll(hg, -2, axis=0) @ mixing - 30.0  # mel at t is read out from hg at t + 2
        return Trial(hg=hg, mel=mel.astype(np.float32), text=f"t{i}", stimulus_id=f"s{i}", start=0)

    decoder = RidgeDecoder(lags=range(0, 4), alphas=np.logspace(-2, 4, 7)).fit(
        [trial(i) for i in range(20)], [trial(i) for i in range(20, 24)])
    test = trial(99)
    prediction = decoder.predict(test.hg)
    assert prediction.shape == (150, 80) and prediction.dtype == np.float32
    assert metrics.spectrogram_correlation(test.mel[:-2], prediction[:-2]) > 0.99
    assert decoder.n_parameters == 6 * 4 * 80 + 80
    assert isinstance(decoder.alpha_, float)
    with pytest.raises(InputError, match=r"a \(T, 6\) array.*got shape \(150, 8\)"):
        decoder.predict(np.zeros((150, 8), np.float32))  # two more columns, e.g. the bad electrodes kept


def test_predict_before_fit_and_bad_settings():
    with pytest.raises(RuntimeError):
        RidgeDecoder().predict(np.zeros((10, 4)))
    with pytest.raises(ValueError):
        LaggedRidge(lags=(), alphas=[1.0])
