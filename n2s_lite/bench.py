"""`n2s bench`: the whole phase-2 comparison on one or more participants, written as one JSON file.

Participants: the profile's simulated participant, or recordings in any format `io.load` reads
(`--recording PATH ...`), one after another. Each gets the lag window of its task (listening or speaking;
`lags.LagWindow`) unless `--lags` says otherwise, and the JSON records which.

Shared by every participant (top level): the profile, seeds and settings; the corpora of phase 1 (and of the
simulated stimuli); the autoencoder's resynthesis quality on held-out real speech; the neural vocoder; wall
time per stage (`clock.StageClock`: recorded, not judged); how many products of each kind the run made in
the cache (`cache.built`: a product it did not make was loaded, so its stage time is a load time) and
whether the cache held none at the start (`cache.empty_at_start`); the schedule; the machine and versions.

Per participant (`participants`, a list): its source (path, format, sha256) or the simulator's settings; task,
lag window and how they were chosen; how trials were split; the check that no test sentence is in the
pre-training speech (`leakage.pretraining_overlap`); data facts; for every method and training seed the
per-sentence metrics and their means, parameter counts and training seconds, and across seeds the mean and
standard deviation of each metric; transfer's margins over every other method on spectrogram correlation and
ESTOI beside the across-seed spread; the ceilings; STOI and ESTOI through the neural vocoder beside
Griffin-Lim (the comparison's vocoder); and transfer against each other method sentence by sentence
(`sentence_comparisons`, `comparison.by_sentence`).

Schedule. Phase 1 and the neural vocoder once; per participant its ceilings, then every (method, seed) run,
longest first, in `jobs` worker processes with usable cores // jobs threads each (`parallel`), so all of them
train with the same threads, as the notebooks' curves do. Stage seconds of the runs are summed over runs, so
they can add up to more than the wall time.
"""
from __future__ import annotations

import functools
import json
import sys
import time
from pathlib import Path

import numpy as np

from tqdm.auto import tqdm

from . import __version__, cache
from . import decoding as D
from . import experiment as X
from . import comparison, leakage, machine, metrics, parallel
from . import methods as M
from . import vocoder as V
from .adaptor import parameter_counts
from .clock import StageClock
from .comparison import MARGIN_METRICS
from .io import detect_format
from .lags import LagWindow
from .reproduce import source_identity
from .train import compute_context
from .utils import atomic_path, refuse_to_replace

DETERMINISTIC = ("ridge",)  # methods whose result does not depend on the seed: trained once, reused
# products of a bench that the cache keeps
CACHED_KINDS = ("participant", "autoencoder", "vocoder", "refined_autoencoder", "decoder")
# methods by training time per seed in the standard bench (scratch 125 s ... ridge 6 s), for scheduling
LONGEST_FIRST = ("scratch", "transfer", "transfer_causal", "lstm_cnn", "mlp", "ridge")


def run_bench(profile: str = "smoke", out="results.json", seeds=None, methods=X.METHODS,
              jobs: int | None = None, pretrain_corpus=None, stimulus_corpus=None,
              overwrite: bool = False, recordings=None, task: str | None = None,
              lags: LagWindow | None = None) -> dict:
    """Run every method for each seed on each participant; write and return the results.

    out: the JSON file; an existing one is refused before anything runs, unless overwrite=True.
    seeds: an int n >= 1 (the first n seeds 0..n-1), a sequence of seeds >= 0, or None for the profile's seeds.
    jobs: worker processes for the independent runs (None: `parallel.default_jobs()`; 1: all in this process).
    pretrain_corpus: phase 1 learns from its pre-training half; stimulus_corpus: the simulated participant hears
    its stimulus half (each a spec or a sequence of specs, `experiment.corpus_spec`; the halves never share a sentence;
    None: the profile's, `profiles.corpora_of`).
    recordings: paths of recordings in any format `io.load` reads, one participant each, run one after another;
    None: the profile's simulated participant. task: 'listening' or 'speaking' for every recording (default: what
    each file says); lags: the lag window of every method (default: each participant's task's window).
    """
    options = X.settings(profile)
    seeds = _seeds(seeds, options["seeds"])
    unknown = sorted(set(methods) - set(X.ALL_METHODS))
    if unknown or not methods:
        raise ValueError(f"methods: expected one or more of {X.ALL_METHODS}, got {list(methods)}")
    refuse_to_replace(out, overwrite)
    jobs = parallel.default_jobs() if jobs is None else int(jobs)
    n_iter, cpus = options["griffin_lim_iters"], parallel.usable_cores()
    corpora = dict(pretrain=X.corpora_of(profile, pretrain_corpus)["pretrain"],
                   stimuli=None if recordings else X.corpora_of(profile, stimulus_corpus)["stimuli"])
    specs = [dict(recording=None, task=task, lags=None if lags is None else [lags.first_ms, lags.last_ms])]
    if recordings:
        specs = [dict(spec, recording=str(path)) for path in recordings for spec in specs]
    clock, products_before = StageClock(), cache.count_products(CACHED_KINDS)
    with clock.stage("total"):
        with clock.stage("autoencoder"):
            ae = X.pretrained_autoencoder(profile, corpora["pretrain"])
        with clock.stage("vocoder"):
            inverter = V.pretrained(profile, corpora["pretrain"])
        with clock.stage("autoencoder_quality"):
            quality = X.autoencoder_quality(ae, options["autoencoder_test_utterances"], n_iter, cpus,
                                            corpus=corpora["pretrain"], vocoder=inverter)
        participants = [_participant_results(spec, profile, corpora, methods, seeds, jobs, ae, inverter)
                        for spec in tqdm(specs, desc="participants", disable=len(specs) < 2)]
    results = dict(
        profile=profile, seeds=list(seeds), settings=dict(options, seeds=list(seeds)), corpora=corpora,
        participants=participants,
        autoencoder_resynthesis=X.summary(quality, X.QUALITY_COLUMNS),
        vocoder=dict(parameters=D.n_parameters(inverter), epochs=len(inverter.history)),
        compute=compute_context(), stage_seconds=clock.seconds,
        cache=dict(directory=str(cache.cache_dir()), empty_at_start=not any(products_before.values()),
                   built={kind: n - products_before[kind] for kind, n in cache.count_products(CACHED_KINDS).items()}),
        schedule=dict(jobs=jobs, threads_per_job=parallel.threads_per_job(jobs)),
        machine=machine.describe(), versions=_versions())
    write_json(results, out, overwrite)
    return results


