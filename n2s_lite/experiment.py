"""The phase-2 comparison, shared by `n2s bench` and the notebooks: one participant, six methods, one test set.

    rec = participant("standard")                       # simulated listening experiment (cached)
    ae = autoencoder.pretrained("standard")              # phase 1, on speech disjoint from the stimuli
    decoder = train_method("transfer", rec, "standard", seed=0, ae=ae)
    table = evaluate(decoder, split_trials(rec)["test"], rec=rec)   # one row per test sentence

Fairness rules (every method): the same training/validation/test trials and the same z-scored high-gamma
(`data.trial_arrays`), the same lag window (the recording task's `lags.LagWindow`: listening t - 100 ms ..
t + 300 ms, speaking t - 200 ms .. t + 200 ms; the causal adaptor its causal variant), hyper-parameters chosen on validation trials only (ridge penalty; early stopping of the
networks, which share one optimisation budget `TrainingSettings`), the same vocoder (`audio.griffin_lim`)
and the same metrics on the same test sentences. Test trials are touched only by `evaluate`.

How each method is trained lives in `methods` (its names are re-exported here, so notebooks need only this
module): a trained decoder's cache key follows that code, not the scoring and sweeps below.
"""
from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from . import audio as A
from . import cache, metrics, parallel
from . import vocoder as V
from .methods import (ALL_METHODS, BUDGETS, METHODS, PROFILES, USES_AUTOENCODER, corpora_of,  # noqa: F401
                      corpus_spec, first_minutes, keep_electrodes, minutes_of, pretrained_autoencoder,
                      refined_autoencoder, settings, split_trials, train_method, train_on_trials, training_settings)

METRICS = ("spectrogram_r", "flattened_r", "mcd_db", "stoi", "estoi", "top1", "top5")
# the columns of `autoencoder_quality` (neural_*: with a vocoder; synth_*: a decoder="synth" autoencoder)
QUALITY_COLUMNS = ("spectrogram_r", "mcd_db", "stoi", "estoi", "gl_stoi", "gl_estoi", "neural_stoi", "neural_estoi",
                   "neural_true_stoi", "neural_true_estoi", "synth_stoi", "synth_estoi", "synth_f0_error_semitones",
                   "synth_voicing_accuracy", "synth_f1_error_semitones", "synth_f2_error_semitones",
                   "synth_f3_error_semitones")
MIN_FRAMES = 40  # shortest utterance (E)STOI can score: 30 frames of 12.8 ms after silence removal


# --------------------------------------------------------------------------------------------------- data
def participant(profile: str = "smoke", seed: int = 0, corpus=None, snr: float | None = None,
                category_share: float = 0.0, task: str = "listening"):
    """The simulated participant of a profile: listening to the stimulus half of `corpus` (a spec or a sequence
    of specs, see `corpus_spec`; None: the profile's stimulus corpus, `profiles.corpora_of`), or with
    task='speaking' reading it aloud (`neuro.simulate_speaking`).

    snr: response-to-noise variance of a gain-1 site (`neuro.simulate_listening`; None: the calibrated default).
    Another snr gives the same sentences, schedule, brain and noise draws, only the noise scaled: the same
    experiment with poorer (or better) neural data.
    category_share: the share of spectrotemporal sites that respond to broad sound categories instead
    (`neuro.simulate_listening`); the same sentences, other sites and noise.
    Cached on disk, keyed by the settings and the source of the simulator, corpora and io modules
    (`cache.code_fingerprint`), so a recalibrated simulator never serves a stale recording.
    """
    return _participant(profile, seed, corpora_of(profile, corpus)["stimuli"], None if snr is None else float(snr),
                        float(category_share), task)


@functools.lru_cache(maxsize=4)
def _participant(profile: str, seed: int, corpus, snr: float | None, category_share: float, task: str = "listening"):
    from . import corpora, io, neuro

    config = dict(kind="participant", corpus=corpus, minutes=settings(profile)["minutes"],
                  n_electrodes=settings(profile)["n_electrodes"], seed=seed, mel=A.mel_params())
    if snr is not None:  # only then, so the default participant keeps its cache key
        config["snr"] = snr
    if category_share:
        config["category_share"] = category_share
    if task != "listening":  # only then, so the listening participant keeps its cache key
        config["task"] = task
    simulator = dict(listening=neuro.simulate_listening, speaking=neuro.simulate_speaking)[task]

    def simulate(path):
        _pretrain, stimuli = corpora.pretraining_and_stimuli(corpora.load(corpus))
        rec = simulator(stimuli, minutes=config["minutes"], n_electrodes=config["n_electrodes"], snr=snr, seed=seed,
                        category_share=category_share)
        io.save(rec, path, overwrite=True)

    return io.load(cache.cached("participant", config, simulate, code=("corpora", "neuro", "io")))

