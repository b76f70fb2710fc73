"""Transfer against each baseline sentence by sentence: is a difference of means consistent across sentences?

The targets (`n2s_lite.targets`) compare across-seed means, so one method can lead on average while the
other is ahead on most sentences. Here each method gets one score per distinct test sentence (the mean over
that sentence's trials and over the training seeds), and each pair of methods is compared on the same
sentences: on how many transfer is ahead, the mean and median difference, and the two-sided Wilcoxon
signed-rank test of the paired differences (scipy). For the targets' 8 comparisons (ridge, MLP, LSTM-CNN
and scratch, each on 2 metrics) a Bonferroni threshold of 0.05 / 8 = 0.006 keeps the family's false alarms at 5 %.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

MARGIN_METRICS = ("spectrogram_r", "estoi")  # what transfer is compared with every other method on

REFERENCE = "transfer"
HEADING = (f"Sentence by sentence (`n2s_lite.comparison`): each method's score per distinct test sentence, "
           f"averaged over its trials and the training seeds; {REFERENCE} minus the baseline, with the two-sided "
           "Wilcoxon signed-rank p of the paired differences.")


def sentence_scores(per_seed: dict, metric: str) -> pd.Series:
    """One method's score per distinct test sentence.

    per_seed: {seed: run} as in a bench JSON's `methods[name]["seeds"]`, each run with `stimulus_ids` (n_trials,)
    and `per_sentence[metric]` (n_trials,). Returns a Series indexed by stimulus id, sorted: the mean over the
    sentence's trials and the seeds."""
    frames = [pd.DataFrame({"stimulus_id": run["stimulus_ids"], "score": run["per_sentence"][metric]})
              for run in per_seed.values()]
    return pd.concat(frames).groupby("stimulus_id")["score"].mean().sort_index()


def paired(reference: pd.Series, baseline: pd.Series) -> dict:
    """Compare two methods' `sentence_scores` on the same sentences (reference minus baseline).

    Returns {sentences, ahead (sentences where reference scores higher), mean_difference, median_difference,
    wilcoxon_p}. Raises ValueError if the two were scored on different sentences."""
    if not reference.index.equals(baseline.index):
        raise ValueError(f"comparison.paired: the two methods were scored on different sentences "
                         f"({len(reference)} and {len(baseline)}; expected the same test sentences)")
    difference = (reference - baseline).to_numpy()
    p = stats.wilcoxon(difference).pvalue if np.any(difference != 0) else 1.0
    return dict(sentences=len(difference), ahead=int(np.sum(difference > 0)),
                mean_difference=float(difference.mean()), median_difference=float(np.median(difference)),
                wilcoxon_p=float(p))


def by_sentence(methods: dict, metrics=MARGIN_METRICS) -> dict:
    """{baseline: {metric: paired(...)}} of REFERENCE against every other method.

    methods: a bench JSON's `methods` ({name: {"seeds": {seed: run}, ...}}). Empty without REFERENCE."""
    if REFERENCE not in methods:
        return {}
    scores = {name: {metric: sentence_scores(method["seeds"], metric) for metric in metrics}
              for name, method in methods.items()}
    return {name: {metric: paired(scores[REFERENCE][metric], scores[name][metric]) for metric in metrics}
            for name in methods if name != REFERENCE}


def markdown(comparisons: dict) -> str:
    """`HEADING`, a blank line, then one row per (baseline, metric) of `by_sentence`'s result."""
    lines = [HEADING, "", f"| {REFERENCE} vs | metric | sentences {REFERENCE} is ahead | mean difference | "
             "median difference | Wilcoxon p |", "|---|---|---|---|---|---|"]
    for name, per_metric in comparisons.items():
        for metric, row in per_metric.items():
            lines.append(f"| {name} | {metric} | {row['ahead']} / {row['sentences']} | {row['mean_difference']:+.3f} "
                         f"| {row['median_difference']:+.3f} | {row['wilcoxon_p']:.2g} |")
    return "\n".join(lines)
