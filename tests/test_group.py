"""n2s_lite.group on hand-made bench JSONs whose differences between methods are known."""
import json

import numpy as np
import pytest
from scipy import stats

from n2s_lite import group
from n2s_lite.cli import main
from n2s_lite.errors import InputError

# per participant: transfer's and ridge's spectrogram r, and their mel cepstral distortions (lower is better)
TRANSFER_R = [0.62, 0.55, 0.70, 0.58, 0.66, 0.61]
RIDGE_R = [0.52, 0.57, 0.60, 0.48, 0.51, 0.60]  # transfer ahead on 5 of 6 (participant 1 behind)
TRANSFER_MCD = [3.1, 3.4, 2.9, 3.3, 3.0, 3.5]
RIDGE_MCD = [3.5, 3.3, 3.6, 3.9, 3.2, 3.6]  # transfer lower, i.e. ahead, on 5 of 6 (participant 1 behind)


def bench(values: dict, profile="smoke", ceiling=0.9) -> dict:
    """A bench JSON's shape: methods -> across_seeds -> metric -> {mean, std, n}; ceilings -> metric -> stats."""
    return dict(profile=profile, seeds=[0],
                methods={method: dict(seeds={}, across_seeds=dict(
                    {metric: dict(mean=value, std=0.0, n=1) for metric, value in per_metric.items()},
                    neural_vocoder=dict(estoi=dict(mean=0.1, std=0.0, n=1)), n_parameters=10, train_seconds=1.0))
                    for method, per_metric in values.items()},
                ceilings=dict(autoencoder=dict(spectrogram_r=dict(mean=ceiling, n=3)),
                              griffin_lim=dict(spectrogram_r=dict(mean=1.0, n=3))))


def participant(i: int) -> dict:
    return bench(dict(transfer=dict(spectrogram_r=TRANSFER_R[i], mcd_db=TRANSFER_MCD[i]),
                      ridge=dict(spectrogram_r=RIDGE_R[i], mcd_db=RIDGE_MCD[i])), ceiling=0.85 + 0.01 * i)


@pytest.fixture
def cohort_files(tmp_path):
    paths = []
    for i in range(len(TRANSFER_R)):
        paths.append(tmp_path / f"p{i}.json")
        paths[-1].write_text(json.dumps(participant(i)))
    return paths


def test_paired_differences_counts_and_wilcoxon_p_across_participants(cohort_files):
    table = group.group_table(cohort_files)
    assert table["participants"] == [f"p{i}" for i in range(6)] and table["methods"] == ["transfer", "ridge"]
    r = table["comparisons"]["ridge"]["spectrogram_r"]
    expected = np.subtract(TRANSFER_R, RIDGE_R)
    assert r["ahead"] == 5 and r["participants"] == 6
    assert list(r["differences"].values()) == pytest.approx(expected)
    assert r["mean_difference"] == pytest.approx(expected.mean())
    assert r["median_difference"] == pytest.approx(np.median(expected))
    assert r["wilcoxon_p"] == pytest.approx(stats.wilcoxon(TRANSFER_R, RIDGE_R).pvalue)
    mcd = table["comparisons"]["ridge"]["mcd_db"]  # oriented: positive = transfer's distortion is lower
    assert mcd["ahead"] == 5 and mcd["differences"]["p0"] == pytest.approx(RIDGE_MCD[0] - TRANSFER_MCD[0])
    assert mcd["wilcoxon_p"] == pytest.approx(stats.wilcoxon(TRANSFER_MCD, RIDGE_MCD).pvalue)
    assert table["lower_is_better"] == ["mcd_db"]


def test_summary_is_the_spread_over_participants(cohort_files):
    table = group.group_table(cohort_files)
    s = table["summary"]["transfer"]["spectrogram_r"]
    assert s["mean"] == pytest.approx(np.mean(TRANSFER_R)) and s["std"] == pytest.approx(np.std(TRANSFER_R, ddof=1))
    assert (s["min"], s["max"], s["n"]) == (min(TRANSFER_R), max(TRANSFER_R), 6)
    assert set(table["summary"]["ridge"]) == {"spectrogram_r", "mcd_db"}  # neural_vocoder etc. are not metrics
    assert table["ceilings"]["autoencoder"]["spectrogram_r"]["p2"] == pytest.approx(0.87)
    assert table["sources"]["p3"] == str(cohort_files[3])


