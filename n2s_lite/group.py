"""Group statistics across participants: per-participant bench JSONs in, one table out.

A claim such as "transfer beats scratch" is judged across participants: each participant gives one value per
method and metric (the mean over its test sentences, averaged over its training seeds: the bench's
`across_seeds` mean), and methods are compared on the same participants, paired. For `transfer` against
each other method and every metric: the per-participant differences, oriented so that a positive difference
means transfer is better (for `mcd_db`, where lower is better, the baseline's distortion minus transfer's),
on how many participants transfer is ahead, the mean and median difference and the two-sided Wilcoxon
signed-rank p of the differences (`comparison.paired`, here over participants instead of sentences).

The exact two-sided Wilcoxon p cannot fall below 2 / 2**n with n participants: 0.5 with 2, 0.0625 with 5,
0.0078 with 8. Five participants can therefore never reach p < 0.05, however consistent the differences.

    table = group_table(["runs/cohort/bench/sim-000.json", "runs/cohort/bench/sim-001.json"])
    write(table, "runs/cohort/group")     # group.json, group.md, fig09_group.png/.pdf

A bench JSON is either one participant's (`n2s bench` on the profile's participant) or several
(`n2s bench --recording A B`: one entry per recording under "participants").
"""
from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from . import comparison
from .errors import InputError
from .utils import atomic_path

REFERENCE = comparison.REFERENCE
LOWER_IS_BETTER = ("mcd_db",)
CEILINGS = ("autoencoder", "griffin_lim")  # bounds drawn in the figure (`experiment.ceilings`)
FIGURE_METRICS = ("spectrogram_r", "estoi")
FIGURE_NAME = "fig09_group"
FILES = ("group.json", "group.md")


# ------------------------------------------------------------------------------------------- reading
def read_benches(paths) -> dict[str, dict]:
    """{participant: its bench results, with `bench_json` the file they came from}, in the order given.

    A participant is named by its entry's `name` in a JSON with `participants` (`n2s bench --recording`:
    the recording's file name), by the file's stem otherwise. Two participants with one name, or a file that
    is no bench JSON, raise InputError."""
    participants = {}
    for path in map(Path, paths):
        try:
            with open(path, encoding="utf-8") as stream:
                bench = json.load(stream)
        except json.JSONDecodeError as exc:
            raise InputError(path, "<file>", "a bench JSON (n2s bench --out)", f"invalid JSON ({exc})") from None
        for name, result in _entries(bench, path):
            if "methods" not in result:
                raise InputError(path, "methods", "a bench JSON with each method's results", "no 'methods'")
            if name in participants:
                raise InputError(path, "participant", "each participant once across the files",
                                 f"{name!r} a second time")
            participants[name] = dict(result, bench_json=str(path))
    if not participants:
        raise InputError("<group>", "bench JSONs", "at least one participant", "none")
    return participants


def _entries(bench: dict, path: Path) -> list[tuple[str, dict]]:
    """(name, results) of each participant a bench JSON holds; shared fields (profile, seeds...) are kept."""
    if "participants" not in bench:
        return [(path.stem, bench)]
    return [(str(entry.get("name") or f"{path.stem}[{index}]"), dict(bench, **entry))
            for index, entry in enumerate(bench["participants"])]


# ------------------------------------------------------------------------------------------ the table
def participant_values(participants: dict) -> pd.DataFrame:
    """One row per (participant, method, metric): `value`, the across-seed mean of the participant's
    per-sentence mean; `seeds`, how many seeds it averages. Metrics: every `across_seeds` entry with a mean."""
    rows = []
    for name, result in participants.items():
        for method, runs in result["methods"].items():
            for metric, stats in runs["across_seeds"].items():
                if isinstance(stats, dict) and "mean" in stats:
                    rows.append(dict(participant=name, method=method, metric=metric, value=float(stats["mean"]),
                                     seeds=int(stats["n"])))
    return pd.DataFrame(rows)


def ceiling_values(participants: dict) -> pd.DataFrame:
    """One row per (participant, ceiling, metric) with the ceiling's mean over that participant's test sentences."""
    return pd.DataFrame([dict(participant=name, ceiling=ceiling, metric=metric, value=float(stats["mean"]))
                         for name, result in participants.items()
                         for ceiling, per_metric in result.get("ceilings", {}).items()
                         for metric, stats in per_metric.items()])


def advantage(values: pd.Series, metric: str) -> pd.Series:
    """values oriented so that higher is better (negated for LOWER_IS_BETTER metrics)."""
    return -values if metric in LOWER_IS_BETTER else values


