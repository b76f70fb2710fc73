"""Simulated listening experiment, high-gamma extraction and encoding models (n2s_lite.neuro)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from n2s_lite import audio as A
from n2s_lite import encoding, io, neuro
from n2s_lite.errors import InputError
from n2s_lite.neuro import broadband, stimulus
from n2s_lite.highgamma import high_gamma_reference


@dataclass(frozen=True)
class ToyUtterance:
    id: str
    text: str
    audio: np.ndarray


def toy_corpus(n: int = 60, seed: int = 0) -> list[ToyUtterance]:
    """n speech-like sentences (~1-2 s): voiced harmonic 'syllables' with gliding pitch, noise bursts, pauses."""
    rng = np.random.default_rng(seed)
    sentences = []
    for i in range(n):
        pieces = []
        for _ in range(rng.integers(4, 8)):
            n_samples = int(rng.uniform(0.12, 0.25) * A.SAMPLE_RATE)
            t = np.arange(n_samples) / A.SAMPLE_RATE
            if rng.random() < 0.75:  # voiced: harmonics of a gliding f0 under a random spectral tilt
                f0 = rng.uniform(120, 260) * (1 + rng.uniform(-0.2, 0.2) * t / t[-1])
                phase = 2 * np.pi * np.cumsum(f0) / A.SAMPLE_RATE
                tilt = rng.uniform(0.5, 1.5)
                wave = sum(np.sin(k * phase) / k**tilt for k in range(1, 25) if k * f0.max() < 7000)
            else:  # fricative-like high-frequency noise
                wave = np.diff(rng.standard_normal(n_samples + 1))
            pieces += [0.2 * wave / np.abs(wave).max() * np.hanning(n_samples),
                       np.zeros(int(rng.uniform(0.02, 0.08) * A.SAMPLE_RATE))]
        sentences.append(ToyUtterance(f"s{i:03d}", f"sentence {i}", np.concatenate(pieces).astype(np.float32)))
    return sentences


@pytest.fixture(scope="module")
def corpus():
    return toy_corpus()


@pytest.fixture(scope="module")
def rec(corpus):
    return neuro.simulate_listening(corpus, minutes=1.5, n_electrodes=64, seed=3)


def test_shapes_rates_and_tables(rec):
    assert rec.frame_rate == 100 and rec.audio_rate == A.SAMPLE_RATE
    assert rec.high_gamma.shape == (len(rec.audio) // A.HOP, 64) and rec.high_gamma.dtype == np.float32
    assert 85 <= rec.duration <= 100  # 1.5 minutes, up to one sentence and gap over
    assert list(rec.electrodes["name"]) == [f"G{i}" for i in range(1, 65)]
    assert np.allclose(np.diff(np.unique(rec.electrodes["x"])), neuro.SPACING_MM)
    assert rec.ground_truth["clean_response"].shape == rec.high_gamma.shape
    assert rec.metadata["seed"] == 3 and rec.metadata["snr"] > 0 and rec.raw is None
    assert np.allclose(rec.high_gamma.mean(axis=0), 0, atol=1e-3)  # z-scored over the whole session
    assert set(rec.trials["split"]) == {"train", "val", "test"}


def test_trials_are_sentences_with_repeats_and_disjoint_splits(rec, corpus):
    by_id = {u.id: u for u in corpus}
    for start, end, sid in zip(rec.trials["start"], rec.trials["end"], rec.trials["stimulus_id"]):
        assert end - start == A.n_frames(len(by_id[sid].audio))
        assert np.array_equal(rec.audio[start * A.HOP:end * A.HOP], by_id[sid].audio[:(end - start) * A.HOP])
    assert (rec.trials.groupby("stimulus_id").size() == 2).all()  # repeats=2
    assert (rec.trials.groupby("stimulus_id")["split"].nunique() == 1).all()


def test_session_mel_is_the_package_log_mel(rec):
    """The simulator hears exactly what the decoders are asked to reconstruct."""
    from n2s_lite.neuro import simulate, stimulus

    utterances = [toy_corpus()[int(i[1:])] for i in rec.trials["stimulus_id"].unique()[:3]]
    features = [stimulus.sentence_features(u.audio) for u in utterances]
    schedule, n_frames = simulate._schedule([A.n_frames(len(u.audio)) for u in utterances], 1, (0.4, 0.8),
                                            np.random.default_rng(0))
    wave, mel, _, _ = simulate._assemble(utterances, features, schedule, n_frames)
    np.testing.assert_allclose(mel, A.log_mel(wave), atol=1e-3)


def test_same_seed_same_recording_other_seed_other_participant(corpus, rec):
    again = neuro.simulate_listening(corpus, minutes=1.5, n_electrodes=64, seed=3)
    np.testing.assert_array_equal(again.high_gamma, rec.high_gamma)
    assert again.trials.equals(rec.trials)
    other = neuro.simulate_listening(corpus, minutes=1.5, n_electrodes=64, seed=4)
    assert not np.array_equal(other.ground_truth["best_frequency_hz"], rec.ground_truth["best_frequency_hz"])


def test_the_thread_settings_do_not_change_the_recording(corpus, rec):
    from threadpoolctl import threadpool_limits

    # without the simulator's own BLAS thread count, one BLAS thread changed the last bits of high-gamma
    with threadpool_limits(1, user_api="blas"):
        one_thread = neuro.simulate_listening(corpus, minutes=1.5, n_electrodes=64, seed=3)
    np.testing.assert_array_equal(one_thread.high_gamma, rec.high_gamma)


def test_one_sentence_in_two_recordings_shares_a_split_in_any_script(corpus):
    # pairs of recordings read the same Russian sentence (different ids, punctuation and case)
    words = ["один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять", "десять"]
    texts = [f"{words[i // 2 % 10]} {words[i // 20]}" + ("." if i % 2 else "!") for i in range(40)]
    russian = [ToyUtterance(u.id, text if i % 2 else text.upper(), u.audio)
               for i, (u, text) in enumerate(zip(corpus[:40], texts))]
    rec = neuro.simulate_listening(russian, minutes=0.8, n_electrodes=8, seed=1, repeats=1)
    sentence = rec.trials["text"].str.lower().str.strip(".!")
    assert sentence.nunique() < len(rec.trials)  # some pairs were both played
    assert (rec.trials.groupby(sentence)["split"].nunique() == 1).all()


def test_category_sites_replace_spectrotemporal_ones_and_leave_the_rest_alone(corpus):
    rec = neuro.simulate_listening(corpus, minutes=1.0, n_electrodes=64, seed=0)  # 9 spectrotemporal sites
    mixed = neuro.simulate_listening(corpus, minutes=1.0, n_electrodes=64, seed=0, category_share=0.5)
    before, after = rec.ground_truth["type_code"], mixed.ground_truth["type_code"]
    converted = after == 5
    assert converted.sum() == round(0.5 * (before == 1).sum()) > 0
    assert (before[converted] == 1).all() and (after[~converted] == before[~converted]).all()
    assert set(mixed.ground_truth["category"][converted]) <= set(range(stimulus.N_CATEGORIES))
    assert (mixed.ground_truth["category"][~converted] == -1).all()
    np.testing.assert_array_equal(mixed.audio, rec.audio)
    clean, clean_mixed = rec.ground_truth["clean_response"], mixed.ground_truth["clean_response"]
    np.testing.assert_array_equal(clean_mixed[:, ~converted], clean[:, ~converted])
    for e in np.flatnonzero(converted):
        assert abs(np.corrcoef(clean[:, e], clean_mixed[:, e])[0, 1]) < 0.95  # another response
    assert mixed.metadata["category_share"] == 0.5 and rec.metadata["category_share"] == 0.0


def test_sound_categories_ignore_loudness_within_a_category():
    """Low-frequency and high-frequency frames at many levels fall into two categories, one per spectral
    shape whatever the level; quiet frames belong to none."""
    rng = np.random.default_rng(0)
    bins = np.arange(80)
    low, high = np.exp(-0.5 * ((bins - 15) / 8.0) ** 2), np.exp(-0.5 * ((bins - 65) / 8.0) ** 2)
    levels = rng.uniform(0.3, 0.7, 400)
    is_low = np.arange(400) % 2 == 0
    aud = np.where(is_low[:, None], low, high) * 0.5 + levels[:, None] - 0.1
    aud[::10] = 0.02  # silence
    categories = stimulus.sound_categories(aud.astype(np.float32), np.random.default_rng(1), n_categories=2)
    sound = aud.mean(axis=1) > stimulus.AUDIBLE_LEVEL
    assert (categories[~sound] == 0).all() and (categories[sound].sum(axis=1) == 1).all()
    label = categories.argmax(axis=1)
    assert len(set(label[sound & is_low])) == 1 and len(set(label[sound & ~is_low])) == 1
    assert label[sound & is_low][0] != label[sound & ~is_low][0]
    with pytest.raises(InputError, match="audible frames"):
        stimulus.sound_categories(np.zeros((100, 80), np.float32), np.random.default_rng(1))


def _best_lagged_correlation(signal: np.ndarray, hg: np.ndarray, max_lag: int = 30) -> np.ndarray:
    """(T,), (T, E) -> (E,) largest |r| between hg[t] and signal[t - lag] over lags 0..max_lag."""
    best = np.zeros(hg.shape[1])
    for lag in range(max_lag + 1):
        s = signal[: len(signal) - lag] - signal[: len(signal) - lag].mean()
        h = hg[lag:] - hg[lag:].mean(axis=0)
        r = np.abs(s @ h) / np.sqrt((s @ s) * (h**2).sum(axis=0))
        best = np.maximum(best, r)
    return best


def test_responsive_electrodes_track_the_stimulus_and_others_do_not(rec):
    truth = neuro.tuning_table(rec)
    good = ~truth["bad"].to_numpy()
    responsive = (truth["type_code"].to_numpy() > 0) & good
    silent = (truth["type_code"].to_numpy() == 0) & good
    loudness = rec.mel().mean(axis=1)
    r = _best_lagged_correlation(loudness, rec.high_gamma)
    assert responsive.sum() >= 5 and silent.sum() >= 5
    assert np.median(r[responsive]) > 0.25
    assert np.median(r[silent]) < 0.1
    assert np.median(r[responsive]) > 3 * np.median(r[silent])


def test_tuning_maps_are_smooth_over_the_grid(rec):
    """Neighbouring electrodes (4 mm apart) have closer best frequencies than random pairs."""
    truth = neuro.tuning_table(rec)
    log_bf = np.log2(truth["best_frequency_hz"].to_numpy())
    xy = truth[["x", "y"]].to_numpy()
    distance = np.linalg.norm(xy[:, None] - xy[None], axis=-1)
    difference = np.abs(log_bf[:, None] - log_bf[None])
    assert difference[np.isclose(distance, neuro.SPACING_MM)].mean() < 0.6 * difference[distance > 0].mean()
    assert set(truth["response_type"]) <= set(neuro.RESPONSE_TYPES.values())


def test_bad_channels_are_flagged(rec):
    bad = rec.electrodes["bad"].to_numpy()
    assert bad.sum() == round(0.05 * 64)
    assert sorted(rec.metadata["bad_channels"]) == sorted(rec.electrodes.loc[bad, "name"])
    clean = rec.ground_truth["clean_response"]
    hg = rec.high_gamma
    for e in np.flatnonzero(bad & (rec.ground_truth["type_code"] > 0)):
        assert abs(np.corrcoef(clean[:, e], hg[:, e])[0, 1]) < 0.3  # their signal is lost


@pytest.mark.parametrize("changes, field", [
    (dict(minutes=-1), "minutes"),
    (dict(minutes=0), "minutes"),
    (dict(n_electrodes=65), "n_electrodes"),
    (dict(n_electrodes=0), "n_electrodes"),
    (dict(minutes=500), "minutes"),  # more than the corpus holds
    (dict(snr=-1.0), "snr"),
    (dict(gap_s=(0.01, 0.5)), "gap_s"),
    (dict(category_share=1.5), "category_share"),
])
def test_bad_parameters_get_clear_errors(corpus, changes, field):
    settings = dict(minutes=0.5, n_electrodes=16, seed=0) | changes
    with pytest.raises(InputError) as error:
        neuro.simulate_listening(corpus, **settings)
    assert error.value.field == field
    with pytest.raises(InputError, match="n_electrodes"):
        neuro.grid_positions(70)


def _random_activity(seed: int, n_frames: int, n_electrodes: int) -> np.ndarray:
    """(T, E) z-scored activity fluctuating on a ~300 ms scale, like a high-gamma response to syllables.

    (The 8-band extractor cannot follow much faster changes: a band 10 Hz wide has an envelope of ~5 Hz.)
    """
    rng = np.random.default_rng(seed)
    kernel = np.hanning(30)
    walk = np.stack([np.convolve(rng.standard_normal(n_frames), kernel, "same") for _ in range(n_electrodes)], 1)
    return (walk - walk.mean(0)) / walk.std(0)


def test_high_gamma_recovers_the_envelope_from_raw():
    """Through 1/f background, line noise and a common reference (16 channels: CAR barely mixes them)."""
    activity = _random_activity(0, 2000, 16)
    raw = broadband.synthesize_raw(np.random.default_rng(1), activity, fs=1000.0)
    hg = neuro.high_gamma(raw, 1000.0)
    assert raw.shape == (20_000, 16) and hg.shape == (2000, 16) and hg.dtype == np.float32
    np.testing.assert_allclose(hg.mean(0), 0, atol=1e-4)
    np.testing.assert_allclose(hg.std(0), 1, atol=1e-3)
    envelope = broadband.carrier_envelope(activity)
    r = [np.corrcoef(hg[:, e], envelope[:, e])[0, 1] for e in range(16)]
    assert min(r) > 0.75 and np.mean(r) > 0.8


def test_high_gamma_matches_the_time_domain_pipeline():
    """FFT filter bank == notch + CAR + sosfiltfilt bands + Hilbert + resample, away from the edges."""
    activity = _random_activity(2, 1000, 3)
    raw = broadband.synthesize_raw(np.random.default_rng(3), activity, fs=1024.0)
    fast, slow = neuro.high_gamma(raw, 1024.0), high_gamma_reference(raw, 1024.0)
    assert fast.shape == slow.shape == (1000, 3)
    middle = slice(100, -100)
    for e in range(3):
        assert np.corrcoef(fast[middle, e], slow[middle, e])[0, 1] > 0.98


def test_high_gamma_leaves_bad_channels_out_of_the_reference():
    activity = _random_activity(4, 1000, 4)
    raw = broadband.synthesize_raw(np.random.default_rng(5), activity, fs=1000.0)
    broken = raw.copy()
    broken[:, 3] += 1e4 * np.random.default_rng(6).standard_normal(len(raw))
    good_only = neuro.high_gamma(broken, 1000.0, bad=[False, False, False, True])
    unaffected = neuro.high_gamma(raw, 1000.0, bad=[False, False, False, True])
    np.testing.assert_allclose(good_only[:, :3], unaffected[:, :3], atol=1e-4)
    with pytest.raises(InputError, match="bad"):
        neuro.high_gamma(raw, 1000.0, bad=[True] * 4)
    with pytest.raises(InputError, match="fs"):
        neuro.high_gamma(raw, 200.0)


def test_simulation_with_raw_broadband(corpus):
    rec = neuro.simulate_listening(corpus, minutes=0.5, n_electrodes=8, seed=1, with_raw=True)
    assert rec.raw.shape == (rec.n_frames * 10, 8) and rec.raw_rate == 1000.0
    assert rec.metadata["with_raw"] is True
    clean = rec.ground_truth["clean_response"]
    good = rec.good_electrodes() & (rec.ground_truth["gain"] > 0.8)
    r = [np.corrcoef(clean[:, e], rec.high_gamma[:, e])[0, 1] for e in np.flatnonzero(good)]
    assert len(r) and np.median(r) > 0.2


def test_encoding_correlations_separate_responsive_sites(rec):
    table = encoding.encoding_correlations(rec, lags_ms=(0, 200))
    assert len(table) == 64 and table.loc[table["bad"], "r"].isna().all()
    good = table[~table["bad"]]
    assert good.loc[good["responsive"], "r"].median() > 0.2
    assert good.loc[~good["responsive"], "r"].abs().median() < 0.1
    responsive = good[good["responsive"]]
    assert (responsive["r"] <= responsive["r_ceiling"] + 0.05).all()  # no model beats the noiseless response


def test_save_and_load_through_the_package_schema(rec, tmp_path):
    io.save(rec, tmp_path / "sim.h5")
    back = io.load(tmp_path / "sim.h5")
    np.testing.assert_array_equal(back.high_gamma, rec.high_gamma)
    np.testing.assert_array_equal(back.ground_truth["clean_response"], rec.ground_truth["clean_response"])
    assert back.trials[["start", "end", "split", "stimulus_id"]].equals(rec.trials[["start", "end", "split", "stimulus_id"]])
    assert back.metadata["seed"] == rec.metadata["seed"]
    assert neuro.tuning_table(back)["response_type"].equals(neuro.tuning_table(rec)["response_type"])
