"""scripts/curve_tables.py: notebook 7's curves as markdown tables."""
import json

from script_loading import load_script


def test_a_curve_becomes_one_row_per_method_with_mean_and_spread_per_point(tmp_path, capsys):
    rows = [dict(minutes=m, method=name, seed=seed, spectrogram_r=r, estoi=e)
            for m, name, seed, r, e in [(1, "transfer", 0, 0.50, 0.20), (1, "transfer", 1, 0.52, 0.24),
                                        (5, "transfer", 0, 0.60, 0.30), (5, "transfer", 1, 0.60, 0.30),
                                        (1, "ridge", 0, 0.40, 0.10), (5, "ridge", 0, 0.45, 0.12)]]
    path = tmp_path / "results_07.json"
    path.write_text(json.dumps(dict(results=dict(minutes=rows))))
    load_script("curve_tables").main(str(path))
    lines = capsys.readouterr().out.splitlines()
    assert "| method | 1 spectrogram_r | 1 estoi | 5 spectrogram_r | 5 estoi |" in lines
    # sample standard deviation over the two seeds: 0.02 / sqrt(2) = 0.014
    assert "| transfer | 0.510 ± 0.014 | 0.220 ± 0.028 | 0.600 ± 0.000 | 0.300 ± 0.000 |" in lines
    assert "| ridge | 0.400 | 0.100 | 0.450 | 0.120 |" in lines  # one run: no spread to show
    assert not any("electrode" in line for line in lines)  # curves absent from the file are left out
