"""The decoders compared, trained one way: phase 2 (transfer, its causal variant, scratch) and the baselines.

    rec = experiment.participant("standard")
    decoder = train_method("transfer", rec, "standard", seed=0)   # .predict(hg (T, E)) -> (T, 80) dB mel

Everything that decides what a trained network is lives here (and in what it imports), so the cache key of
a trained decoder follows this module's code and not the evaluation, the sweeps or the simulated
participant (`experiment`): editing how a decoder is scored never retrains it.
"""
from __future__ import annotations

import dataclasses
import time

import numpy as np

from . import audio as A
from . import cache, data
from . import decoding as D
from .data import split_trials
from .lags import LagWindow
from .profiles import Section, corpora_of, corpus_spec, lookup  # noqa: F401 (corpus_spec: for callers)

METHODS = ("transfer", "transfer_causal", "ridge", "mlp", "lstm_cnn", "scratch")  # compared by default
# trained only when asked for by name: transfer onto the phase-1 autoencoder refined on the participant's own
# training trials first (`refined_autoencoder`, notebook 11)
OPTIONAL_METHODS = ("transfer_refined",)
ALL_METHODS = METHODS + OPTIONAL_METHODS
USES_AUTOENCODER = ("transfer", "transfer_causal", "scratch", "transfer_refined")  # built on the phase-1 model
BUDGETS = ("epochs", "steps")  # how a network's gradient steps scale with its training minutes (`train_method`)

PROFILES = Section("experiment")  # {profile: settings}, kept in `profiles.SETTINGS`


def settings(profile: str) -> dict:
    """The phase-2 experiment's settings of a profile (smoke, standard, full)."""
    return lookup(PROFILES, profile, "experiment")


# --------------------------------------------------------------------------------------------------- data
def check_usable(rec, profile: str, source: str = "<recording>") -> None:
    """InputError naming `source` unless `rec` has what every method of the profile needs: the package's clocks
    (high-gamma at 100 Hz, audio at 16 kHz), a 'val' and a 'test' trial, and at least one training window
    (`TrainingSettings.window` frames) of 'train' trials."""
    from .errors import InputError

    if (rec.frame_rate, rec.audio_rate) != (A.FRAME_RATE, A.SAMPLE_RATE):
        raise InputError(source, "frame_rate", f"high-gamma at {A.FRAME_RATE} Hz and audio at {A.SAMPLE_RATE} Hz "
                         "(resample both, e.g. scipy.signal.resample_poly, and save the Recording again)",
                         f"{rec.frame_rate:g} Hz and {rec.audio_rate} Hz")

    window = training_settings(profile).window
    counts = {split: len(rec.trials_in(split)) for split in ("train", "val", "test")}
    train_frames = int((rec.trials_in("train")["end"] - rec.trials_in("train")["start"]).sum())
    if counts["val"] < 1 or counts["test"] < 1 or train_frames < window:
        raise InputError(source, "trials", f"at least 1 'val' and 1 'test' trial and {window} frames "
                         f"({window / A.FRAME_RATE:.1f} s) of 'train' trials for the {profile} profile",
                         f"{counts['train']} train trials ({train_frames} frames), {counts['val']} val, "
                         f"{counts['test']} test")


def minutes_of(trials: list) -> float:
    """Minutes of frames the trials hold."""
    return sum(len(t.mel) for t in trials) / A.FRAME_RATE / 60


def first_minutes(trials: list, minutes: float) -> list:
    """The first trials (in recording order) holding up to `minutes` of frames (at least one trial)."""
    budget = minutes * 60 * A.FRAME_RATE
    lengths = np.cumsum([len(t.mel) for t in sorted(trials, key=lambda t: t.start)])
    return sorted(trials, key=lambda t: t.start)[: max(1, int(np.searchsorted(lengths, budget, side="right")))]


def training_settings(profile: str, steps_per_epoch: int | None = None) -> D.TrainingSettings:
    """The profile's optimisation budget; steps_per_epoch: gradient steps per epoch (None: one pass over the data)."""
    return D.TrainingSettings(**settings(profile)["training"], steps_per_epoch=steps_per_epoch)


