"""Encoding models (n2s_lite.encoding), representations and variance partitioning on systems with known answers."""
import numpy as np
import pytest
from phase2_fakes import tiny_autoencoder
from threadpoolctl import threadpool_limits

from n2s_lite import encoding, partition, representations, speech_model
from n2s_lite.data import Trial
from n2s_lite.lags import LagWindow
from n2s_lite.train import torch_threads


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny problems, one thread each for torch and BLAS: on a busy 2-core machine two threads made a 1-s forward
    pass of the tiny model take 0.9 s instead of 0.02 s, and a small ridge 12.6 s instead of 0.2 s."""
    with torch_threads(1), threadpool_limits(1, user_api="blas"):
        yield


def _trials(xs, ys, ids=None):
    ids = ids or [str(i) for i in range(len(xs))]
    return [Trial(hg=y.astype(np.float32), mel=np.zeros((len(y), 80), np.float32), text="", stimulus_id=s, start=0)
            for y, s in zip(ys, ids)]


def _split(items, n_val, n_test):
    return dict(train=items[n_val + n_test:], val=items[:n_val], test=items[n_val:n_val + n_test])


def test_recovers_a_known_linear_system_in_the_listening_direction():
    """hg(t) = x(t - 50 ms) @ W + noise: the weights come back at lag -5 only, r at the noise ceiling."""
    rng = np.random.default_rng(0)
    d, e, delay = 4, 3, 5
    weights = rng.standard_normal((d, e))
    xs = [rng.standard_normal((150, d)).astype(np.float32) for _ in range(40)]
    clean = [np.vstack([np.zeros((delay, d)), x[:-delay]]) @ weights for x in xs]
    ys = [c + 0.7 * rng.standard_normal(c.shape) for c in clean]
    trials, features = _split(_trials(xs, ys), 6, 10), _split(xs, 6, 10)
    result = encoding.fit(features, trials, LagWindow.for_task("listening"))
    lags = result.model.lags
    assert lags == encoding.encoding_lags(LagWindow.for_task("listening")) == tuple(range(-30, 11))
    blocks = result.model.coef_.reshape(len(lags), d, e)
    recovered = blocks[lags.index(-delay)]
    assert np.corrcoef(recovered.ravel(), weights.ravel())[0, 1] > 0.99
    np.testing.assert_allclose(recovered, weights, atol=0.1)
    others = np.delete(blocks, lags.index(-delay), axis=0)
    assert np.abs(others).max() < 0.1 * np.abs(weights).max()
    ceiling = np.array([np.corrcoef(np.concatenate(clean[6:16])[:, k], np.concatenate(ys[6:16])[:, k])[0, 1]
                        for k in range(e)])
    assert np.all(result.r <= ceiling + 0.005) and np.all(result.r > ceiling - 0.02)


def test_speaking_window_reads_sound_after_the_response():
    """Speaking, cortex leads: hg(t) = x(t + 200 ms) is inside the speaking window, not the listening one."""
    rng = np.random.default_rng(1)
    xs = [rng.standard_normal((120, 2)).astype(np.float32) for _ in range(30)]
    ys = [np.vstack([x[20:], np.zeros((20, 2))]) + 0.3 * rng.standard_normal(x.shape) for x in xs]
    trials, features = _split(_trials(xs, ys), 5, 8), _split(xs, 5, 8)
    speaking = encoding.fit(features, trials, LagWindow.for_task("speaking")).r
    listening = encoding.fit(features, trials, LagWindow.for_task("listening")).r
    assert speaking.min() > 0.9 and listening.max() < 0.2


def test_repeat_ceiling_estimates_the_noiseless_correlation():
    rng = np.random.default_rng(2)
    signals = [rng.standard_normal((200, 3)) for _ in range(20)]
    noise_sd = np.array([0.5, 1.0, 2.0])
    ys = [s + noise_sd * rng.standard_normal(s.shape) for s in signals for _ in range(2)]
    ids = [str(i) for i in range(20) for _ in range(2)]
    ceiling = encoding.repeat_ceiling(_trials(ys, ys, ids))
    np.testing.assert_allclose(ceiling, 1 / np.sqrt(1 + noise_sd**2), atol=0.04)
    assert encoding.repeat_ceiling(_trials(ys[::2], ys[::2], ids[::2])) is None


def test_variance_partitioning_finds_known_unique_and_shared_shares():
    """A = [s, u1], B = [s, u2] with independent s, u1, u2; y = s + w1 u1 + w2 u2 + noise (variance 1)."""
    rng = np.random.default_rng(3)
    w1, w2 = np.array([1.0, 0.0]), np.array([0.5, 1.0])  # two electrodes
    a, b, ys = [], [], []
    for _ in range(60):
        s, u1, u2 = rng.standard_normal((3, 400, 1))
        a.append(np.hstack([s, u1]).astype(np.float32))
        b.append(np.hstack([s, u2]).astype(np.float32))
        ys.append(s + u1 * w1 + u2 * w2 + rng.standard_normal((400, 2)))
    total = 1 + w1**2 + w2**2 + 1
    trials = _split(_trials(a, ys), 10, 20)
    shares = partition.partition(_split(a, 10, 20), _split(b, 10, 20), trials, LagWindow(0, 0))
    np.testing.assert_allclose(shares["unique_a"], w1**2 / total, atol=0.03)
    np.testing.assert_allclose(shares["unique_b"], w2**2 / total, atol=0.03)
    np.testing.assert_allclose(shares["shared"], 1 / total, atol=0.03)
    np.testing.assert_allclose(shares["r2_ab"], (total - 1) / total, atol=0.03)


def test_latent_and_controls_are_on_the_trials_frames(rec, trials):
    some = trials["test"][:2]
    ae = tiny_autoencoder()
    latents = representations.latent(ae, some)
    assert [x.shape for x in latents] == [(len(t.mel), ae.latent_dim) for t in some]
    np.testing.assert_array_equal(latents[0][0], latents[0][1])  # one 50 Hz frame on two 100 Hz frames
    controls = representations.controls(rec, some)
    assert [x.shape for x in controls] == [(len(t.mel), len(representations.CONTROL_NAMES)) for t in some]
    assert all(np.isfinite(x).all() for x in controls)
    loudness = controls[0][:, representations.CONTROL_NAMES.index("loudness_db")]
    sound = rec.audio[some[0].start * 160:(some[0].start + len(some[0].mel)) * 160].reshape(-1, 160)
    energy_db = 10 * np.log10(np.mean(sound.astype(np.float64) ** 2, axis=1) + 1e-10)
    assert np.corrcoef(loudness, energy_db)[0, 1] > 0.9


def test_tiny_self_supervised_model_end_to_end(rec, trials, tmp_path):
    """Folder -> speech_model.load -> layer features of every trial -> encoding model with a held-out r."""
    model = speech_model.load(speech_model.tiny_model(tmp_path / "tiny"))
    features = {split: representations.self_supervised(model, rec, items, [0, 2])
                for split, items in trials.items()}
    assert all(x.shape == (len(t.mel), model.dim) for x, t in zip(features["test"][0], trials["test"]))
    assert not np.allclose(features["test"][0][0], features["test"][2][0])
    chosen = {split: per_layer[2] for split, per_layer in features.items()}
    result = encoding.fit(chosen, trials, LagWindow(0, 100))
    assert result.r.shape == (trials["test"][0].hg.shape[1],) and np.isfinite(result.r).all()
    # the fake high-gamma is a delayed projection of the mel: the mel model must do better than random features
    mel = encoding.fit(representations.by_split(representations.mel, trials), trials, LagWindow(60, 100))
    assert np.median(mel.r) > np.median(result.r)


def test_feature_lengths_are_checked(trials):
    bad = representations.by_split(representations.mel, trials)
    bad["train"] = [x[:-1] for x in bad["train"]]
    with pytest.raises(ValueError, match="train"):
        encoding.fit(bad, trials, LagWindow(0, 100))


def test_encoding_correlations_keep_the_log_mel_table(rec):
    table = encoding.encoding_correlations(rec, lags_ms=(50, 100))
    assert list(table["name"]) == list(rec.electrodes["name"])
    assert table["r"].median() > 0.5 and table["r_ceiling"].isna().all()  # no ground truth, no repeats
    assert table.attrs["lags"]["frames"] == [5, 10]
