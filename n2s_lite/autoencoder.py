"""Phase 1: a speech autoencoder, log-mel (100 Hz, 80 bins, dB) -> latent sequence -> log-mel -> waveform.

The encoder is a 1-D convolutional network over time: residual dilated-convolution blocks at 100 Hz,
one strided convolution down to 100 / stride Hz (50 Hz by default), more blocks, and a projection to
`latent_dim` channels followed by a parameter-free layer norm, so every latent frame has zero mean and
unit variance over its channels (a well-scaled target for the phase-2 adaptor). The decoder mirrors it
(nearest-neighbour upsampling + convolution) and returns a dB log-mel; with decoder="synth" the latent
drives `n2s_lite.synthesizer.SynthesizerDecoder` instead, whose formant synthesizer renders the waveform
itself (`reconstruct_synthesis`); a mel decoder's waveform comes from the mel by Griffin-Lim
(`audio.griffin_lim`) or the neural vocoder.

Training (`pretrain`) follows Li et al. 2024 (Neural2Speech): SmoothL1 on the dB log-mel plus L1 on its
time and frequency differences, on random crops of pre-training utterances only (`corpora.
pretraining_and_stimuli` keeps them disjoint from the stimulus sentences of the neural experiment). A
synthesizer decoder is also taught the pitch and voicing that pYIN hears in the pre-training speech
(`synth.pitch.pitch_loss`), since the spectral loss alone never finds the pitch, and the formants F1-F3
that linear prediction finds in it (`synth.formants.formant_loss`), since alone it uses them as free
spectral shapers.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from . import audio as A
from . import train as T
from .crops import CropSampler
from .errors import InputError
from .layers import ChannelNorm, residual_blocks
from .losses import denormalise, normalise, spectrogram_loss
from .profiles import Section, lookup
from .synthesizer import SynthesizerDecoder
from .utils import refuse_to_replace, seed_everything

FLOOR_DB = 10.0 * math.log10(A.MEL_FLOOR)  # -50 dB, the silence level of `audio.log_mel`
CHECKPOINT_KIND = "n2s-lite speech autoencoder"

PROFILES = Section("autoencoder")  # {profile: settings}, kept in `profiles.SETTINGS`
MODEL_KEYS = ("channels", "blocks", "latent_dim", "stride", "synth_blocks")
CODE = ("autoencoder",)  # the modules (with their imports) whose source keys a cached pre-trained autoencoder


class MelEncoder(nn.Module):
    """(B, 80, T) network units -> (B, latent_dim, ceil(T / stride)) latent, layer-normed per frame."""

    def __init__(self, channels: int, blocks: int, latent_dim: int, stride: int):
        super().__init__()
        self.stride = stride
        self.inp = nn.Conv1d(A.N_MELS, channels, 5, padding="same")
        self.fine = residual_blocks(channels, blocks)
        self.down = nn.Conv1d(channels, channels, stride, stride=stride)
        self.coarse = residual_blocks(channels, blocks)
        self.out = nn.Sequential(ChannelNorm(channels), nn.GELU(), nn.Conv1d(channels, latent_dim, 1))
        self.latent_norm = ChannelNorm(latent_dim, elementwise_affine=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.fine(self.inp(x))
        h = F.pad(h, (0, -h.shape[-1] % self.stride), mode="replicate")
        return self.latent_norm(self.out(self.coarse(self.down(h))))


class MelDecoder(nn.Module):
    """(B, latent_dim, T') latent -> (B, n_frames, 80) dB log-mel (n_frames <= stride * T')."""

    def __init__(self, channels: int, blocks: int, latent_dim: int, stride: int):
        super().__init__()
        self.stride = stride
        self.inp = nn.Conv1d(latent_dim, channels, 3, padding="same")
        self.coarse = residual_blocks(channels, blocks)
        self.up = nn.Conv1d(channels, channels, 2 * stride + 1, padding="same")
        self.fine = residual_blocks(channels, blocks)
        self.out = nn.Sequential(ChannelNorm(channels), nn.GELU(), nn.Conv1d(channels, A.N_MELS, 1))

    def forward(self, z: torch.Tensor, n_frames: int) -> torch.Tensor:
        h = self.coarse(self.inp(z))
        h = self.up(h.repeat_interleave(self.stride, dim=-1)[..., :n_frames])
        return denormalise(self.out(self.fine(h))).transpose(1, 2)


class SpeechAutoencoder(nn.Module):
    """Log-mel autoencoder; the latent runs at 100 / stride Hz with latent_dim channels.

    decoder="mel": convolutional mel decoder; decoder="synth": `synthesizer.SynthesizerDecoder`
    (formant synthesizer whose controls come from the latent; its mel output is what `decode` returns).
    """

    def __init__(self, latent_dim: int = 48, stride: int = 2, channels: int = 128, blocks: int = 3,
                 decoder: str = "mel", synth_blocks: int = 0):
        super().__init__()
        if decoder not in ("mel", "synth"):
            raise ValueError(f"decoder must be 'mel' or 'synth', got {decoder!r}")
        if stride < 1:
            raise ValueError(f"stride must be a positive integer, got {stride}")
        if synth_blocks and decoder != "synth":
            raise ValueError(f"synth_blocks={synth_blocks} sizes a synthesizer decoder; decoder={decoder!r} has none")
        self.config = dict(latent_dim=latent_dim, stride=stride, channels=channels, blocks=blocks, decoder=decoder,
                           synth_blocks=synth_blocks)
        self.latent_dim, self.stride, self.decoder_kind = latent_dim, stride, decoder
        self.encoder = MelEncoder(channels, blocks, latent_dim, stride)
        if decoder == "mel":
            self.decoder = MelDecoder(channels, blocks, latent_dim, stride)
        else:
            self.decoder = SynthesizerDecoder(latent_dim=latent_dim, latent_stride=stride, blocks=synth_blocks)
        self.decoder_frozen = False

    @property
    def latent_rate(self) -> float:
        """Latent frames per second."""
        return A.FRAME_RATE / self.stride

    def encode(self, mel: torch.Tensor) -> torch.Tensor:
        """(B, T, 80) dB log-mel -> (B, ceil(T / stride), latent_dim) latent."""
        _check_mel(mel)
        return self.encoder(normalise(mel).transpose(1, 2)).transpose(1, 2)

    def decode(self, z: torch.Tensor, n_frames: int) -> torch.Tensor:
        """(B, T', latent_dim) latent -> (B, n_frames, 80) dB log-mel, with n_frames <= stride * T'."""
        self._check_latent(z, n_frames)
        if self.decoder_kind == "synth":
            return self.decoder(z, n_frames)["mel"]
        return self.decoder(z.transpose(1, 2), n_frames)

    def synthesize(self, z: torch.Tensor, n_frames: int) -> dict:
        """decoder="synth" only: (B, T', latent_dim) latent -> dict(mel=(B, n_frames, 80) dB, wave=(B,
        n_frames * 160) 16 kHz audio rendered by the formant synthesizer, controls={name: (B, n_frames[, K])})."""
        if self.decoder_kind != "synth":
            raise ValueError("only a decoder='synth' autoencoder renders audio itself; a mel decoder's log-mel "
                             "needs a vocoder (audio.griffin_lim or vocoder.vocode)")
        self._check_latent(z, n_frames)
        return self.decoder(z, n_frames)

    def _check_latent(self, z: torch.Tensor, n_frames: int) -> None:
        if z.ndim != 3 or z.shape[-1] != self.latent_dim or not 0 < n_frames <= z.shape[1] * self.stride:
            raise ValueError(f"expected a (B, T', {self.latent_dim}) latent with T' >= n_frames / {self.stride}, "
                             f"got shape {tuple(z.shape)} for n_frames={n_frames}")

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        """(B, T, 80) dB -> (B, T, 80) dB reconstruction."""
        return self.decode(self.encode(mel), mel.shape[1])

    def freeze_decoder(self) -> None:
        """Phase 2: the decoder's parameters stop learning and it stays in eval mode."""
        self.decoder.requires_grad_(False)
        self.decoder_frozen = True
        self.decoder.eval()

    def train(self, mode: bool = True):
        super().train(mode)
        if self.decoder_frozen:
            self.decoder.eval()
        return self


