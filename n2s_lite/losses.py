"""Training losses of phase 2 and of the neural baselines, all differentiable torch functions.

- `latent_alignment`: SmoothL1 between the adaptor's latent and the frozen encoder's latent of the true mel.
- `spectrogram_loss`: SmoothL1 on the log-mel plus a time/frequency difference term (the paper's
  spectrogram loss: it rewards matching onsets and formant edges, not only levels).
- `stoi_loss`: 1 - differentiable STOI/ESTOI (Taal et al. 2011; Jensen & Taal 2016) of waveforms, and
  `mel_estoi_loss`: the same ESTOI computed from 1/3-octave band envelopes read off dB log-mels, for
  models whose vocoder (Griffin-Lim) is not differentiable.

The torch (E)STOI follows pystoi step by step (10 kHz, 512-point frames of 256 samples, 15 one-third
octave bands from 150 Hz, 30-frame segments); silent frames (40 dB below the loudest clean frame) are
dropped frame-wise instead of being re-synthesised, which is why it agrees with pystoi closely, not exactly.
It is written here rather than taken from torch-stoi, which imports torchaudio: PyPI's x86_64 torchaudio
wheels are CUDA builds that do not import beside the CPU build of torch (docs/settings.md).
"""
from __future__ import annotations

import functools

import numpy as np
import torch
import torch.nn.functional as F
from pystoi import utils as stoi_utils

from . import audio as A

STOI_RATE = 10_000  # Hz, pystoi's internal rate
STOI_FRAME = 256  # samples per frame at 10 kHz
STOI_NFFT = 512
STOI_BANDS = 15
STOI_MIN_FREQ = 150.0  # Hz, centre of the lowest 1/3-octave band
STOI_SEGMENT = 30  # frames per intermediate-intelligibility segment (384 ms)
STOI_DYN_RANGE = 40.0  # dB below the loudest clean frame counted as silence
STOI_BETA = -15.0  # dB, lower signal-to-distortion bound of STOI's clipping
EPS = 1e-8


# ------------------------------------------------------------------------------------------ spectrogram
def latent_alignment(pred_latent: torch.Tensor, true_latent: torch.Tensor) -> torch.Tensor:
    """(B, L, D), (B, L, D) -> scalar SmoothL1 between predicted and encoder latents."""
    return F.smooth_l1_loss(pred_latent, true_latent)


MEL_CENTRE_DB = -30.0  # network units of the dB log-mel: (dB - centre) / scale
MEL_SCALE_DB = 20.0


def normalise(mel_db: torch.Tensor) -> torch.Tensor:
    """dB log-mel -> network units (about -1 for silence, +2 for the loudest bins)."""
    return (mel_db - MEL_CENTRE_DB) / MEL_SCALE_DB


def denormalise(units: torch.Tensor) -> torch.Tensor:
    """Network units -> dB log-mel."""
    return units * MEL_SCALE_DB + MEL_CENTRE_DB


def spectrogram_loss(pred_mel: torch.Tensor, true_mel: torch.Tensor, difference_weight: float = 1.0) -> torch.Tensor:
    """(B, T, 80), (B, T, 80) dB -> scalar loss in network units (1 unit = 20 dB, `normalise`):
    SmoothL1 with a 1 dB knee on the mel, plus `difference_weight` times L1 on its first differences
    along time and along frequency (Li et al. 2024). With weight 1 it is also the autoencoder's pre-training loss."""
    pred, true = normalise(pred_mel), normalise(true_mel)
    level = F.smooth_l1_loss(pred, true, beta=1.0 / MEL_SCALE_DB)
    if difference_weight == 0:
        return level
    d_time = F.l1_loss(pred.diff(dim=1), true.diff(dim=1))
    d_freq = F.l1_loss(pred.diff(dim=2), true.diff(dim=2))
    return level + difference_weight * (d_time + d_freq)


