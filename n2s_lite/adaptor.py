"""Phase 2: a lightweight adaptor from high-gamma onto the frozen autoencoder's latent.

    hg (B, T, E) z-scored, 100 Hz
      -> lagged convolution over the lag window (listening t - 10 .. t + 30 frames; causal t - 40 .. t)   `decoding.LaggedConv`
      -> strided convolution down to the latent rate (100 / stride Hz)
      -> 2-layer LSTM (bidirectional; unidirectional in the causal variant)
      -> linear to latent_dim, layer-normed per frame like the encoder's latent
      -> (B, ceil(T / stride), latent_dim)

Trained (Li et al. 2024, Neural2Speech) with the autoencoder frozen: latent alignment (SmoothL1 to
`ae.encode(true mel)`) + spectrogram loss on `ae.decode(predicted latent)` (SmoothL1 + time/frequency
differences), optionally + an ESTOI-based intelligibility loss. The causal adaptor uses no future
high-gamma beyond the stride block it encodes; the frozen decoder's own convolutions still span a few
latent frames on both sides.

The ablation `pretrained=False` trains the same adaptor and a freshly initialised decoder of the same
architecture from scratch on the neural data (spectrogram loss only: there is no encoder to align to).
`fine_tune=True` starts the decoder from phase 1 but lets it learn with the adaptor (the transfer-learning
alternative to freezing it).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import decoding as D
from . import train as T
from .autoencoder import SpeechAutoencoder
from .lags import LagWindow
from .losses import latent_alignment, mel_estoi_loss, spectrogram_loss
from .synth.formants import reference_track_loss
from .utils import seed_everything

CHECKPOINT_KIND = "n2s-lite transfer decoder"


class Adaptor(nn.Module):
    """(B, T, E) z-scored high-gamma -> (B, ceil(T / stride), latent_dim) latent (zero mean, unit variance per frame)."""

    def __init__(self, n_electrodes: int, latent_dim: int, stride: int, channels: int = 64, hidden: int = 96,
                 layers: int = 2, causal: bool = False, dropout: float = 0.2, lag_frames: tuple[int, int] | None = None):
        """lag_frames: (first, last) high-gamma frame offsets read for each frame (`lags.LagWindow.frames`; a causal
        adaptor's must end at or before 0); None: the listening window (causal: its causal variant)."""
        super().__init__()
        if lag_frames is None:
            window = LagWindow.for_task("listening")
            lag_frames = (window.causal() if causal else window).frames
        lag_frames = [int(f) for f in lag_frames]
        if causal and lag_frames[1] > 0:
            raise ValueError(f"a causal adaptor reads no future high-gamma: lag_frames must end at or before 0, "
                             f"got {lag_frames}")
        self.config = dict(n_electrodes=n_electrodes, latent_dim=latent_dim, stride=stride, channels=channels,
                           hidden=hidden, layers=layers, causal=causal, dropout=dropout, lag_frames=lag_frames)
        self.stride, self.latent_dim = stride, latent_dim
        self.front = nn.Sequential(D.LaggedConv(n_electrodes, channels, lag_frames), nn.GELU(),
                                   nn.Dropout(dropout))
        self.down = nn.Conv1d(channels, channels, stride, stride=stride)
        self.lstm = nn.LSTM(channels, hidden, layers, batch_first=True, bidirectional=not causal,
                            dropout=dropout if layers > 1 else 0.0)
        self.out = nn.Linear(hidden * (1 if causal else 2), latent_dim)

    def forward(self, hg: torch.Tensor) -> torch.Tensor:
        h = self.front(hg.transpose(1, 2))
        h = F.pad(h, (0, -h.shape[-1] % self.stride))
        h, _ = self.lstm(F.gelu(self.down(h)).transpose(1, 2))
        return F.layer_norm(self.out(h), (self.latent_dim,))


class TransferModel(nn.Module):
    """Adaptor + autoencoder: (B, T, E) high-gamma -> (B, T, 80) dB log-mel through `ae.decode`."""

    def __init__(self, adaptor: Adaptor, autoencoder: SpeechAutoencoder, pretrained: bool = True,
                 fine_tune: bool = False):
        super().__init__()
        if adaptor.latent_dim != autoencoder.latent_dim or adaptor.stride != autoencoder.stride:
            raise ValueError(f"adaptor latent ({adaptor.latent_dim} dims, stride {adaptor.stride}) does not fit the "
                             f"autoencoder ({autoencoder.latent_dim} dims, stride {autoencoder.stride})")
        self.adaptor, self.autoencoder, self.pretrained, self.fine_tune = adaptor, autoencoder, pretrained, fine_tune
        autoencoder.encoder.requires_grad_(False)  # a fixed target (pre-trained) or unused (scratch)
        if pretrained and not fine_tune:
            autoencoder.freeze_decoder()

    def forward(self, hg: torch.Tensor) -> torch.Tensor:
        return self.autoencoder.decode(self.adaptor(hg), hg.shape[1])


@dataclass
class LossWeights:
    """Weights of the phase-2 loss terms (the spectrogram level term has weight 1).

    pitch, voicing, formant: supervision of a synthesizer decoder's controls by the reference tracks of the
    heard speech (`data.with_reference_tracks`), as phase 1 supervises them (`synth.formants.reference_track_loss`;
    phase 1's weights are 1.0, 0.1 and 1.0); 0 for a mel decoder."""

    latent: float = 1.0
    difference: float = 1.0
    intelligibility: float = 0.0
    pitch: float = 0.0
    voicing: float = 0.0
    formant: float = 0.0

    @property
    def supervises_tracks(self) -> bool:
        """Whether the loss needs the trials' reference tracks."""
        return any(w > 0 for w in (self.pitch, self.voicing, self.formant))


def decode_for_loss(ae: SpeechAutoencoder, latent: torch.Tensor, n_frames: int) -> tuple[torch.Tensor, dict | None]:
    """`ae.decode` for a phase-2 loss -> ((B, n_frames, 80) dB log-mel, a synthesizer decoder's controls or None).

    Through a synthesizer decoder the spectrogram loss reaches every control except f0, which it renders as a
    copy without gradient (f0 then learns from the reference tracks, if the loss supervises them, or stays
    as the latent implies).

    Spectral losses give pitch poor gradients (Turian & Henry 2020), as in phase 1 (`autoencoder._loss`). Left
    in, they wrecked phase 2: on the validation trials of the standard participant, the adaptor on the frozen
    synthesizer decoder ended at spectrogram r 0.02 after 23 epochs (-0.02 after 4), and with the f0 copy it
    reached r 0.52 after 4 epochs (seed 0, one thread, measured with throw-away scripts)."""
    if ae.decoder_kind != "synth":
        return ae.decode(latent, n_frames), None
    controls = ae.decoder.controls(latent, n_frames)
    return ae.decoder.render_for_spectral_loss(controls)["mel"], controls


def transfer_loss(model: TransferModel, hg: torch.Tensor, mel: torch.Tensor, weights: LossWeights,
                  tracks: torch.Tensor | None = None) -> torch.Tensor:
    """(B, T, E) high-gamma, (B, T, 80) dB mel [, (B, T, 4) reference tracks of a synthesizer decoder's
    supervision] -> scalar phase-2 loss (see `LossWeights`; a synthesizer decoder's f0 takes no gradient
    from the spectral terms, `decode_for_loss`)."""
    latent = model.adaptor(hg)
    pred, controls = decode_for_loss(model.autoencoder, latent, mel.shape[1])
    loss = spectrogram_loss(pred, mel, weights.difference)
    if weights.supervises_tracks:
        if tracks is None:
            raise ValueError("pitch, voicing or formant weights need the windows' (B, T, 4) reference tracks")
        loss = loss + reference_track_loss(controls, tracks, weights.pitch, weights.voicing, weights.formant)
    if weights.latent and model.pretrained:
        with torch.no_grad():
            target = model.autoencoder.encode(mel)
        loss = loss + weights.latent * latent_alignment(latent, target)
    if weights.intelligibility:
        loss = loss + weights.intelligibility * mel_estoi_loss(pred, mel)
    return loss


def build(autoencoder: SpeechAutoencoder, n_electrodes: int, causal: bool = False, pretrained: bool = True,
          seed: int = 0, fine_tune: bool = False, window: LagWindow | None = None, **adaptor_options) -> TransferModel:
    """A fresh adaptor on a copy of `autoencoder` (pretrained=True; frozen unless fine_tune) or on an
    untrained decoder of the same architecture (pretrained=False), initialised from `seed`.

    window: the lag window (default: listening's); a causal adaptor reads its causal variant."""
    if fine_tune and not pretrained:
        raise ValueError("fine_tune=True needs pretrained=True: a decoder trained from scratch always learns")
    seed_everything(seed)
    ae = type(autoencoder)(**autoencoder.config)  # the package's autoencoder or `ssl_phase1.SSLAutoencoder`
    if pretrained:
        ae.load_state_dict(autoencoder.state_dict())
    window = window or LagWindow.for_task("listening")
    adaptor = Adaptor(n_electrodes, ae.latent_dim, ae.stride, causal=causal,
                      lag_frames=(window.causal() if causal else window).frames, **adaptor_options)
    return TransferModel(adaptor, ae, pretrained, fine_tune)


def train_adaptor(autoencoder: SpeechAutoencoder, train_trials, val_trials, settings: D.TrainingSettings | None = None,
                  seed: int = 0, causal: bool = False, pretrained: bool = True, weights: LossWeights | None = None,
                  checkpoint=None, progress: bool = False, fine_tune: bool = False, window: LagWindow | None = None,
                  **adaptor_options) -> D.NeuralDecoder:
    """Phase 2 on Trial lists (hg (T, E), mel (T, 80) dB) -> a decoder predicting (T, 80) dB from (T, E).

    Early-stopped on the validation trials' spectrogram loss; `checkpoint` makes the run resumable. Weights
    that supervise tracks (`LossWeights.supervises_tracks`) need a decoder="synth" autoencoder and training
    trials with tracks (`data.with_reference_tracks`).
    fine_tune: the pre-trained decoder keeps learning (named 'transfer_finetuned') instead of staying frozen.
    window: the lag window (`lags.LagWindow`; default listening's); the causal adaptor reads its causal variant.
    """
    settings = settings or D.TrainingSettings()
    weights = weights or LossWeights()
    D.check_trials(train_trials)
    if weights.supervises_tracks and autoencoder.decoder_kind != "synth":
        raise ValueError(f"pitch, voicing and formant weights {weights.pitch}, {weights.voicing}, {weights.formant} "
                         "supervise a synthesizer decoder's controls; this autoencoder decodes log-mels")
    model = build(autoencoder, train_trials[0].hg.shape[1], causal, pretrained, seed, fine_tune, window,
                  dropout=settings.dropout, **adaptor_options)
    name = "transfer" + "_causal" * causal + "_finetuned" * fine_tune if pretrained else "scratch"
    history = D.train_network(model, train_trials, val_trials, settings, seed,
                              lambda net, hg, mel, *tracks: transfer_loss(net, hg, mel, weights, *tracks),
                              checkpoint, name, progress, with_tracks=weights.supervises_tracks)
    return D.NeuralDecoder(name, model, history)


@torch.no_grad()
def synthesize(decoder: D.NeuralDecoder, hg: np.ndarray) -> np.ndarray:
    """(T, E) z-scored high-gamma -> (T * 160,) float32 16 kHz audio that the formant synthesizer renders from
    the decoded latent: the own audio of a transfer (or scratch) decoder on a decoder="synth" autoencoder."""
    model = decoder.network
    if not isinstance(model, TransferModel) or model.autoencoder.decoder_kind != "synth":
        raise ValueError(f"{decoder.name}: only an adaptor on a decoder='synth' autoencoder renders audio itself")
    x = D.high_gamma_batch(hg, decoder.n_electrodes)
    return model.autoencoder.synthesize(model.adaptor(x), x.shape[1])["wave"][0].numpy()


def save(decoder: D.NeuralDecoder, path) -> None:
    """Write a transfer (or scratch) decoder: weights + the configurations that rebuild it (atomic)."""
    model: TransferModel = decoder.network
    T.save_model(path, model, dict(adaptor=model.adaptor.config, autoencoder=model.autoencoder.config,
                                   pretrained=model.pretrained, fine_tune=model.fine_tune, name=decoder.name),
                 kind=CHECKPOINT_KIND,
                 history=decoder.history, train_seconds=decoder.train_seconds)


def load(path) -> D.NeuralDecoder:
    """Rebuild a decoder written by `save` (eval mode, CPU)."""
    payload = T.load_payload(path, CHECKPOINT_KIND, "adaptor.save")
    config = payload["config"]
    if "encoder" in config["autoencoder"]:  # a decoder on a self-supervised speech model's latent
        from .ssl_phase1 import SSLAutoencoder as autoencoder_type
    else:
        autoencoder_type = SpeechAutoencoder
    model = TransferModel(Adaptor(**config["adaptor"]), autoencoder_type(**config["autoencoder"]),
                          config["pretrained"], config.get("fine_tune", False))
    model.load_state_dict(payload["state_dict"])
    return D.NeuralDecoder(config["name"], model, payload.get("history"), payload.get("train_seconds"))


def parameter_counts(decoder: D.NeuralDecoder) -> dict:
    """Trained parameters (adaptor, and decoder unless frozen), decoder parameters, and whether it was pre-trained."""
    model: TransferModel = decoder.network
    return dict(adaptor=D.n_parameters(model.adaptor), decoder=D.n_parameters(model.autoencoder.decoder),
                trained=decoder.n_parameters, decoder_pretrained=model.pretrained)

