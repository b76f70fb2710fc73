"""Tests of the phase-1 speech autoencoder: tiny models, a few seconds of synthetic speech-like audio."""
from __future__ import annotations

import math

import numpy as np
import pytest
import soundfile as sf
import torch
from weight_checks import same_weights

from n2s_lite import audio as A
from n2s_lite import autoencoder as AE
from n2s_lite import cli, corpora, losses
from n2s_lite import train as T
from n2s_lite.crops import CropSampler
from n2s_lite.errors import InputError
from n2s_lite.layers import ResidualBlock

TINY = dict(latent_dim=8, stride=2, channels=16, blocks=1)
TINY_SETTINGS = dict(AE.PROFILES["smoke"], channels=16, blocks=1, latent_dim=8, crop_frames=64, batch_size=4,
                     steps_per_epoch=4, max_epochs=2, max_utterances=None)


def speechlike(seconds: float, seed: int, rate: int = A.SAMPLE_RATE) -> np.ndarray:
    """(N,) float32: harmonics of a gliding pitch, amplitude-modulated at a syllable rate, plus noise bursts."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    f0 = rng.uniform(100, 220) * (1 + 0.2 * np.sin(2 * np.pi * rng.uniform(0.5, 2) * t))
    phase = 2 * np.pi * np.cumsum(f0) / rate
    voiced = sum(np.sin(k * phase) / k for k in range(1, 12))
    envelope = np.clip(np.sin(2 * np.pi * rng.uniform(3, 5) * t), 0, None)
    noise = rng.normal(size=t.size) * (np.sin(2 * np.pi * 1.3 * t) > 0.7)
    return (0.1 * voiced * envelope + 0.02 * noise).astype(np.float32)


@pytest.fixture(scope="module")
def mels():
    return [A.log_mel(speechlike(1.5, seed)) for seed in range(4)]


def tiny_model(seed: int = 0, **overrides) -> AE.SpeechAutoencoder:
    torch.manual_seed(seed)
    return AE.SpeechAutoencoder(**{**TINY, **overrides})


@pytest.mark.parametrize("stride", [1, 2, 4])
@pytest.mark.parametrize("n_frames", [1, 7, 8, 50])
def test_shapes_and_latent_rate(stride, n_frames):
    model = tiny_model(stride=stride).eval()
    mel = torch.randn(3, n_frames, A.N_MELS) * 10 - 30
    z = model.encode(mel)
    assert z.shape == (3, math.ceil(n_frames / stride), TINY["latent_dim"])
    assert model.latent_rate == A.FRAME_RATE / stride
    assert model.decode(z, n_frames).shape == (3, n_frames, A.N_MELS)
    assert model(mel).shape == mel.shape


def test_latent_is_normalised_per_frame():
    z = tiny_model().encode(torch.randn(2, 40, A.N_MELS) * 10 - 30)
    assert torch.allclose(z.mean(-1), torch.zeros(2, 20), atol=1e-4)
    assert torch.allclose(z.var(-1, unbiased=False), torch.ones(2, 20), atol=1e-2)


def test_bad_shapes_are_refused():
    model = tiny_model()
    with pytest.raises(InputError, match="mel"):
        model.encode(torch.zeros(1, 10, 40))
    with pytest.raises(ValueError, match="latent"):
        model.decode(torch.zeros(1, 5, TINY["latent_dim"]), 11)  # 5 latent frames cover at most 10 frames


def test_training_lowers_the_loss(mels):
    history = AE.fit_autoencoder(tiny_model(), mels, mels[:1], dict(TINY_SETTINGS, max_epochs=4), progress=False)
    assert history[-1]["val_loss"] < history[0]["val_loss"]
    assert history[-1]["train_loss"] < history[0]["train_loss"]


def test_same_seed_same_numbers(mels):
    def run(seed):
        model = AE.build(TINY_SETTINGS, seed=seed)
        history = AE.fit_autoencoder(model, mels, mels[:1], TINY_SETTINGS, seed=seed, progress=False)
        return [h["train_loss"] for h in history], model.state_dict()

    (loss_a, state_a), (loss_b, state_b), (loss_c, _) = run(0), run(0), run(1)
    assert loss_a == loss_b
    assert same_weights(state_a, state_b)
    assert loss_a != loss_c


def test_gain_augmented_crops_shift_the_level_and_keep_the_silence_floor(mels):
    crops = CropSampler([(mel,) for mel in mels], (AE.FLOOR_DB,), crop_frames=32, batch_size=4, steps_per_epoch=3,
                        seed=3)
    (shifted, again) = ([mel for (mel,) in AE.gain_augmented(crops, 6.0)(0)] for _ in range(2))
    assert len(shifted) == 3 and all(torch.equal(a, b) for a, b in zip(shifted, again))
    assert all(b.dtype == torch.float32 and b.shape == (4, 32, A.N_MELS) and b.min() >= AE.FLOOR_DB for b in shifted)
    _rng, (before,) = next(crops.batches(0))  # the first crops come before any gain is drawn
    after = shifted[0].numpy()
    loud = before > AE.FLOOR_DB + 6.0  # never re-floored: shifted by its crop's gain exactly
    shifts = [after[i][loud[i]] - before[i][loud[i]] for i in range(4)]
    assert all(np.ptp(shift) < 1e-4 and abs(shift.mean()) <= 6.0 for shift in shifts)  # float32 rounding
    assert len({round(float(shift.mean()), 3) for shift in shifts}) == 4  # one gain per crop
    with_pitch = CropSampler([(mel, np.arange(len(mel), dtype=np.float32)[:, None]) for mel in mels],
                             (AE.FLOOR_DB, np.nan), crop_frames=32, batch_size=4, steps_per_epoch=3, seed=3)
    _rng, (_mel, f0) = next(with_pitch.batches(0))
    shifted_mel, shifted_f0 = next(AE.gain_augmented(with_pitch, 6.0)(0))
    assert torch.equal(shifted_mel, shifted[0]) and torch.equal(shifted_f0, torch.from_numpy(f0))  # f0 unshifted


def test_training_crops_pad_short_utterances_with_silence(monkeypatch):
    seen = []
    monkeypatch.setattr(T, "fit", lambda model, loss, batches, *args, **kwargs: seen.append(batches) or [])
    settings = dict(TINY_SETTINGS, crop_frames=100, gain_db=0.0)  # utterances are 60 frames
    AE.fit_autoencoder(tiny_model(), [A.log_mel(speechlike(0.6, seed)) for seed in range(3)], [], settings)
    (batch,) = next(iter(seen[0](0)))
    assert batch.shape == (settings["batch_size"], 100, A.N_MELS)
    assert ((batch == AE.FLOOR_DB).all(-1).sum(-1) >= 100 - 60).all()  # the padding is silence


def test_save_load_round_trip(tmp_path, mels):
    model = tiny_model().eval()
    path = AE.save(model, tmp_path / "ae.pt", history=[dict(epoch=0, val_loss=1.0)])
    loaded = AE.load(path)
    assert loaded.config == model.config
    x = torch.from_numpy(mels[0])[None]
    with torch.no_grad():
        assert torch.equal(model(x), loaded(x))
    assert torch.load(path, weights_only=True)["history"][0]["epoch"] == 0


def test_load_refuses_other_checkpoints(tmp_path):
    torch.save(dict(config={}, state_dict={}), tmp_path / "other.pt")
    with pytest.raises(InputError, match="kind"):
        AE.load(tmp_path / "other.pt")


def test_resume_after_interruption_matches_uninterrupted_run(tmp_path, mels):
    settings = dict(TINY_SETTINGS, max_epochs=3, patience=10)
    straight = AE.build(settings, seed=0)
    AE.fit_autoencoder(straight, mels, mels[:1], settings, progress=False)

    checkpoint = tmp_path / "resume.pt"
    first = AE.build(settings, seed=0)
    AE.fit_autoencoder(first, mels, mels[:1], settings, checkpoint=checkpoint, max_epochs=1, progress=False)
    resumed = AE.build(settings, seed=5)  # different initial weights: all must come from the checkpoint
    history = AE.fit_autoencoder(resumed, mels, mels[:1], settings, checkpoint=checkpoint, progress=False)
    assert [h["epoch"] for h in history] == [0, 1, 2]
    assert same_weights(resumed, straight)


def test_freeze_decoder_leaves_no_decoder_gradients(mels):
    model = tiny_model()
    model.freeze_decoder()
    model.train()
    assert not model.decoder.training and model.encoder.training
    x = torch.from_numpy(mels[0])[None]
    losses.spectrogram_loss(model(x), x).backward()
    assert all(p.grad is None and not p.requires_grad for p in model.decoder.parameters())
    assert all(p.grad is not None for p in model.encoder.parameters())


def test_resynthesize_file_resamples_and_never_overwrites(tmp_path):
    checkpoint = AE.save(tiny_model(), tmp_path / "ae.pt")
    source = tmp_path / "in.wav"
    sf.write(source, speechlike(0.5, seed=1, rate=44_100), 44_100)
    target = tmp_path / "out.wav"
    AE.resynthesize_file(checkpoint, source, target)
    info = sf.info(target)
    assert info.samplerate == A.SAMPLE_RATE and info.channels == 1
    assert abs(info.frames - A.SAMPLE_RATE // 2) <= 1
    written = target.read_bytes()
    with pytest.raises(FileExistsError):
        AE.resynthesize_file(checkpoint, source, target)
    assert target.read_bytes() == written
    sf.write(source, speechlike(0.5, seed=4, rate=44_100), 44_100)  # other speech, asked to replace the output
    AE.resynthesize_file(checkpoint, source, target, overwrite=True)
    assert target.read_bytes() != written


def test_resynthesize_refuses_too_short_input(tmp_path):
    with pytest.raises(InputError, match="wave"):
        AE.resynthesize(tiny_model(), np.zeros(100, np.float32))


def test_cli_resynthesize_end_to_end(tmp_path, capsys):
    checkpoint = AE.save(tiny_model(), tmp_path / "ae.pt")
    source, target = tmp_path / "in.flac", tmp_path / "out.wav"
    sf.write(source, speechlike(0.4, seed=2, rate=22_050), 22_050)
    assert cli.main(["resynthesize", "--checkpoint", str(checkpoint), str(source), str(target)]) == 0
    written, rate = sf.read(target, dtype="float32")
    expected = AE.resynthesize(AE.load(checkpoint), A.load_audio(source))
    assert rate == A.SAMPLE_RATE and np.allclose(written, expected, atol=1e-4)
    assert cli.main(["resynthesize", "--checkpoint", str(checkpoint), str(source), str(target)]) == 2
    assert "refusing to overwrite" in capsys.readouterr().err


def test_cli_refuses_an_output_it_could_not_write_before_reading_anything(tmp_path, capsys):
    checkpoint = AE.save(tiny_model(), tmp_path / "ae.pt")
    source = tmp_path / "in.wav"
    sf.write(source, speechlike(0.3, seed=3), A.SAMPLE_RATE)
    (tmp_path / "folder.wav").mkdir()
    for target in ("out.mp3", "folder.wav"):
        assert cli.main(["resynthesize", "--checkpoint", str(checkpoint), str(source), str(tmp_path / target),
                         "--overwrite"]) == 2
        assert "field 'output path'" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ae.pt", "folder.wav", "in.wav"]


def synthetic_corpus(n: int = 30) -> corpora.Corpus:
    return corpora.Corpus("synthetic", tuple(corpora.Utterance(f"u{i}", "s", f"sentence number {i}",
                                                               speechlike(0.6, seed=i)) for i in range(n)))


def test_pretrain_sees_only_the_pretraining_train_split(monkeypatch):
    corpus = synthetic_corpus()
    pretrain_part, stimuli = corpora.pretraining_and_stimuli(corpus)
    seen = []
    original = AE.corpus_mels

    def recording_corpus_mels(utterances, limit=None):
        seen.append([u.id for u in utterances])
        return original(utterances, limit)

    monkeypatch.setattr(AE, "corpus_mels", recording_corpus_mels)
    monkeypatch.setitem(AE.PROFILES, "smoke", dict(TINY_SETTINGS, max_epochs=1))
    model, history = AE.pretrain(corpus, profile="smoke", progress=False)
    train_ids, val_ids = seen
    assert train_ids == list(pretrain_part.split("train").ids)
    assert val_ids == list(pretrain_part.split("val").ids)
    assert not set(train_ids + val_ids) & (set(stimuli.ids) | set(pretrain_part.split("test").ids))
    assert len(history) == 1 and not model.training


def test_pretrained_is_cached_by_configuration(monkeypatch, tmp_path):
    monkeypatch.setenv("N2S_CACHE", str(tmp_path))
    monkeypatch.setitem(AE.PROFILES, "smoke", dict(TINY_SETTINGS, max_epochs=1))
    monkeypatch.setattr(corpora, "load", lambda spec: synthetic_corpus())
    monkeypatch.setattr(T.parallel, "usable_cores", lambda: 3)
    threads_while_pretraining = []
    original = AE.pretrain
    monkeypatch.setattr(AE, "pretrain",
                        lambda *a, **k: threads_while_pretraining.append(torch.get_num_threads()) or original(*a, **k))
    with T.torch_threads(1):  # a worker's share of the cores asks first
        first = AE.pretrained("smoke", progress=False)
    second = AE.pretrained("smoke", progress=False)  # a process with other threads gets the same one
    monkeypatch.setitem(AE.PROFILES, "smoke-renamed", dict(AE.PROFILES["smoke"]))
    renamed = AE.pretrained("smoke-renamed", progress=False)  # the same settings under another name
    monkeypatch.setitem(AE.PROFILES, "smoke-changed", dict(AE.PROFILES["smoke"], lr=AE.PROFILES["smoke"]["lr"] / 2))
    changed = AE.pretrained("smoke-changed", progress=False)
    assert threads_while_pretraining == [3, 3]  # every core, whoever asked; only changed settings train again
    assert same_weights(first, second) and same_weights(first, renamed) and not same_weights(first, changed)
    assert not list(tmp_path.rglob("*.resume.pt"))


def test_cli_train_autoencoder_writes_the_cached_checkpoint_that_resynthesize_takes(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("N2S_CACHE", str(tmp_path / "cache"))
    monkeypatch.setitem(AE.PROFILES, "smoke", dict(TINY_SETTINGS, max_epochs=1))
    monkeypatch.setattr(corpora, "load", lambda spec: synthetic_corpus())
    checkpoint = tmp_path / "ae.pt"
    assert cli.main(["train-autoencoder", "--out", str(checkpoint)]) == 0
    cached = AE.pretrained("smoke", progress=False)
    assert same_weights(AE.load(checkpoint), cached)
    written = checkpoint.read_bytes()
    assert cli.main(["train-autoencoder", "--out", str(checkpoint)]) == 2 and checkpoint.read_bytes() == written
    assert "pass --overwrite" in capsys.readouterr().err
    source, target = tmp_path / "in.wav", tmp_path / "out.wav"
    sf.write(source, speechlike(0.4, seed=5), A.SAMPLE_RATE)
    assert cli.main(["resynthesize", "--checkpoint", str(checkpoint), str(source), str(target)]) == 0
    assert sf.info(target).samplerate == A.SAMPLE_RATE


def test_an_unknown_profile_name_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"autoencoder profile must be one of \['full', 'smoke', 'standard'\]"):
        AE.pretrained("smok")


def test_synth_decoder_forward_backward():
    pytest.importorskip("n2s_lite.synthesizer")
    model = tiny_model(decoder="synth")
    mel = torch.from_numpy(A.log_mel(speechlike(0.3, seed=0)))[None]
    out = model(mel)
    assert out.shape == mel.shape and torch.isfinite(out).all()
    losses.spectrogram_loss(out, mel).backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.encoder.parameters())


def test_synth_blocks_deepen_only_the_synthesizer_decoders_controls_network(tmp_path):
    plain, deeper = tiny_model(decoder="synth"), tiny_model(decoder="synth", synth_blocks=2)
    extra = sum(p.numel() for p in deeper.parameters()) - sum(p.numel() for p in plain.parameters())
    hidden = plain.decoder.net[0].out_channels
    assert extra == 2 * (2 * hidden + hidden * hidden * 5 + hidden + hidden * hidden + hidden)  # norm + 2 convs
    assert [type(m) for m in deeper.decoder.net[4:6]] == [ResidualBlock] * 2
    assert deeper.decoder.net[5].body[2].dilation == (2,)
    mel = torch.from_numpy(A.log_mel(speechlike(0.3, seed=0)))[None]
    assert deeper(mel).shape == mel.shape
    AE.save(deeper, tmp_path / "deeper.pt")  # the size travels with the checkpoint
    assert AE.load(tmp_path / "deeper.pt").config["synth_blocks"] == 2
    with pytest.raises(ValueError, match="synth_blocks"):
        tiny_model(synth_blocks=1)  # a mel decoder has no controls network


def test_a_synth_autoencoder_renders_its_own_waveform_and_its_mel_comes_from_it():
    from n2s_lite import synthesizer as S

    model = tiny_model(decoder="synth")
    mel = A.log_mel(speechlike(0.5, seed=3))
    out = AE.reconstruct_synthesis(model, mel)
    assert out["wave"].shape == (len(mel) * A.HOP,) and out["wave"].dtype == np.float32
    assert np.array_equal(out["mel"], AE.reconstruct_mel(model, mel))  # decode() is the synthesizer's mel
    rendered = S.torch_log_mel(torch.from_numpy(out["wave"])[None])[0].numpy()
    assert np.allclose(rendered, out["mel"], atol=1e-4)  # ... of exactly this audio
    assert set(out["controls"]) == set(S.CONTROL_NAMES)
    assert all(len(track) == len(mel) for track in out["controls"].values())


def test_resynthesize_plays_the_synthesizer_not_griffin_lim_for_a_synth_decoder():
    model, wave = tiny_model(decoder="synth"), speechlike(0.5, seed=4)
    own = AE.reconstruct_synthesis(model, A.log_mel(wave))["wave"]
    out = AE.resynthesize(model, wave)
    assert len(out) == len(wave) and np.array_equal(out[:len(own)], own) and not out[len(own):].any()
    through_griffin_lim = AE.resynthesize(model, wave, vocode=lambda mel: A.griffin_lim(mel, n_iter=4))
    assert not np.allclose(through_griffin_lim[:len(own)], own)


def test_a_mel_decoder_has_no_waveform_of_its_own():
    model = tiny_model()
    with pytest.raises(ValueError, match="vocoder"):
        AE.reconstruct_synthesis(model, A.log_mel(speechlike(0.3, seed=5)))


def test_cli_resynthesize_with_a_synth_checkpoint_writes_the_synthesizer_audio(tmp_path):
    model = tiny_model(decoder="synth")
    checkpoint = AE.save(model, tmp_path / "synth.pt")
    wave = speechlike(0.4, seed=6)
    source, target = tmp_path / "in.wav", tmp_path / "out.wav"
    sf.write(source, wave, A.SAMPLE_RATE, subtype="FLOAT")
    assert cli.main(["resynthesize", "--checkpoint", str(checkpoint), str(source), str(target)]) == 0
    written, rate = sf.read(target, dtype="float32")
    expected = AE.resynthesize(AE.load(checkpoint), A.load_audio(source))
    assert rate == A.SAMPLE_RATE and np.allclose(written, expected, atol=1e-4)


# ------------------------------------------------------------- the synthesizer decoder's pitch and formants
def with_formants(f0s: list, formants_hz=(500.0, 1500.0, 2500.0)) -> list:
    """(T,) f0 tracks -> (T, 4) reference tracks: the f0, then constant F1-F3."""
    return [np.column_stack([f0, np.tile(np.float32(formants_hz), (len(f0), 1))]).astype(np.float32) for f0 in f0s]


def test_synth_training_batches_carry_the_reference_tracks_aligned_with_the_mel(monkeypatch):
    seen = []
    monkeypatch.setattr(T, "fit", lambda model, loss, batches, *args, **kwargs: seen.append(batches) or [])
    frames = [60, 150, 90]  # frame t of utterance i: every mel bin at -40 + t / 100 dB, f0 at 100 + t + 1000 i Hz
    mels = [np.repeat(-40.0 + np.arange(n, dtype=np.float32)[:, None] / 100, A.N_MELS, axis=1) for n in frames]
    tracks = with_formants([(100.0 + np.arange(n) + 1000 * i).astype(np.float32) for i, n in enumerate(frames)])
    settings = dict(TINY_SETTINGS, crop_frames=100, gain_db=0.0)
    AE.fit_autoencoder(tiny_model(decoder="synth"), mels, mels[:1], settings, train_tracks=tracks,
                       val_tracks=tracks[:1])
    for mel, track in list(seen[0](0)) + list(seen[0](1)):
        assert mel.shape == (settings["batch_size"], 100, A.N_MELS) and track.shape == (settings["batch_size"], 100, 4)
        padded = (mel == AE.FLOOR_DB).all(-1)
        assert torch.isnan(track[padded]).all() and torch.isfinite(track[~padded]).all()
        frame = torch.round((mel[..., 0] + 40.0) * 100)
        assert torch.allclose((track[..., 0] - 100 - frame)[~padded] % 1000, torch.tensor(0.0))
        assert (track[..., 1:][~padded] == torch.tensor([500.0, 1500.0, 2500.0])).all()


def test_reference_tracks_only_supervise_a_synth_decoder(mels):
    tracks = with_formants([np.full(len(mel), 150.0, np.float32) for mel in mels])
    with pytest.raises(ValueError, match="synth"):
        AE.fit_autoencoder(tiny_model(), mels, mels[:1], TINY_SETTINGS, train_tracks=tracks, val_tracks=tracks[:1])
    with pytest.raises(ValueError, match="together"):
        AE.fit_autoencoder(tiny_model(decoder="synth"), mels, mels[:1], TINY_SETTINGS, train_tracks=tracks)


def test_pitch_supervision_teaches_the_synth_decoder_the_pitch():
    from n2s_lite.synth.pitch import octave_error, pitch_track

    waves = [speechlike(1.0, seed) for seed in range(4)]
    mels, f0s = [A.log_mel(w) for w in waves], [pitch_track(w)[0] for w in waves]
    tracks = with_formants(f0s, (np.nan, np.nan, np.nan))  # no formants in this speech-like sound

    def f0_error(model):  # mean octave error of the decoded f0 on the training utterances' voiced frames
        errors = [octave_error(torch.from_numpy(AE.reconstruct_synthesis(model, mel)["controls"]["f0_hz"])[None],
                               torch.from_numpy(f0)[None]) for mel, f0 in zip(mels, f0s)]
        return float(torch.cat(errors).mean())

    settings = dict(TINY_SETTINGS, max_epochs=12, patience=20, lr=3e-3)
    untrained = AE.build(settings, decoder="synth", seed=0)
    spectral_only, supervised = AE.build(settings, decoder="synth", seed=0), AE.build(settings, decoder="synth", seed=0)
    AE.fit_autoencoder(spectral_only, mels, mels[:1], settings, progress=False)
    history = AE.fit_autoencoder(supervised, mels, mels[:1], settings, progress=False, train_tracks=tracks,
                                 val_tracks=tracks[:1])
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    assert f0_error(supervised) < 0.5 * min(f0_error(untrained), f0_error(spectral_only))


def test_pretraining_a_synth_decoder_tracks_the_pretraining_train_and_val_splits(monkeypatch):
    corpus = synthetic_corpus()
    pretrain_part, _stimuli = corpora.pretraining_and_stimuli(corpus)
    seen, fitted = [], []
    original = AE.corpus_mels_and_tracks

    def recording(utterances, limit=None, progress=True):
        seen.append([u.id for u in utterances])
        return original(utterances, limit, progress)

    monkeypatch.setattr(AE, "corpus_mels_and_tracks", recording)
    monkeypatch.setattr(AE, "fit_autoencoder", lambda *args, **kwargs: fitted.append(kwargs) or [])
    monkeypatch.setitem(AE.PROFILES, "smoke", dict(TINY_SETTINGS, max_epochs=1))
    AE.pretrain(corpus, profile="smoke", decoder="synth", progress=False)
    assert seen == [list(pretrain_part.split("train").ids), list(pretrain_part.split("val").ids)]
    assert [track.shape for track in fitted[0]["train_tracks"]] == [(len(A.log_mel(u.audio)), 4)
                                                                    for u in pretrain_part.split("train")]
    monkeypatch.setitem(AE.PROFILES, "smoke", dict(TINY_SETTINGS, max_epochs=1, pitch_weight=0.0, voicing_weight=0.0,
                                                   formant_weight=0.0))
    AE.pretrain(corpus, profile="smoke", decoder="synth", progress=False)
    assert len(seen) == 2 and "train_tracks" not in fitted[1]  # weights 0: the spectral loss alone, no tracks


def vowel_sequence(order: str, f0_hz: float, seconds_each: float = 0.4) -> tuple[np.ndarray, np.ndarray]:
    """Vowels of tests/test_formants.py one after the other -> ((N,) 16 kHz audio, (T, 4) true tracks: f0, F1-F3)."""
    from test_formants import VOWELS_HZ, vowel

    wave = np.concatenate([vowel(VOWELS_HZ[v], f0_hz, seconds_each) for v in order])
    frames = A.n_frames(len(wave))
    segment = np.minimum(np.arange(frames) * A.HOP // int(seconds_each * A.SAMPLE_RATE), len(order) - 1)
    formants = np.array([VOWELS_HZ[order[i]] for i in segment], np.float32)
    return wave, np.column_stack([np.full(frames, f0_hz, np.float32), formants])


def test_formant_supervision_teaches_the_synth_decoder_the_formants():
    from n2s_lite.synth.formants import formant_agreement

    pairs = [vowel_sequence(order, f0) for order, f0 in [("aiu", 110.0), ("uai", 130.0), ("iua", 150.0), ("aui", 120.0)]]
    mels, tracks = [A.log_mel(wave) for wave, _ in pairs], [track for _, track in pairs]

    def formant_error(model):  # median semitone error of F1-F3 over every frame of the training utterances
        decoded = [AE.reconstruct_synthesis(model, mel)["controls"]["formant_freq_hz"] for mel in mels]
        return formant_agreement(np.concatenate(decoded), np.concatenate(tracks)[:, 1:], np.concatenate(tracks)[:, 0])

    settings = dict(TINY_SETTINGS, max_epochs=12, patience=20, lr=3e-3)
    errors = {}
    for weight in (0.0, 1.0):
        model = AE.build(settings, decoder="synth", seed=0)
        AE.fit_autoencoder(model, mels, mels[:1], dict(settings, formant_weight=weight), progress=False,
                           train_tracks=tracks, val_tracks=tracks[:1])
        errors[weight] = formant_error(model)
    # measured (F1 / F2 / F3, semitones), one thread: 4.1 / 8.8 / 4.7 without the formant loss, 1.5 / 3.2 / 0.7 with
    # it; two threads: 1.0 / 7.6 / 5.2 and 2.0 / 1.0 / 0.5. A single formant may lose on so tiny a model; the mean
    # error must fall by half
    assert errors[1.0].mean() < 0.5 * errors[0.0].mean()
