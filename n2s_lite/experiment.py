"""The phase-2 comparison, shared by `n2s bench` and the notebooks: one participant, six methods, one test set.

    rec = participant("standard")                       # simulated listening experiment (cached)
    ae = autoencoder.pretrained("standard")              # phase 1, on speech disjoint from the stimuli
    decoder = train_method("transfer", rec, "standard", seed=0, ae=ae)
    table = evaluate(decoder, split_trials(rec)["test"], rec=rec)   # one row per test sentence

Fairness rules (every method): the same training/validation/test trials and the same z-scored high-gamma
(`data.trial_arrays`), the same lag window (`decoding.LAGS`, t - 100 ms .. t + 300 ms; the causal adaptor
t - 400 ms .. t), hyper-parameters chosen on validation trials only (ridge penalty; early stopping of the
networks, which share one optimisation budget `TrainingSettings`), the same vocoder (`audio.griffin_lim`)
and the same metrics on the same test sentences. Test trials are touched only by `evaluate`.
"""
from __future__ import annotations

import dataclasses
import functools
import time

import numpy as np
import pandas as pd

from . import audio as A
from . import cache, data, metrics
from . import decoding as D

CORPUS = "asterisk"
METHODS = ("transfer", "transfer_causal", "ridge", "mlp", "lstm_cnn", "scratch")
USES_AUTOENCODER = ("transfer", "transfer_causal", "scratch")  # methods built on the phase-1 model
BUDGETS = ("epochs", "steps")  # how a network's gradient steps scale with its training minutes (`train_method`)
METRICS = ("spectrogram_r", "flattened_r", "mcd_db", "stoi", "estoi", "top1", "top5")
MIN_FRAMES = 40  # shortest utterance (E)STOI can score: 30 frames of 12.8 ms after silence removal

PROFILES = {
    # minutes of simulated listening, electrodes, training seeds of the bench, autoencoder profile, the
    # optimisation budget shared by every network, network sizes, phase-2 loss weights (`adaptor.LossWeights`),
    # Griffin-Lim iterations, held-out utterances for the autoencoder's resynthesis quality
    "smoke": dict(
        minutes=3.0, n_electrodes=32, seeds=(0,), autoencoder="smoke",
        training=dict(window=128, batch_size=8, max_epochs=3, patience=2, schedule="cosine"),
        adaptor=dict(channels=24, hidden=32), loss=dict(), mlp=dict(hidden=64), lstm_cnn=dict(channels=24, hidden=32),
        griffin_lim_iters=8, autoencoder_test_utterances=4),
    "standard": dict(
        minutes=20.0, n_electrodes=64, seeds=(0, 1, 2), autoencoder="standard",
        # cosine decay and patience 10 chosen on validation trials (transfer 0.644 +- 0.008 vs 0.637 +- 0.018
        # with a constant rate and patience 5, MLP 0.629 +- 0.002 vs 0.617 +- 0.002; 3 seeds)
        training=dict(window=200, batch_size=16, max_epochs=30, patience=10, schedule="cosine"),
        # latent alignment off: validation spectrogram r 0.641 without it vs 0.632 (weight 0.3), seed 0;
        # intelligibility weight 0.2: validation ESTOI 0.231 vs 0.165 without, r 0.642 vs 0.645 (seeds 0/1)
        adaptor=dict(channels=64, hidden=96), loss=dict(latent=0.0, intelligibility=0.2), mlp=dict(hidden=256),
        # 16 Griffin-Lim iterations: ESTOI of the true test mels 0.908 vs 0.915 with 32 (bench ceilings), at half
        # the vocoding time of the ~1000 waveforms a bench scores
        lstm_cnn=dict(channels=64, hidden=96), griffin_lim_iters=16, autoencoder_test_utterances=40),
    "full": dict(
        minutes=20.0, n_electrodes=64, seeds=(0, 1, 2, 3, 4), autoencoder="full",
        training=dict(window=300, batch_size=32, max_epochs=200, patience=20, lr=1e-3, schedule="cosine"),
        adaptor=dict(channels=128, hidden=256), loss=dict(), mlp=dict(hidden=512),
        lstm_cnn=dict(channels=128, hidden=256), griffin_lim_iters=64, autoencoder_test_utterances=None),
}


