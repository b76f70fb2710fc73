"""The self-supervised speech model path, through the same `load` call a user makes, on a tiny random model."""
import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from n2s_lite import speech_model
from n2s_lite.train import torch_threads
from n2s_lite.errors import InputError, N2SError


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny problems, one thread each for torch and BLAS: on a busy 2-core machine two threads made a 1-s forward
    pass of the tiny model take 0.9 s instead of 0.02 s, and a small ridge 12.6 s instead of 0.2 s."""
    with torch_threads(1), threadpool_limits(1, user_api="blas"):
        yield


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return speech_model.load(speech_model.tiny_model(tmp_path_factory.mktemp("w2v") / "tiny", seed=0))


def test_tiny_model_loads_frozen_with_its_geometry(tiny):
    assert (tiny.n_layers, tiny.dim, tiny.hop, tiny.field, tiny.frame_rate) == (2, 32, 320, 400, 50.0)
    assert not tiny.model.training
    assert not any(p.requires_grad for p in tiny.model.parameters())


def test_features_shape_rate_and_layers(tiny):
    rng = np.random.default_rng(0)
    audio = (0.1 * rng.standard_normal(16000 + 123)).astype(np.float32)  # 1.0077 s
    last = tiny.features(audio, 2)
    assert last.shape == (51, 32) and last.dtype == np.float32 and np.isfinite(last).all()
    both = tiny.layers(audio, [2, 0])
    np.testing.assert_allclose(both[0], last, atol=1e-5)
    assert both[1].shape == last.shape and not np.allclose(both[1], last)  # each layer is its own output


def test_chunking_matches_one_pass_away_from_edges(tiny):
    """Chunks with 0.5 s of context give nearly the frames of one pass over 3 s of audio."""
    rng = np.random.default_rng(1)
    audio = np.sin(np.arange(48000) * 2 * np.pi * 220 / 16000).astype(np.float32) * (
        1 + 0.5 * rng.standard_normal(48000).astype(np.float32))
    whole = tiny.features(audio, 2, chunk_s=60)
    chunked = tiny.features(audio, 2, chunk_s=1, context_s=0.5, batch_size=2)
    assert whole.shape == chunked.shape == (150, 32)
    r = np.corrcoef(whole.ravel(), chunked.ravel())[0, 1]
    assert r > 0.95
    different = tiny.features(audio[::-1].copy(), 2, chunk_s=60)
    assert np.corrcoef(whole.ravel(), different.ravel())[0, 1] < r


def test_bad_inputs(tiny, tmp_path):
    with pytest.raises(InputError, match="layer"):
        tiny.features(np.zeros(1600, np.float32), 3)
    with pytest.raises(InputError, match="audio"):
        tiny.features(np.zeros((2, 1600), np.float32), 0)
    with pytest.raises(InputError, match="config.json"):
        speech_model.load(tmp_path)
    with pytest.raises(FileExistsError):
        (tmp_path / "x").write_text("user data")
        speech_model.tiny_model(tmp_path)


def test_offline_hub_name_says_what_to_download(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    with pytest.raises(N2SError, match=r"hf download nobody/no-such-model --local-dir DIR"):
        speech_model.load("nobody/no-such-model", local_files_only=True)