# ------------------------------------------------------------------------------------------ (E)STOI core
def intelligibility(clean_bands: torch.Tensor, test_bands: torch.Tensor, extended: bool = True,
                     segment_hop: int = 1) -> torch.Tensor:
    """(B, J, M) clean and test 1/3-octave band envelopes (M frames, silent ones removed) -> (B,) STOI/ESTOI.

    Frames are grouped in overlapping segments of 30 starting every `segment_hop` frames (1: pystoi's
    definition); each segment's correlations are averaged.
    """
    if clean_bands.shape[-1] < STOI_SEGMENT:
        raise ValueError(f"(E)STOI needs at least {STOI_SEGMENT} non-silent frames, got {clean_bands.shape[-1]}")
    x = clean_bands.unfold(-1, STOI_SEGMENT, segment_hop).transpose(1, 2)  # (B, segments, J, N)
    y = test_bands.unfold(-1, STOI_SEGMENT, segment_hop).transpose(1, 2)
    if extended:
        x, y = _row_column_normalise(x), _row_column_normalise(y)
        return (x * y).sum(dim=(-2, -1)).mean(dim=1) / STOI_SEGMENT
    scale = x.norm(dim=-1, keepdim=True) / (y.norm(dim=-1, keepdim=True) + EPS)
    y = torch.minimum(y * scale, x * (1 + 10 ** (-STOI_BETA / 20)))
    x, y = _unit(x - x.mean(-1, keepdim=True), -1), _unit(y - y.mean(-1, keepdim=True), -1)
    return (x * y).sum(-1).mean(dim=(1, 2))


def _unit(x: torch.Tensor, dim: int) -> torch.Tensor:
    return x / (x.norm(dim=dim, keepdim=True) + EPS)


def _row_column_normalise(segments: torch.Tensor) -> torch.Tensor:
    """(..., J, N): zero-mean unit-norm over time within each band, then over bands within each frame."""
    rows = _unit(segments - segments.mean(-1, keepdim=True), -1)
    return _unit(rows - rows.mean(-2, keepdim=True), -2)


# ------------------------------------------------------------------------------------------ waveforms
def stoi(clean: torch.Tensor, test: torch.Tensor, extended: bool = False) -> torch.Tensor:
    """(N,) clean and test 16 kHz waveforms -> differentiable scalar STOI (ESTOI with extended=True)."""
    clean, test = _resample_to_stoi_rate(clean), _resample_to_stoi_rate(test)
    frames_x, frames_y = _windowed_frames(clean), _windowed_frames(test)
    energy = 20 * torch.log10(frames_x.detach().norm(dim=1) + EPS)
    keep = energy > energy.max() - STOI_DYN_RANGE
    bands = _third_octave(STOI_RATE, STOI_NFFT, clean.dtype).to(clean.device)
    spec_x = torch.fft.rfft(frames_x[keep], n=STOI_NFFT).abs() ** 2
    spec_y = torch.fft.rfft(frames_y[keep], n=STOI_NFFT).abs() ** 2
    x_bands, y_bands = (bands @ spec_x.T + EPS).sqrt(), (bands @ spec_y.T + EPS).sqrt()
    return intelligibility(x_bands[None], y_bands[None], extended=extended)[0]


def _windowed_frames(wave: torch.Tensor) -> torch.Tensor:
    """(N,) 10 kHz -> (frames, 256) Hann-windowed half-overlapping frames, as many as pystoi takes."""
    hop = STOI_FRAME // 2
    n_frames = len(range(0, wave.shape[0] - STOI_FRAME, hop))
    window = torch.hann_window(STOI_FRAME + 2, periodic=False, dtype=wave.dtype, device=wave.device)[1:-1]
    return wave.unfold(0, STOI_FRAME, hop)[:n_frames] * window


def stoi_loss(clean: torch.Tensor, test: torch.Tensor, extended: bool = True) -> torch.Tensor:
    """1 - (E)STOI of two (N,) 16 kHz waveforms: 0 for identical signals."""
    return 1 - stoi(clean, test, extended=extended)