def settings(profile: str) -> dict:
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {sorted(PROFILES)}, got {profile!r}")
    return PROFILES[profile]


# --------------------------------------------------------------------------------------------------- data
def corpus_spec(specs):
    """A corpus spec as the functions below take it: one spec stays a string (so the default corpus keeps its
    cache keys), several become a tuple (hashable, for the in-process caches). 'asterisk', ['a', 'b'] -> ('a', 'b')."""
    if isinstance(specs, str):
        return specs
    specs = tuple(specs)
    return specs[0] if len(specs) == 1 else specs


def participant(profile: str = "smoke", seed: int = 0, corpus=CORPUS, snr: float | None = None):
    """The simulated participant of a profile: listening to the stimulus half of `corpus` (a spec or a sequence
    of specs, see `corpus_spec`; the default corpus makes the default participant).

    snr: response-to-noise variance of a gain-1 site (`neuro.simulate_listening`; None: the calibrated default).
    Another snr gives the same sentences, schedule, brain and noise draws, only the noise scaled: the same
    experiment with poorer (or better) neural data.
    Cached on disk, keyed by the settings and the source of the simulator, corpora and io modules
    (`cache.code_fingerprint`), so a recalibrated simulator never serves a stale recording.
    """
    return _participant(profile, seed, corpus_spec(corpus), None if snr is None else float(snr))


@functools.lru_cache(maxsize=4)
def _participant(profile: str, seed: int, corpus, snr: float | None):
    from . import corpora, io, neuro

    config = dict(kind="participant", corpus=corpus, minutes=settings(profile)["minutes"],
                  n_electrodes=settings(profile)["n_electrodes"], seed=seed, mel=A.mel_params())
    if snr is not None:  # only then, so the default participant keeps its cache key
        config["snr"] = snr

    def simulate(path):
        _pretrain, stimuli = corpora.pretraining_and_stimuli(corpora.load(corpus))
        rec = neuro.simulate_listening(stimuli, minutes=config["minutes"], n_electrodes=config["n_electrodes"],
                                       snr=snr, seed=seed)
        io.save(rec, path, overwrite=True)

    return io.load(cache.cached("participant", config, simulate, code=("corpora", "neuro", "io")))


def split_trials(rec) -> dict:
    """{'train', 'val', 'test'} -> list of `data.Trial`, z-scored with training statistics only."""
    stats = data.neural_stats(rec)
    return {split: data.trial_arrays(rec, split, stats) for split in ("train", "val", "test")}


def minutes_of(trials: list) -> float:
    """Minutes of frames the trials hold."""
    return sum(len(t.mel) for t in trials) / A.FRAME_RATE / 60


def first_minutes(trials: list, minutes: float) -> list:
    """The first trials (in recording order) holding up to `minutes` of frames (at least one trial)."""
    budget = minutes * 60 * A.FRAME_RATE
    lengths = np.cumsum([len(t.mel) for t in sorted(trials, key=lambda t: t.start)])
    return sorted(trials, key=lambda t: t.start)[: max(1, int(np.searchsorted(lengths, budget, side="right")))]


# ------------------------------------------------------------------------------------------------ methods
def training_settings(profile: str, steps_per_epoch: int | None = None) -> D.TrainingSettings:
    """The profile's optimisation budget; steps_per_epoch: gradient steps per epoch (None: one pass over the data)."""
    return D.TrainingSettings(**settings(profile)["training"], steps_per_epoch=steps_per_epoch)