def train_on_trials(name: str, train: list, val: list, profile: str = "smoke", seed: int = 0, ae=None,
                    steps_per_epoch: int | None = None, window: LagWindow | None = None):
    """Train method `name` (one of ALL_METHODS) on Trial lists -> decoder with .predict(hg) -> (T, 80) and
    .n_parameters.

    steps_per_epoch: gradient steps per epoch of the networks (None: one pass over `train`'s frames).
    window: the lag window every method reads (default: listening's); transfer_causal reads its causal variant.
    ae: the autoencoder the adaptor maps onto; for transfer_refined, the refined one (`train_method` makes it).
    """
    from .adaptor import LossWeights, train_adaptor
    from .baselines import RidgeDecoder
    from .baselines.neural import train_baseline

    options = settings(profile)
    window = window or LagWindow.for_task("listening")
    if name == "ridge":
        return RidgeDecoder(lags=window.lags).fit(train, val)
    if name in ("mlp", "lstm_cnn"):
        return train_baseline(name, train, val, training_settings(profile, steps_per_epoch), seed, window=window,
                              **options[name])
    if name in USES_AUTOENCODER:
        ae = ae if ae is not None else pretrained_autoencoder(profile)
        return train_adaptor(ae, train, val, training_settings(profile, steps_per_epoch), seed,
                             causal=name == "transfer_causal", window=window,
                             pretrained=name != "scratch", weights=LossWeights(**options["loss"]), **options["adaptor"])
    raise ValueError(f"method must be one of {ALL_METHODS}, got {name!r}")


def train_method(name: str, rec, profile: str = "smoke", seed: int = 0, ae=None, minutes: float | None = None,
                 electrodes=None, budget: str = "epochs", lags: LagWindow | None = None):
    """Train method `name` on `rec`'s training trials, validation on its val trials.

    lags: the lag window (`lags.LagWindow`); None: the default window of the recording's task (`rec.task`).
    transfer_refined first refines the autoencoder on the same training trials, window and seed
    (`refined_autoencoder`, cached) and then trains the transfer adaptor onto it.
    minutes: only the first `minutes` of training trials; electrodes: only these columns of the good
    electrodes (`keep_electrodes`). budget, how a network's training scales with `minutes`: 'epochs' (an
    epoch is one pass over the trials it trains on, so less data also means fewer gradient steps) or
    'steps' (every epoch has as many steps as a pass over all training trials: less data, same training).
    Trained networks are cached on disk, keyed by the recording's content, the method, the profile's
    settings, the seed, the data subset, the steps per epoch, the lag window, the autoencoder's weights and where they train
    (device and CPU threads, `train.compute_context`), so `n2s bench` and every notebook share them when
    they would train the same network, whichever ran first (`decoder.train_seconds` keeps the time of the
    training that made it). Ridge is fitted directly.
    """
    from . import adaptor
    from .baselines import neural
    from .train import compute_context

    if budget not in BUDGETS:
        raise ValueError(f"budget must be one of {BUDGETS}, got {budget!r}")
    window = lags or LagWindow.for_task(rec.task)
    trials, train = training_data(rec, minutes, electrodes)
    steps_per_epoch = None  # one pass over `train`; the same as 'steps' when training on all trials
    if budget == "steps" and len(train) < len(trials["train"]):
        training = training_settings(profile)
        steps_per_epoch = D.one_pass_steps(sum(len(t.mel) for t in trials["train"]), training.window,
                                           training.batch_size)

    def fit():
        started = time.perf_counter()
        decoder = train_on_trials(name, with_tracks_if_supervised(name, profile, rec, train), trials["val"], profile,
                                  seed, ae, steps_per_epoch, window)
        decoder.train_seconds = time.perf_counter() - started
        return decoder

    if name not in ALL_METHODS:
        raise ValueError(f"method must be one of {ALL_METHODS}, got {name!r}")
    if name == "ridge":
        return fit()
    uses_autoencoder = name in USES_AUTOENCODER
    if uses_autoencoder and ae is None:
        ae = pretrained_autoencoder(profile)
    if name == "transfer_refined":
        ae = refined_autoencoder(rec, ae, profile, seed, window, minutes=minutes, electrodes=electrodes)
    module = adaptor if uses_autoencoder else neural
    config = dict(kind="decoder", method=name, settings=settings(profile), seed=seed,
                  steps_per_epoch=steps_per_epoch, lags=window.to_dict(), compute=compute_context(),
                  autoencoder=_weights_digest(ae) if uses_autoencoder else None,
                  **_data_key(rec, minutes, electrodes))
    return module.load(cache.cached("decoder", config, lambda path: module.save(fit(), path), suffix=".pt",
                                    code=("methods",)))


