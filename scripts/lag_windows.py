"""Speaking vs listening lag window, measured on the simulator's speaking participant.

    python scripts/lag_windows.py --profile standard --out runs/lag_windows_standard.json   # every method
    python scripts/lag_windows.py --sweep --profile standard        # choose the speaking window (ridge, val)
    python scripts/lag_windows.py --recording speaker.h5 --out lag.json   # a recording in any format io.load reads

Compare (default): every method of `methods.METHODS` is trained twice on the profile's speaking participant
(`experiment.participant(task='speaking')`, seed --participant) or on --recording, once reading the
speaking window and once the listening window (`lags.LagWindow.for_task`; transfer_causal reads each one's
causal variant), and scored on the test sentences: spectrogram r and ESTOI (Griffin-Lim, as `n2s bench`).
Writes one JSON (atomically; an existing file is refused unless --overwrite) and prints a table.

Sweep (--sweep): a ridge decoder reads windows of 41 frames (first_ms -500 .. 0 in steps of 100 ms, last_ms =
first_ms + 400) and is scored on the VALIDATION sentences, so the test sentences play no part in choosing
the speaking default (`lags.DEFAULT_MS`). Prints JSON.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from n2s_lite import io, metrics
from n2s_lite import methods as M
from n2s_lite import experiment as X
from n2s_lite.baselines import RidgeDecoder
from n2s_lite.lags import LagWindow
from n2s_lite.utils import atomic_path, refuse_to_replace

WINDOWS = ("speaking", "listening")
SCORES = ("spectrogram_r", "estoi")
SWEEP_FIRST_MS = tuple(range(-500, 1, 100))
SWEEP_SPAN_MS = 400


def participant(recording: str | None, profile: str, seed: int, corpus: str):
    """The recording file, or if None the profile's simulated speaking participant of `seed`."""
    return io.load(recording) if recording else X.participant(profile, seed, corpus, task="speaking")


def sweep(rec) -> list[dict]:
    """Validation spectrogram r (mean over sentences) of a ridge decoder per window of SWEEP_SPAN_MS."""
    trials = M.split_trials(rec)
    rows = []
    for first_ms in SWEEP_FIRST_MS:
        window = LagWindow(first_ms, first_ms + SWEEP_SPAN_MS)
        decoder = RidgeDecoder(lags=window.lags).fit(trials["train"], trials["val"])
        scores = [metrics.spectrogram_correlation(t.mel, decoder.predict(t.hg)) for t in trials["val"]]
        rows.append(dict(window_ms=[window.first_ms, window.last_ms], val_spectrogram_r=float(np.mean(scores)),
                         alpha=float(decoder.alpha_)))
    return rows


def run(task: tuple, profile: str, recording: str | None, corpus: str, participant_seed: int = 0) -> dict:
    """Train (or load from the cache) one (method, window name, seed) on the participant (`participant`) and
    score its test sentences -> means of SCORES, training seconds and the window read."""
    name, window_name, seed = task
    rec = participant(recording, profile, participant_seed, corpus)
    window = LagWindow.for_task(window_name)
    ae = M.pretrained_autoencoder(profile, corpus) if name in M.USES_AUTOENCODER else None
    decoder = M.train_method(name, rec, profile, seed, ae=ae, lags=window)
    test = M.split_trials(rec)["test"]
    table = X.evaluate(decoder, test, vocode=True, rec=rec, n_iter=M.settings(profile)["griffin_lim_iters"])
    read = window.causal() if name == "transfer_causal" else window
    return dict(**{score: float(table[score].mean()) for score in SCORES}, window=read.to_dict(),
                train_seconds=round(float(decoder.train_seconds), 1))


def compare(profile: str, recording: str | None, participant_seed: int, methods, seed: int, corpus: str,
            jobs: int | None) -> dict:
    """{method: {window name: `run`}, plus each method's speaking-minus-listening difference per score}."""
    import functools

    from n2s_lite import parallel

    if set(methods) & set(M.USES_AUTOENCODER):
        M.pretrained_autoencoder(profile, corpus)  # phase 1 once here, not in each worker
    tasks = [(name, window, seed) for name in methods for window in WINDOWS]
    participant(recording, profile, participant_seed, corpus)  # simulated here, not in each worker
    done = parallel.map_in_workers(functools.partial(run, profile=profile, recording=recording, corpus=corpus,
                                                     participant_seed=participant_seed), tasks, jobs, desc="lag windows")
    results = {name: {} for name in methods}
    for (name, window, _seed), row in zip(tasks, done):
        results[name][window] = row
    for rows in results.values():
        rows["speaking_minus_listening"] = {s: rows["speaking"][s] - rows["listening"][s] for s in SCORES}
    return results


def table(results: dict) -> str:
    """Markdown table: per method, each score under each window and the difference."""
    head = "| method | " + " | ".join(f"{s} {w}" for s in SCORES for w in WINDOWS) + " | " + \
        " | ".join(f"{s} gain" for s in SCORES) + " |"
    lines = [head, "|" + "---|" * (1 + 3 * len(SCORES))]
    for name, rows in results.items():
        cells = [f"{rows[w][s]:.3f}" for s in SCORES for w in WINDOWS]
        cells += [f"{rows['speaking_minus_listening'][s]:+.3f}" for s in SCORES]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="smoke")
    parser.add_argument("--participant", type=int, default=0, help="seed of the simulated speaking participant")
    parser.add_argument("--seed", type=int, default=0, help="training seed of every method")
    parser.add_argument("--methods", nargs="+", default=list(M.METHODS), choices=M.METHODS)
    parser.add_argument("--corpus", default=None,
                        help="corpus spec: phase 1 pre-training and the stimuli (default: the profile's)")
    parser.add_argument("--recording", default=None, help="a recording file instead of the simulated participant")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: one per core)")
    parser.add_argument("--sweep", action="store_true", help="ridge on validation sentences over windows instead")
    parser.add_argument("--out", default=None, help="JSON file of the comparison")
    parser.add_argument("--overwrite", action="store_true")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if not args.sweep:
        if args.out is None:
            parser.error("the comparison needs --out FILE")
        refuse_to_replace(args.out, args.overwrite)
    rec = participant(args.recording, args.profile, args.participant, args.corpus)
    report = dict(profile=args.profile, participant_seed=None if args.recording else args.participant,
                  corpora=M.corpora_of(args.profile, args.corpus), recording=args.recording, task=rec.task,
                  n_electrodes=rec.n_electrodes, minutes=round(rec.duration / 60, 2),
                  windows={w: LagWindow.for_task(w).to_dict() for w in WINDOWS})
    if args.sweep:
        report["sweep"] = sweep(rec)
        report["wall_seconds"] = round(time.perf_counter() - started, 1)
        print(json.dumps(report, indent=2))
        return report
    report.update(training_seed=args.seed, scores=list(SCORES),
                  results=compare(args.profile, args.recording, args.participant, args.methods, args.seed,
                                  args.corpus, args.jobs))
    report["improved"] = {name: {s: rows["speaking_minus_listening"][s] > 0 for s in SCORES}
                          for name, rows in report["results"].items()}
    report["wall_seconds"] = round(time.perf_counter() - started, 1)
    with atomic_path(args.out) as tmp:
        Path(tmp).write_text(json.dumps(report, indent=2))
    print(table(report["results"]))
    print(f"wall time {report['wall_seconds'] / 60:.1f} min -> {args.out}")
    return report


if __name__ == "__main__":
    main()