def _check_mel(mel: torch.Tensor) -> None:
    if mel.ndim != 3 or mel.shape[-1] != A.N_MELS or mel.shape[1] == 0:
        raise InputError("<mel>", "mel", f"a (B, T, {A.N_MELS}) dB log-mel with T > 0", f"shape {tuple(mel.shape)}")


# --------------------------------------------------------------------------------------------- training


def gain_augmented(sampler: CropSampler, gain_db: float):
    """epoch -> batches of a `CropSampler` whose first feature is the log-mel, as tuples of float32 tensors:
    the (B, crop_frames, 80) dB log-mel with each crop shifted by a random gain of +-gain_db (a level shift
    of the whole log-mel, re-floored at the silence level), then the other features unchanged."""

    def batches(epoch: int):
        for rng, (crops, *others) in sampler.batches(epoch):
            gains = rng.uniform(-gain_db, gain_db, size=(len(crops), 1, 1))
            yield (torch.from_numpy(np.maximum(crops + gains, FLOOR_DB).astype(np.float32)),
                   *(torch.from_numpy(other) for other in others))

    return batches


def corpus_mels(utterances, limit: int | None = None) -> list[np.ndarray]:
    """Iterable of Utterance (audio (N,) float32 16 kHz) -> list of (T, 80) dB log-mels (first `limit`, non-empty),
    memory-mapped from the on-disk feature cache (`features.log_mels`): hours of speech never sit in memory."""
    from .features import log_mels

    return log_mels(list(utterances)[:limit], progress=False).nonempty()


