"""Phase 1 on a frozen self-supervised speech model (n2s_lite.ssl_phase1) with a tiny random Wav2Vec2 saved here,
end to end on CPU: decoder pre-training through `ssl_phase1.pretrained(..., encoder=...)`, then phase 2's
adaptor (transfer and scratch) through the unchanged `adaptor.train_adaptor`, save and load."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import torch
from phase2_fakes import fake_recording

from n2s_lite import adaptor, corpora, methods, parallel, speech_model, ssl_phase1
from n2s_lite import audio as A
from n2s_lite import decoding as D


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return str(speech_model.tiny_model(tmp_path_factory.mktemp("w2v") / "tiny", seed=0, n_layers=2, dim=32))


@pytest.fixture(scope="module")
def speech_folder(tmp_path_factory):
    """40 utterances of gliding tones (0.5-0.9 s) by 3 'speakers' in a folder corpus."""
    root = tmp_path_factory.mktemp("speech")
    rng = np.random.default_rng(0)
    for i in range(40):
        n = int(rng.uniform(0.5, 0.9) * A.SAMPLE_RATE)
        t = np.arange(n) / A.SAMPLE_RATE
        f0 = rng.uniform(120, 400)
        wave = 0.3 * np.sin(2 * np.pi * (f0 * t + rng.uniform(-200, 200) * t**2)) * np.hanning(n)
        (root / f"s{i % 3}").mkdir(exist_ok=True)
        sf.write(root / f"s{i % 3}" / f"u{i:02d}.wav", wave.astype(np.float32), A.SAMPLE_RATE)
    return root


@pytest.fixture(scope="module")
def ae(tiny, speech_folder, tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("N2S_CACHE", str(cache))
        patch.setattr(parallel, "usable_cores", lambda: 1)  # trained_once trains on every core: one here
        corpora.clear_cache()
        model = ssl_phase1.pretrained("smoke", corpus=f"folder:{speech_folder}", encoder=tiny, layer=1,
                                      progress=False)
        again = ssl_phase1.pretrained("smoke", corpus=f"folder:{speech_folder}", encoder=tiny, layer=1,
                                      progress=False)
        model.cache_entries = sorted(p.name for p in (cache / "autoencoder").iterdir())
        model.same_as_cached = all(torch.equal(v, again.state_dict()[k]) for k, v in model.state_dict().items())
    corpora.clear_cache()
    return model


def test_phase1_trains_the_decoder_only_and_is_cached(ae, tiny):
    assert isinstance(ae, ssl_phase1.SSLAutoencoder) and ae.latent_dim == 32 and ae.stride == 2
    assert min(h["val_loss"] for h in ae.history[1:]) < 0.9 * ae.history[0]["val_loss"]  # the decoder learned
    assert all(name.startswith("decoder.") for name in ae.state_dict())  # the speech model is not in checkpoints
    assert ae.same_as_cached and sum(name.endswith(".pt") for name in ae.cache_entries) == 1


def test_latent_is_the_models_layer_normed_hidden_state_at_50_hz(ae, tiny):
    wave = (0.2 * np.sin(2 * np.pi * 220 * np.arange(16_000) / A.SAMPLE_RATE)).astype(np.float32)
    latent = ae.encode_audio(wave)
    hidden = speech_model.load(tiny).features(wave, 1)
    assert latent.shape == hidden.shape == (50, 32)
    np.testing.assert_allclose(latent.mean(axis=1), 0, atol=1e-5)
    np.testing.assert_allclose(latent, (hidden - hidden.mean(1, keepdims=True)) / np.sqrt(
        hidden.var(1, keepdims=True) + 1e-5), atol=1e-4)
    from_mel = ae.encode(torch.from_numpy(A.log_mel(wave))[None])  # phase 2's alignment target, via Griffin-Lim
    assert from_mel.shape == (1, 50, 32)
    assert ae.decode(from_mel, 100).shape == (1, 100, A.N_MELS)


def test_phase2_transfer_and_scratch_on_the_ssl_latent(ae, tmp_path):
    trials = methods.split_trials(fake_recording(n_sentences=12, n_electrodes=8))
    settings = D.TrainingSettings(window=64, batch_size=4, max_epochs=2, patience=2)
    transfer = adaptor.train_adaptor(ae, trials["train"], trials["val"], settings, seed=0, channels=8, hidden=8)
    scratch = adaptor.train_adaptor(ae, trials["train"], trials["val"], settings, seed=0, pretrained=False,
                                    channels=8, hidden=8)
    frozen = transfer.network.autoencoder.decoder.state_dict()
    assert all(torch.equal(v, ae.decoder.state_dict()[k]) for k, v in frozen.items())  # phase 2 kept it frozen
    assert not all(torch.equal(v, ae.decoder.state_dict()[k])
                   for k, v in scratch.network.autoencoder.decoder.state_dict().items())
    test = trials["test"][0]
    prediction = transfer.predict(test.hg)
    assert prediction.shape == test.mel.shape and np.isfinite(prediction).all()
    adaptor.save(transfer, tmp_path / "transfer.pt")
    np.testing.assert_allclose(adaptor.load(tmp_path / "transfer.pt").predict(test.hg), prediction, atol=1e-5)


def test_bad_settings_are_refused(tiny):
    with pytest.raises(ValueError, match="layer 0..2"):
        ssl_phase1.SSLAutoencoder(tiny, 5, 32)
    with pytest.raises(ValueError, match="decoder='mel'"):
        ssl_phase1.SSLAutoencoder(tiny, 1, 32, decoder="synth")
    assert ssl_phase1.default_layer(tiny) == 1
