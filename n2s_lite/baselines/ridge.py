"""Time-lagged ridge regression, closed form: the linear decoding baseline and the encoding models.

Features at frame t are the input at frames t + lag for every lag; inputs are centred on their training
mean first and padded with zeros (that mean) beyond a trial's ends, so trials never mix. Decoding the spectrogram
reads the lag window of the recording's task (`lags.LagWindow`: listening -10..+30 frames, since the neural
response follows the sound by up to 300 ms); an encoding model reverses it (listening -30..0: the response at t
depends on the sound up to 300 ms before).
Features are centred and scaled with the training data; the penalty `alpha` is chosen on validation trials
from one eigendecomposition of the lagged covariance, so trying many alphas is cheap.
"""
from __future__ import annotations

import warnings

import numpy as np

from ..errors import InputError
from ..lags import LagWindow
from ..metrics import column_correlations

DEFAULT_ALPHAS = tuple(np.logspace(0, 7, 15))


def lagged(x: np.ndarray, lags) -> np.ndarray:
    """(T, D) -> (T, D * len(lags)) float32, block k holding x[t + lags[k]] (zeros beyond the trial's ends)."""
    x = np.asarray(x, np.float32)
    n, d = x.shape
    out = np.zeros((n, d * len(lags)), dtype=np.float32)
    for k, lag in enumerate(lags):
        lo, hi = max(0, -lag), min(n, n - lag)
        if hi > lo:
            out[lo:hi, k * d:(k + 1) * d] = x[lo + lag:hi + lag]
    return out


def _blocks(xs, ys, lags, rows: int = 8192):
    """Lagged inputs and outputs of consecutive trials stacked into blocks of about `rows` frames."""
    features, outputs, size = [], [], 0
    for x, y in zip(xs, ys):
        features.append(lagged(x, lags))
        outputs.append(np.asarray(y, np.float32))
        size += len(y)
        if size >= rows:
            yield np.concatenate(features), np.concatenate(outputs)
            features, outputs, size = [], [], 0
    if features:
        yield np.concatenate(features), np.concatenate(outputs)


