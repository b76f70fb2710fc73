"""Print notebook 7's curves as markdown tables from its results file (docs/results.md quotes these tables).

    python scripts/curve_tables.py figures/results_07.json

One table per curve (minutes of neural data, the steps budget, electrodes, neural snr): for each method and
point, the mean ± sample standard deviation over training seeds (as notebook 7 shows them) of the
test-sentence means of spectrogram_r ("r") and, where the curve was vocoded, ESTOI. A method that does not
depend on the seed (`bench.DETERMINISTIC`) gets its value alone; a minutes point that used every training
minute is labelled "all".
"""
import json
import sys

import pandas as pd

from n2s_lite.bench import DETERMINISTIC

CURVES = (("minutes", "minutes", "data curve (epochs budget): minutes of training data"),
          ("minutes_steps_budget", "minutes", "data curve, steps budget: minutes of training data"),
          ("electrodes", "electrodes", "electrode curve: good electrodes"),
          ("snr", "snr", "snr curve: response-to-noise variance of a gain-1 site"))
METRIC_NAMES = {"spectrogram_r": "r", "estoi": "ESTOI"}


def cell(values: pd.Series, seedless: bool) -> str:
    return f"{values.mean():.3f}" if seedless or len(values) < 2 else f"{values.mean():.3f} ± {values.std():.3f}"


def label(frame: pd.DataFrame, point: str, value) -> str:
    """A column's point as docs/results.md names it: '5 min', 'all' (every training minute), '32', '0.075'."""
    if point != "minutes":
        return f"{value}"
    rows = frame[frame[point] == value]
    return "all" if (rows["minutes_used"] == rows["minutes_available"]).all() else f"{value} min"


def table(rows: list, point: str) -> str:
    """Markdown: one row per method, one column per (point, metric)."""
    frame = pd.DataFrame(rows)
    metrics = [m for m in METRIC_NAMES if m in frame]
    points = sorted(frame[point].unique())
    header = [f"{label(frame, point, p)} {METRIC_NAMES[m]}" for p in points for m in metrics]
    lines = ["| method | " + " | ".join(header) + " |", "|---|" + "---|" * len(header)]
    for method, runs in frame.groupby("method", sort=False):
        cells = [cell(runs[runs[point] == p][m], method in DETERMINISTIC) for p in points for m in metrics]
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(path: str) -> None:
    results = json.load(open(path))["results"]
    for key, point, title in CURVES:
        if key in results:
            print(f"\n{title} (mean ± std over training seeds; {', '.join(DETERMINISTIC)} does not depend on the seed)\n")
            print(table(results[key], point))


if __name__ == "__main__":
    main(sys.argv[1])
