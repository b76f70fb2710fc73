"""scripts/curve_tables.py: notebook 7's curves as markdown tables."""
import json

from script_loading import load_script


def _rows(points) -> list:
    """Data-curve rows: (minutes, minutes used of 10 available, method, seed, r, estoi)."""
    return [dict(minutes=m, minutes_used=used, minutes_available=10.0, method=name, seed=seed, spectrogram_r=r,
                 estoi=e) for m, used, name, seed, r, e in points]


def _print_tables(tmp_path, capsys, results) -> list:
    path = tmp_path / "results_07.json"
    path.write_text(json.dumps(dict(results=results)))
    load_script("curve_tables").main(str(path))
    return capsys.readouterr().out.splitlines()


def test_a_curve_becomes_one_row_per_method_with_mean_and_spread_per_point(tmp_path, capsys):
    rows = _rows([(1, 0.6, "transfer", 0, 0.50, 0.20), (1, 0.6, "transfer", 1, 0.52, 0.24),
                  (5, 4.8, "transfer", 0, 0.60, 0.30), (5, 4.8, "transfer", 1, 0.60, 0.30),
                  (1, 0.6, "mlp", 0, 0.40, 0.10), (5, 4.8, "mlp", 0, 0.45, 0.12)])
    lines = _print_tables(tmp_path, capsys, dict(minutes=rows))
    assert "| method | 1 min r | 1 min ESTOI | 5 min r | 5 min ESTOI |" in lines
    # sample standard deviation over the two seeds: 0.02 / sqrt(2) = 0.014
    assert "| transfer | 0.510 ± 0.014 | 0.220 ± 0.028 | 0.600 ± 0.000 | 0.300 ± 0.000 |" in lines
    assert "| mlp | 0.400 | 0.100 | 0.450 | 0.120 |" in lines  # one run: no spread to show
    assert not any("electrode" in line for line in lines)  # curves absent from the file are left out


def test_every_training_minute_is_labelled_all_and_a_seedless_method_has_no_spread(tmp_path, capsys):
    rows = _rows([(2, 1.9, "ridge", 0, 0.60, 0.10), (2, 1.9, "ridge", 1, 0.60, 0.10),
                  (20, 10.0, "ridge", 0, 0.65, 0.11), (20, 10.0, "ridge", 1, 0.65, 0.11)])
    electrodes = [dict(electrodes=n, method="ridge", seed=seed, spectrogram_r=r) for n, r in ((16, 0.5), (61, 0.6))
                  for seed in (0, 1)]
    lines = _print_tables(tmp_path, capsys, dict(minutes=rows, electrodes=electrodes))
    assert "| method | 2 min r | 2 min ESTOI | all r | all ESTOI |" in lines
    assert "| ridge | 0.600 | 0.100 | 0.650 | 0.110 |" in lines  # the same value for every seed, shown once
    assert "| method | 16 r | 61 r |" in lines and "| ridge | 0.500 | 0.600 |" in lines  # not vocoded: r alone