def load_participant(profile: str = "smoke", recording=None, task: str | None = None, seed: int = 0,
                     corpus=None, snr: float | None = None):
    """The participant an experiment runs on: `recording` (a path in any format `io.load` reads) or, if None, the
    simulated participant of `profile` (`participant` with seed, corpus and snr). task: 'listening' or
    'speaking' overrides what the file says (it decides the default lag window). snr re-simulates the noise,
    so it needs the simulated participant: with a recording it is a ValueError."""
    from . import io

    if recording is not None and snr is not None:
        raise ValueError(f"snr={snr} re-simulates the participant's noise: it needs the simulated participant, "
                         f"not the recording {recording}")
    rec = participant(profile, seed=seed, corpus=corpus, snr=snr) if recording is None else io.load(recording)
    return rec if task is None else rec.replace(task=task).validate(str(recording or "<simulated participant>"))


# ------------------------------------------------------------------------------------------------ metrics
def reference_audio(rec, trial) -> np.ndarray:
    """(T * 160,) float32 the participant heard during `trial`."""
    return np.asarray(rec.audio[trial.start * A.HOP:(trial.start + len(trial.mel)) * A.HOP], np.float32)


def predict_all(decoder, trials: list) -> list[np.ndarray]:
    """(T_i, 80) dB prediction for every trial."""
    return [np.asarray(decoder.predict(t.hg), np.float32) for t in trials]


def evaluate(decoder_or_predictions, trials: list, vocode: bool = True, rec=None, n_iter: int = 32,
             workers: int = 1, vocoder=None) -> pd.DataFrame:
    """One row per trial: spectrogram_r, flattened_r, mcd_db, identification rank/top1/top5 and, with
    vocode=True, STOI and ESTOI of the vocoded waveform against the audio heard (needs `rec`; `workers`
    processes share the vocoding). vocoder: None for Griffin-Lim from the mel (`audio.griffin_lim`, the
    comparison's vocoder), or a `vocoder.SpectralInverter` for the neural vocoder.

    decoder_or_predictions: an object with .predict(hg) or a list of (T_i, 80) dB mels, one per trial.
    Identification ranks each decoded trial among the distinct sentences (stimulus ids) of `trials`: a
    sentence played twice is one candidate. An empty `trials` is a ValueError.
    """
    if not trials:
        raise ValueError("evaluate needs at least one trial, got none (is that split of the recording empty?)")
    predictions = (decoder_or_predictions if isinstance(decoder_or_predictions, (list, tuple))
                   else predict_all(decoder_or_predictions, trials))
    if len(predictions) != len(trials):
        raise ValueError(f"{len(predictions)} predictions for {len(trials)} trials")
    if vocode and rec is None:
        raise ValueError("vocode=True needs the recording (rec=...) for the audio each trial played")
    ranks = metrics.identification_ranks([t.mel for t in trials], predictions, [t.stimulus_id for t in trials])
    table = pd.DataFrame([dict(stimulus_id=t.stimulus_id, text=t.text, start=t.start, n_frames=len(t.mel),
                               spectrogram_r=metrics.spectrogram_correlation(t.mel, pred),
                               flattened_r=metrics.flattened_correlation(t.mel, pred),
                               mcd_db=metrics.mel_cepstral_distortion(t.mel, pred),
                               rank=int(rank), top1=float(rank < 1), top5=float(rank < 5))
                          for t, pred, rank in zip(trials, predictions, ranks)])
    if vocode:
        heard = [reference_audio(rec, t) for t in trials]
        table[["stoi", "estoi"]] = intelligibility(predictions, heard, n_iter, workers, vocoder)
    return table


def intelligibility(mels: list, heard: list, n_iter: int, workers: int = 1, vocoder=None) -> list:
    """(T_i, 80) dB mels and the (T_i * 160,) audio heard -> [(STOI, ESTOI)] of each vocoded mel.

    vocoder: None (Griffin-Lim from the mel) or a `vocoder.SpectralInverter`, whose magnitudes are
    computed here (torch) so that the worker processes run NumPy only."""
    if vocoder is None:
        jobs = [("mel", mel, wave, n_iter) for mel, wave in zip(mels, heard)]
    else:
        jobs = [("magnitude", V.linear_magnitude(vocoder, mel), wave, n_iter) for mel, wave in zip(mels, heard)]
    return parallel.map_in_workers(vocoded_intelligibility, jobs, max(1, workers), desc=None)