def test_a_smallest_possible_p_with_two_participants_all_ahead(tmp_path):
    paths = []
    for i in range(2):  # transfer ahead on both: the exact two-sided p is 2 / 2**2
        paths.append(tmp_path / f"q{i}.json")
        paths[-1].write_text(json.dumps(bench(dict(transfer=dict(estoi=0.3 + i), ridge=dict(estoi=0.1 + i / 2)))))
    row = group.group_table(paths)["comparisons"]["ridge"]["estoi"]
    assert row["ahead"] == 2 and row["wilcoxon_p"] == pytest.approx(0.5)


def test_multi_participant_json_names_each_recording(tmp_path):
    path = tmp_path / "several.json"
    entries = [dict(participant(i), name=f"sub-{i:02d}.h5") for i in range(3)]
    path.write_text(json.dumps(dict(profile="smoke", seeds=[0], participants=entries)))
    other = tmp_path / "one.json"
    other.write_text(json.dumps(participant(3)))
    table = group.group_table([path, other])
    assert table["participants"] == ["sub-00.h5", "sub-01.h5", "sub-02.h5", "one"]
    assert table["values"]["ridge"]["spectrogram_r"]["sub-01.h5"] == RIDGE_R[1]
    assert table["sources"]["sub-02.h5"] == str(path)


@pytest.mark.parametrize("problem, field", [("duplicate", "participant"), ("missing method", "methods"),
                                            ("two profiles", "profile"), ("not json", "<file>")])
def test_bad_input_is_an_input_error_naming_the_field(tmp_path, problem, field):
    a, b = tmp_path / "a.json", tmp_path / "sub" / ("a.json" if problem == "duplicate" else "b.json")
    b.parent.mkdir()
    a.write_text(json.dumps(participant(0)))
    second = dict(participant(1))
    if problem == "missing method":
        second["methods"] = {"transfer": second["methods"]["transfer"]}
    if problem == "two profiles":
        second["profile"] = "standard"
    b.write_text("{not json" if problem == "not json" else json.dumps(second))
    with pytest.raises(InputError) as error:
        group.group_table([a, b])
    assert error.value.field == field


def test_write_makes_json_markdown_and_figure_and_refuses_to_overwrite(cohort_files, tmp_path):
    table = group.group_table(cohort_files)
    out = tmp_path / "group"
    written = group.write(table, out)
    assert all(path.exists() for path in written)
    assert json.loads((out / "group.json").read_text()) == json.loads(json.dumps(table))
    text = (out / "group.md").read_text()
    assert "| ridge | spectrogram_r | 5 / 6 |" in text and "cannot fall below 0.0312" in text
    some = group.markdown(table, ["mcd_db"])  # a subset of the metrics: its columns and comparison rows only
    assert "| method | mcd_db |" in some and "| ridge | mcd_db | " in some and "spectrogram_r" not in some
    before = (out / "group.json").stat().st_mtime_ns
    with pytest.raises(FileExistsError):
        group.write(table, out)
    assert (out / "group.json").stat().st_mtime_ns == before


def test_cli_group_writes_the_table(cohort_files, tmp_path, capsys):
    out = tmp_path / "cli"
    assert main(["group", *map(str, cohort_files), "--out", str(out)]) == 0
    assert json.loads((out / "group.json").read_text())["comparisons"]["ridge"]["spectrogram_r"]["ahead"] == 5
    assert "| ridge | spectrogram_r | 5 / 6 |" in capsys.readouterr().out
    assert main(["group", *map(str, cohort_files), "--out", str(out)]) == 2  # exists: refused with a message
    assert "overwrite" in capsys.readouterr().err