def with_tracks_if_supervised(name: str, profile: str, rec, trials: list) -> list:
    """The training trials, with their reference tracks (`data.with_reference_tracks`) if method `name`'s
    phase-2 loss in this profile supervises a synthesizer decoder's controls (`adaptor.LossWeights`)."""
    from .adaptor import LossWeights

    if name in USES_AUTOENCODER and LossWeights(**settings(profile)["loss"]).supervises_tracks:
        return data.with_reference_tracks(rec, trials)
    return trials


def training_data(rec, minutes: float | None = None, electrodes=None) -> tuple[dict, list]:
    """(`split_trials` cut to the `electrodes` columns, its 'train' trials within the first `minutes`): the data
    `train_method` and `refined_autoencoder` train on (None: all of it)."""
    trials = {split: keep_electrodes(items, electrodes) for split, items in split_trials(rec).items()}
    return trials, trials["train"] if minutes is None else first_minutes(trials["train"], minutes)


def _data_key(rec, minutes: float | None, electrodes) -> dict:
    """What a cached product of `training_data(rec, minutes, electrodes)` is keyed by: the recording's content
    and the subset."""
    return dict(recording=cache.data_digest(rec.high_gamma, rec.audio, rec.trials.to_csv().encode()),
                minutes=minutes, electrodes=None if electrodes is None else [int(i) for i in electrodes])


def _weights_digest(model) -> str:
    """A network's weights, as a cache key."""
    return cache.data_digest(*[p.detach().cpu().numpy() for p in model.state_dict().values()])


def keep_electrodes(trials: list, electrodes=None) -> list:
    """Trials with hg (T, E_good) cut to the given column indices (None: all of them)."""
    if electrodes is None:
        return trials
    columns = list(electrodes)
    return [dataclasses.replace(t, hg=t.hg[:, columns]) for t in trials]


def pretrained_autoencoder(profile: str = "smoke", corpus=None, decoder: str = "mel", encoder: str | None = None,
                           layer: int | None = None):
    """Phase 1 for this profile (cached): trained on the pre-training half of `corpus` only (a spec or several,
    `corpus_spec`; None: the profile's pre-training corpus, `profiles.corpora_of`).

    The halves are decided per sentence by a hash, so a sentence on the stimulus side of one corpus is on it in
    every corpus: pre-training and stimuli stay disjoint even when they come from different corpora.
    decoder: "mel" (the method's autoencoder) or "synth" (the formant synthesizer as its decoder).
    encoder: a self-supervised speech model (a folder or a hub name, e.g. 'facebook/wav2vec2-base') whose hidden
    layer `layer` is the frozen latent; phase 1 then trains the decoder only (`ssl_phase1.pretrained`)."""
    from . import autoencoder, ssl_phase1

    phase1_profile, corpus = settings(profile)["autoencoder"], corpora_of(profile, corpus)["pretrain"]
    if encoder is not None:
        return ssl_phase1.pretrained(phase1_profile, corpus, 0, encoder, layer)
    return autoencoder.pretrained(phase1_profile, corpus=corpus, seed=0, decoder=decoder)


def refined_autoencoder(rec, ae, profile: str = "smoke", seed: int = 0, window: LagWindow | None = None,
                        minutes: float | None = None, electrodes=None):
    """`ae` refined on `rec`'s training trials by brain activity (`refine.refine`; its validation trials stop each
    stage), cached on disk: keyed by the recording's content, the autoencoder's weights, the refinement's settings,
    the seed, the lag window (default: the task's), the data subset and the code. minutes and electrodes select
    the training data as in `train_method`. Returns the refined autoencoder; `.history` holds both stages'
    epochs ('stage' key)."""
    from . import autoencoder, refine

    window = window or LagWindow.for_task(rec.task)
    config = dict(kind="refined_autoencoder", settings=refine.settings(profile), seed=seed, lags=window.to_dict(),
                  autoencoder=_weights_digest(ae), **_data_key(rec, minutes, electrodes))

    def build(path):
        trials, train = training_data(rec, minutes, electrodes)
        result = refine.refine(ae, train, trials["val"], window, profile, seed)
        history = [dict(epoch, stage=int(stage[-1])) for stage, epochs in result.history.items() for epoch in epochs]
        autoencoder.save(result.autoencoder, path, history=history)

    return autoencoder.load(cache.cached("refined_autoencoder", config, build, suffix=".pt", code=("methods",)))