def vocoded_intelligibility(job: tuple) -> tuple[float, float]:
    """(source kind, source, heard (T * 160,) audio, Griffin-Lim iterations) -> (STOI, ESTOI) of its waveform.

    Kind "mel": a (T, 80) dB log-mel, by `audio.griffin_lim`; "magnitude": a (513, T + 1) linear magnitude
    from the neural vocoder, by `audio.griffin_lim_magnitude`; "wave": the (T * 160,) waveform itself."""
    kind, source, heard, n_iter = job
    if kind == "mel":
        wave = A.griffin_lim(source, n_iter=n_iter)
    elif kind == "magnitude":
        wave = A.griffin_lim_magnitude(source, n_iter)
    else:  # "wave"
        wave = source
    return metrics.stoi(heard, wave), metrics.stoi(heard, wave, extended=True)


def ceilings(rec, ae, vocode: bool = True, n_iter: int = 32, workers: int = 1, vocoder=None) -> pd.DataFrame:
    """Upper bounds on the test sentences: the autoencoder's resynthesis of the true mel ('autoencoder')
    and Griffin-Lim of the true mel itself ('griffin_lim'); with a `vocoder.SpectralInverter`, also the
    true mel through it ('neural_vocoder'). Column `ceiling` names the row's bound."""
    from .autoencoder import reconstruct_mel

    test = split_trials(rec)["test"]
    true = [t.mel for t in test]
    resynthesized = [reconstruct_mel(ae, mel) for mel in true]
    tables = [evaluate(resynthesized, test, vocode, rec, n_iter, workers).assign(ceiling="autoencoder"),
              evaluate(true, test, vocode, rec, n_iter, workers).assign(ceiling="griffin_lim")]
    if vocoder is not None:
        tables.append(evaluate(true, test, vocode, rec, n_iter, workers, vocoder).assign(ceiling="neural_vocoder"))
    return pd.concat(tables, ignore_index=True)


def autoencoder_quality(ae, n_utterances: int | None = 40, n_iter: int = 32, workers: int = 1, *,
                        corpus, vocoder=None) -> pd.DataFrame:
    """Resynthesis of held-out real speech (the test split of `corpus`'s pre-training half, never seen in phase 1;
    corpus: the spec(s) phase 1 learnt from): one row per utterance with spectrogram_r, mcd_db, and STOI/ESTOI
    of autoencoder + Griffin-Lim and, for reference, of Griffin-Lim on the true mel (columns gl_stoi, gl_estoi).
    With a `vocoder.SpectralInverter`, the same two through it: neural_stoi/neural_estoi (autoencoder) and
    neural_true_stoi/neural_true_estoi (true mel). A decoder="synth" autoencoder also gets synth_stoi and
    synth_estoi, its formant synthesizer's own audio, how its pitch controls follow pYIN's track of the
    utterance (`synth.pitch.pitch_agreement`): synth_f0_error_semitones, synth_voicing_accuracy, and how its
    F1-F3 follow LPC's on the frames pYIN hears voiced (`synth.formants.formant_agreement`):
    synth_f1_error_semitones, synth_f2_error_semitones, synth_f3_error_semitones."""
    from . import corpora
    from .autoencoder import reconstruct_mel, reconstruct_synthesis
    from .synth.formants import REFERENCE_FORMANTS, formant_agreement, formant_track
    from .synth.pitch import pitch_agreement, pitch_track

    pretrain, _stimuli = corpora.pretraining_and_stimuli(corpora.load(corpus_spec(corpus)))
    held_out = [u for u in list(pretrain.split("test"))[:n_utterances] if A.n_frames(len(u.audio)) >= MIN_FRAMES]
    mels = [A.log_mel(u.audio) for u in held_out]
    # a synthesizer decoder renders each utterance once: its log-mel is that of its own audio
    syntheses = [reconstruct_synthesis(ae, mel) for mel in mels] if ae.decoder_kind == "synth" else None
    recons = [s["mel"] for s in syntheses] if syntheses else [reconstruct_mel(ae, mel) for mel in mels]
    heard = [u.audio[: len(mel) * A.HOP] for u, mel in zip(held_out, mels)]
    table = pd.DataFrame(dict(id=[u.id for u in held_out],
                              spectrogram_r=[metrics.spectrogram_correlation(m, r) for m, r in zip(mels, recons)],
                              mcd_db=[metrics.mel_cepstral_distortion(m, r) for m, r in zip(mels, recons)]))
    sources = [("", recons, None), ("gl_", mels, None)]
    if vocoder is not None:
        sources += [("neural_", recons, vocoder), ("neural_true_", mels, vocoder)]
    for prefix, source, through in sources:
        table[[f"{prefix}stoi", f"{prefix}estoi"]] = intelligibility(source, heard, n_iter, workers, through)
    if syntheses:
        jobs = [("wave", synthesis["wave"], wave, n_iter) for synthesis, wave in zip(syntheses, heard)]
        table[["synth_stoi", "synth_estoi"]] = parallel.map_in_workers(vocoded_intelligibility, jobs, max(1, workers),
                                                                        desc=None)
        f0s = [pitch_track(u.audio)[0] for u in held_out]
        table[["synth_f0_error_semitones", "synth_voicing_accuracy"]] = [
            pitch_agreement(s["controls"]["f0_hz"], s["controls"]["voicing"], f0) for s, f0 in zip(syntheses, f0s)]
        table[[f"synth_f{k + 1}_error_semitones" for k in range(REFERENCE_FORMANTS)]] = [
            formant_agreement(s["controls"]["formant_freq_hz"], formant_track(u.audio), f0)
            for s, u, f0 in zip(syntheses, held_out, f0s)]
    return table


