import numpy as np
import pytest

from n2s_lite import audio as A
from n2s_lite import metrics


def _mel(seed=0, frames=60):
    rng = np.random.default_rng(seed)
    return (-30 + 10 * rng.standard_normal((frames, A.N_MELS))).astype(np.float32)


def _speechlike(seconds=2.0, seed=0):
    """Amplitude-modulated harmonic tone with noise bursts: enough structure for (E)STOI."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * A.SAMPLE_RATE)) / A.SAMPLE_RATE
    envelope = 0.5 * (1 + np.sin(2 * np.pi * 3 * t)) * (np.sin(2 * np.pi * 0.7 * t) > -0.5)
    tone = sum(np.sin(2 * np.pi * k * 180 * t) / k for k in range(1, 15))
    return (0.1 * envelope * (tone + 0.3 * rng.standard_normal(t.size))).astype(np.float32)


def test_correlations_of_a_spectrogram_with_itself_are_one():
    mel = _mel()
    assert metrics.spectrogram_correlation(mel, mel) == pytest.approx(1.0)
    assert metrics.flattened_correlation(mel, mel) == pytest.approx(1.0)


def test_spectrogram_correlation_ignores_level_and_scale_per_bin_but_not_sign():
    mel = _mel()
    assert metrics.spectrogram_correlation(mel, 2 * mel + 7) == pytest.approx(1.0)
    assert metrics.spectrogram_correlation(mel, -mel) == pytest.approx(-1.0)


def test_spectrogram_correlation_is_the_mean_over_bins_of_numpy_pearson():
    a, b = _mel(0), _mel(1)
    expected = np.mean([np.corrcoef(a[:, k], b[:, k])[0, 1] for k in range(A.N_MELS)])
    assert metrics.spectrogram_correlation(a, b) == pytest.approx(expected, abs=1e-6)


def test_mismatched_shapes_are_rejected():
    with pytest.raises(ValueError):
        metrics.spectrogram_correlation(_mel(frames=10), _mel(frames=11))


def test_stoi_and_estoi_of_identical_signals_are_one_and_drop_with_noise():
    clean = _speechlike()
    noisy = clean + np.random.default_rng(1).standard_normal(clean.size).astype(np.float32) * clean.std()
    for extended in (False, True):
        assert metrics.stoi(clean, clean, extended=extended) == pytest.approx(1.0, abs=1e-6)
        assert metrics.stoi(clean, noisy, extended=extended) < 0.9


def test_mcd_is_zero_for_identical_mels_and_blind_to_overall_level():
    mel = _mel()
    assert metrics.mel_cepstral_distortion(mel, mel) == pytest.approx(0.0)
    assert metrics.mel_cepstral_distortion(mel, mel + 6.0) == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("k, size", [(1, 0.05), (3, 0.1), (12, 0.02)])
def test_mcd_of_a_known_cepstral_difference(k, size):
    """Change one mel-cepstral coefficient c_k of the log amplitude by `size` nepers:
    MCD = 10 / ln 10 * sqrt(2) * size dB (Kubichek 1993)."""
    m = np.arange(A.N_MELS)
    ln_amplitude_change = 2 * size * np.cos(np.pi * k * (m + 0.5) / A.N_MELS)
    db_change = 20 / np.log(10) * ln_amplitude_change
    mel = _mel()
    expected = 10 / np.log(10) * np.sqrt(2) * size
    assert metrics.mel_cepstral_distortion(mel, mel + db_change) == pytest.approx(expected, rel=1e-6)


def test_mcd_ignores_coefficients_beyond_the_ones_asked_for():
    m = np.arange(A.N_MELS)
    change = 5 * np.cos(np.pi * 20 * (m + 0.5) / A.N_MELS)
    assert metrics.mel_cepstral_distortion(_mel(), _mel() + change, n_coefficients=13) == pytest.approx(0.0, abs=1e-9)


def test_identification_ranks_put_each_sentence_first_when_decoding_is_perfect():
    mels = [_mel(seed) for seed in range(5)]
    assert metrics.identification_ranks(mels, mels).tolist() == [0] * 5


def test_identification_rank_counts_the_candidates_that_look_more_alike():
    mels = [_mel(seed) for seed in range(4)]
    decoded = [m.copy() for m in mels]
    decoded[0] = mels[2] + 0.1 * _mel(9)  # sentence 0 decoded as something very like sentence 2
    ranks = metrics.identification_ranks(mels, decoded)
    assert ranks[0] >= 1 and ranks[1:].tolist() == [0, 0, 0]


def test_a_sentence_played_twice_is_one_candidate():
    sentences = [_mel(seed) for seed in range(4)]
    mels = [sentences[k] for k in (0, 1, 1, 2, 2, 3)]  # sentences 1 and 2 played twice
    ids = ["a", "b", "b", "c", "c", "d"]
    decoded = [m.copy() for m in mels]
    decoded[0] = sentences[1] + 0.5 * sentences[2] + 0.3 * sentences[0]  # "a" decoded like "b", then "c", then "a"
    by_trial = metrics.identification_ranks(mels, decoded)  # every trial its own sentence
    ranks = metrics.identification_ranks(mels, decoded, ids)
    assert by_trial[0] == 4 and ranks[0] == 2  # "b" and "c" beat "a" once each, not once per repeat
    assert ranks[1:].tolist() == [0] * 5  # a repeat of a trial's own sentence never counts against it


def test_summarise_ignores_non_finite_values():
    s = metrics.summarise([1.0, 2.0, 3.0, np.nan])
    assert s["n"] == 3 and s["mean"] == pytest.approx(2.0) and s["median"] == pytest.approx(2.0)
    assert np.isnan(metrics.summarise([np.nan])["mean"])
