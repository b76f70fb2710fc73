"""n2s_lite.comparison: transfer against each baseline, sentence by sentence."""
import pandas as pd
import pytest
from scipy import stats

from n2s_lite import comparison


def _run(ids, scores) -> dict:
    return dict(stimulus_ids=list(ids), per_sentence=dict(spectrogram_r=list(scores), estoi=list(scores)))


def test_a_sentence_score_averages_its_trials_and_the_seeds():
    per_seed = {"0": _run(["b", "a", "b"], [0.2, 0.5, 0.4]), "1": _run(["a", "b", "b"], [0.7, 0.6, 0.8])}
    scores = comparison.sentence_scores(per_seed, "spectrogram_r")
    assert list(scores.index) == ["a", "b"]
    assert scores["a"] == pytest.approx(0.6) and scores["b"] == pytest.approx(0.5)  # (0.2+0.4+0.6+0.8)/4


def test_paired_counts_sentences_ahead_and_tests_the_differences():
    ids = [f"s{i:02d}" for i in range(12)]
    baseline = pd.Series([0.5] * 12, index=ids)
    reference = baseline + pd.Series([0.1, 0.2, 0.05, 0.3, 0.15, 0.12, 0.08, 0.25, 0.02, 0.18, -0.01, -0.03], index=ids)
    row = comparison.paired(reference, baseline)
    assert row["sentences"] == 12 and row["ahead"] == 10
    assert row["mean_difference"] == pytest.approx((reference - baseline).mean())
    assert row["median_difference"] == pytest.approx(0.11)
    assert row["wilcoxon_p"] == pytest.approx(stats.wilcoxon(reference - baseline).pvalue) and row["wilcoxon_p"] < 0.01
    assert comparison.paired(baseline, baseline)["wilcoxon_p"] == 1.0  # no difference at all: nothing to test


def test_methods_scored_on_different_sentences_are_refused():
    with pytest.raises(ValueError, match="different sentences"):
        comparison.paired(pd.Series([0.1, 0.2], index=["a", "b"]), pd.Series([0.1, 0.2], index=["a", "c"]))


def test_by_sentence_compares_transfer_with_every_other_method_and_prints_a_row_each():
    ids = ["a", "b", "c", "d", "e", "f"]
    methods = {"transfer": dict(seeds={"0": _run(ids, [0.6, 0.7, 0.5, 0.8, 0.6, 0.4])}),
               "ridge": dict(seeds={"0": _run(ids, [0.5, 0.6, 0.6, 0.7, 0.5, 0.3])})}
    comparisons = comparison.by_sentence(methods)
    assert set(comparisons) == {"ridge"} and set(comparisons["ridge"]) == {"spectrogram_r", "estoi"}
    assert comparisons["ridge"]["estoi"]["ahead"] == 5
    table = comparison.markdown(comparisons).splitlines()
    assert table[0] == comparison.HEADING
    assert f"| ridge | estoi | 5 / 6 | +0.067 | +0.100 | {comparisons['ridge']['estoi']['wilcoxon_p']:.2g} |" in table
    assert comparison.by_sentence({"ridge": methods["ridge"]}) == {}  # nothing to compare transfer with
