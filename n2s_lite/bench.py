"""`n2s bench`: the whole phase-2 experiment of a profile, written as one JSON file.

The JSON holds, for every method and training seed, the per-sentence metrics and their means, the
trained parameter count and training seconds; across seeds, the mean and standard deviation of each
metric's sentence mean; the margins of "transfer" over every other method on spectrogram correlation
and ESTOI, and whether each margin exceeds the across-seed spread (the larger of the two methods'
across-seed standard deviations); the ceilings; the autoencoder's resynthesis quality on held-out real
speech; STOI and ESTOI once more through the neural vocoder (`vocoder`: every run's decoded mels, the
ceilings' true mels and the autoencoder's resynthesis) beside Griffin-Lim, the comparison's vocoder; the
corpora of phase 1 and of the stimuli; wall time per stage and the share of the machine's CPU time a
hypervisor took from it meanwhile (`stage_cpu_stolen`, see `clock.StageClock`); how many products of each
kind the run made in the cache (`cache.built`: a product it did not make was loaded, so its stage time is
a load time and a loaded network's training seconds are those of the run that trained it) and whether the
cache held none of them at the start (`cache.empty_at_start`: a cold run); the schedule;
the machine and the versions; the verdict on each of the targets (`targets.judge`); and transfer against
each other method sentence by sentence (`sentence_comparisons`, `comparison.by_sentence`).

Schedule. The participant, phase 1, the neural vocoder, the ceilings and a timing run of phase 2 (the
first seed of "transfer", trained by itself with every CPU thread: `phase2_alone`) run one after the
other. Then every (method, seed) run of the table goes, longest first, to `jobs` worker processes with
cpu_count // jobs threads each (`parallel`: about 1.4x sooner on 2 cores than one after the other), so all
of them train with the same threads, as the notebooks' curves do, and the curves' full-data points are the
table's runs. Stage seconds of the runs are summed over runs, so they can add up to more than the wall
time ("total").
"""
from __future__ import annotations

import functools
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from . import __version__, cache
from . import decoding as D
from . import experiment as X
from . import comparison, machine, metrics, parallel, targets
from . import vocoder as V
from .adaptor import parameter_counts
from .clock import StageClock
from .targets import MARGIN_METRICS
from .utils import atomic_path, refuse_to_replace

DETERMINISTIC = ("ridge",)  # methods whose result does not depend on the seed: trained once, reused
CACHED_KINDS = ("participant", "autoencoder", "vocoder", "decoder")  # products of a bench that the cache keeps
# methods by training time per seed in the standard bench (scratch 125 s ... ridge 6 s), for scheduling
LONGEST_FIRST = ("scratch", "transfer", "transfer_causal", "lstm_cnn", "mlp", "ridge")


