"""Encoding models: how well a speech representation predicts each electrode's high-gamma.

A time-lagged ridge (`baselines.LaggedRidge`) per electrode maps a representation of the sound
(`representations`: log-mel, the phase-1 latent, synthesizer controls, a self-supervised model's layers) to
z-scored high-gamma, as in STRF studies of STG (Mesgarani 2014, Hamilton 2018). Encoding reverses the
decoding direction of the same lag window (`lags.LagWindow.for_task`): a decoder reads high-gamma at t + lag
to reconstruct the sound at t, so the encoding model predicts high-gamma at t from the sound at t - lag.
Listening, the response follows the sound; speaking, cortex leads the sound, so the model reads sound that is
produced after t. The penalty is chosen per electrode on validation trials; the score is Pearson r over all
frames of the test trials, one value per electrode.

Noise ceiling, what any model could reach on the same frames: for a simulated recording, the correlation of
the noiseless response with the recorded one; for a recording whose test sentences were presented more than
once, sqrt of the correlation between two presentations (the correlation a noiseless signal would have with
one presentation, if the noise of the two is independent and equal); otherwise none.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .baselines.ridge import DEFAULT_ALPHAS, LaggedRidge
from .lags import LagWindow
from .metrics import column_correlations


def encoding_lags(window: LagWindow) -> tuple[int, ...]:
    """The ridge's lags of an encoding model: high-gamma at t from features at t + lag, lag = -(decoding lag)."""
    return tuple(-lag for lag in reversed(window.lags))


@dataclass
class EncodingFit:
    """A fitted encoding model and its held-out score. r: (E,) Pearson r per electrode over the test frames;
    predicted: (T, E) per test trial; window: the lag window it read."""

    model: LaggedRidge
    r: np.ndarray
    predicted: list
    window: LagWindow


def fit(features: dict, trials: dict, window: LagWindow, alphas=DEFAULT_ALPHAS) -> EncodingFit:
    """Ridge from features to high-gamma. features: {'train', 'val', 'test': [(T, D) per trial]} on the frames
    of trials (the `data.split_trials` dict, hg (T, E) z-scored); penalty per electrode on 'val', r on 'test'."""
    for split in ("train", "val", "test"):
        if len(features[split]) != len(trials[split]) or any(
                len(x) != len(t.hg) for x, t in zip(features[split], trials[split])):
            raise ValueError(f"features of the {split} trials must have one (T, D) array per trial, on its frames")
    model = LaggedRidge(lags=encoding_lags(window), alphas=alphas).fit_arrays(
        features["train"], [t.hg for t in trials["train"]], features["val"], [t.hg for t in trials["val"]],
        per_output_alpha=True)
    predicted = [model.predict(x) for x in features["test"]]
    return EncodingFit(model, correlations(trials["test"], predicted), predicted, window)


def correlations(trials: list, predicted: list) -> np.ndarray:
    """(E,) Pearson r of each electrode between the trials' high-gamma and predictions, over all their frames."""
    return column_correlations(np.concatenate([t.hg for t in trials]).astype(np.float64),
                               np.concatenate(predicted).astype(np.float64))


def repeat_ceiling(trials: list) -> np.ndarray | None:
    """(E,) noise ceiling from repeated presentations: sqrt of the r (clipped at 0) between the first two
    presentations of each stimulus heard at least twice, over all their frames; None if none repeats."""
    first, second, seen = [], [], {}
    for t in trials:
        if t.stimulus_id in seen and seen[t.stimulus_id] is not None:
            other = seen[t.stimulus_id]
            n = min(len(other.hg), len(t.hg))
            first.append(other.hg[:n])
            second.append(t.hg[:n])
            seen[t.stimulus_id] = None
        elif t.stimulus_id not in seen:
            seen[t.stimulus_id] = t
    if not first:
        return None
    r = column_correlations(np.concatenate(first).astype(np.float64), np.concatenate(second).astype(np.float64))
    return np.sqrt(np.clip(np.nan_to_num(r), 0.0, None))


def simulated_ceiling(rec, trials: list) -> np.ndarray | None:
    """(E,) r of the simulator's noiseless response with the recorded one over the trials' frames (good
    electrodes, `rec.ground_truth['clean_response']`); None for a recording without ground truth."""
    if "clean_response" not in rec.ground_truth:
        return None
    good = rec.good_electrodes()
    clean = np.concatenate([rec.ground_truth["clean_response"][t.start:t.start + len(t.hg)][:, good] for t in trials])
    return np.nan_to_num(column_correlations(clean.astype(np.float64),
                                             np.concatenate([t.hg for t in trials]).astype(np.float64)))


def electrode_table(rec, result: EncodingFit, trials: dict) -> pd.DataFrame:
    """One row per electrode: name, x, y, bad, r (held-out), alpha, r_ceiling (NaN without one) and
    ceiling_kind ('simulated', 'repeats' or None); with simulator ground truth also response_type and
    responsive. Bad electrodes get NaN."""
    good = rec.good_electrodes()
    table = rec.electrodes[["name", "x", "y", "bad"]].copy()
    table["r"], table["alpha"], table["r_ceiling"] = np.nan, np.nan, np.nan
    table.loc[good, "r"] = result.r
    table.loc[good, "alpha"] = result.model.alpha_
    ceiling, kind = simulated_ceiling(rec, trials["test"]), "simulated"
    if ceiling is None:
        ceiling, kind = repeat_ceiling(trials["test"]), "repeats"
    if ceiling is not None:
        table.loc[good, "r_ceiling"] = ceiling
    table.attrs.update(ceiling_kind=kind if ceiling is not None else None, lags=result.window.to_dict())
    if "type_code" in rec.ground_truth:
        from .neuro.simulate import tuning_table

        truth = tuning_table(rec)
        table["response_type"] = truth["response_type"]
        table["responsive"] = truth["type_code"].to_numpy() > 0
    return table


def encoding_correlations(rec, lags_ms: tuple[float, float] = (0, 300), alphas=DEFAULT_ALPHAS) -> pd.DataFrame:
    """`electrode_table` of the log-mel encoding model, high-gamma at t from the mel over t - lags_ms[1] ..
    t - lags_ms[0] (the simulator's calibration and notebook 2 use it)."""
    from .data import split_trials
    from .representations import by_split, mel

    trials = split_trials(rec)
    return electrode_table(rec, fit(by_split(mel, trials), trials, LagWindow(*lags_ms), alphas), trials)


def compare(rec, features: dict, trials: dict, window: LagWindow | None = None, alphas=DEFAULT_ALPHAS,
            progress: bool = False) -> pd.DataFrame:
    """Encoding models of several representations ({name: {split: [(T, D)]}}, `representations.catalogue`) on
    one recording: `electrode_table`'s rows for each, with a 'representation' column (window: the task's)."""
    from tqdm.auto import tqdm

    window = window or LagWindow.for_task(rec.task)
    tables = []
    for name, split_features in tqdm(features.items(), desc="encoding models", leave=False, disable=not progress):
        table = electrode_table(rec, fit(split_features, trials, window, alphas), trials)
        tables.append(table.assign(representation=name))
    out = pd.concat(tables, ignore_index=True)
    out.attrs.update(tables[0].attrs)
    return out