def corpus_mels_and_tracks(utterances, limit: int | None = None,
                           progress: bool = True) -> list[tuple[np.ndarray, np.ndarray]]:
    """Iterable of Utterance -> [((T, 80) dB log-mel, (T, 4) reference tracks)] (first `limit`): column 0 is
    pYIN's f0 in Hz (NaN where unvoiced), columns 1-3 LPC's F1-F3 in Hz (NaN where unmeasured).
    pYIN takes about a twelfth of the audio's duration here (about a minute for the standard pre-training)."""
    from .synth.formants import reference_tracks

    utterances = tqdm(list(utterances)[:limit], desc="pYIN and LPC", leave=False, disable=not progress)
    pairs = [(A.log_mel(u.audio), reference_tracks(u.audio)) for u in utterances]
    return [pair for pair in pairs if len(pair[0]) > 0]


def _loss(model: SpeechAutoencoder, mel: torch.Tensor, tracks: torch.Tensor | None, settings: dict) -> torch.Tensor:
    """(B, T, 80) dB log-mel [and (B, T, 4) reference tracks: f0, F1-F3 in Hz, `corpus_mels_and_tracks`] -> the
    scalar training loss: the spectrogram loss of the reconstruction, plus a synthesizer decoder's pitch loss
    and formant loss (on the frames pYIN hears voiced) where tracks are given.

    With a reference, the decoder's f0 learns from it alone: the spectrogram loss renders a copy of f0
    without its gradient. Spectral losses give pitch poor gradients (Turian & Henry 2020), and left in they
    pulled f0 away from the reference: on the tiny models and speech-like data of tests/test_autoencoder.py,
    trained 20 epochs (a measurement made outside the tests, which train 12), the mean f0 error was 0.08
    octave with the copy, 0.27 without it and 0.39 with the spectral loss alone.
    DDSP likewise takes f0 from a tracker instead of learning it from a spectral loss (Engel et al. 2020).
    The formants keep the spectral loss's gradient, which shapes them together with their bandwidths and
    amplitudes."""
    if tracks is None:
        return spectrogram_loss(model(mel), mel)
    from .synth.formants import reference_track_loss

    controls = model.decoder.controls(model.encode(mel), mel.shape[1])
    rendered = model.decoder.render_for_spectral_loss(controls)
    return spectrogram_loss(rendered["mel"], mel) + reference_track_loss(
        controls, tracks, settings["pitch_weight"], settings["voicing_weight"], settings["formant_weight"])