def train_on_trials(name: str, train: list, val: list, profile: str = "smoke", seed: int = 0, ae=None,
                    steps_per_epoch: int | None = None):
    """Train method `name` (one of METHODS) on Trial lists -> decoder with .predict(hg) -> (T, 80) and .n_parameters.

    steps_per_epoch: gradient steps per epoch of the networks (None: one pass over `train`'s frames).
    """
    from .adaptor import LossWeights, train_adaptor
    from .baselines import RidgeDecoder
    from .baselines.neural import train_baseline

    options = settings(profile)
    if name == "ridge":
        return RidgeDecoder(lags=D.LAGS).fit(train, val)
    if name in ("mlp", "lstm_cnn"):
        return train_baseline(name, train, val, training_settings(profile, steps_per_epoch), seed, **options[name])
    if name in USES_AUTOENCODER:
        ae = ae if ae is not None else pretrained_autoencoder(profile)
        return train_adaptor(ae, train, val, training_settings(profile, steps_per_epoch), seed,
                             causal=name == "transfer_causal",
                             pretrained=name != "scratch", weights=LossWeights(**options["loss"]), **options["adaptor"])
    raise ValueError(f"method must be one of {METHODS}, got {name!r}")


def train_method(name: str, rec, profile: str = "smoke", seed: int = 0, ae=None, minutes: float | None = None,
                 electrodes=None, budget: str = "epochs"):
    """Train method `name` on `rec`'s training trials, validation on its val trials.

    minutes: only the first `minutes` of training trials; electrodes: only these columns of the good
    electrodes (`keep_electrodes`). budget, how a network's training scales with `minutes`: 'epochs' (an
    epoch is one pass over the trials it trains on, so less data also means fewer gradient steps) or
    'steps' (every epoch has as many steps as a pass over all training trials: less data, same training).
    Trained networks are cached on disk, keyed by the recording's content, the method, the profile's
    settings, the seed, the data subset, the steps per epoch, the autoencoder's weights and where they train
    (device and CPU threads, `train.compute_context`), so `n2s bench` and every notebook share them when
    they would train the same network, whichever ran first (`decoder.train_seconds` keeps the time of the
    training that made it). Ridge is fitted directly.
    """
    from . import adaptor
    from .baselines import neural
    from .train import compute_context

    if budget not in BUDGETS:
        raise ValueError(f"budget must be one of {BUDGETS}, got {budget!r}")
    trials = {split: keep_electrodes(items, electrodes) for split, items in split_trials(rec).items()}
    train = trials["train"] if minutes is None else first_minutes(trials["train"], minutes)
    steps_per_epoch = None  # one pass over `train`; the same as 'steps' when training on all trials
    if budget == "steps" and len(train) < len(trials["train"]):
        training = training_settings(profile)
        steps_per_epoch = D.one_pass_steps(sum(len(t.mel) for t in trials["train"]), training.window,
                                           training.batch_size)

    def fit():
        started = time.perf_counter()
        decoder = train_on_trials(name, train, trials["val"], profile, seed, ae, steps_per_epoch)
        decoder.train_seconds = time.perf_counter() - started
        return decoder

    if name not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {name!r}")
    if name == "ridge":
        return fit()
    uses_autoencoder = name in USES_AUTOENCODER
    if uses_autoencoder and ae is None:
        ae = pretrained_autoencoder(profile)
    module = adaptor if uses_autoencoder else neural
    config = dict(kind="decoder", method=name, settings=settings(profile), seed=seed, minutes=minutes,
                  electrodes=None if electrodes is None else [int(i) for i in electrodes],
                  steps_per_epoch=steps_per_epoch, compute=compute_context(),
                  recording=_array_digest(rec.high_gamma, rec.audio, rec.trials.to_csv().encode()),
                  autoencoder=_array_digest(*[p.detach().numpy() for p in ae.state_dict().values()])
                  if uses_autoencoder else None)
    return module.load(cache.cached("decoder", config, lambda path: module.save(fit(), path), suffix=".pt",
                                    code=("experiment",)))


def keep_electrodes(trials: list, electrodes=None) -> list:
    """Trials with hg (T, E_good) cut to the given column indices (None: all of them)."""
    if electrodes is None:
        return trials
    columns = list(electrodes)
    return [dataclasses.replace(t, hg=t.hg[:, columns]) for t in trials]


def _array_digest(*parts) -> str:
    """sha256 of arrays / bytes, to key cached products by the data they were made from."""
    import hashlib

    digest = hashlib.sha256()
    for part in parts:
        digest.update(part if isinstance(part, bytes) else np.ascontiguousarray(part).tobytes())
    return digest.hexdigest()[:16]


