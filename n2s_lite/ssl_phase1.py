"""Phase 1 with a frozen self-supervised speech encoder, as in Neural2Speech (wav2vec 2.0, 768-d at 50 Hz).

    ae = ssl_phase1.pretrained("smoke", corpus="asterisk", encoder="facebook/wav2vec2-base", layer=6)
    # or methods.pretrained_autoencoder("smoke", encoder="facebook/wav2vec2-base")

The latent is one hidden layer of a `speech_model` (a local folder or a hub name), layer-normed per frame
without parameters (zero mean, unit variance over its channels, as the package's own encoder's latent and the
adaptor's output are), at 50 Hz: latent frame t and log-mel frames 2t, 2t + 1 cover the same instant. Phase 1
trains only the decoder, the package's `MelDecoder`, from that latent to the dB log-mel, with the package's
spectrogram loss, on random crops of the pre-training speech; the vocoder is trained as before, on log-mels.
Both the log-mels and the latents of every utterance are computed once and cached on disk, memory-mapped
(`features`), so hours of speech never sit in memory. There is no gain augmentation: the latent of a louder
utterance is the same (the model normalises its input), so a gain shift of the log-mel could not be decoded.

`SSLAutoencoder` has the interface of `autoencoder.SpeechAutoencoder` that phase 2 uses (latent_dim, stride,
encode, decode, freeze_decoder), so `adaptor.train_adaptor` maps neural data onto this latent unchanged. Its
`encode` takes a log-mel, as phase 2's latent alignment gives it (trials hold mels, not audio): the mel is
turned back into a waveform by Griffin-Lim (`audio.griffin_lim`, `GRIFFIN_LIM_ITERS`) and the speech model
encodes that, so the alignment target is the latent of the heard speech as its log-mel carries it.
`encode_audio` gives the latent of a waveform itself. The speech model is held outside the module's
parameters: checkpoints store the decoder only and name the model (`config['encoder']`).
"""
from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import audio as A
from . import features
from . import speech_model as S
from . import train as T
from .autoencoder import FLOOR_DB, PROFILES, MelDecoder, SpeechAutoencoder
from .crops import CropSampler
from .errors import InputError
from .losses import spectrogram_loss
from .profiles import lookup
from .utils import seed_everything

CHECKPOINT_KIND = "n2s-lite self-supervised autoencoder"
CODE = ("ssl_phase1",)  # the modules (with their imports) whose source keys a cached product
STRIDE = 2  # 100 Hz log-mel frames per latent frame (the speech models' 50 Hz)
GRIFFIN_LIM_ITERS = 16


@functools.lru_cache(maxsize=2)
def speech(source: str) -> S.SpeechModel:
    """The frozen speech model of `source`, loaded once per process (every copy of an autoencoder shares it)."""
    return S.load(source)


