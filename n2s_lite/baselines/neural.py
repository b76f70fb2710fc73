"""Direct neural baselines: high-gamma -> log-mel networks trained from scratch on the neural data only.

- `MLPRegressor`: a two-hidden-layer perceptron on the stacked lag window of each frame (the lag window
  is the one ridge and the adaptor see: the recording task's `lags.LagWindow`).
- `LSTMCNNRegressor`: the same lagged convolution front end as the adaptor, a second convolution,
  a 2-layer bidirectional LSTM and a linear read-out of the 80 mel bins (a CNN-LSTM regression in the
  style of the Neural2Speech baselines).

Both predict in the autoencoder's network units (1 unit = 20 dB around -30 dB) and return dB, and train
with the same spectrogram loss, windows, optimiser and early stopping as the adaptor (`decoding`).
"""
from __future__ import annotations

import torch
from torch import nn

from .. import audio as A
from .. import decoding as D
from .. import train as T
from ..lags import LagWindow
from ..losses import denormalise
from ..utils import seed_everything

CHECKPOINT_KIND = "n2s-lite neural baseline"


class MLPRegressor(nn.Module):
    """(B, T, E) z-scored high-gamma -> (B, T, 80) dB: an MLP applied to each frame's lag window."""

    def __init__(self, n_electrodes: int, hidden: int = 256, dropout: float = 0.2,
                 lag_frames: tuple[int, int] = D.LISTENING_FRAMES):
        super().__init__()
        lag_frames = [int(f) for f in lag_frames]
        self.config = dict(n_electrodes=n_electrodes, hidden=hidden, dropout=dropout, lag_frames=lag_frames)
        self.net = nn.Sequential(D.LaggedConv(n_electrodes, hidden, lag_frames), nn.GELU(),
                                 nn.Dropout(dropout), nn.Conv1d(hidden, hidden, 1), nn.GELU(), nn.Dropout(dropout),
                                 nn.Conv1d(hidden, A.N_MELS, 1))

    def forward(self, hg: torch.Tensor) -> torch.Tensor:
        return denormalise(self.net(hg.transpose(1, 2)).transpose(1, 2))


class LSTMCNNRegressor(nn.Module):
    """(B, T, E) z-scored high-gamma -> (B, T, 80) dB: lagged conv, conv, 2-layer BiLSTM, linear."""

    def __init__(self, n_electrodes: int, channels: int = 64, hidden: int = 96, layers: int = 2, dropout: float = 0.2,
                 lag_frames: tuple[int, int] = D.LISTENING_FRAMES):
        super().__init__()
        lag_frames = [int(f) for f in lag_frames]
        self.config = dict(n_electrodes=n_electrodes, channels=channels, hidden=hidden, layers=layers, dropout=dropout,
                           lag_frames=lag_frames)
        self.conv = nn.Sequential(D.LaggedConv(n_electrodes, channels, lag_frames), nn.GELU(),
                                  nn.Dropout(dropout), nn.Conv1d(channels, channels, 3, padding=1), nn.GELU())
        self.lstm = nn.LSTM(channels, hidden, layers, batch_first=True, bidirectional=True,
                            dropout=dropout if layers > 1 else 0.0)
        self.out = nn.Linear(2 * hidden, A.N_MELS)

    def forward(self, hg: torch.Tensor) -> torch.Tensor:
        h, _ = self.lstm(self.conv(hg.transpose(1, 2)).transpose(1, 2))
        return denormalise(self.out(h))


NETWORKS = {"mlp": MLPRegressor, "lstm_cnn": LSTMCNNRegressor}


def train_baseline(name: str, train_trials, val_trials, settings: D.TrainingSettings | None = None, seed: int = 0,
                   checkpoint=None, progress: bool = False, window: LagWindow | None = None,
                   **network_options) -> D.NeuralDecoder:
    """Train baseline `name` ('mlp' or 'lstm_cnn') on Trial lists -> decoder predicting (T, 80) dB from (T, E).

    window: the lag window its first layer reads (`lags.LagWindow`; default listening's)."""
    if name not in NETWORKS:
        raise ValueError(f"baseline must be one of {sorted(NETWORKS)}, got {name!r}")
    settings = settings or D.TrainingSettings()
    D.check_trials(train_trials)
    seed_everything(seed)
    window = window or LagWindow.for_task("listening")
    network = NETWORKS[name](train_trials[0].hg.shape[1], dropout=settings.dropout, lag_frames=window.frames,
                             **network_options)
    history = D.train_network(network, train_trials, val_trials, settings, seed, checkpoint=checkpoint, desc=name,
                              progress=progress)
    return D.NeuralDecoder(name, network, history)


def save(decoder: D.NeuralDecoder, path) -> None:
    """Write a baseline decoder's weights and configuration (atomic)."""
    T.save_model(path, decoder.network, dict(name=decoder.name, network=decoder.network.config), kind=CHECKPOINT_KIND,
                 history=decoder.history, train_seconds=decoder.train_seconds)


def load(path) -> D.NeuralDecoder:
    """Rebuild a baseline decoder written by `save` (eval mode, CPU)."""
    payload = T.load_payload(path, CHECKPOINT_KIND, "baselines.neural.save")
    name = payload["config"]["name"]
    network = NETWORKS[name](**payload["config"]["network"])
    network.load_state_dict(payload["state_dict"])
    return D.NeuralDecoder(name, network, payload.get("history"), payload.get("train_seconds"))