def pretrained_autoencoder(profile: str = "smoke", corpus=CORPUS):
    """Phase 1 for this profile (cached): trained on the pre-training half of `corpus` only (see `corpus_spec`).

    The halves are decided per sentence by a hash, so a sentence on the stimulus side of one corpus is on it in
    every corpus: pre-training and stimuli stay disjoint even when they come from different corpora."""
    from . import autoencoder

    return autoencoder.pretrained(settings(profile)["autoencoder"], corpus=corpus_spec(corpus), seed=0,
                                  progress=False)


# ------------------------------------------------------------------------------------------------ metrics
def reference_audio(rec, trial) -> np.ndarray:
    """(T * 160,) float32 the participant heard during `trial`."""
    return np.asarray(rec.audio[trial.start * A.HOP:(trial.start + len(trial.mel)) * A.HOP], np.float32)


def predict_all(decoder, trials: list) -> list[np.ndarray]:
    """(T_i, 80) dB prediction for every trial."""
    return [np.asarray(decoder.predict(t.hg), np.float32) for t in trials]


def evaluate(decoder_or_predictions, trials: list, vocode: bool = True, rec=None, n_iter: int = 32,
             workers: int = 1) -> pd.DataFrame:
    """One row per trial: spectrogram_r, flattened_r, mcd_db, identification rank/top1/top5 and, with
    vocode=True, STOI and ESTOI of the Griffin-Lim waveform against the audio heard (needs `rec`;
    `workers` processes share the vocoding).

    decoder_or_predictions: an object with .predict(hg) or a list of (T_i, 80) dB mels, one per trial.
    Identification ranks each decoded sentence among the distinct sentences of `trials` (ties with a
    repeat of the same sentence do not count against it).
    """
    predictions = (decoder_or_predictions if isinstance(decoder_or_predictions, (list, tuple))
                   else predict_all(decoder_or_predictions, trials))
    if len(predictions) != len(trials):
        raise ValueError(f"{len(predictions)} predictions for {len(trials)} trials")
    if vocode and rec is None:
        raise ValueError("vocode=True needs the recording (rec=...) for the audio each trial played")
    ranks = metrics.identification_ranks([t.mel for t in trials], predictions)
    table = pd.DataFrame([dict(stimulus_id=t.stimulus_id, text=t.text, start=t.start, n_frames=len(t.mel),
                               spectrogram_r=metrics.spectrogram_correlation(t.mel, pred),
                               flattened_r=metrics.flattened_correlation(t.mel, pred),
                               mcd_db=metrics.mel_cepstral_distortion(t.mel, pred),
                               rank=int(rank), top1=float(rank < 1), top5=float(rank < 5))
                          for t, pred, rank in zip(trials, predictions, ranks)])
    if vocode:
        jobs = [(pred, reference_audio(rec, t), n_iter) for t, pred in zip(trials, predictions)]
        table[["stoi", "estoi"]] = _parallel_map(vocoded_intelligibility, jobs, workers)
    return table


def vocoded_intelligibility(job: tuple) -> tuple[float, float]:
    """(mel (T, 80) dB, heard (T * 160,) audio, Griffin-Lim iterations) -> (STOI, ESTOI) of the vocoded mel."""
    mel, heard, n_iter = job
    wave = A.griffin_lim(mel, n_iter=n_iter)
    return metrics.stoi(heard, wave), metrics.stoi(heard, wave, extended=True)


