"""Analysis by synthesis: fit the synthesizer's controls to a real recording by gradient descent."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from auraloss.freq import MultiResolutionSTFTLoss

from .. import audio as A
from .. import metrics
from ..errors import InputError
from .controls import F0_RANGE_HZ, LOUDNESS_RANGE
from .core import FormantSynthesizer
from .pitch import pitch_track
from .melspec import torch_log_mel


@dataclass
class FitResult:
    """Fitted controls (name -> (T,) or (T, K) numpy), the true and fitted (T, 80) dB log-mels, the loss per step,
    and the spectrogram correlation (metrics.spectrogram_correlation) after the fit and at its start."""

    controls: dict
    mel_true: np.ndarray
    mel_fit: np.ndarray
    history: list = field(default_factory=list)
    spectrogram_correlation: float = float("nan")
    initial_correlation: float = float("nan")


def _frame_rms(wave: torch.Tensor) -> torch.Tensor:
    """(B, N) -> (B, N // 160) RMS over the log-mel's 1024-sample frames."""
    frames = torch.nn.functional.pad(wave, (A.N_FFT // 2, A.N_FFT // 2)).unfold(-1, A.N_FFT, A.HOP)
    return frames.pow(2).mean(-1).sqrt()[:, : A.n_frames(wave.shape[-1])]


def initial_controls(wave: np.ndarray, synth: FormantSynthesizer, seed: int | None = None) -> dict[str, torch.Tensor]:
    """(N,) speech -> (1, T) controls to start a fit: f0 and voicing from librosa.pyin, a neutral vowel's
    formants, and loudness that gives each rendered frame the RMS of the recording's frame."""
    n_frames = A.n_frames(len(wave))
    f0, voiced_probability = pitch_track(wave)
    voiced = np.isfinite(f0)
    if voiced.any():  # carry pitch through unvoiced frames
        f0 = np.interp(np.arange(n_frames), np.flatnonzero(voiced), f0[voiced])
    else:
        f0 = np.full(n_frames, 150.0)
    controls = synth.neutral_controls(1, n_frames)
    controls["f0_hz"] = torch.tensor(f0, dtype=torch.float32)[None].clamp(*F0_RANGE_HZ)
    controls["voicing"] = torch.tensor(voiced_probability, dtype=torch.float32)[None].clamp(0.05, 0.95)
    controls["loudness"] = torch.ones(1, n_frames)
    with torch.no_grad():
        rendered_rms = _frame_rms(synth.get_signal(controls, seed))
    target_rms = _frame_rms(torch.tensor(wave)[None])
    controls["loudness"] = (target_rms / rendered_rms.clamp(min=1e-8)).clamp(*LOUDNESS_RANGE)
    return controls


def fit_to_speech(wave: np.ndarray, steps: int = 300, seed: int = 0, lr: float = 0.1, mel_weight: float = 0.1,
                  synth: FormantSynthesizer | None = None) -> FitResult:
    """Fit controls to (N,) 16 kHz speech: Adam on the raw controls, minimising auraloss's multi-resolution
    STFT loss plus mel_weight * L1 between dB log-mels; the learning rate decays from lr to 0 (cosine).
    The noise source is seeded with `seed`, so the same input and seed give the same fit."""
    wave = np.asarray(wave, dtype=np.float32)
    if wave.ndim != 1 or A.n_frames(len(wave)) < 2:
        raise InputError("<waveform>", "wave", "a 1-D waveform of at least two 100 Hz frames", f"shape {wave.shape}")
    wave = wave[: A.n_frames(len(wave)) * A.HOP]
    synth = synth or FormantSynthesizer(seed=seed)
    target = torch.tensor(wave)[None]  # a copy: the caller's array may be read-only
    mel_true = torch_log_mel(target)
    raw = synth.get_raw(initial_controls(wave, synth, seed)).requires_grad_(True)
    optimiser = torch.optim.Adam([raw], lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, T_max=max(steps, 1))
    stft_loss = MultiResolutionSTFTLoss()
    with torch.no_grad():
        initial_mel = synth.render_mel(synth.get_controls(raw), seed=seed)[0].numpy()
    history = []
    for _ in range(steps):
        rendered = synth.get_signal(synth.get_controls(raw), seed=seed)
        mel = torch_log_mel(rendered)
        loss = stft_loss(rendered[:, None], target[:, None]) + mel_weight * (mel - mel_true).abs().mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        history.append(float(loss.detach()))
    with torch.no_grad():
        controls = synth.get_controls(raw)
        mel_fit = synth.render_mel(controls, seed=seed)[0].numpy()
    mel_true = mel_true[0].numpy()
    return FitResult(controls={name: value[0].numpy() for name, value in controls.items()}, mel_true=mel_true,
                     mel_fit=mel_fit, history=history,
                     spectrogram_correlation=metrics.spectrogram_correlation(mel_true, mel_fit),
                     initial_correlation=metrics.spectrogram_correlation(mel_true, initial_mel))
