"""Simulated ECoG experiments: sentences with silent gaps, heard (listening: a grid over STG) or said aloud
(speaking: a grid over the sylvian fissure, sensorimotor cortex above it and STG below).

Pipeline (all on the 100 Hz frame clock): choose sentences and a presentation schedule -> session audio
and its auditory features -> each electrode's noiseless response (`responses`; speaking adds articulatory
sites that lead the sound, `articulation`) -> trial-to-trial gain
changes -> additive noise (`noise`) -> bad channels -> z-scored high-gamma, either directly or through a
raw broadband signal and the real extractor (`broadband`, `n2s_lite.highgamma`). Defaults are calibrated against
published decoding and encoding results: see docs/simulator.md.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from .. import __version__
from .. import audio as A
from ..corpora.corpus import sentence_key
from ..errors import InputError
from ..recording import Recording, electrode_table, trial_table
from . import articulation, broadband, noise, responses, stimulus
from .grid import DEFAULT_GRID, SPACING_MM, electrode_names, grid_positions
from ..highgamma import high_gamma, zscore

DEFAULT_SNR = 0.15  # response / noise variance of a gain-1 site (per-site SNR = gain^2 x snr)
RESPONSIVE_FRACTION = 0.25  # share of electrodes that respond to speech at all
TRIAL_GAIN_SD = 0.4  # log-gain change per presentation shared by all electrodes (attention, arousal)
ELECTRODE_GAIN_SD = 0.15  # log-gain change per presentation and electrode
BAD_FRACTION = 0.05
RAW_RATE = 1000.0  # Hz
MIN_GAP_S = 0.1  # gaps must hold the STFT context of both neighbouring sentences
# BLAS threads of the simulation, whatever OMP_NUM_THREADS and the core count say: OpenBLAS sums a float32
# matrix product in another order with another thread count (high-gamma differed by 3.6e-7 between 1 and 2),
# so a fixed count makes one recording per seed. 2 is the count the committed results were simulated with.
BLAS_THREADS = 2


@dataclass(frozen=True)
class Presentation:
    """One sentence played once: index into the chosen sentences, start frame, repeat number."""

    sentence: int
    start: int
    repeat: int


def simulate_listening(corpus, minutes: float = 20, n_electrodes: int = 64, snr: float | None = None, seed: int = 0,
                       with_raw: bool = False, repeats: int = 2, test_fraction: float = 0.15,
                       val_fraction: float = 0.1, gap_s: tuple[float, float] = (0.4, 0.8),
                       grid: tuple[int, int] = DEFAULT_GRID, raw_rate: float = RAW_RATE,
                       category_share: float = 0.0, responsive_fraction: float = RESPONSIVE_FRACTION,
                       bad_fraction: float = BAD_FRACTION,
                       grid_origin_mm: tuple[float, float] = (0.0, 0.0)) -> Recording:
    """Simulate a participant listening to sentences of `corpus` for about `minutes`; returns a Recording.

    corpus: a sequence of objects with .id, .text and .audio ((N,) float32, 16 kHz).
    Each chosen sentence is presented `repeats` times (in shuffled blocks); splits are by sentence.
    snr: response-to-noise variance ratio of a gain-1 site (None: the calibrated DEFAULT_SNR).
    seed: the participant (brain, noise) and the stimulus order; same seed, same recording.
    with_raw: also synthesise a raw broadband signal at raw_rate Hz and extract high-gamma from it.
    category_share: the share (0-1) of spectrotemporal sites that respond to broad sound categories instead
    (`responses.assign_categories`); the rest of the participant (sentences, other sites, noise) stays the same.
    Brain draws of a cohort (defaults: the calibrated participant):
    responsive_fraction: share (0-1] of the speech cortex's sites that respond to speech at all;
    bad_fraction: share [0-1) of electrodes with a broken channel;
    grid_origin_mm: (x, y) placement of the grid on the cortex map relative to the reference placement, in mm:
    x moves it anteriorly along STG (more sustained, fewer onset sites; negative: posteriorly), y dorsally;
    sites moved off the speech cortex strip (`grid.on_speech_cortex`) do not respond.
    """
    return _simulate("listening", **locals())


def simulate_speaking(corpus, minutes: float = 20, n_electrodes: int = 64, snr: float | None = None, seed: int = 0,
                      with_raw: bool = False, repeats: int = 2, test_fraction: float = 0.15,
                      val_fraction: float = 0.1, gap_s: tuple[float, float] = (0.4, 0.8),
                      grid: tuple[int, int] = DEFAULT_GRID, raw_rate: float = RAW_RATE,
                      category_share: float = 0.0, responsive_fraction: float = RESPONSIVE_FRACTION,
                      bad_fraction: float = BAD_FRACTION,
                      grid_origin_mm: tuple[float, float] = (0.0, 0.0)) -> Recording:
    """Simulate a participant reading sentences of `corpus` aloud for about `minutes`; a Recording with
    task='speaking' whose audio is the produced speech. Arguments as `simulate_listening`.

    The grid straddles the sylvian fissure (`articulation.SYLVIAN_MM` on the cortex map; grid_origin_mm moves
    it): responsive sites above it are articulatory, their activity leading the sound by 50-300 ms; those
    below are auditory sites as in listening, hearing the participant's own voice with a lowered gain. The same
    seed gives the same sentences, schedule and noise as `simulate_listening`.
    """
    return _simulate("speaking", **locals())


@threadpool_limits.wrap(limits=BLAS_THREADS, user_api="blas")
def _simulate(task, corpus, minutes, n_electrodes, snr, seed, with_raw, repeats, test_fraction, val_fraction, gap_s,
              grid, raw_rate, category_share, responsive_fraction, bad_fraction, grid_origin_mm) -> Recording:
    """The experiment of `task` ('listening' or 'speaking'); arguments as `simulate_listening`."""
    snr = DEFAULT_SNR if snr is None else snr
    source = f"simulate_{task}"
    _check_settings(source, minutes, n_electrodes, snr, repeats, test_fraction, val_fraction, gap_s, grid,
                    category_share, responsive_fraction, bad_fraction, grid_origin_mm)
    # a fifth stream for category sites and a sixth for articulatory ones: the first ones are the same without them
    stim_rng, brain_rng, noise_rng, raw_rng, category_rng, motor_rng = [
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(6)]

    sentences = _choose_sentences(corpus, minutes * 60.0, repeats, gap_s, stim_rng)
    splits = _assign_splits(sentences, test_fraction, val_fraction, stim_rng)
    features = [stimulus.sentence_features(s.audio) for s in sentences]
    schedule, n_frames = _schedule([A.n_frames(len(s.audio)) for s in sentences], repeats, gap_s, stim_rng)
    wave, mel, f0, periodicity = _assemble(sentences, features, schedule, n_frames)

    positions = grid_positions(n_electrodes, grid)
    tuning = responses.sample_tuning(brain_rng, positions, grid, responsive_fraction, grid_origin_mm)
    aud = stimulus.auditory_spectrogram(mel)
    categories = None
    if category_share > 0:
        tuning = responses.assign_categories(category_rng, tuning, grid, category_share, stimulus.N_CATEGORIES)
    if np.any(tuning["type_code"] == 5):  # the session-wide clustering only when some site listens to it
        categories = stimulus.sound_categories(aud, category_rng)
    kinematics = None
    if task == "speaking":
        tuning = articulation.assign_articulatory(motor_rng, tuning, positions, grid, grid_origin_mm)
        kinematics = articulation.trajectories(aud, periodicity)
    clean = responses.clean_responses(aud, stimulus.relative_pitch(f0), periodicity, tuning, categories, kinematics)
    trial_gain = _trial_gains(brain_rng, len(schedule), n_electrodes)
    activity = clean * _gain_track(schedule, trial_gain, n_frames) + noise.neural_noise(
        noise_rng, n_frames, grid, n_electrodes, variance=1.0 / snr)

    n_bad = int(round(bad_fraction * n_electrodes))
    speaking = dict(sylvian_mm=articulation.SYLVIAN_MM, lead_range_ms=list(articulation.LEAD_RANGE_MS),
                    self_suppression=articulation.SELF_SUPPRESSION,
                    articulators=list(articulation.ARTICULATORS)) if task == "speaking" else {}
    if with_raw:
        raw = broadband.synthesize_raw(raw_rng, activity, raw_rate)
        failure = noise.break_channels(noise_rng, raw, n_bad)
        hg = high_gamma(raw, raw_rate, bad=failure != "")
    else:
        raw = None
        failure = noise.break_channels(noise_rng, activity, n_bad)
        hg = zscore(activity)

    names = electrode_names(n_electrodes)
    rec = Recording(
        audio=wave, high_gamma=hg, electrodes=electrode_table(names, positions, bad=failure != ""),
        trials=_trial_table(sentences, features, schedule, splits),
        raw=raw, raw_rate=raw_rate if with_raw else None, task=task,
        ground_truth=dict(clean_response=clean, trial_gain=trial_gain.astype(np.float32), **tuning),
        metadata=dict(
            simulator=f"n2s_lite.neuro.{source}", n2s_version=__version__, seed=seed, minutes=minutes,
            n_electrodes=n_electrodes, snr=snr, with_raw=with_raw, repeats=repeats, test_fraction=test_fraction,
            val_fraction=val_fraction, gap_s=list(gap_s), grid=list(grid), spacing_mm=SPACING_MM,
            raw_rate=raw_rate if with_raw else None, responsive_fraction=responsive_fraction,
            grid_origin_mm=[float(v) for v in grid_origin_mm],
            trial_gain_sd=TRIAL_GAIN_SD, electrode_gain_sd=ELECTRODE_GAIN_SD, bad_fraction=bad_fraction,
            noise_shares=noise.NOISE_SHARES, response_types=responses.RESPONSE_TYPES,
            category_share=category_share, n_categories=stimulus.N_CATEGORIES,
            bad_channels={names[e]: str(failure[e]) for e in np.flatnonzero(failure != "")},
            n_sentences=len(sentences), mel_params=A.mel_params(), subject=f"sim-{seed}", **speaking))
    return rec.validate(source=source)


def _check_settings(source, minutes, n_electrodes, snr, repeats, test_fraction, val_fraction, gap_s, grid,
                    category_share, responsive_fraction, bad_fraction, grid_origin_mm):
    if not np.isfinite(minutes) or minutes <= 0:
        raise InputError(source, "minutes", "a positive number of minutes", str(minutes))
    if not 1 <= n_electrodes <= grid[0] * grid[1]:
        raise InputError(source, "n_electrodes", f"between 1 and {grid[0] * grid[1]} (a {grid[0]}x{grid[1]} grid)",
                         str(n_electrodes))
    if not np.isfinite(snr) or snr <= 0:
        raise InputError(source, "snr", "a positive signal-to-noise variance ratio", str(snr))
    if int(repeats) != repeats or repeats < 1:
        raise InputError(source, "repeats", "a whole number >= 1", str(repeats))
    if not (0 < test_fraction < 1 and 0 <= val_fraction < 1 and test_fraction + val_fraction < 1):
        raise InputError(source, "test_fraction/val_fraction", "fractions in (0, 1) leaving some training data",
                         f"{test_fraction}, {val_fraction}")
    if len(gap_s) != 2 or not MIN_GAP_S <= gap_s[0] <= gap_s[1]:
        raise InputError(source, "gap_s", f"(shortest, longest) seconds with shortest >= {MIN_GAP_S}", str(gap_s))
    if not 0 <= category_share <= 1:
        raise InputError(source, "category_share", "a share of spectrotemporal sites between 0 and 1",
                         str(category_share))
    if not 0 < responsive_fraction <= 1:
        raise InputError(source, "responsive_fraction", "a share of responsive sites in (0, 1]",
                         str(responsive_fraction))
    if not 0 <= bad_fraction < 1:
        raise InputError(source, "bad_fraction", "a share of bad channels in [0, 1)", str(bad_fraction))
    if len(grid_origin_mm) != 2 or not np.all(np.isfinite(np.asarray(grid_origin_mm, float))):
        raise InputError(source, "grid_origin_mm", "(x, y): two finite shifts in mm", str(grid_origin_mm))


def _choose_sentences(corpus, seconds: float, repeats: int, gap_s, rng) -> list:
    """Sentences in random order until `repeats` presentations of them (with gaps) fill `seconds`."""
    mean_gap = float(np.mean(gap_s))
    chosen, per_repeat = [], 0.0
    for index in rng.permutation(len(corpus)):
        if repeats * per_repeat >= seconds:
            break
        utterance = corpus[int(index)]
        if A.n_frames(len(utterance.audio)) < 1:
            continue
        chosen.append(utterance)
        per_repeat += len(utterance.audio) / A.SAMPLE_RATE + mean_gap
    if repeats * per_repeat < seconds or len(chosen) < 3:
        raise InputError("corpus", "minutes", f"a corpus long enough for {seconds / 60:.3g} min with {repeats} "
                         f"presentation(s) of each sentence (and at least 3 sentences)",
                         f"{len(chosen)} sentences filling {repeats * per_repeat / 60:.3g} min")
    return chosen


def _assign_splits(sentences, test_fraction: float, val_fraction: float, rng) -> np.ndarray:
    """(n,) 'train'/'val'/'test' per sentence, decided per transcript so that two recordings of the same
    sentence share a split; at least one test and one training sentence."""
    keys = [sentence_key(s.text) or str(s.id) for s in sentences]
    unique = sorted(set(keys))
    n = len(unique)
    n_test = max(1, int(round(test_fraction * n)))
    n_val = max(1 if val_fraction > 0 else 0, int(round(val_fraction * n)))
    if n - n_test - n_val < 1:
        raise InputError("corpus", "sentences", "enough distinct sentences for train, val and test splits", f"{n}")
    splits = np.array(["test"] * n_test + ["val"] * n_val + ["train"] * (n - n_test - n_val), dtype=object)
    by_key = dict(zip(unique, splits[rng.permutation(n)]))
    return np.array([by_key[k] for k in keys], dtype=object)


def _schedule(sentence_frames: list[int], repeats: int, gap_s, rng) -> tuple[list[Presentation], int]:
    """Shuffled blocks of all sentences, each preceded by a random silent gap; returns (schedule, n_frames)."""
    schedule, cursor = [], 0
    for repeat in range(repeats):
        for sentence in rng.permutation(len(sentence_frames)):
            cursor += int(round(rng.uniform(*gap_s) * A.FRAME_RATE))
            schedule.append(Presentation(int(sentence), cursor, repeat))
            cursor += sentence_frames[sentence]
    return schedule, cursor + int(round(gap_s[1] * A.FRAME_RATE))


def _assemble(sentences, features, schedule, n_frames):
    """Paste sentences into a silent session: audio (N,), mel (T, 80) dB, f0 (T,) Hz, periodicity (T,)."""
    wave = np.zeros(n_frames * A.HOP, np.float32)
    mel = np.full((n_frames, A.N_MELS), 10.0 * np.log10(A.MEL_FLOOR), np.float32)
    f0 = np.full(n_frames, np.nan, np.float32)
    periodicity = np.zeros(n_frames, np.float32)
    for p in schedule:
        audio = np.asarray(sentences[p.sentence].audio, np.float32)
        wave[p.start * A.HOP: p.start * A.HOP + len(audio)] = audio
        context = slice(p.start - stimulus.CONTEXT, p.start - stimulus.CONTEXT + len(features[p.sentence].mel))
        mel[context] = features[p.sentence].mel
        f0[context] = features[p.sentence].f0
        periodicity[context] = features[p.sentence].periodicity
    return wave, mel, f0, periodicity


def _trial_gains(rng, n_presentations: int, n_electrodes: int) -> np.ndarray:
    """(presentations, E) multiplicative response gains: shared plus per-electrode log-normal changes."""
    shared = TRIAL_GAIN_SD * rng.standard_normal((n_presentations, 1))
    own = ELECTRODE_GAIN_SD * rng.standard_normal((n_presentations, n_electrodes))
    return np.exp(shared + own)


def _gain_track(schedule, trial_gain: np.ndarray, n_frames: int) -> np.ndarray:
    """(T, E) gain of each frame: a presentation's gain holds from its start to the next one's start."""
    starts = np.array([p.start for p in schedule])
    which = np.clip(np.searchsorted(starts, np.arange(n_frames), side="right") - 1, 0, len(schedule) - 1)
    return trial_gain[which]


def _trial_table(sentences, features, schedule, splits):
    ends = [p.start + len(features[p.sentence].mel) - 2 * stimulus.CONTEXT for p in schedule]
    table = trial_table(starts=[p.start for p in schedule], ends=ends,
                        texts=[sentences[p.sentence].text for p in schedule],
                        splits=[splits[p.sentence] for p in schedule],
                        stimulus_ids=[sentences[p.sentence].id for p in schedule])
    table["repeat"] = [p.repeat for p in schedule]
    return table


def tuning_table(rec: Recording) -> pd.DataFrame:
    """Electrode table joined with the simulator's per-electrode ground truth (type, best frequency, ...).

    One row per electrode; `response_type` names the type code. Raises InputError for recordings without
    simulator ground truth (real data).
    """
    if "type_code" not in rec.ground_truth:
        raise InputError("<recording>", "ground_truth.type_code", "a simulated recording's tuning", "none stored")
    table = rec.electrodes.copy()
    for name, values in rec.ground_truth.items():
        values = np.asarray(values)
        if values.shape == (rec.n_electrodes,):
            table[name] = values
    table["response_type"] = [responses.RESPONSE_TYPES[int(c)] for c in table["type_code"]]
    return table
