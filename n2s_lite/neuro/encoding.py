"""Encoding models: how well the log-mel spectrogram predicts each electrode's high-gamma.

A time-lagged ridge (`baselines.LaggedRidge`) per electrode maps the 80-bin log-mel over the preceding
`lags_ms` to high-gamma, the penalty chosen per electrode on validation sentences, scored on the test
sentences (Pearson r over all test-trial frames), as in STRF studies of STG (Mesgarani 2014,
Hamilton 2018). For simulated recordings the noise ceiling, the correlation of the noiseless response with
the recorded one on the same frames, bounds what any model could reach.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import audio as A
from .. import data
from ..baselines.ridge import DEFAULT_ALPHAS, LaggedRidge
from ..metrics import column_correlations


def encoding_correlations(rec, lags_ms: tuple[float, float] = (0, 300), alphas=DEFAULT_ALPHAS) -> pd.DataFrame:
    """One row per electrode: name, x, y, bad, r (held-out), alpha, and with simulator ground truth
    r_ceiling, response_type and responsive. Bad electrodes get NaN.
    """
    stats = data.neural_stats(rec)
    train, val, test = (data.trial_arrays(rec, split, stats) for split in ("train", "val", "test"))
    first, last = (int(round(ms * A.FRAME_RATE / 1000.0)) for ms in lags_ms)
    model = LaggedRidge(lags=range(-last, -first + 1), alphas=alphas).fit_arrays(
        [t.mel for t in train], [t.hg for t in train], [t.mel for t in val], [t.hg for t in val],
        per_output_alpha=True)
    recorded = np.concatenate([t.hg for t in test])
    predicted = np.concatenate([model.predict(t.mel) for t in test])

    good = rec.good_electrodes()
    table = rec.electrodes[["name", "x", "y", "bad"]].copy()
    table["r"], table["alpha"] = np.nan, np.nan
    table.loc[good, "r"] = column_correlations(recorded.astype(np.float64), predicted.astype(np.float64))
    table.loc[good, "alpha"] = model.alpha_
    if "clean_response" in rec.ground_truth:
        clean = np.concatenate([rec.ground_truth["clean_response"][t.start:t.start + len(t.hg)] for t in test])
        table["r_ceiling"] = np.nan
        table.loc[good, "r_ceiling"] = np.nan_to_num(column_correlations(clean[:, good].astype(np.float64),
                                                                      recorded.astype(np.float64)))
    if "type_code" in rec.ground_truth:
        from .simulate import tuning_table

        truth = tuning_table(rec)
        table["response_type"] = truth["response_type"]
        table["responsive"] = truth["type_code"].to_numpy() > 0
    return table