def _participant_results(spec: dict, profile: str, corpora: dict, methods, seeds, jobs: int, ae, inverter) -> dict:
    """The whole comparison on one participant: its data facts, every (method, seed) run, the margins, the
    ceilings, the sentence comparison, and what was checked (pre-training overlap, enough data)."""
    options, clock = X.settings(profile), StageClock()
    with clock.stage("participant"):
        rec = load_participant(spec, profile, corpora)
    source = spec["recording"] or "<simulated participant>"
    M.check_usable(rec, profile, source)
    window = participant_window(spec, rec)
    with clock.stage("ceilings"):
        ceilings = X.ceilings(rec, ae, n_iter=options["griffin_lim_iters"], workers=parallel.usable_cores(),
                              vocoder=inverter)
    one_run = functools.partial(run_task, profile=profile, corpora=corpora, spec=spec)
    tasks = _tasks(methods, seeds)
    with clock.stage("table_runs"):  # the runs of the table, side by side in the workers
        done = dict(zip(tasks, parallel.map_in_workers(one_run, tasks, jobs, desc="bench runs")))
    runs = _assemble(done, methods, seeds)
    for (name, _seed), run in done.items():
        for stage in ("train", "evaluate"):
            clock.seconds[f"{stage}/{name}"] = round(clock.seconds.get(f"{stage}/{name}", 0.0)
                                                     + run.pop(f"{stage}_wall_seconds"), 3)
    method_results = {name: dict(seeds=per_seed, across_seeds=_across_seeds(per_seed)) for name, per_seed in runs.items()}
    return dict(
        name="simulated" if spec["recording"] is None else Path(spec["recording"]).name,
        source=dict(kind="simulated", profile=profile, stimuli=corpora["stimuli"]) if spec["recording"] is None
        else dict(kind="recording", format=detect_format(spec["recording"]), **source_identity(spec["recording"])),
        task=rec.task, task_from="--task" if spec["task"] else "the recording",
        lag_window=dict(window.to_dict(), causal=window.causal().to_dict(),
                        chosen_by="--lags" if spec["lags"] else f"the default of task {rec.task!r}"),
        splits=dict(rule=rec.metadata.get("trial_splits", rec.metadata.get("split_source", "stored in the file"))),
        pretraining_overlap=leakage.pretraining_overlap(rec, corpora["pretrain"], source),
        data=_data_facts(rec), methods=method_results,
        margins=_margins(runs) if "transfer" in runs else {},
        ceilings={name: X.summary(table) for name, table in ceilings.groupby("ceiling")},
        sentence_comparisons=comparison.by_sentence(method_results),
        stage_seconds=clock.seconds)


def load_participant(spec: dict, profile: str, corpora: dict):
    """The Recording a bench spec names (`experiment.load_participant`): its recording file, or the profile's
    simulated participant hearing the stimulus half of corpora['stimuli']; the spec's task, if any, overrides."""
    return X.load_participant(profile, spec["recording"], spec["task"], corpus=corpora["stimuli"])


def participant_window(spec: dict, rec) -> LagWindow:
    """The lag window a spec asks for (`lags` in ms), else the default of the recording's task."""
    return LagWindow(*spec["lags"]) if spec["lags"] else LagWindow.for_task(rec.task)


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


def run_task(task: tuple[str, int], profile: str, corpora: dict, spec: dict) -> dict:
    """Train (or load from the cache) and evaluate one (method, seed) run on the participant of `spec`
    (`_participant_results`), vocoding in as many processes as torch has threads (a worker of
    `parallel.map_in_workers` has one or a few).

    corpora: {'pretrain': spec, 'stimuli': spec or None}, as `run_bench` makes it."""
    import torch

    name, seed = task
    options = X.settings(profile)
    rec = load_participant(spec, profile, corpora)
    test = X.split_trials(rec)["test"]
    ae = X.pretrained_autoencoder(profile, corpora["pretrain"]) if name in X.USES_AUTOENCODER else None
    started = time.perf_counter()
    decoder = X.train_method(name, rec, profile, seed, ae=ae, lags=participant_window(spec, rec))
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