@functools.lru_cache(maxsize=4)
def _third_octave(rate: int, nfft: int, dtype: torch.dtype) -> torch.Tensor:
    """(15, nfft//2+1) 0/1 one-third-octave band matrix of pystoi."""
    matrix, _ = stoi_utils.thirdoct(rate, nfft, STOI_BANDS, STOI_MIN_FREQ)
    return torch.as_tensor(matrix, dtype=dtype)


@functools.lru_cache(maxsize=2)
def _resampling_filter(dtype: torch.dtype) -> tuple[torch.Tensor, int, int]:
    """Octave-compatible Kaiser-windowed sinc filter of pystoi for 16 kHz -> 10 kHz, scaled for up-sampling."""
    up, down = STOI_RATE // 1000, A.SAMPLE_RATE // 1000
    g = np.gcd(up, down)
    up, down = up // g, down // g
    h = stoi_utils._resample_window_oct(up, down)
    return torch.as_tensor(up * h / h.sum(), dtype=dtype), up, down


def _resample_to_stoi_rate(wave: torch.Tensor) -> torch.Tensor:
    """(N,) 16 kHz -> (ceil(N * 5 / 8),) 10 kHz, the same polyphase filtering as scipy.signal.resample_poly."""
    h, up, down = _resampling_filter(wave.dtype)
    h = h.to(wave.device)
    n_out = -(-wave.shape[0] * up // down)
    upsampled = torch.zeros(wave.shape[0] * up, dtype=wave.dtype, device=wave.device)
    upsampled = upsampled.index_put((torch.arange(wave.shape[0], device=wave.device) * up,), wave)
    half = (h.shape[0] - 1) // 2
    padded = F.pad(upsampled[None, None], (half, half))
    return F.conv1d(padded, h.flip(0)[None, None], stride=down)[0, 0, :n_out]


# ------------------------------------------------------------------------------------------ log-mels
@functools.lru_cache(maxsize=2)
def _mel_to_bands(dtype: torch.dtype) -> torch.Tensor:
    """(15, 80) weights turning mel power into 1/3-octave band power: the overlap of each mel filter with
    each band, rows normalised to sum to one."""
    octave = stoi_utils.thirdoct(A.SAMPLE_RATE, A.N_FFT, STOI_BANDS, STOI_MIN_FREQ)[0]
    weights = octave @ A.mel_filterbank().T
    return torch.as_tensor(weights / weights.sum(axis=1, keepdims=True), dtype=dtype)


def mel_estoi(true_mel: torch.Tensor, pred_mel: torch.Tensor, segment_hop: int = 1) -> torch.Tensor:
    """(B, T, 80), (B, T, 80) dB log-mels -> (B,) ESTOI of their 1/3-octave envelopes at the 100 Hz frame clock.

    Silent frames (40 dB below the loudest frame of the true mel, per sentence) are zeroed in both
    envelopes, a differentiable stand-in for removing them. `segment_hop`: see `intelligibility`.
    """
    weights = _mel_to_bands(pred_mel.dtype).to(pred_mel.device)
    power_true, power_pred = 10 ** (true_mel / 10), 10 ** (pred_mel / 10)
    bands_true = (power_true @ weights.T + EPS).sqrt().transpose(1, 2)  # (B, J, T)
    bands_pred = (power_pred @ weights.T + EPS).sqrt().transpose(1, 2)
    energy = 10 * torch.log10(power_true.sum(-1) + EPS)
    voiced = (energy > energy.max(dim=1, keepdim=True).values - STOI_DYN_RANGE).to(pred_mel.dtype)
    return intelligibility(bands_true * voiced[:, None], bands_pred * voiced[:, None], extended=True,
                           segment_hop=segment_hop)


def mel_estoi_loss(pred_mel: torch.Tensor, true_mel: torch.Tensor, segment_hop: int = 4) -> torch.Tensor:
    """(B, T, 80), (B, T, 80) dB -> scalar 1 - mean ESTOI of the band envelopes (see `mel_estoi`).

    As a training loss it averages a segment every 4 frames instead of every frame: almost the same value
    (each frame still lies in 7-8 segments) at a seventh of the cost of pystoi's hop of 1.
    """
    return 1 - mel_estoi(true_mel, pred_mel, segment_hop).mean()
