"""What every neural decoder (adaptor, MLP, LSTM-CNN) shares: the lagged input layer, training windows,
the training loop around `train.fit`, and the `NeuralDecoder` that predicts a log-mel from high-gamma.

Lag window. Which high-gamma frames around mel frame t a network reads is a parameter of every network
(`lag_frames`, a `lags.LagWindow`'s `.frames`), chosen by the recording's task: listening t - 100 ms .. t + 300 ms,
speaking t - 200 ms .. t + 200 ms; causal variants end at t. Ridge gets the same lags.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import train as T
from .errors import InputError
from .lags import LagWindow
from .losses import spectrogram_loss
from .utils import pick_device

LISTENING_FRAMES = LagWindow.for_task("listening").frames  # what checkpoints without `lag_frames` were trained on


@dataclass
class TrainingSettings:
    """Optimisation shared by every neural method (the same budget for each)."""

    window: int = 200  # frames per training window (2 s)
    batch_size: int = 16
    max_epochs: int = 40
    patience: int = 6
    lr: float = 2e-3
    schedule: str = "constant"  # see `train.TrainConfig.schedule`
    weight_decay: float = 1e-2
    dropout: float = 0.2
    steps_per_epoch: int | None = None  # gradient steps per epoch; None: one pass over the training frames

    def train_config(self, seed: int, progress: bool = False) -> T.TrainConfig:
        return T.TrainConfig(max_epochs=self.max_epochs, lr=self.lr, schedule=self.schedule,
                             weight_decay=self.weight_decay, patience=self.patience, seed=seed, progress=progress)

    def to_dict(self) -> dict:
        return asdict(self)


class LaggedConv(nn.Module):
    """(B, E, T) -> (B, C, T): one convolution over high-gamma frames t + first .. t + last (`lag_frames`).

    Equivalent to a linear layer applied to the stacked lag window of every frame (zero outside the trial).
    A window that starts after t or ends before t works too (padding by a negative amount crops).
    """

    def __init__(self, n_in: int, n_out: int, lag_frames: tuple[int, int]):
        super().__init__()
        self.first, self.last = (int(f) for f in lag_frames)
        self.conv = nn.Conv1d(n_in, n_out, self.last - self.first + 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.pad(x, (-self.first, self.last)))


def n_parameters(module: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameters (all, or only those that learn)."""
    return int(sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only))


class WindowSampler:
    """Random fixed-length (high-gamma, mel[, tracks]) windows from training trials, reproducible per (seed, epoch).

    Trials are laid end to end and windows drawn uniformly from that stream, so every frame is equally
    likely; one epoch holds about as many frames as the trials do, unless `steps` fixes its batches.
    with_tracks: batches also hold each window's (B, window, 4) reference tracks (`data.with_reference_tracks`).
    """

    def __init__(self, trials, window: int, batch_size: int, seed: int, steps: int | None = None,
                 with_tracks: bool = False):
        self.hg = np.concatenate([t.hg for t in trials]).astype(np.float32)
        if len(self.hg) < window:
            raise InputError("<trials>", "trials", f"at least {window} frames of training data", f"{len(self.hg)}")
        self.features = [self.hg, np.concatenate([t.mel for t in trials]).astype(np.float32)]
        if with_tracks:
            missing = [i for i, t in enumerate(trials) if t.tracks is None]
            if missing:
                raise InputError(f"<trial {missing[0]}>", "tracks", "reference tracks (data.with_reference_tracks)",
                                 f"none on {len(missing)} of {len(trials)} trials")
            self.features.append(np.concatenate([t.tracks for t in trials]).astype(np.float32))
        self.window, self.batch_size, self.seed = window, batch_size, seed
        self.steps = steps or one_pass_steps(len(self.hg), window, batch_size)

    def __call__(self, epoch: int):
        rng = np.random.default_rng([self.seed, epoch])
        for _ in range(self.steps):
            starts = rng.integers(0, len(self.hg) - self.window + 1, size=self.batch_size)
            take = starts[:, None] + np.arange(self.window)
            yield tuple(torch.from_numpy(feature[take]) for feature in self.features)


def one_pass_steps(n_frames: int, window: int, batch_size: int) -> int:
    """Batches of `batch_size` windows of `window` frames that hold about `n_frames` frames (at least 1)."""
    return max(1, round(n_frames / (window * batch_size)))


def check_trials(trials) -> None:
    """Raise InputError unless trials is a non-empty list of Trial with (T, E) hg and (T, 80) mel."""
    if not trials:
        raise InputError("<trials>", "trials", "at least one trial", "none")
    for i, t in enumerate(trials):
        if t.hg.ndim != 2 or t.mel.ndim != 2 or len(t.hg) != len(t.mel) or t.mel.shape[1] != 80:
            raise InputError(f"<trial {i}>", "hg/mel", "(T, E) high-gamma and (T, 80) mel of equal length",
                             f"{t.hg.shape} and {t.mel.shape}")


