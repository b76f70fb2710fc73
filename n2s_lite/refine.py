"""A brain-refined latent: the phase-1 encoder fine-tuned so that its latent predicts high-gamma.

A neural-encoding head reads the latent (repeated from 50 to 100 Hz) over the task's lag window, reversed
as for any encoding model (`encoding.encoding_lags`), and predicts every electrode's z-scored high-gamma:

    mel (B, T, 80) -> ae.encode -> (B, T/2, D) -> repeat -> (B, T, D) -> head: LaggedConv -> (B, T, E)

Trained on windows of the training trials only, early-stopped on the validation trials, in two stages
(as Li et al. 2024, Interspeech, arXiv 2406.08266, refined wav2vec 2.0 with fMRI responses):
  1. the head alone on the frozen autoencoder: loss = MSE(high-gamma) + l2 * |head weights|^2;
  2. head, encoder and decoder together, the autoencoder's reconstruction loss kept (`losses.spectrogram_loss`
     of ae(mel), weight `reconstruction`), so the decoder still turns the changed latent into speech.
The result is a whole autoencoder (`Refined.autoencoder`) that phase 2 can use like the pre-trained one;
`methods.refined_autoencoder` makes it for a recording (cached) and `methods.train_method("transfer_refined", ...)`
trains the adaptor onto it.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import train as T
from .autoencoder import SpeechAutoencoder
from .decoding import LaggedConv, WindowSampler, check_trials
from .encoding import encoding_lags
from .lags import LagWindow
from .losses import spectrogram_loss
from .profiles import Section, lookup
from .utils import seed_everything

PROFILES = Section("refinement")  # {profile: settings}, kept in `profiles.SETTINGS`


def settings(profile: str) -> dict:
    """The refinement's settings of a profile (smoke, standard, full)."""
    return lookup(PROFILES, profile, "refinement")


class EncodingHead(nn.Module):
    """(B, T', D) latent at 100 / stride Hz -> (B, T, E) high-gamma at 100 Hz, frame t from the latent's frames
    t + lag for the encoding lags of `window` (one linear map over the window, `decoding.LaggedConv`)."""

    def __init__(self, latent_dim: int, n_electrodes: int, stride: int, window: LagWindow):
        super().__init__()
        lags = encoding_lags(window)
        self.stride = stride
        self.conv = LaggedConv(latent_dim, n_electrodes, (lags[0], lags[-1]))

    def forward(self, latent: torch.Tensor, n_frames: int) -> torch.Tensor:
        frames = latent.repeat_interleave(self.stride, dim=1)[:, :n_frames]
        return self.conv(frames.transpose(1, 2)).transpose(1, 2)


class BrainRefiner(nn.Module):
    """An autoencoder and an encoding head; `forward(mel)` -> (predicted high-gamma, reconstructed mel)."""

    def __init__(self, autoencoder: SpeechAutoencoder, n_electrodes: int, window: LagWindow):
        super().__init__()
        self.autoencoder = autoencoder
        self.head = EncodingHead(autoencoder.latent_dim, n_electrodes, autoencoder.stride, window)

    def forward(self, mel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        latent = self.autoencoder.encode(mel)
        return self.head(latent, mel.shape[1]), self.autoencoder.decode(latent, mel.shape[1])


def refinement_loss(model: BrainRefiner, hg: torch.Tensor, mel: torch.Tensor, l2: float,
                    reconstruction: float) -> torch.Tensor:
    """(B, T, E) z-scored high-gamma, (B, T, 80) dB mel -> MSE of the predicted high-gamma + l2 * |head
    weights|^2 + reconstruction * spectrogram loss of the autoencoder's output (skipped when 0)."""
    latent = model.autoencoder.encode(mel)
    loss = F.mse_loss(model.head(latent, mel.shape[1]), hg) + l2 * model.head.conv.conv.weight.pow(2).sum()
    if reconstruction:
        loss = loss + reconstruction * spectrogram_loss(model.autoencoder.decode(latent, mel.shape[1]), mel)
    return loss


@torch.no_grad()
def _validation(model: BrainRefiner, trials, l2: float, reconstruction: float) -> float:
    """Frame-weighted `refinement_loss` over whole validation trials."""
    total = sum(float(refinement_loss(model, torch.from_numpy(t.hg)[None], torch.from_numpy(t.mel)[None], l2,
                                      reconstruction)) * len(t.mel) for t in trials)
    return total / sum(len(t.mel) for t in trials)


@dataclass
class Refined:
    """What `refine` returns: the refined autoencoder (eval mode, CPU), its encoding head, each stage's history
    and the settings used."""

    autoencoder: SpeechAutoencoder
    head: EncodingHead
    history: dict
    settings: dict

    def to_dict(self) -> dict:
        return dict(settings=self.settings, history=self.history)


def set_stage(model: BrainRefiner, stage: int) -> None:
    """Stage 1: only the head learns; stage 2: head, encoder and decoder learn."""
    model.requires_grad_(stage == 2)
    model.head.requires_grad_(True)


def refine(ae: SpeechAutoencoder, train_trials, val_trials, window: LagWindow, profile: str = "smoke",
           seed: int = 0, progress: bool = False, **overrides) -> Refined:
    """Refine a copy of `ae` (never changed) on Trial lists (hg (T, E) z-scored, mel (T, 80) dB) in two stages.

    window: the lag window of the task (`LagWindow.for_task(rec.task)`); overrides: settings to change."""
    options = dict(settings(profile), **overrides)
    check_trials(train_trials)
    check_trials(val_trials)
    seed_everything(seed)
    model = BrainRefiner(copy.deepcopy(ae).cpu(), train_trials[0].hg.shape[1], window)
    model.autoencoder.decoder_frozen = False
    sampler = WindowSampler(train_trials, options["crop_frames"], options["batch_size"], seed)
    history = {}
    for stage, (epochs, lr, reconstruction) in enumerate(
            ((options["head_epochs"], options["head_lr"], 0.0),
             (options["joint_epochs"], options["joint_lr"], options["reconstruction"])), start=1):
        set_stage(model, stage)
        config = T.TrainConfig(max_epochs=epochs, lr=lr, patience=options["patience"], seed=seed + stage,
                               device="cpu", progress=progress)
        history[f"stage{stage}"] = T.fit(
            model, lambda m, batch: refinement_loss(m, *batch, options["l2"], reconstruction), sampler,
            lambda m: _validation(m, val_trials, options["l2"], reconstruction), config,
            desc=f"refinement stage {stage}")
    model.requires_grad_(False)
    model.eval()
    return Refined(model.autoencoder, model.head, history, options)


@torch.no_grad()
def predict_high_gamma(refined: Refined, mel) -> np.ndarray:
    """(T, 80) dB mel of one trial -> (T, E) float32 high-gamma the refined model's head predicts."""
    mel = torch.as_tensor(mel, dtype=torch.float32)[None]
    return refined.head(refined.autoencoder.encode(mel), mel.shape[1])[0].numpy()
