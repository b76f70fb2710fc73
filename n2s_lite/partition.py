"""Variance partitioning: which of two speech representations explains an electrode's high-gamma.

Three encoding models (`encoding.fit`) per electrode, from feature set A, from B and from A and B together,
each with its own penalty chosen on validation trials, give held-out r^2_A, r^2_B and r^2_AB (r clipped at 0
first: a negative held-out correlation explains nothing). Then (de Heer et al. 2017, Lescroart et al. 2015)

    unique_A = r^2_AB - r^2_B        what only A explains
    unique_B = r^2_AB - r^2_A        what only B explains
    shared   = r^2_A + r^2_B - r^2_AB

Estimated on finite data these can come out slightly negative (the joint model has more features to fit and
its penalty is shared by both sets); they are reported as measured.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .baselines.ridge import DEFAULT_ALPHAS
from .encoding import fit
from .lags import LagWindow
from .representations import combine


def r_squared(r: np.ndarray) -> np.ndarray:
    """Held-out r -> r^2 with negative r (and NaN) counted as 0."""
    return np.clip(np.nan_to_num(np.asarray(r, np.float64)), 0.0, None) ** 2


def partition(a: dict, b: dict, trials: dict, window: LagWindow, alphas=DEFAULT_ALPHAS) -> pd.DataFrame:
    """a, b: {'train', 'val', 'test': [(T, D) per trial]} two representations of `trials` (`encoding.fit`).
    -> one row per electrode of trials' hg: r2_a, r2_b, r2_ab, unique_a, unique_b, shared."""
    joint = {split: combine(a[split], b[split]) for split in a}
    r2 = {name: r_squared(fit(features, trials, window, alphas).r) for name, features in
          (("a", a), ("b", b), ("ab", joint))}
    return pd.DataFrame(dict(r2_a=r2["a"], r2_b=r2["b"], r2_ab=r2["ab"], unique_a=r2["ab"] - r2["b"],
                             unique_b=r2["ab"] - r2["a"], shared=r2["a"] + r2["b"] - r2["ab"]))
