"""The targets `n2s bench` is held to, judged from a bench's results.

The targets are stated for the standard bench on 2 CPU cores: the autoencoder's resynthesis of held-out
real speech (ESTOI >= 0.80, spectrogram correlation >= 0.90); `transfer` ahead of every baseline on
spectrogram correlation and on ESTOI by more than the larger across-seed spread, over at least 3 seeds;
phase 2 trained alone in under 2 minutes and the whole bench, as it comes (every method, the profile's
seeds), in under 30. A verdict is `as_stated` only under those conditions, with the default corpora, and a
time only for a cold run: a product loaded from the cache took load time, not training time.
"""
from __future__ import annotations

from .methods import CORPUS, METHODS, PROFILES

BASELINES = ("ridge", "mlp", "lstm_cnn", "scratch")  # what transfer must beat; transfer_causal is a variant of it
MARGIN_METRICS = ("spectrogram_r", "estoi")
RESYNTHESIS_AT_LEAST = {"estoi": 0.80, "spectrogram_r": 0.90}
PHASE2_SECONDS_BELOW = 120.0
BENCH_MINUTES_BELOW = 30.0
MIN_SEEDS = 3
PROFILE, CPU_COUNT = "standard", 2
CONDITIONS = (f"{PROFILE} profile, {CPU_COUNT} CPU cores, the default corpora, {MIN_SEEDS} or more seeds for the "
              "margins, and for the times a cold run of every method on the profile's seeds")
HEADING = (f"Targets (`n2s_lite.targets`; as stated: {CONDITIONS}). A margin is transfer's across-seed mean "
           "minus the baseline's; its threshold, the larger of their across-seed standard deviations:")
FORMATS = dict(resynthesis=("{:.3f}", "{:.3f}"), margin=("{:+.3f}", "{:.3f}"),  # (measured, threshold) by kind
               seconds=("{:.0f} s", "{:.0f} s"), minutes=("{:.1f} min", "{:.0f} min"))


def judge(results: dict) -> list[dict]:
    """[{target, kind, measured, threshold, met, as_stated}] for every target, from `bench.run_bench`'s results.

    kind: 'resynthesis' (measured: a mean over held-out utterances), 'margin' (measured: transfer's margin;
    threshold: the spread it must exceed), 'seconds' or 'minutes' (wall time). met and as_stated are None
    when the bench did not measure the target (a baseline not run, no phase-2 timing run)."""
    standard = results["profile"] == PROFILE and _default_corpora(results)
    timed = (standard and results["machine"]["cpu_count"] == CPU_COUNT and _cold(results)
             and set(results["methods"]) == set(METHODS) and results["seeds"] == list(PROFILES[PROFILE]["seeds"]))
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
    minutes = results["stage_seconds"]["total"] / 60
    rows.append(_row(f"the whole bench runs in under {BENCH_MINUTES_BELOW:.0f} min", "minutes", minutes,
                     BENCH_MINUTES_BELOW, minutes < BENCH_MINUTES_BELOW, timed))
    return rows


def markdown(rows: list[dict]) -> str:
    """`HEADING`, a blank line, then `judge`'s rows as a markdown table: target, measured, threshold, met, as stated."""
    lines = [HEADING, "", "| target | measured | threshold | met | as stated |", "|---|---|---|---|---|"]
    verdict = {True: "yes", False: "**no**", None: "not measured"}
    for row in rows:
        measured, threshold = ("" if value is None else form.format(value)
                               for value, form in zip((row["measured"], row["threshold"]), FORMATS[row["kind"]]))
        stated = "" if row["as_stated"] is None else verdict[row["as_stated"]].strip("*")
        lines.append(f"| {row['target']} | {measured} | {threshold} | {verdict[row['met']]} | {stated} |")
    return "\n".join(lines)


def _default_corpora(results: dict) -> bool:
    """Phase 1 learned from, and the participant heard, the default corpus (JSONs before the field: assumed)."""
    return all(spec in (CORPUS, [CORPUS]) for spec in results.get("corpora", {}).values())


def _cold(results: dict) -> bool:
    """Did the run make what it timed? `cache.empty_at_start` says so directly; a JSON written before that field
    counts as cold when it built one product of every kind and its phase-2 timing run lasted at least the
    training it reports (a network loaded from the cache reports the training time of the run that made it)."""
    cache = results.get("cache", {})
    if "empty_at_start" in cache:
        return bool(cache["empty_at_start"])
    alone, stages = results.get("phase2_alone"), results["stage_seconds"]
    phase2_trained_here = alone is None or stages.get("phase2_alone", 0.0) >= alone["train_seconds"]
    built = cache.get("built", {})
    return bool(built) and all(n >= 1 for n in built.values()) and phase2_trained_here


def _row(target: str, kind: str, measured, threshold, met, as_stated: bool) -> dict:
    return dict(target=target, kind=kind, measured=measured, threshold=threshold,
                met=None if met is None else bool(met), as_stated=None if met is None else bool(as_stated))