def run_bench(profile: str = "smoke", out="results.json", seeds=None, methods=X.METHODS,
              jobs: int | None = None, pretrain_corpus=X.CORPUS, stimulus_corpus=X.CORPUS,
              overwrite: bool = False) -> dict:
    """Run every method for each seed on the profile's participant; write and return the results.

    out: the JSON file; an existing one is refused before anything runs, unless overwrite=True.
    seeds: an int n >= 1 (the first n seeds 0..n-1), a sequence of seeds >= 0, or None for the profile's seeds.
    jobs: worker processes for the independent runs (None: `parallel.default_jobs()`; 1: all in this process).
    pretrain_corpus: phase 1 learns from its pre-training half; stimulus_corpus: the participant hears its
    stimulus half (each a spec or a sequence of specs, `experiment.corpus_spec`; the halves never share a sentence).
    """
    options = X.settings(profile)
    seeds = _seeds(seeds, options["seeds"])
    refuse_to_replace(out, overwrite)
    jobs = parallel.default_jobs() if jobs is None else int(jobs)
    n_iter, cpus = options["griffin_lim_iters"], os.cpu_count() or 1
    corpora = dict(pretrain=X.corpus_spec(pretrain_corpus), stimuli=X.corpus_spec(stimulus_corpus))
    clock, products_before = StageClock(), cache.count_products(CACHED_KINDS)
    with clock.stage("total"):
        with clock.stage("participant"):
            rec = X.participant(profile, corpus=corpora["stimuli"])
        with clock.stage("autoencoder"):
            ae = X.pretrained_autoencoder(profile, corpora["pretrain"])
        with clock.stage("vocoder"):
            inverter = V.pretrained(profile, corpora["pretrain"])
        with clock.stage("ceilings"):
            ceilings = X.ceilings(rec, ae, n_iter=n_iter, workers=cpus, vocoder=inverter)
        with clock.stage("autoencoder_quality"):
            quality = X.autoencoder_quality(ae, options["autoencoder_test_utterances"], n_iter, cpus,
                                            corpus=corpora["pretrain"], vocoder=inverter)
        one_run = functools.partial(run_task, profile=profile, corpora=corpora)
        with clock.stage("phase2_alone"):  # the phase-2 time target: one adaptor alone on every core
            phase2_alone = _timed_alone(one_run(("transfer", seeds[0]))) if "transfer" in methods else None
        tasks = _tasks(methods, seeds)
        with clock.stage("table_runs"):  # the runs of the table, side by side in the workers
            done = dict(zip(tasks, parallel.map_in_workers(one_run, tasks, jobs, desc="bench runs")))
        runs = _assemble(done, methods, seeds)
        for (name, _seed), run in done.items():
            for stage in ("train", "evaluate"):
                clock.seconds[f"{stage}/{name}"] = round(clock.seconds.get(f"{stage}/{name}", 0.0)
                                                         + run.pop(f"{stage}_wall_seconds"), 3)
    results = dict(
        profile=profile, seeds=list(seeds), settings=dict(options, seeds=list(seeds)), corpora=corpora,
        lag_window_frames=[D.LAGS[0], D.LAGS[-1]],
        data=_data_facts(rec), methods={name: dict(seeds=per_seed, across_seeds=_across_seeds(per_seed))
                                        for name, per_seed in runs.items()},
        margins=_margins(runs) if "transfer" in runs else {},
        ceilings={name: X.summary(table) for name, table in ceilings.groupby("ceiling")},
        autoencoder_resynthesis=X.summary(quality, X.QUALITY_COLUMNS),
        vocoder=dict(parameters=D.n_parameters(inverter), epochs=len(inverter.history)),
        stage_seconds=clock.seconds, stage_cpu_stolen=clock.stolen(), phase2_alone=phase2_alone,
        cache=dict(directory=str(cache.cache_dir()), empty_at_start=not any(products_before.values()),
                   built={kind: n - products_before[kind] for kind, n in cache.count_products(CACHED_KINDS).items()}),
        schedule=dict(jobs=jobs, threads_per_job=parallel.threads_per_job(jobs)),
        machine=machine.describe(), versions=_versions())
    results["targets"] = targets.judge(results)
    results["sentence_comparisons"] = comparison.by_sentence(results["methods"])
    write_json(results, out, overwrite)
    return results


def _seeds(seeds, default) -> list[int]:
    if seeds is None:
        return list(default)
    seeds = list(range(seeds)) if isinstance(seeds, int) else [int(s) for s in seeds]
    if not seeds or min(seeds) < 0:
        raise ValueError(f"seeds: expected at least one seed, each >= 0 (or a count >= 1), got {seeds}")
    return seeds


def _tasks(methods, seeds) -> list[tuple[str, int]]:
    """(method, seed) runs to do, longest first; a DETERMINISTIC method once (its first seed)."""
    order = sorted(methods, key=lambda name: LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST))
    return [(name, seed) for name in order for seed in (seeds[:1] if name in DETERMINISTIC else seeds)]


def _assemble(done: dict, methods, seeds) -> dict:
    """{method: {str(seed): run}} in the order of `methods`, a DETERMINISTIC method's one run under every seed."""
    return {name: {str(seed): done[(name, seeds[0] if name in DETERMINISTIC else seed)] for seed in seeds}
            for name in methods}


def run_task(task: tuple[str, int], profile: str, corpora: dict) -> dict:
    """Train (or load from the cache) and evaluate one (method, seed) run, vocoding in as many processes
    as torch has threads (a worker of `parallel.map_in_workers` has one or a few).

    corpora: {'pretrain': spec, 'stimuli': spec}, as `run_bench` makes it."""
    import torch

    name, seed = task
    options = X.settings(profile)
    rec = X.participant(profile, corpus=corpora["stimuli"])
    test = X.split_trials(rec)["test"]
    ae = X.pretrained_autoencoder(profile, corpora["pretrain"]) if name in X.USES_AUTOENCODER else None
    started = time.perf_counter()
    decoder = X.train_method(name, rec, profile, seed, ae=ae)
    trained = time.perf_counter()
    predictions, n_iter, workers = X.predict_all(decoder, test), options["griffin_lim_iters"], torch.get_num_threads()
    table = X.evaluate(predictions, test, vocode=True, rec=rec, n_iter=n_iter, workers=workers)
    neural = X.intelligibility(predictions, [X.reference_audio(rec, t) for t in test], n_iter, workers,
                               V.pretrained(profile, corpora["pretrain"]))
    return dict(means={m: s["mean"] for m, s in X.summary(table).items()}, summary=X.summary(table),
                per_sentence={m: table[m].round(5).tolist() for m in X.METRICS},
                stimulus_ids=table["stimulus_id"].tolist(), n_parameters=int(decoder.n_parameters),
                n_parameters_at_inference=_inference_parameters(decoder),
                train_seconds=round(decoder.train_seconds, 3), threads=torch.get_num_threads(),
                epochs=len(getattr(decoder, "history", [])) or None,
                neural_vocoder={m: metrics.summarise(values) for m, values in zip(("stoi", "estoi"), zip(*neural))},
                train_wall_seconds=trained - started, evaluate_wall_seconds=time.perf_counter() - trained)