def _mean_loss(model: SpeechAutoencoder, mels: list[np.ndarray], tracks: list | None, settings: dict) -> float:
    """Frame-weighted loss over whole utterances (validation)."""
    device = next(model.parameters()).device
    total = 0.0
    for i, mel in enumerate(mels):
        x = torch.from_numpy(mel)[None].to(device)
        reference = None if tracks is None else torch.from_numpy(tracks[i])[None].to(device)
        total += float(_loss(model, x, reference, settings)) * len(mel)
    return total / sum(len(m) for m in mels)


def _batch_loss(model: SpeechAutoencoder, batch: tuple, settings: dict) -> torch.Tensor:
    """Training loss of one batch: ((B, crop_frames, 80) dB log-mel[, (B, crop_frames, 4) reference tracks])."""
    device = next(model.parameters()).device
    mel, *tracks = (part.to(device) for part in batch)
    return _loss(model, mel, tracks[0] if tracks else None, settings)


def fit_autoencoder(model: SpeechAutoencoder, train_mels: list, val_mels: list, settings: dict, seed: int = 0,
                    checkpoint=None, max_epochs: int | None = None, progress: bool = True,
                    train_tracks: list | None = None, val_tracks: list | None = None) -> list[dict]:
    """Train `model` in place on crops of train_mels, early-stopped on val_mels; returns the history.

    settings: a `PROFILES` entry (crop length, batches, learning rate, patience, epochs, supervision weights).
    train_tracks, val_tracks: for a decoder="synth" model, the (T, 4) reference tracks of each mel (pYIN's f0
    and LPC's F1-F3 in Hz, NaN where missing; `corpus_mels_and_tracks`), which then supervise the
    synthesizer's f0, voicing and formants (`synth.pitch.pitch_loss`, `synth.formants.formant_loss`).
    """
    if (train_tracks is None) != (val_tracks is None) or (train_tracks is not None and model.decoder_kind != "synth"):
        raise ValueError("train_tracks and val_tracks go together, and only with a decoder='synth' autoencoder")
    items = [(mel,) for mel in train_mels] if train_tracks is None else list(zip(train_mels, train_tracks))
    crops = CropSampler(items, (FLOOR_DB, np.nan)[:len(items[0])], settings["crop_frames"],
                        settings["batch_size"], settings["steps_per_epoch"], seed)
    config = T.TrainConfig(max_epochs=max_epochs or settings["max_epochs"], lr=settings["lr"],
                           patience=settings["patience"], seed=seed, progress=progress)
    batches = gain_augmented(crops, settings["gain_db"])
    return T.fit(model, lambda m, batch: _batch_loss(m, batch, settings), batches,
                 lambda m: _mean_loss(m, val_mels, val_tracks, settings), config, checkpoint=checkpoint,
                 desc="autoencoder")


def supervised_by_tracks(settings: dict, decoder: str) -> bool:
    """Whether pre-training with these settings supervises the decoder by reference tracks: a synthesizer
    decoder with a positive pitch, voicing or formant weight."""
    return decoder == "synth" and any(settings[w] > 0 for w in ("pitch_weight", "voicing_weight", "formant_weight"))


def build(settings: str | dict = "smoke", decoder: str = "mel", seed: int = 0) -> SpeechAutoencoder:
    """An untrained autoencoder of a profile's size (its name or its settings dict), initialised from `seed`."""
    settings = lookup(PROFILES, settings, "autoencoder") if isinstance(settings, str) else settings
    seed_everything(seed)
    return SpeechAutoencoder(decoder=decoder, **{k: settings[k] for k in MODEL_KEYS})


