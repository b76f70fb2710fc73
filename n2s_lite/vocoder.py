"""A small neural vocoder: a network inverts the log-mel to the linear spectrogram, Griffin-Lim adds the phase.

Griffin-Lim from a log-mel loses more to the mel inversion than to the missing phase. On 20 held-out
asterisk utterances, 16 Griffin-Lim iterations reach ESTOI 0.98 from the true linear magnitude but 0.92
from the true log-mel through `audio.mel_to_linear_power`, whose least-squares inverse cannot put back
the harmonics that the wide high mel bins average away. `SpectralInverter` learns that inverse from
speech instead (the idea of Tacotron's post-net, Wang et al. 2017): a residual convolutional network over
time, (T, 80) dB log-mel -> (T, 513) dB linear power. It is trained on the pre-training half of the corpus
only (`corpora.pretraining_and_stimuli`), like the autoencoder, never on a stimulus sentence.

Loss: L1 on the magnitude compressed by a square root, which weights the loud harmonics that carry speech
above the noise floor, plus a small L1 on dB. `vocode` renders a waveform; `pretrained` trains once per
configuration and then loads from the cache. A waveform model (predicting the phase too) was tried first
and left: 300 steps (4 min) of a 0.56 M-parameter network gave ESTOI 0.60, Griffin-Lim 0.92.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import audio as A
from . import autoencoder as AE
from . import features
from . import train as T
from .audio import LINEAR_FLOOR_DB, N_LINEAR, linear_power_db  # noqa: F401 (linear_power_db: the target)
from .crops import CropSampler
from .errors import InputError
from .layers import ResidualBlock
from .losses import MEL_SCALE_DB, normalise
from .profiles import Section, corpora_of, lookup
from .utils import seed_everything

DB_WEIGHT = 0.01  # weight of the L1 on dB beside the L1 on square-root magnitude
CHECKPOINT_KIND = "n2s-lite neural vocoder"
CODE = ("vocoder",)  # the modules (with their imports) whose source keys a cached vocoder

PROFILES = Section("vocoder")  # {profile: settings}, kept in `profiles.SETTINGS`
MODEL_KEYS = ("channels", "blocks")
DILATIONS = (1, 2, 4)  # of the residual blocks, repeated


class SpectralInverter(nn.Module):
    """(B, T, 80) dB log-mel -> (B, T, 513) dB linear STFT power.

    A 1x1 linear map of the mel (the part a least-squares inverse could do) plus a residual network for
    what it cannot (harmonics, formant shapes); with the standard 3 blocks (kernel 5, dilations 1, 2, 4) it
    sees 33 frames (330 ms) of context.
    """

    def __init__(self, channels: int = 128, blocks: int = 3):
        super().__init__()
        self.config = dict(channels=channels, blocks=blocks)
        self.linear = nn.Conv1d(A.N_MELS, N_LINEAR, 1)
        self.inp = nn.Conv1d(A.N_MELS, channels, 5, padding=2)
        self.blocks = nn.Sequential(*[ResidualBlock(channels, DILATIONS[i % len(DILATIONS)]) for i in range(blocks)])
        self.out = nn.Conv1d(channels, N_LINEAR, 1)

    def forward(self, mel_db: torch.Tensor) -> torch.Tensor:
        if mel_db.ndim != 3 or mel_db.shape[-1] != A.N_MELS:
            raise InputError("<mel>", "shape", f"(batch, frames, {A.N_MELS}) dB log-mel", str(tuple(mel_db.shape)))
        x = normalise(mel_db).transpose(1, 2)
        units = self.linear(x) + self.out(self.blocks(self.inp(x)))
        return denormalise_linear(units.transpose(1, 2))


def denormalise_linear(units: torch.Tensor) -> torch.Tensor:
    """Network units -> dB linear power (the scale of `losses.normalise`, centred on the target's floor)."""
    return units * MEL_SCALE_DB + LINEAR_FLOOR_DB / 2


def inversion_loss(pred_db: torch.Tensor, true_db: torch.Tensor) -> torch.Tensor:
    """(B, T, 513) dB, (B, T, 513) dB -> scalar: L1 on square-root magnitude + DB_WEIGHT x L1 on dB."""
    root = F.l1_loss(10.0 ** (pred_db / 40.0), 10.0 ** (true_db / 40.0))
    return root + DB_WEIGHT * F.l1_loss(pred_db, true_db)


# --------------------------------------------------------------------------------------------- training
def speech_pairs(utterances, limit: int | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Iterable of Utterance -> [((T, 80) dB log-mel, (T, 513) dB linear power)] of the first `limit` (non-empty
    ones), both memory-mapped from the on-disk feature cache (`features.log_mels`, `features.linear_powers`):
    the linear spectrograms of train-clean-100's pre-training part (about 60 hours) take about 45 GB, so they
    never sit in memory."""
    utterances = list(utterances)[:limit]
    mels, linears = features.log_mels(utterances, progress=False), features.linear_powers(utterances, progress=False)
    return [(mels[i], linears[i]) for i in range(len(mels)) if len(mels[i]) > 0]


def _batch_loss(model: SpectralInverter, batch: tuple) -> torch.Tensor:
    device = next(model.parameters()).device
    mel, linear = (part.to(device) for part in batch)
    return inversion_loss(model(mel), linear)


def _mean_loss(model: SpectralInverter, pairs: list) -> float:
    """Frame-weighted loss over whole utterances (validation)."""
    device = next(model.parameters()).device
    total = 0.0
    for mel, linear in pairs:
        pred = model(torch.from_numpy(mel)[None].to(device))
        total += float(inversion_loss(pred, torch.from_numpy(linear)[None].to(device))) * len(mel)
    return total / sum(len(mel) for mel, _ in pairs)


def train_vocoder(corpus="asterisk", profile: str = "smoke", seed: int = 0, checkpoint=None,
                  progress: bool = True) -> tuple[SpectralInverter, list[dict]]:
    """Train on the corpus's pre-training part (train split; early-stopped on its val split; cosine learning
    rate) -> (model on CPU in eval mode, history). Stimulus sentences are never seen.

    corpus: a `corpora.Corpus`, a spec or a list of specs (`corpora.load`)."""
    settings = lookup(PROFILES, profile, "vocoder")
    train_pairs, val_pairs = AE.pretraining_speech(corpus, speech_pairs, settings["max_utterances"])
    seed_everything(seed)
    model = SpectralInverter(**{k: settings[k] for k in MODEL_KEYS})
    sampler = CropSampler(train_pairs, (AE.FLOOR_DB, LINEAR_FLOOR_DB), settings["crop_frames"], settings["batch_size"],
                          settings["steps_per_epoch"], seed)
    config = T.TrainConfig(max_epochs=settings["max_epochs"], lr=settings["lr"], patience=settings["patience"],
                           schedule="cosine", seed=seed, progress=progress)
    history = T.fit(model, _batch_loss, sampler, lambda m: _mean_loss(m, val_pairs), config,
                    checkpoint=checkpoint, desc="vocoder")
    return model.cpu().eval(), history


def pretrained(profile: str = "smoke", corpus=None, seed: int = 0, progress: bool = True) -> SpectralInverter:
    """The trained vocoder for this configuration, trained once (on every CPU core, so that every caller
    on a machine gets the same network) and then loaded from the cache; an interrupted training resumes.
    Keyed by the settings, not the profile's name. corpus: spec(s) whose pre-training half it learns from
    (None: the profile's pre-training corpus, `profiles.corpora_of`)."""
    corpus = corpora_of(profile, corpus)["pretrain"]
    config = dict(kind="neural_vocoder", settings=lookup(PROFILES, profile, "vocoder"), corpus=corpus, seed=seed,
                  mel=A.mel_params())
    return T.trained_once("vocoder", config, CODE,
                          lambda resume: train_vocoder(corpus, profile, seed, resume, progress), save, load)


def save(model: SpectralInverter, path, history: list | None = None) -> Path:
    """Write weights + configuration (atomic; loads with weights_only=True)."""
    return T.save_model(path, model, model.config, kind=CHECKPOINT_KIND, mel=A.mel_params(), history=history or [])


def load(path) -> SpectralInverter:
    """Rebuild a vocoder written by `save` (eval mode, CPU); `model.history` is its training history."""
    return T.load_model(path, CHECKPOINT_KIND, "vocoder.save", SpectralInverter, mel=A.mel_params())


# ------------------------------------------------------------------------------------------- rendering
@torch.no_grad()
def linear_magnitude(model: SpectralInverter, logmel: np.ndarray) -> np.ndarray:
    """(T, 80) dB log-mel -> (513, T + 1) linear STFT magnitude, framed for `audio.griffin_lim_magnitude`
    (`audio.with_closing_frame`)."""
    logmel = np.asarray(logmel, np.float32)
    if logmel.ndim != 2 or logmel.shape[1] != A.N_MELS or len(logmel) == 0:
        raise InputError("<mel>", "shape", f"(frames, {A.N_MELS}) dB log-mel", str(logmel.shape))
    model.eval()
    device = next(model.parameters()).device
    mel = torch.from_numpy(A.with_closing_frame(logmel))[None].to(device)
    return 10.0 ** (model(mel)[0].double().cpu().numpy().T / 20.0)


def vocode(model: SpectralInverter, logmel: np.ndarray, n_iter: int = 16, seed: int = 0) -> np.ndarray:
    """(T, 80) dB log-mel -> (T * 160,) float32 16 kHz waveform through the neural vocoder."""
    return A.griffin_lim_magnitude(linear_magnitude(model, logmel), n_iter, seed)


def resynthesize_file(autoencoder_checkpoint, vocoder_checkpoint, in_path, out_path, overwrite: bool = False,
                      n_iter: int = 16) -> Path:
    """Speech file (any `audio.load_audio` reads, any sample rate) -> 16 kHz wav: log-mel -> autoencoder ->
    this vocoder (`autoencoder.resynthesize_file` with a neural `vocode`). Never replaces an existing
    out_path unless overwrite=True."""
    inverter = load(vocoder_checkpoint)
    return AE.resynthesize_file(autoencoder_checkpoint, in_path, out_path, overwrite,
                                vocode=lambda mel: vocode(inverter, mel, n_iter))