def _parallel_map(function, jobs: list, workers: int) -> list:
    """map() over `workers` forked processes (NumPy-only work), or in this process when workers <= 1."""
    if workers <= 1 or len(jobs) < 2:
        return [function(job) for job in jobs]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        return list(pool.map(function, jobs, chunksize=max(1, len(jobs) // (4 * workers))))


def ceilings(rec, ae, vocode: bool = True, n_iter: int = 32, workers: int = 1) -> pd.DataFrame:
    """Upper bounds on the test sentences: the autoencoder's resynthesis of the true mel ('autoencoder')
    and Griffin-Lim of the true mel itself ('griffin_lim'). Column `ceiling` names the row's bound."""
    from .autoencoder import reconstruct_mel

    test = split_trials(rec)["test"]
    bounds = {"autoencoder": [reconstruct_mel(ae, t.mel) for t in test], "griffin_lim": [t.mel for t in test]}
    return pd.concat([evaluate(mels, test, vocode, rec, n_iter, workers).assign(ceiling=name) for name, mels in bounds.items()],
                     ignore_index=True)


def autoencoder_quality(ae, n_utterances: int | None = 40, n_iter: int = 32, workers: int = 1,
                        corpus=CORPUS) -> pd.DataFrame:
    """Resynthesis of held-out real speech (the test split of `corpus`'s pre-training half, never seen in
    phase 1): one row per utterance with spectrogram_r, mcd_db, and STOI/ESTOI of autoencoder + Griffin-Lim
    and, for reference, of Griffin-Lim on the true mel (columns gl_stoi, gl_estoi)."""
    from . import corpora
    from .autoencoder import reconstruct_mel

    pretrain, _stimuli = corpora.pretraining_and_stimuli(corpora.load(corpus_spec(corpus)))
    held_out = [u for u in list(pretrain.split("test"))[:n_utterances] if A.n_frames(len(u.audio)) >= MIN_FRAMES]
    mels = [A.log_mel(u.audio) for u in held_out]
    recons = [reconstruct_mel(ae, mel) for mel in mels]
    heard = [u.audio[: len(mel) * A.HOP] for u, mel in zip(held_out, mels)]
    table = pd.DataFrame(dict(id=[u.id for u in held_out],
                              spectrogram_r=[metrics.spectrogram_correlation(m, r) for m, r in zip(mels, recons)],
                              mcd_db=[metrics.mel_cepstral_distortion(m, r) for m, r in zip(mels, recons)]))
    for prefix, source in (("", recons), ("gl_", mels)):
        jobs = [(mel, wave, n_iter) for mel, wave in zip(source, heard)]
        table[[f"{prefix}stoi", f"{prefix}estoi"]] = _parallel_map(vocoded_intelligibility, jobs, workers)
    return table


def summary(table: pd.DataFrame, columns=METRICS) -> dict:
    """Per-sentence table -> {metric: metrics.summarise(values)} for the columns present."""
    return {c: metrics.summarise(table[c]) for c in columns if c in table}


# ------------------------------------------------------------------- data amount, electrodes and noise
def data_curve(profile: str = "smoke", minutes=(1, 2, 5, 10, 20), methods=METHODS, seeds=(0,),
               vocode: bool = False, jobs: int | None = None, budget: str = "epochs") -> pd.DataFrame:
    """Train each method on the first k minutes of training trials (same validation and test trials).

    Returns one row per (minutes, method, seed) with the mean of each metric over test sentences, the
    minutes actually used (capped by the recording), the budget (`train_method`: 'epochs' or 'steps')
    and the training seconds. seeds: an int or a sequence. The runs train and score in `jobs` worker
    processes (see `_sweep`).
    """
    trials = split_trials(participant(profile))
    subsets = {k: first_minutes(trials["train"], k) for k in minutes}
    # None: all training trials, so the model is the one `n2s bench` trains in its workers (cached)
    points = {k: dict(minutes=None if len(subset) == len(trials["train"]) else k, budget=budget)
              for k, subset in subsets.items()}
    available = minutes_of(trials["train"])
    return pd.DataFrame([dict(minutes=k, minutes_used=minutes_of(subsets[k]), minutes_available=available,
                              budget=budget, **row)
                         for k, row in _sweep(profile, points, methods, seeds, vocode, jobs, "data curve")])


def electrode_curve(profile: str = "smoke", counts=(16, 32), methods=("transfer", "ridge"), seeds=(0,),
                    draw_seed: int = 0, vocode: bool = False, jobs: int | None = None) -> pd.DataFrame:
    """Train each method on all training minutes but only n of the good electrodes, for n in counts and all.

    The subsets are nested (each smaller one is part of the larger ones), drawn once with `draw_seed`
    and shared by every method and training seed. Returns one row per (electrodes, method, seed) with
    the mean of each metric over test sentences; counts >= the number of good electrodes mean all.
    """
    n_good = split_trials(participant(profile))["train"][0].hg.shape[1]
    order = np.random.default_rng(draw_seed).permutation(n_good)
    sizes = sorted({min(int(n), n_good) for n in counts} | {n_good})
    points = {n: dict(electrodes=None if n == n_good else tuple(sorted(order[:n].tolist()))) for n in sizes}
    return pd.DataFrame([dict(electrodes=n, **row)
                         for n, row in _sweep(profile, points, methods, seeds, vocode, jobs, "electrode curve")])


def snr_curve(profile: str = "smoke", snrs=(0.0375, 0.075), methods=("transfer", "ridge"), seeds=(0,),
              vocode: bool = False, jobs: int | None = None) -> pd.DataFrame:
    """Train each method on all training minutes of participants with stronger neural noise: one per snr in
    snrs, and the calibrated default (`neuro.simulate.DEFAULT_SNR`: the bench's participant).

    snr: response-to-noise variance of a gain-1 site. The participants differ only in the scale of their
    noise (see `participant`), so the curve shows poorer neural data for the same speech heard. Returns one
    row per (snr, method, seed) with the mean of each metric over test sentences.
    """
    from .neuro.simulate import DEFAULT_SNR

    points = {snr: dict(snr=None if snr == DEFAULT_SNR else snr)
              for snr in sorted({float(s) for s in snrs} | {DEFAULT_SNR})}
    return pd.DataFrame([dict(snr=snr, **row)
                         for snr, row in _sweep(profile, points, methods, seeds, vocode, jobs, "snr curve")])


def _sweep(profile: str, points: dict, methods, seeds, vocode: bool, jobs: int | None, desc: str) -> list:
    """Train and score every (point, method, seed): points maps a label to `train_method` keywords
    (minutes, electrodes, budget) and optionally the participant's snr -> [(label, row)] with the
    test-sentence mean of each metric.

    The runs go to `jobs` worker processes (`parallel.map_in_workers`), each trained (or loaded from the
    cache) and scored in its worker, so their training seconds are those of a worker with cpu_count // jobs
    threads, and a network is looked up with the thread count that trains it (`train_method`).
    """
    from . import parallel

    seeds = (seeds,) if isinstance(seeds, int) else tuple(seeds)
    if set(methods) & set(USES_AUTOENCODER):
        pretrained_autoencoder(profile)  # phase 1 here, not in every worker that needs it at once
    for point in points.values():  # likewise each participant
        _recording_and_keywords(profile, point)
    runs = [(label, name, seed) for label in points for name in methods for seed in seeds]
    rows = parallel.map_in_workers(functools.partial(_train_and_score, profile=profile, vocode=vocode),
                                   [(name, seed, points[label]) for label, name, seed in runs], jobs, desc)
    return [(label, row) for (label, _name, _seed), row in zip(runs, rows)]


def _recording_and_keywords(profile: str, point: dict) -> tuple:
    """A `_sweep` point -> (the profile's participant at the point's snr, the `train_method` keywords)."""
    keywords = dict(point)
    return participant(profile, snr=keywords.pop("snr", None)), keywords


def _train_and_score(run: tuple, profile: str, vocode: bool) -> dict:
    """Train (or load) (method, seed, `_sweep` point) on the profile's participant and score it on the
    test trials (a `_sweep` task) -> {method, seed, train_seconds, n_parameters, mean of each metric}."""
    name, seed, point = run
    rec, keywords = _recording_and_keywords(profile, point)
    ae = pretrained_autoencoder(profile) if name in USES_AUTOENCODER else None
    decoder = train_method(name, rec, profile, seed, ae, **keywords)
    test = keep_electrodes(split_trials(rec)["test"], keywords.get("electrodes"))
    table = evaluate(decoder, test, vocode, rec, settings(profile)["griffin_lim_iters"])
    return dict(method=name, seed=seed, train_seconds=decoder.train_seconds, n_parameters=decoder.n_parameters,
                **{m: s["mean"] for m, s in summary(table).items()})