def _timed_alone(run: dict) -> dict:
    """What the phase-2 timing run reports: transfer's first seed trained alone with every thread. It is not
    one of the table's runs, which all train in the workers with the same threads (so that they are the
    networks the notebooks' curves train too); another thread count ends at another network."""
    return dict(method="transfer", train_seconds=run["train_seconds"], threads=run["threads"],
                epochs=run["epochs"], means=run["means"])


def _inference_parameters(decoder) -> int:
    """Parameters used to decode, a frozen pre-trained decoder included (the encoder is not used)."""
    network = getattr(decoder, "network", None)
    if network is None:
        return int(decoder.n_parameters)
    if hasattr(network, "adaptor"):
        counts = parameter_counts(decoder)
        return counts["adaptor"] + counts["decoder"]
    return D.n_parameters(network)


def seed_spread(values: np.ndarray) -> float:
    """Sample standard deviation (ddof=1, as pandas and the notebooks' tables) of per-seed means; 0 for one seed."""
    return float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def _across_seeds(per_seed: dict) -> dict:
    """{metric: {mean, std, n}} of the per-seed sentence means (std: `seed_spread`); the same for STOI and
    ESTOI through the neural vocoder under "neural_vocoder"."""
    runs = list(per_seed.values())
    out = {metric: _seed_stats([run["means"][metric] for run in runs]) for metric in X.METRICS}
    out["neural_vocoder"] = {metric: _seed_stats([run["neural_vocoder"][metric]["mean"] for run in runs])
                             for metric in ("stoi", "estoi")}
    out["n_parameters"] = runs[0]["n_parameters"]
    out["train_seconds"] = float(np.mean([run["train_seconds"] for run in runs]))
    return out


def _seed_stats(values) -> dict:
    values = np.asarray(values, dtype=np.float64)
    return dict(mean=float(values.mean()), std=seed_spread(values), n=int(values.size))


def _margins(runs: dict) -> dict:
    """Transfer minus every other method, on MARGIN_METRICS: difference of across-seed means, the spread
    it is compared with, and the per-seed paired differences."""
    transfer = runs["transfer"]
    margins = {}
    for name, other in runs.items():
        if name == "transfer":
            continue
        margins[name] = {}
        for metric in MARGIN_METRICS:
            a = np.array([transfer[s]["means"][metric] for s in transfer])
            b = np.array([other[s]["means"][metric] for s in transfer])
            margin, spread = float(a.mean() - b.mean()), max(seed_spread(a), seed_spread(b))
            margins[name][metric] = dict(margin=margin, spread=spread, exceeds_spread=bool(margin > spread),
                                         paired=(a - b).round(5).tolist())
    return margins


def _data_facts(rec) -> dict:
    trials = X.split_trials(rec)
    return dict(minutes=round(rec.duration / 60, 3), n_electrodes=rec.n_electrodes,
                n_good_electrodes=int(rec.good_electrodes().sum()),
                trials={split: len(t) for split, t in trials.items()},
                minutes_per_split={split: round(X.minutes_of(t), 3) for split, t in trials.items()},
                test_sentences=len({t.stimulus_id for t in trials["test"]}))


def _versions() -> dict:
    import torch

    from .reproduce import git_commit, package_versions

    return dict(python=sys.version.split()[0], n2s_lite=__version__, git_commit=git_commit(),
                torch_threads=torch.get_num_threads(), packages=package_versions())


def write_json(results: dict, out, overwrite: bool = False) -> Path:
    """Write results as indented JSON, atomically; an existing file is replaced only if overwrite=True."""
    out = Path(out)
    with atomic_path(out, overwrite=overwrite) as tmp:
        tmp.write_text(json.dumps(results, indent=2, default=_plain))
    return out


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)
