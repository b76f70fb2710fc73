"""Tests of the neural vocoder: tiny networks on a few seconds of synthetic speech-like audio."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import torch
from test_autoencoder import TINY_SETTINGS, speechlike, synthetic_corpus, tiny_model
from weight_checks import same_weights

from n2s_lite import audio as A
from n2s_lite import autoencoder as AE
from n2s_lite import cli, corpora
from n2s_lite import train as T
from n2s_lite import vocoder as V
from n2s_lite.errors import InputError

TINY = dict(V.PROFILES["smoke"], channels=16, blocks=1, crop_frames=48, batch_size=4, steps_per_epoch=6,
            max_epochs=3, max_utterances=None)


@pytest.fixture(scope="module")
def waves():
    return [speechlike(1.2, seed) for seed in range(4)]


def tiny_inverter(seed: int = 0) -> V.SpectralInverter:
    torch.manual_seed(seed)
    return V.SpectralInverter(channels=16, blocks=1)


def test_shapes_and_waveform_length(waves):
    model = tiny_inverter()
    mel = A.log_mel(waves[0])
    out = model(torch.from_numpy(mel)[None])
    assert out.shape == (1, len(mel), V.N_LINEAR)
    magnitude = V.linear_magnitude(model, mel)
    assert magnitude.shape == (V.N_LINEAR, len(mel) + 1)
    with torch.no_grad():  # the model's dB power of every frame, the closing frame included, as an amplitude
        power_db = model(torch.from_numpy(A.with_closing_frame(mel))[None])[0].double().numpy()
    np.testing.assert_allclose(magnitude, 10 ** (power_db.T / 20), rtol=1e-6)
    wave = V.vocode(model, mel, n_iter=2)
    assert wave.shape == (len(mel) * A.HOP,) and wave.dtype == np.float32 and 0 < np.abs(wave).max() <= 1.0


def test_bad_mel_is_refused():
    with pytest.raises(InputError, match="shape"):
        tiny_inverter()(torch.zeros(1, 10, 40))
    with pytest.raises(InputError, match="shape"):
        V.linear_magnitude(tiny_inverter(), np.zeros((0, A.N_MELS), np.float32))


def test_target_is_framed_like_the_log_mel(waves):
    linear = V.linear_power_db(waves[0])
    assert linear.shape == (A.n_frames(len(waves[0])), V.N_LINEAR)
    assert linear.min() >= V.LINEAR_FLOOR_DB
    # the mel filterbank applied to the target's power gives the log-mel back
    mel_again = 10 * np.log10(np.maximum(A.mel_filterbank() @ 10 ** (linear.T / 10), A.MEL_FLOOR)).T
    assert np.abs(mel_again - A.log_mel(waves[0])).max() < 0.01


def test_loss_is_zero_for_the_target_and_has_gradients(waves):
    true = torch.from_numpy(V.linear_power_db(waves[0]))[None]
    assert float(V.inversion_loss(true, true)) == 0.0
    model = tiny_inverter()
    loss = V.inversion_loss(model(torch.from_numpy(A.log_mel(waves[0]))[None]), true)
    loss.backward()
    assert loss > 0 and all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())


@pytest.mark.filterwarnings("ignore:n_fft=1024 is too large")
def test_speech_pairs_are_aligned_and_empty_utterances_dropped(waves):
    pairs = V.speech_pairs([corpora.Utterance("empty", "s", "t", waves[0][:100])] +
                           [corpora.Utterance(f"u{i}", "s", "t", w) for i, w in enumerate(waves)])
    assert len(pairs) == len(waves)
    for (mel, linear), wave in zip(pairs, waves):
        assert mel.shape == (A.n_frames(len(wave)), A.N_MELS) and linear.shape == (len(mel), V.N_LINEAR)
        assert np.array_equal(mel, A.log_mel(wave)) and np.array_equal(linear, V.linear_power_db(wave))
        # read from the on-disk feature cache, never held in memory: hours of linear spectra are tens of GB
        assert isinstance(mel, np.memmap) and isinstance(linear, np.memmap)


def test_training_batches_pad_short_utterances_with_each_features_silence(monkeypatch):
    monkeypatch.setitem(V.PROFILES, "smoke", dict(TINY, crop_frames=100))  # utterances are 60 frames
    seen = []
    monkeypatch.setattr(T, "fit", lambda model, loss, batches, *args, **kwargs: seen.append(batches) or [])
    V.train_vocoder(synthetic_corpus(), "smoke", progress=False)
    mel, linear = next(iter(seen[0](0)))
    assert mel.shape == (TINY["batch_size"], 100, A.N_MELS) and linear.shape == (TINY["batch_size"], 100, V.N_LINEAR)
    silent = (mel == AE.FLOOR_DB).all(-1)
    assert (silent.sum(-1) >= 100 - 60).all()  # the padding is the log-mel's silence ...
    assert (linear[silent] == V.LINEAR_FLOOR_DB).all()  # ... and the linear spectrum's, in the same frames


def test_training_lowers_the_loss_and_same_seed_same_numbers(monkeypatch):
    monkeypatch.setitem(V.PROFILES, "smoke", TINY)
    model, history = V.train_vocoder(synthetic_corpus(), "smoke", seed=3, progress=False)
    assert history[-1]["val_loss"] < history[0]["val_loss"] and not model.training
    again, _ = V.train_vocoder(synthetic_corpus(), "smoke", seed=3, progress=False)
    assert same_weights(again, model)


def test_training_sees_only_the_pretraining_train_and_val_splits(monkeypatch):
    monkeypatch.setitem(V.PROFILES, "smoke", dict(TINY, max_epochs=1))
    corpus = synthetic_corpus()
    pretrain_part, stimuli = corpora.pretraining_and_stimuli(corpus)
    seen = []
    original = V.speech_pairs
    monkeypatch.setattr(V, "speech_pairs", lambda utterances, limit=None: seen.append(list(utterances.ids))
                        or original(utterances, limit))
    V.train_vocoder(corpus, "smoke", progress=False)
    train_ids, val_ids = seen
    assert train_ids == list(pretrain_part.split("train").ids) and val_ids == list(pretrain_part.split("val").ids)
    assert not set(train_ids + val_ids) & (set(stimuli.ids) | set(pretrain_part.split("test").ids))


def test_resume_after_interruption_matches_uninterrupted_run(monkeypatch, tmp_path):
    monkeypatch.setitem(V.PROFILES, "smoke", TINY)
    whole, _ = V.train_vocoder(synthetic_corpus(), "smoke", progress=False)
    checkpoint = tmp_path / "resume.pt"
    monkeypatch.setitem(V.PROFILES, "smoke", dict(TINY, max_epochs=1))
    V.train_vocoder(synthetic_corpus(), "smoke", checkpoint=checkpoint, progress=False)
    monkeypatch.setitem(V.PROFILES, "smoke", TINY)
    resumed, history = V.train_vocoder(synthetic_corpus(), "smoke", checkpoint=checkpoint, progress=False)
    assert len(history) == TINY["max_epochs"]
    assert same_weights(resumed, whole)


def test_save_load_round_trip_and_other_checkpoints_refused(tmp_path, waves):
    model = tiny_inverter()
    path = V.save(model, tmp_path / "v.pt", history=[dict(epoch=0, val_loss=1.0)])
    loaded = V.load(path)
    mel = A.log_mel(waves[1])
    assert np.array_equal(V.linear_magnitude(model, mel), V.linear_magnitude(loaded, mel))
    assert loaded.history == [dict(epoch=0, val_loss=1.0)]
    with pytest.raises(InputError, match="kind"):
        V.load(AE.save(tiny_model(), tmp_path / "ae.pt"))


def test_pretrained_serves_what_train_vocoder_trains_and_trains_it_once(monkeypatch, tmp_path):
    monkeypatch.setenv("N2S_CACHE", str(tmp_path))
    monkeypatch.setitem(V.PROFILES, "smoke", dict(TINY, max_epochs=1))
    monkeypatch.setattr(corpora, "load", lambda spec: synthetic_corpus())
    monkeypatch.setattr(T.parallel, "usable_cores", lambda: 1)
    with T.torch_threads(1):
        direct, history = V.train_vocoder("asterisk", "smoke", progress=False)
        cached = V.pretrained("smoke", progress=False)
        monkeypatch.setattr(V, "train_vocoder", lambda *a, **k: pytest.fail("trained a second time"))
        again = V.pretrained("smoke", progress=False)
        monkeypatch.setitem(V.PROFILES, "smoke-renamed", dict(V.PROFILES["smoke"]))
        renamed = V.pretrained("smoke-renamed", "asterisk", progress=False)  # the same settings under another name
    assert same_weights(renamed, direct) and same_weights(cached, direct) and same_weights(again, direct)
    assert [h["epoch"] for h in again.history] == [h["epoch"] for h in history]


def test_cli_train_vocoder_and_resynthesize_through_it(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("N2S_CACHE", str(tmp_path / "cache"))
    monkeypatch.setitem(V.PROFILES, "smoke", dict(TINY, max_epochs=1))
    monkeypatch.setattr(corpora, "load", lambda spec: synthetic_corpus())
    vocoder_path = tmp_path / "v.pt"
    assert cli.main(["train-vocoder", "--out", str(vocoder_path)]) == 0
    assert cli.main(["train-vocoder", "--out", str(vocoder_path)]) == 2  # never overwritten
    assert "refusing to overwrite" in capsys.readouterr().err
    checkpoint = AE.save(tiny_model(), tmp_path / "ae.pt")
    source, target = tmp_path / "in.flac", tmp_path / "out.wav"
    sf.write(source, speechlike(0.5, seed=2, rate=22_050), 22_050)
    args = ["resynthesize", "--checkpoint", str(checkpoint), "--vocoder", str(vocoder_path), str(source), str(target)]
    assert cli.main(args) == 0
    info = sf.info(target)
    assert info.samplerate == A.SAMPLE_RATE and abs(info.frames - A.SAMPLE_RATE // 2) <= 1
    written = target.read_bytes()
    assert cli.main(args) == 2 and target.read_bytes() == written
    sf.write(source, np.zeros(500, np.float32), A.SAMPLE_RATE)
    assert cli.main(args + ["--overwrite"]) == 2
    assert "samples" in capsys.readouterr().err


def test_a_trained_inverter_beats_the_least_squares_inverse(monkeypatch):
    """On held-out speech-like audio, a briefly trained inverter's magnitude is closer to the truth (same loss)
    than `audio.mel_to_linear_power`'s, which Griffin-Lim uses."""
    monkeypatch.setitem(V.PROFILES, "smoke", dict(TINY, channels=32, max_epochs=6, steps_per_epoch=10, lr=3e-3))
    model, _ = V.train_vocoder(synthetic_corpus(40), "smoke", progress=False)
    wave = speechlike(1.5, seed=99)
    mel, true = A.log_mel(wave), torch.from_numpy(V.linear_power_db(wave))
    learned = torch.from_numpy(20 * np.log10(V.linear_magnitude(model, mel)[:, :-1].T)).float()
    nnls_power = A.mel_to_linear_power(10 ** (mel.T.astype(np.float64) / 10)).T
    nnls = torch.from_numpy(10 * np.log10(np.maximum(nnls_power, 10 ** (V.LINEAR_FLOOR_DB / 10)))).float()
    assert float(V.inversion_loss(learned, true)) < float(V.inversion_loss(nnls, true))