def group_table(paths) -> dict:
    """Read per-participant bench JSONs and return the group table (see the module docstring):

    participants, profile, metrics, methods; `values` {method: {metric: {participant: value}}};
    `summary` {method: {metric: {mean, std (ddof=1; 0 for one participant), median, min, max, n}}};
    `ceilings` {ceiling: {metric: {participant: value}}}; `comparisons` {method: {metric: {differences
    {participant: transfer's advantage}, participants, ahead, mean_difference, median_difference,
    wilcoxon_p}}} of REFERENCE against every other method (empty without it); `sources` {participant: file}.
    Every participant must have the same methods and metrics, from the same profile (else InputError)."""
    participants = read_benches(paths)
    profiles = {result.get("profile") for result in participants.values()}
    if len(profiles) > 1:
        raise InputError("<group>", "profile", "bench JSONs of one profile", ", ".join(sorted(map(str, profiles))))
    values = participant_values(participants)
    _check_complete(values, participants)
    methods, metrics = list(dict.fromkeys(values["method"])), list(dict.fromkeys(values["metric"]))
    wide = {(method, metric): frame.set_index("participant")["value"]
            for (method, metric), frame in values.groupby(["method", "metric"], sort=False)}
    ceilings = ceiling_values(participants)
    return dict(
        participants=list(participants), profile=profiles.pop(), metrics=metrics, methods=methods,
        reference=REFERENCE, lower_is_better=[m for m in metrics if m in LOWER_IS_BETTER],
        seeds={name: result.get("seeds") for name, result in participants.items()},
        sources={name: result["bench_json"] for name, result in participants.items()},
        values={method: {metric: wide[method, metric].to_dict() for metric in metrics} for method in methods},
        summary={method: {metric: _spread(wide[method, metric]) for metric in metrics} for method in methods},
        ceilings={ceiling: {metric: frame.set_index("participant")["value"].to_dict()
                            for metric, frame in per_ceiling.groupby("metric", sort=False)}
                  for ceiling, per_ceiling in ceilings.groupby("ceiling", sort=False)} if len(ceilings) else {},
        comparisons={method: {metric: _compare(wide[REFERENCE, metric], wide[method, metric], metric)
                              for metric in metrics}
                     for method in methods if method != REFERENCE} if REFERENCE in methods else {})


def _check_complete(values: pd.DataFrame, participants: dict) -> None:
    """Every participant reports every (method, metric) that any participant reports."""
    expected = set(zip(values["method"], values["metric"]))
    for name in participants:
        mine = values[values["participant"] == name]
        missing = expected - set(zip(mine["method"], mine["metric"]))
        if missing:
            raise InputError(name, "methods", "the same methods and metrics as the other participants",
                             f"no {', '.join(f'{m}/{k}' for m, k in sorted(missing))}")


def _spread(values: pd.Series) -> dict:
    """Mean, sample standard deviation, median, min and max over participants."""
    x = values.to_numpy(dtype=np.float64)
    return dict(mean=float(x.mean()), std=float(x.std(ddof=1)) if x.size > 1 else 0.0, median=float(np.median(x)),
                min=float(x.min()), max=float(x.max()), n=int(x.size))


def _compare(reference: pd.Series, other: pd.Series, metric: str) -> dict:
    """`comparison.paired` over participants, on values oriented so that a positive difference favours REFERENCE."""
    reference, other = advantage(reference.sort_index(), metric), advantage(other.sort_index(), metric)
    row = comparison.paired(reference, other)
    row["participants"] = row.pop("sentences")
    row["differences"] = {name: float(d) for name, d in (reference - other).items()}
    return row


# ------------------------------------------------------------------------------------------- writing
def markdown(table: dict, metrics=None) -> str:
    """Two tables: each method x metric across participants, and REFERENCE against every other method.
    metrics: the metrics to show (default: all of the table's)."""
    metrics = list(metrics or table["metrics"])
    n = len(table["participants"])
    lines = [f"Across {n} participants ({table['profile']} profile; `n2s_lite.group`): mean ± standard deviation "
             "(min to max) of each participant's test-sentence mean, averaged over its training seeds.", "",
             "| method | " + " | ".join(metrics) + " |", "|---|" + "---|" * len(metrics)]
    for method, per_metric in table["summary"].items():
        cells = [f"{s['mean']:.3f} ± {s['std']:.3f} ({s['min']:.3f} to {s['max']:.3f})"
                 for s in map(per_metric.get, metrics)]
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    if table["comparisons"]:
        lines += ["", f"{REFERENCE} against each method, paired by participant: a positive difference favours "
                  f"{REFERENCE} (for {', '.join(LOWER_IS_BETTER)}, lower is better); two-sided Wilcoxon signed-rank "
                  f"p over participants (with {n} participants it cannot fall below {2 / 2 ** n:.3g}).", "",
                  f"| {REFERENCE} vs | metric | participants {REFERENCE} is ahead | mean difference | "
                  "median difference | Wilcoxon p |", "|---|---|---|---|---|---|"]
        for method, per_metric in table["comparisons"].items():
            for metric, row in zip(metrics, map(per_metric.get, metrics)):
                lines.append(f"| {method} | {metric} | {row['ahead']} / {row['participants']} | "
                             f"{row['mean_difference']:+.3f} | {row['median_difference']:+.3f} | "
                             f"{row['wilcoxon_p']:.2g} |")
    return "\n".join(lines) + "\n"


