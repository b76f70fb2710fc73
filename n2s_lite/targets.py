"""The targets `n2s bench` is held to, judged from a bench's results.

The targets are stated for the standard profile on 2 CPU cores: the autoencoder's resynthesis of held-out
real speech (ESTOI >= 0.80, spectrogram correlation >= 0.90); `transfer` ahead of every baseline on
spectrogram correlation and on ESTOI by more than the larger across-seed spread, over at least 3 seeds;
phase 2 trained alone in under 2 minutes and the whole bench in under 30. A verdict is `as_stated` only
under those conditions, and a time only when the run made its products itself: one loaded from the cache
took load time, not training time (`cache.built` in the results).
"""
from __future__ import annotations

BASELINES = ("ridge", "mlp", "lstm_cnn", "scratch")
MARGIN_METRICS = ("spectrogram_r", "estoi")
RESYNTHESIS_AT_LEAST = {"estoi": 0.80, "spectrogram_r": 0.90}
PHASE2_SECONDS_BELOW = 120.0
BENCH_SECONDS_BELOW = 30 * 60.0
MIN_SEEDS = 3
PROFILE, CPU_COUNT = "standard", 2
COLD_KINDS = ("participant", "autoencoder", "vocoder", "decoder")
FORMATS = dict(resynthesis=("{:.3f}", "{:.3f}"), margin=("{:+.3f}", "{:.3f}"),  # (measured, threshold) by kind
               seconds=("{:.0f} s", "{:.0f} s"))
CONDITIONS = "standard profile, 2 CPU cores, 3 or more seeds, a cold cache for the times"


def judge(results: dict) -> list[dict]:
    """[{target, kind, measured, threshold, met, as_stated}] for every target, from `bench.run_bench`'s results.

    kind: 'resynthesis' (measured: a mean over held-out utterances), 'margin' (measured: transfer's margin;
    threshold: the spread it must exceed) or 'seconds' (wall time). met: None when the bench did not measure
    it (a baseline not run, no phase-2 timing run)."""
    standard = results["profile"] == PROFILE
    timed = standard and results["machine"]["cpu_count"] == CPU_COUNT and _cold(results)
    rows = []
    quality = results["autoencoder_resynthesis"]
    for metric, bar in RESYNTHESIS_AT_LEAST.items():
        value = quality[metric]["mean"]
        rows.append(_row(f"autoencoder resynthesis {metric} >= {bar:.2f}", "resynthesis", value, bar, value >= bar,
                         standard))
    enough_seeds = standard and len(results["seeds"]) >= MIN_SEEDS
    for name in BASELINES:
        for metric in MARGIN_METRICS:
            margin = results["margins"].get(name, {}).get(metric)
            target = f"transfer beats {name} on {metric} by more than the seed spread"
            rows.append(_row(target, "margin", None, None, None, enough_seeds) if margin is None else
                        _row(target, "margin", margin["margin"], margin["spread"], margin["exceeds_spread"],
                             enough_seeds))
    alone = results.get("phase2_alone")
    seconds = None if alone is None else alone["train_seconds"]
    rows.append(_row(f"phase 2 alone trains in under {PHASE2_SECONDS_BELOW:.0f} s", "seconds", seconds,
                     PHASE2_SECONDS_BELOW, None if seconds is None else seconds < PHASE2_SECONDS_BELOW, timed))
    total = results["stage_seconds"]["total"]
    rows.append(_row(f"the whole bench runs in under {BENCH_SECONDS_BELOW / 60:.0f} min", "seconds", total,
                     BENCH_SECONDS_BELOW, total < BENCH_SECONDS_BELOW, timed))
    return rows


def markdown(rows: list[dict]) -> str:
    """`judge`'s rows as a markdown table: target, measured, threshold, met, as stated."""
    lines = ["| target | measured | threshold | met | as stated |", "|---|---|---|---|---|"]
    for row in rows:
        measured, threshold = ("" if value is None else form.format(value)
                               for value, form in zip((row["measured"], row["threshold"]), FORMATS[row["kind"]]))
        met = {True: "yes", False: "**no**", None: "not measured"}[row["met"]]
        lines.append(f"| {row['target']} | {measured} | {threshold} | {met} | {'yes' if row['as_stated'] else 'no'} |")
    return "\n".join(lines)


def _cold(results: dict) -> bool:
    """Did the run make every product it timed (none loaded from the cache)?"""
    built = results.get("cache", {}).get("built", {})
    return all(built.get(kind, 0) >= 1 for kind in COLD_KINDS)


def _row(target: str, kind: str, measured, threshold, met, as_stated: bool) -> dict:
    return dict(target=target, kind=kind, measured=measured, threshold=threshold,
                met=None if met is None else bool(met), as_stated=bool(as_stated))