def autoencoder_quality_means(ae, profile: str = "smoke", corpus=None) -> dict:
    """`autoencoder_quality` with a profile's number of held-out utterances and Griffin-Lim iterations (on the
    profile's pre-training corpus unless `corpus` is given) ->
    {column: mean over utterances} plus held_out_utterances, epochs, train_seconds and best_val_loss of the
    autoencoder's pre-training (`ae.history`)."""
    options = settings(profile)
    table = autoencoder_quality(ae, options["autoencoder_test_utterances"], options["griffin_lim_iters"],
                                corpus=corpora_of(profile, corpus)["pretrain"])
    history = getattr(ae, "history", None) or []
    return dict(epochs=len(history), train_seconds=sum(epoch["seconds"] for epoch in history),
                best_val_loss=min((epoch["val_loss"] for epoch in history), default=None),
                held_out_utterances=len(table),
                **{column: values["mean"] for column, values in summary(table, QUALITY_COLUMNS).items()})


def summary(table: pd.DataFrame, columns=METRICS) -> dict:
    """Per-sentence table -> {metric: metrics.summarise(values)} for the columns present."""
    return {c: metrics.summarise(table[c]) for c in columns if c in table}


# ------------------------------------------------------------------- data amount, electrodes and noise
def data_curve(profile: str = "smoke", minutes=(1, 2, 5, 10, 20), methods=METHODS, seeds=(0,),
               vocode: bool = False, jobs: int | None = None, budget: str = "epochs",
               source: dict | None = None) -> pd.DataFrame:
    """Train each method on the first k minutes of training trials (same validation and test trials).

    source: `load_participant` keywords naming the participant (recording, task, seed, corpus); None: the
    profile's simulated participant. The same for `electrode_curve` and `snr_curve` (which needs the simulator).

    Returns one row per (minutes, method, seed) with the mean of each metric over test sentences, the
    minutes actually used (capped by the recording), the budget (`train_method`: 'epochs' or 'steps')
    and the training seconds. seeds: an int or a sequence. The runs train and score in `jobs` worker
    processes (see `_sweep`).
    """
    source = dict(source or {})
    trials = split_trials(load_participant(profile, **source))
    subsets = {k: first_minutes(trials["train"], k) for k in minutes}
    # None: all training trials, so the model is the one `n2s bench` trains in its workers (cached)
    points = {k: dict(minutes=None if len(subset) == len(trials["train"]) else k, budget=budget, **source)
              for k, subset in subsets.items()}
    available = minutes_of(trials["train"])
    return pd.DataFrame([dict(minutes=k, minutes_used=minutes_of(subsets[k]), minutes_available=available,
                              budget=budget, **row)
                         for k, row in _sweep(profile, points, methods, seeds, vocode, jobs, "data curve")])


def electrode_curve(profile: str = "smoke", counts=(16, 32), methods=("transfer", "ridge"), seeds=(0,),
                    draw_seed: int = 0, vocode: bool = False, jobs: int | None = None,
                    source: dict | None = None) -> pd.DataFrame:
    """Train each method on all training minutes but only n of the good electrodes, for n in counts and all.

    The subsets are nested (each smaller one is part of the larger ones), drawn once with `draw_seed`
    and shared by every method and training seed. Returns one row per (electrodes, method, seed) with
    the mean of each metric over test sentences; counts >= the number of good electrodes mean all.
    """
    source = dict(source or {})
    n_good = split_trials(load_participant(profile, **source))["train"][0].hg.shape[1]
    order = np.random.default_rng(draw_seed).permutation(n_good)
    sizes = sorted({min(int(n), n_good) for n in counts} | {n_good})
    points = {n: dict(electrodes=None if n == n_good else tuple(sorted(order[:n].tolist())), **source) for n in sizes}
    return pd.DataFrame([dict(electrodes=n, **row)
                         for n, row in _sweep(profile, points, methods, seeds, vocode, jobs, "electrode curve")])