def figure(table: dict, metrics=FIGURE_METRICS) -> plt.Figure:
    """One panel per metric: each participant's value per method, joined by a line (one line per participant);
    each ceiling's mean over participants as a dashed line, its range over participants as a band."""
    metrics = [m for m in metrics if m in table["metrics"]]
    methods = table["methods"]
    fig, axes = plt.subplots(1, len(metrics), figsize=(0.9 * len(methods) * len(metrics) + 1.5, 3.6),
                             squeeze=False, constrained_layout=True)
    x = np.arange(len(methods))
    for ax, metric in zip(axes[0], metrics):
        for i, name in enumerate(table["participants"]):
            ax.plot(x, [table["values"][method][metric][name] for method in methods], marker="o", ms=4, lw=1,
                    color=f"C{i % 10}", alpha=0.8, label=name)
        for style, ceiling in zip(("--", ":"), CEILINGS):
            per_participant = list(table["ceilings"].get(ceiling, {}).get(metric, {}).values())
            if per_participant:
                ax.axhline(np.mean(per_participant), color="0.3", ls=style, lw=1, label=f"{ceiling} ceiling")
                ax.axhspan(min(per_participant), max(per_participant), color="0.3", alpha=0.08)
        ax.set_xticks(x, methods)
        plt.setp(ax.get_xticklabels(), rotation=40, ha="right", rotation_mode="anchor")
        ax.set(title=metric + (" (lower is better)" if metric in LOWER_IS_BETTER else ""))
    labelled = {label: handle for ax in axes[0] for handle, label in zip(*ax.get_legend_handles_labels())}
    fig.legend(labelled.values(), labelled.keys(), frameon=False, fontsize=7, loc="outside right center")
    fig.suptitle(f"{len(table['participants'])} participants, one line each", fontsize=10)
    return fig


def differences_figure(table: dict, metrics=FIGURE_METRICS) -> plt.Figure:
    """One panel per metric: each participant's difference, REFERENCE minus every other method (oriented so that
    above zero favours REFERENCE), one point per participant, the median as a bar."""
    metrics = [m for m in metrics if m in table["metrics"]]
    others = list(table["comparisons"])
    fig, axes = plt.subplots(1, len(metrics), figsize=(max(0.8 * len(others), 2.6) * len(metrics) + 0.6, 3.4),
                             squeeze=False, constrained_layout=True)
    for ax, metric in zip(axes[0], metrics):
        for i, method in enumerate(others):
            row = table["comparisons"][method][metric]
            ax.scatter(np.full(row["participants"], i), list(row["differences"].values()), s=18, color="C0")
            ax.hlines(row["median_difference"], i - 0.3, i + 0.3, color="k", lw=1.5)
        ax.axhline(0.0, color="0.6", ls="--", lw=1)
        ax.set_xticks(range(len(others)), others)
        plt.setp(ax.get_xticklabels(), rotation=40, ha="right", rotation_mode="anchor")
        ax.set(title=metric, ylabel=f"> 0: {REFERENCE} better")
    fig.suptitle(f"{REFERENCE} minus each method, one point per participant", fontsize=10)
    return fig


def write(table: dict, out_dir, overwrite: bool = False) -> list[Path]:
    """Write out_dir/group.json, group.md and the figure (fig09_group.png/.pdf), each atomically; an existing
    file is refused (FileExistsError, before anything is written) unless overwrite=True. Returns the paths."""
    from .plots import FORMATS, save_figure

    out_dir = Path(out_dir)
    targets = [out_dir / name for name in FILES] + [out_dir / f"{FIGURE_NAME}.{fmt}" for fmt in FORMATS]
    if not overwrite:
        existing = [str(p) for p in targets if p.exists()]
        if existing:
            raise FileExistsError(f"{', '.join(existing)}: exist already; refusing to overwrite them")
    for name, text in zip(FILES, (json.dumps(table, indent=2), markdown(table))):
        with atomic_path(out_dir / name, overwrite=overwrite) as tmp:
            tmp.write_text(text)
    fig = figure(table)
    try:
        save_figure(fig, FIGURE_NAME, out_dir)
    finally:
        plt.close(fig)
    return targets