class LaggedRidge:
    """Ridge regression from lagged inputs (T, D) to outputs (T, K), fitted trial by trial.

    After `fit`: alpha_ (float, or (K,) array with per_output_alpha), coef_ (D * L, K), intercept_ (K,),
    val_scores_ (n_alphas, K): mean over validation trials of the Pearson r of each output column.
    """

    def __init__(self, lags, alphas=DEFAULT_ALPHAS):
        self.lags = tuple(int(l) for l in lags)
        self.alphas = np.asarray(alphas, dtype=np.float64)
        if not self.lags or self.alphas.size == 0 or np.any(self.alphas < 0):
            raise ValueError("need at least one lag and non-negative alphas")

    def fit_arrays(self, xs, ys, val_xs, val_ys, per_output_alpha: bool = False) -> "LaggedRidge":
        """Fit on lists of (T_i, D) inputs and (T_i, K) outputs; choose alpha(s) by validation correlation."""
        self.input_mean_ = np.mean(np.concatenate(xs), axis=0, dtype=np.float64).astype(np.float32)
        mean_x, scale_x, mean_y, xtx, xty = self._moments(xs, ys)
        eigvals, eigvecs = np.linalg.eigh(xtx)
        projected = eigvecs.T @ xty
        weights = [eigvecs @ (projected / (np.maximum(eigvals, 0.0) + a)[:, None]) for a in self.alphas]
        self.val_scores_ = self._validation_scores(weights, (mean_x, scale_x), val_xs, val_ys)
        scores = np.nan_to_num(self.val_scores_, nan=-np.inf)
        if per_output_alpha:
            best = np.argmax(scores, axis=0)
            chosen = np.stack([weights[b][:, k] for k, b in enumerate(best)], axis=1)
            self.alpha_ = self.alphas[best]
        else:
            # outputs constant in every validation trial (e.g. mel bins above a band-limited recording's
            # bandwidth) have no correlation: they must not make every alpha score -inf
            scored = np.isfinite(self.val_scores_).all(axis=0)
            best = int(np.argmax(scores[:, scored].mean(axis=1))) if scored.any() else 0
            chosen, self.alpha_ = weights[best], float(self.alphas[best])
        self.coef_ = chosen / scale_x[:, None]
        self.intercept_ = mean_y - mean_x @ self.coef_
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        """(T, D) input of one trial -> (T, K) float32 prediction."""
        if not hasattr(self, "coef_"):
            raise RuntimeError("fit the model before predicting")
        x = np.asarray(x)
        if x.ndim != 2 or x.shape[1] != len(self.input_mean_):
            raise InputError("<input>", "x", f"a (T, {len(self.input_mean_)}) array, the columns it was fitted on "
                             "(for high-gamma: the good electrodes, z-scored as `data.trial_arrays` does)",
                             f"shape {x.shape}")
        return (lagged(x - self.input_mean_, self.lags) @ self.coef_ + self.intercept_).astype(np.float32)

    @property
    def n_parameters(self) -> int:
        return int(self.coef_.size + self.intercept_.size)

    def _moments(self, xs, ys):
        """Training means, feature scales, and standardised X'X (P, P) and X'Y (P, K) (float64 sums)."""
        if not xs or len(xs) != len(ys):
            raise ValueError("need the same, non-zero number of input and output trials")
        n, sum_x, sum_y, xtx, xty = 0, 0.0, 0.0, 0.0, 0.0
        for features, y in _blocks([x - self.input_mean_ for x in xs], ys, self.lags):
            n += len(y)
            sum_x, sum_y = sum_x + features.sum(axis=0, dtype=np.float64), sum_y + y.sum(axis=0, dtype=np.float64)
            xtx, xty = xtx + (features.T @ features).astype(np.float64), xty + (features.T @ y).astype(np.float64)
        mean_x, mean_y = sum_x / n, sum_y / n
        xtx = xtx - n * np.outer(mean_x, mean_x)
        xty = xty - n * np.outer(mean_x, mean_y)
        scale_x = np.sqrt(np.maximum(np.diag(xtx) / n, 1e-12))
        return mean_x, scale_x, mean_y, xtx / np.outer(scale_x, scale_x), xty / scale_x[:, None]

    def _validation_scores(self, weights, standardisation, val_xs, val_ys) -> np.ndarray:
        """(n_alphas, K) mean over validation trials of each output's Pearson r, for each alpha's weights."""
        mean_x, scale_x = standardisation
        stacked = np.concatenate(weights, axis=1)  # (P, n_alphas * K): one product per trial
        per_trial = []
        for x, y in zip(val_xs, val_ys):
            prediction = ((lagged(x - self.input_mean_, self.lags) - mean_x) / scale_x) @ stacked
            y = np.asarray(y, np.float64)
            per_trial.append(column_correlations(np.tile(y, len(weights)), prediction).reshape(len(weights), -1))
        if not per_trial:
            return np.zeros((len(weights), weights[0].shape[1]))
        with warnings.catch_warnings():  # an output constant in every trial: NaN, without a warning
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmean(np.array(per_trial), axis=0)


class RidgeDecoder(LaggedRidge):
    """Linear spectrogram decoder: high-gamma (T, E) at frames t + lags -> log-mel (T, 80) at frame t.

    lags: frame offsets, default the listening window's (-10..+30; `lags.LagWindow.for_task(task).lags`).
    The penalty is the one with the best mean validation spectrogram correlation (per sentence, per bin).
    """

    def __init__(self, lags=LagWindow.for_task("listening").lags, alphas=DEFAULT_ALPHAS):
        super().__init__(lags, alphas)

    def fit(self, train_trials, val_trials) -> "RidgeDecoder":
        """Fit on `data.Trial`s (fields hg, mel); alpha chosen on val_trials."""
        return self.fit_arrays([t.hg for t in train_trials], [t.mel for t in train_trials],
                               [t.hg for t in val_trials], [t.mel for t in val_trials])