def snr_curve(profile: str = "smoke", snrs=(0.0375, 0.075), methods=("transfer", "ridge"), seeds=(0,),
              vocode: bool = False, jobs: int | None = None, source: dict | None = None) -> pd.DataFrame:
    """Train each method on all training minutes of participants with stronger neural noise: one per snr in
    snrs, and the calibrated default (`neuro.simulate.DEFAULT_SNR`: the bench's participant).

    snr: response-to-noise variance of a gain-1 site. The participants differ only in the scale of their
    noise (see `participant`), so the curve shows poorer neural data for the same speech heard. Returns one
    row per (snr, method, seed) with the mean of each metric over test sentences.
    """
    from .neuro.simulate import DEFAULT_SNR

    source = dict(source or {})
    if source.get("recording") is not None:
        raise ValueError("the snr curve re-simulates the participant with more noise: it needs the simulator, "
                         f"not the recording {source['recording']}")
    points = {snr: dict(snr=None if snr == DEFAULT_SNR else snr, **source)
              for snr in sorted({float(s) for s in snrs} | {DEFAULT_SNR})}
    return pd.DataFrame([dict(snr=snr, **row)
                         for snr, row in _sweep(profile, points, methods, seeds, vocode, jobs, "snr curve")])


def _sweep(profile: str, points: dict, methods, seeds, vocode: bool, jobs: int | None, desc: str) -> list:
    """Train and score every (point, method, seed): points maps a label to `train_method` keywords
    (minutes, electrodes, budget) and optionally the participant's snr -> [(label, row)] with the
    test-sentence mean of each metric.

    The runs go to `jobs` worker processes (`parallel.map_in_workers`), each trained (or loaded from the
    cache) and scored in its worker, so their training seconds are those of a worker with usable cores // jobs
    threads, and a network is looked up with the thread count that trains it (`train_method`).
    """
    seeds = (seeds,) if isinstance(seeds, int) else tuple(seeds)
    if set(methods) & set(USES_AUTOENCODER):  # phase 1 here, not in every worker that needs it at once
        pretrained_autoencoder(profile, next(iter(points.values())).get("corpus"))
    for point in points.values():  # likewise each participant
        _recording_and_keywords(profile, point)
    runs = [(label, name, seed) for label in points for name in methods for seed in seeds]
    rows = parallel.map_in_workers(functools.partial(_train_and_score, profile=profile, vocode=vocode),
                                   [(name, seed, points[label]) for label, name, seed in runs], jobs, desc)
    return [(label, row) for (label, _name, _seed), row in zip(runs, rows)]


PARTICIPANT_KEYWORDS = ("recording", "task", "seed", "corpus", "snr")  # `load_participant`'s, in a `_sweep` point


def _recording_and_keywords(profile: str, point: dict) -> tuple:
    """A `_sweep` point -> (its participant, `load_participant` of its PARTICIPANT_KEYWORDS; the `train_method`
    keywords, the rest)."""
    keywords = dict(point)
    source = {key: keywords.pop(key) for key in PARTICIPANT_KEYWORDS if key in keywords}
    return load_participant(profile, **source), keywords


def _train_and_score(run: tuple, profile: str, vocode: bool) -> dict:
    """Train (or load) (method, seed, `_sweep` point) on the profile's participant and score it on the
    test trials (a `_sweep` task) -> {method, seed, train_seconds, n_parameters, mean of each metric}."""
    name, seed, point = run
    rec, keywords = _recording_and_keywords(profile, point)
    ae = pretrained_autoencoder(profile, point.get("corpus")) if name in USES_AUTOENCODER else None
    decoder = train_method(name, rec, profile, seed, ae, **keywords)
    test = keep_electrodes(split_trials(rec)["test"], keywords.get("electrodes"))
    table = evaluate(decoder, test, vocode, rec, settings(profile)["griffin_lim_iters"])
    return dict(method=name, seed=seed, train_seconds=decoder.train_seconds, n_parameters=decoder.n_parameters,
                **{m: s["mean"] for m, s in summary(table).items()})