def pretraining_speech(corpus, featurise: Callable, limit: int | None) -> tuple[list, list]:
    """Features of a corpus's pre-training part -> (train, val): featurise(utterances, limit) of its train
    split and featurise(utterances, about limit / 4) of its val split. The test split and the stimulus half
    (`corpora.pretraining_and_stimuli`) are never read. corpus: a `corpora.Corpus` or spec(s).
    """
    from . import corpora

    if not isinstance(corpus, corpora.Corpus):
        corpus = corpora.load(corpus)
    pretrain_part, _stimuli = corpora.pretraining_and_stimuli(corpus)
    train = featurise(pretrain_part.split("train"), limit)
    val = featurise(pretrain_part.split("val"), limit and max(limit // 4, 4))
    if not train or not val:
        raise InputError(corpus.name, "utterances", "enough speech for non-empty pre-training train and val splits",
                         f"{len(train)} train and {len(val)} val utterances")
    return train, val


def pretrain(corpus="asterisk", profile: str = "smoke", seed: int = 0, checkpoint=None, decoder: str = "mel",
             progress: bool = True):
    """Pre-train on the corpus's pre-training part only -> (model on CPU in eval mode, history).

    corpus: a `corpora.Corpus`, a spec or a list of specs (`corpora.load`, e.g. ['asterisk', 'asterisk-es']).
    A decoder="synth" model also learns pYIN's pitch and voicing and LPC's formants of that speech
    (`supervised_by_tracks`).
    Trains on `pretrain.split("train")`, early-stops on `pretrain.split("val")`; `pretrain.split("test")`
    and every stimulus utterance (`corpora.pretraining_and_stimuli`) are never seen. The split hashes each
    sentence, so a combined corpus keeps every sentence on the side it has in its own corpus.
    """
    settings = lookup(PROFILES, profile, "autoencoder")
    model = build(profile, decoder, seed)
    if supervised_by_tracks(settings, decoder):
        featurise = lambda utterances, limit: corpus_mels_and_tracks(utterances, limit, progress)  # noqa: E731
        train, val = pretraining_speech(corpus, featurise, settings["max_utterances"])
        (train_mels, train_tracks), (val_mels, val_tracks) = zip(*train), zip(*val)
        history = fit_autoencoder(model, train_mels, val_mels, settings, seed, checkpoint, progress=progress,
                                  train_tracks=train_tracks, val_tracks=val_tracks)
    else:
        train_mels, val_mels = pretraining_speech(corpus, corpus_mels, settings["max_utterances"])
        history = fit_autoencoder(model, train_mels, val_mels, settings, seed, checkpoint, progress=progress)
    return model.cpu().eval(), history


def pretrained(profile: str = "smoke", corpus: str | list[str] = "asterisk", seed: int = 0, decoder: str = "mel",
               progress: bool = True) -> SpeechAutoencoder:
    """The pre-trained autoencoder for this configuration, trained once and then loaded from the cache.
    (A frozen self-supervised encoder instead of this one: `ssl_phase1.pretrained`.)

    Keyed by the settings (not the profile's name: two names for the same settings share one network), the
    corpus, the seed, the code and where it trains; it pre-trains on every CPU core, whichever process asks
    first, and an interrupted pre-training resumes (`train.trained_once`).
    """
    config = dict(kind="speech_autoencoder", settings=lookup(PROFILES, profile, "autoencoder"),
                  corpus=corpus, seed=seed, decoder=decoder, mel=A.mel_params())
    return T.trained_once("autoencoder", config, CODE,
                          lambda resume: pretrain(corpus, profile, seed, resume, decoder, progress), save, load)


# ---------------------------------------------------------------------------------------- files and audio


def save(model: SpeechAutoencoder, path, history: list | None = None) -> Path:
    """Write weights + the configuration that rebuilds the model (atomic; loads with weights_only=True)."""
    return T.save_model(path, model, model.config, kind=CHECKPOINT_KIND, mel=A.mel_params(),
                        history=history or [])


def load(path) -> SpeechAutoencoder:
    """Rebuild a model written by `save` (in eval mode, on CPU); `model.history` is its training history."""
    return T.load_model(path, CHECKPOINT_KIND, "autoencoder.save", SpeechAutoencoder, mel=A.mel_params())


@torch.no_grad()
def reconstruct_mel(model: SpeechAutoencoder, mel: np.ndarray) -> np.ndarray:
    """(T, 80) dB log-mel -> (T, 80) dB reconstruction through the autoencoder."""
    model.eval()
    device = next(model.parameters()).device
    return model(torch.as_tensor(mel, dtype=torch.float32, device=device)[None])[0].cpu().numpy()


@torch.no_grad()
def reconstruct_synthesis(model: SpeechAutoencoder, mel: np.ndarray) -> dict:
    """decoder="synth" only: (T, 80) dB log-mel -> dict(mel=(T, 80) dB, wave=(T * 160,) float32 16 kHz audio
    of the formant synthesizer, controls={name: (T,) or (T, K)}), all NumPy."""
    model.eval()
    device = next(model.parameters()).device
    x = torch.as_tensor(mel, dtype=torch.float32, device=device)[None]
    out = model.synthesize(model.encode(x), x.shape[1])
    return dict(mel=out["mel"][0].cpu().numpy(), wave=out["wave"][0].cpu().numpy(),
                controls={name: value[0].cpu().numpy() for name, value in out["controls"].items()})


def resynthesize(model: SpeechAutoencoder, wave_16k: np.ndarray, n_iter: int = 32,
                 vocode: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray:
    """(N,) 16 kHz speech -> (N,) float32 speech: log-mel -> autoencoder -> waveform.

    vocode: (T, 80) dB log-mel -> (T * 160,) waveform, e.g. with a `vocoder.vocode`; None: the synthesizer's
    own audio for a decoder="synth" autoencoder (`reconstruct_synthesis`), Griffin-Lim from the mel
    (`audio.griffin_lim`, n_iter iterations) for a mel decoder.
    """
    wave_16k = np.asarray(wave_16k, dtype=np.float32)
    if wave_16k.ndim != 1 or len(wave_16k) < A.N_FFT:
        raise InputError("<waveform>", "wave", f"a 1-D waveform of at least {A.N_FFT} samples (64 ms)",
                         f"shape {wave_16k.shape}")
    mel = A.log_mel(wave_16k)
    if vocode is None and model.decoder_kind == "synth":
        out = reconstruct_synthesis(model, mel)["wave"]
    else:
        mel = reconstruct_mel(model, mel)
        out = A.griffin_lim(mel, n_iter=n_iter) if vocode is None else vocode(mel)
    return np.pad(out, (0, len(wave_16k) - len(out)))


def resynthesize_file(checkpoint, in_path, out_path, overwrite: bool = False,
                      vocode: Callable[[np.ndarray], np.ndarray] | None = None) -> Path:
    """Speech file (any `audio.load_audio` reads, any sample rate) -> 16 kHz .wav through the autoencoder and
    `vocode` (as in `resynthesize`). Never replaces an existing out_path unless overwrite=True.
    """
    out_path = Path(out_path)
    if out_path.suffix.lower() != ".wav":
        raise InputError(out_path, "output path", "a file name ending in .wav (16-bit PCM wav is written)",
                         f"suffix {out_path.suffix!r}")
    refuse_to_replace(out_path, overwrite)
    wave = A.load_audio(in_path)
    if len(wave) < A.N_FFT:
        raise InputError(in_path, "audio", f"at least {A.N_FFT} samples at 16 kHz (64 ms)", f"{len(wave)} samples")
    return A.save_audio(out_path, resynthesize(load(checkpoint), wave, vocode=vocode), overwrite=overwrite)