def model_fingerprint(source: str) -> str:
    """What identifies the model's weights for a cache key: for a folder, its files' names, sizes and times;
    for a hub name, the name (the hub's files of that name)."""
    folder = Path(source).expanduser()
    if not folder.is_dir():
        return source
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        stat = path.stat()
        digest.update(f"{path.relative_to(folder)}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def default_layer(source: str) -> int:
    """The middle transformer layer (6 of wav2vec2-base's 12): a choice, pass `layer` to take another."""
    return speech(source).n_layers // 2


class SSLAutoencoder(SpeechAutoencoder):
    """Frozen speech model (layer `layer` of `encoder`) -> (B, T', D) latent at 50 Hz -> `MelDecoder` -> log-mel.

    Only the decoder has parameters. decoder: 'mel' only (the formant synthesizer learns from the package's own
    encoder)."""

    def __init__(self, encoder: str, layer: int, latent_dim: int, channels: int = 128, blocks: int = 3,
                 stride: int = STRIDE, decoder: str = "mel", synth_blocks: int = 0):
        nn.Module.__init__(self)
        model = speech(encoder)
        if decoder != "mel" or synth_blocks or stride != STRIDE:
            raise ValueError(f"a self-supervised encoder takes decoder='mel' and stride {STRIDE}, got "
                             f"decoder={decoder!r}, stride={stride}, synth_blocks={synth_blocks}")
        if latent_dim != model.dim or not 0 <= layer <= model.n_layers:
            raise InputError(encoder, "config", f"layer 0..{model.n_layers} of a {model.dim}-dimensional model",
                             f"layer {layer}, latent_dim {latent_dim}")
        self.config = dict(encoder=str(encoder), layer=int(layer), latent_dim=latent_dim, channels=channels,
                           blocks=blocks, stride=stride, decoder=decoder, synth_blocks=synth_blocks)
        self.source, self.layer = str(encoder), int(layer)
        self.latent_dim, self.stride, self.decoder_kind = latent_dim, stride, decoder
        self.encoder = nn.Identity()  # no trainable encoder: `encode` asks the frozen speech model
        self.decoder = MelDecoder(channels, blocks, latent_dim, stride)
        self.decoder_frozen = False

    def encode_audio(self, wave: np.ndarray) -> np.ndarray:
        """(N,) float32 16 kHz waveform -> (ceil(N / 320), latent_dim) float32 latent, layer-normed per frame."""
        hidden = torch.from_numpy(speech(self.source).features(np.asarray(wave, np.float32), self.layer))
        return F.layer_norm(hidden, (self.latent_dim,)).numpy()

    @torch.no_grad()
    def encode(self, mel: torch.Tensor) -> torch.Tensor:
        """(B, T, 80) dB log-mel -> (B, ceil(T / 2), latent_dim): the latent of its Griffin-Lim waveform."""
        if mel.ndim != 3 or mel.shape[-1] != A.N_MELS or mel.shape[1] == 0:
            raise InputError("<mel>", "mel", f"a (B, T, {A.N_MELS}) dB log-mel with T > 0", f"shape {tuple(mel.shape)}")
        waves = [A.griffin_lim(m, n_iter=GRIFFIN_LIM_ITERS) for m in mel.detach().float().cpu().numpy()]
        n_latent = -(-mel.shape[1] // self.stride)
        latents = np.stack([self.encode_audio(w)[:n_latent] for w in waves])
        return torch.from_numpy(latents).to(mel.device)


def build(encoder: str, layer: int | None = None, settings: str | dict = "smoke", seed: int = 0) -> SSLAutoencoder:
    """An untrained decoder of a profile's size (`autoencoder.PROFILES`) on layer `layer` of `encoder`."""
    settings = lookup(PROFILES, settings, "autoencoder") if isinstance(settings, str) else settings
    layer = default_layer(encoder) if layer is None else layer
    seed_everything(seed)
    return SSLAutoencoder(str(encoder), layer, speech(encoder).dim, settings["channels"], settings["blocks"])


def paired_features(model: SSLAutoencoder, utterances, progress: bool = True) -> list[tuple[np.ndarray, np.ndarray]]:
    """[((T', 160) two log-mel frames per row, (T', D) latent)] for each utterance with T' = T // 2 >= 1:
    memory-mapped from the feature cache (`features`), aligned at 50 Hz (an odd last mel frame is left out)."""
    utterances = list(utterances)
    mels = features.log_mels(utterances, progress)
    latents = features.cached_features(
        "ssl_latent", utterances, model.encode_audio,
        dict(encoder=model_fingerprint(model.source), layer=model.layer, mel=A.mel_params()), CODE, progress)
    pairs = []
    for mel, latent in zip(mels, latents):
        n = min(len(mel) // STRIDE, len(latent))
        if n:
            pairs.append((mel[:STRIDE * n].reshape(n, STRIDE * A.N_MELS), latent[:n]))
    return pairs


def _loss(model: SSLAutoencoder, mel_pairs: torch.Tensor, latent: torch.Tensor) -> torch.Tensor:
    """(B, T', 160) paired log-mel frames and their (B, T', D) latent -> the spectrogram loss of the decoding."""
    mel = mel_pairs.reshape(len(mel_pairs), -1, A.N_MELS)
    return spectrogram_loss(model.decode(latent, mel.shape[1]), mel)


def fit_decoder(model: SSLAutoencoder, train_pairs: list, val_pairs: list, settings: dict, seed: int = 0,
                checkpoint=None, progress: bool = True) -> list[dict]:
    """Train the decoder in place on crops of `paired_features` (crop_frames // 2 latent frames), early-stopped
    on the whole validation utterances; returns the history."""
    crops = CropSampler(train_pairs, (FLOOR_DB, 0.0), settings["crop_frames"] // STRIDE, settings["batch_size"],
                        settings["steps_per_epoch"], seed)
    config = T.TrainConfig(max_epochs=settings["max_epochs"], lr=settings["lr"], patience=settings["patience"],
                           seed=seed, progress=progress)

    def device_batch(m, batch):
        device = next(m.parameters()).device
        return _loss(m, *(part.to(device) for part in batch))

    def val_loss(m) -> float:
        device = next(m.parameters()).device
        total = sum(float(_loss(m, *(torch.from_numpy(np.array(a))[None].to(device) for a in pair))) * len(pair[1])
                    for pair in val_pairs)
        return total / sum(len(pair[1]) for pair in val_pairs)

    return T.fit(model, device_batch, crops, val_loss, config, checkpoint=checkpoint, desc="decoder")


def pretrain_on(train_utterances, val_utterances, encoder: str, layer: int | None = None, profile: str = "smoke",
                seed: int = 0, checkpoint=None, progress: bool = True) -> SSLAutoencoder:
    """Phase 1 on these utterances (all of them): a decoder of the profile's size -> model on CPU, eval mode."""
    settings = lookup(PROFILES, profile, "autoencoder")
    model = build(encoder, layer, settings, seed)
    train_pairs, val_pairs = (paired_features(model, u, progress) for u in (train_utterances, val_utterances))
    if not train_pairs or not val_pairs:
        raise InputError("<pre-training speech>", "utterances", "at least one train and one val utterance of 20 ms",
                         f"{len(train_pairs)} train and {len(val_pairs)} val")
    model.history = fit_decoder(model, train_pairs, val_pairs, settings, seed, checkpoint, progress)
    return model.cpu().eval()


def pretrained(profile: str = "smoke", corpus="asterisk", seed: int = 0, encoder: str = "facebook/wav2vec2-base",
               layer: int | None = None, progress: bool = True) -> SSLAutoencoder:
    """Phase 1 on the pre-training part of `corpus` (`autoencoder.pretraining_speech`: its train split, early
    stopping on its val split; every utterance, not the profile's max_utterances), trained once and then
    loaded from the cache, keyed like `autoencoder.pretrained` plus the speech model and layer."""
    from .autoencoder import pretraining_speech

    layer = default_layer(encoder) if layer is None else layer
    settings = lookup(PROFILES, profile, "autoencoder")
    config = dict(kind="ssl_autoencoder", settings=settings, corpus=corpus, seed=seed, mel=A.mel_params(),
                  encoder=model_fingerprint(encoder), layer=layer)

    def train(resume):
        model = build(encoder, layer, settings, seed)
        train_pairs, val_pairs = pretraining_speech(corpus, lambda u, _limit: paired_features(model, u, progress),
                                                    None)
        history = fit_decoder(model, train_pairs, val_pairs, settings, seed, resume, progress)
        return model.cpu().eval(), history

    return T.trained_once("autoencoder", config, CODE, train, save, load)


def save(model: SSLAutoencoder, path, history: list | None = None) -> Path:
    """Write the decoder's weights + the configuration that rebuilds the model (it names the speech model)."""
    return T.save_model(path, model, model.config, kind=CHECKPOINT_KIND, mel=A.mel_params(), history=history or [])


def load(path) -> SSLAutoencoder:
    """Rebuild a model written by `save` (eval mode, CPU); its speech model is loaded from `config['encoder']`."""
    return T.load_model(path, CHECKPOINT_KIND, "ssl_phase1.save", SSLAutoencoder, mel=A.mel_params())