@torch.no_grad()
def validation_loss(network: nn.Module, trials) -> float:
    """Frame-weighted `spectrogram_loss` of the network's mel over whole validation trials."""
    device = next(network.parameters()).device
    total = sum(float(spectrogram_loss(network(_batch(t.hg, device)), _batch(t.mel, device))) * len(t.mel)
                for t in trials)
    return total / sum(len(t.mel) for t in trials)


def high_gamma_batch(hg: np.ndarray, n_electrodes: int | None = None) -> torch.Tensor:
    """One trial's (T, E) high-gamma -> a (1, T, E) float32 batch on the CPU; InputError for any other shape
    (or, given n_electrodes, any other number of columns)."""
    hg = np.asarray(hg, dtype=np.float32)
    if hg.ndim != 2:
        raise InputError("<high_gamma>", "hg", "a (T, E) array", f"shape {hg.shape}")
    if n_electrodes is not None and hg.shape[1] != n_electrodes:
        raise InputError("<high_gamma>", "hg", f"{n_electrodes} columns, one per good electrode the decoder was "
                         "trained on: drop the bad ones (rec.high_gamma[:, rec.good_electrodes()]) and z-score "
                         "them as data.trial_arrays does", f"{hg.shape[1]} columns")
    return _batch(hg)


def _batch(array: np.ndarray, device="cpu") -> torch.Tensor:
    """(T, C) array -> (1, T, C) float32 tensor on `device`."""
    return torch.as_tensor(np.asarray(array, dtype=np.float32), device=device)[None]


def train_network(network: nn.Module, train_trials, val_trials, settings: TrainingSettings, seed: int,
                  batch_loss: Callable | None = None, checkpoint=None, desc: str = "decoder",
                  progress: bool = False, with_tracks: bool = False) -> list[dict]:
    """Train a (B, T, E) -> (B, T, 80) dB network on windows of train_trials, early-stopped on val_trials.

    batch_loss(network, hg, mel) -> scalar defaults to `spectrogram_loss`; with_tracks: it is called as
    batch_loss(network, hg, mel, tracks) with the windows' reference tracks (`WindowSampler`). Validation
    is the spectrogram loss either way. Returns the history; the network keeps its best (validation)
    weights and is left on the CPU in eval mode.
    """
    check_trials(train_trials)
    check_trials(val_trials)
    batch_loss = batch_loss or (lambda net, hg, mel: spectrogram_loss(net(hg), mel))
    sampler = WindowSampler(train_trials, settings.window, settings.batch_size, seed, settings.steps_per_epoch,
                            with_tracks)
    config = settings.train_config(seed, progress)
    device = pick_device(config.device)
    history = T.fit(network, lambda net, batch: batch_loss(net, *(x.to(device) for x in batch)), sampler,
                    lambda net: validation_loss(net, val_trials), config, checkpoint=checkpoint, desc=desc)
    network.cpu().eval()
    return history


class NeuralDecoder:
    """A trained network (B, T, E) z-scored high-gamma -> (B, T, 80) dB log-mel, used trial by trial."""

    def __init__(self, name: str, network: nn.Module, history: list | None = None, train_seconds: float | None = None):
        self.name, self.network, self.history = name, network.eval(), history or []
        self.train_seconds = train_seconds  # wall time of the training that made it, if known

    @property
    def n_parameters(self) -> int:
        """Parameters that were trained for the neural data (a frozen pre-trained decoder is not counted)."""
        return n_parameters(self.network, trainable_only=True)

    @property
    def n_electrodes(self) -> int | None:
        """Columns of high-gamma the network takes: the inputs of its first `LaggedConv` (None without one)."""
        first = next((m for m in self.network.modules() if isinstance(m, LaggedConv)), None)
        return None if first is None else first.conv.in_channels

    @torch.no_grad()
    def predict(self, hg: np.ndarray) -> np.ndarray:
        """(T, E_good) high-gamma of one trial at 100 Hz -> (T, 80) float32 dB log-mel.

        hg as in `data.Trial.hg`: only the good electrodes (`rec.good_electrodes()`), in recording order, each
        z-scored (unitless) with the mean and std of the training trials' frames (`data.neural_stats`). Another
        number of columns than the decoder was trained on is an InputError.
        """
        return self.network(high_gamma_batch(hg, self.n_electrodes))[0].numpy()

    def __repr__(self) -> str:
        return f"NeuralDecoder({self.name!r}, {self.n_parameters} trained parameters)"
