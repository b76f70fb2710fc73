"""Signal step of the formant synthesizer: physical parameters -> audio, differentiable end to end.

Sources are rendered at audio rate (harmonics of a time-varying f0, white noise); formant shaping is
applied per frame in the STFT domain and the result is overlap-added by `torch.istft`.
"""
from __future__ import annotations

import math

import torch


def upsample_linear(frames: torch.Tensor, hop: int) -> torch.Tensor:
    """(B, T) frame-rate values (frame t at sample t * hop) -> (B, T * hop) by linear interpolation."""
    following = torch.cat([frames[:, 1:], frames[:, -1:]], dim=1)
    weight = torch.arange(hop, device=frames.device, dtype=frames.dtype) / hop
    return (frames[..., None] * (1 - weight) + following[..., None] * weight).flatten(1)


def harmonic_source(f0_audio: torch.Tensor, sample_rate: int, n_harmonics: int) -> torch.Tensor:
    """(B, N) f0 in Hz at audio rate -> (B, N) unit-RMS sum of equal cosines at k * f0, k * f0 < Nyquist.

    The sum of the first K cosines is evaluated in closed form (Dirichlet kernel,
    sum_k cos(k p) = sin((K + 1/2) p) / (2 sin(p / 2)) - 1/2), so the cost does not grow with K.
    K = min(n_harmonics, harmonics below Nyquist) follows f0 sample by sample.
    """
    cycles = torch.cumsum(f0_audio.double() / sample_rate, dim=-1)
    phase = (2 * math.pi * (cycles - cycles.floor())).to(f0_audio.dtype)
    n_active = (torch.ceil(sample_rate / 2 / f0_audio.detach()) - 1).clamp(1, n_harmonics)
    half_sine = torch.sin(phase / 2)
    at_peak = half_sine.abs() < 1e-4  # the kernel's removable singularity, where its value is K
    ratio = torch.sin((n_active + 0.5) * phase) / torch.where(at_peak, torch.ones_like(half_sine), 2 * half_sine)
    kernel = torch.where(at_peak, n_active, ratio - 0.5)
    return kernel * torch.sqrt(2.0 / n_active)


def resonances(freq_hz: torch.Tensor, bw_hz: torch.Tensor, bin_hz: torch.Tensor) -> torch.Tensor:
    """(B, T, K) centre and bandwidth in Hz -> (B, T, F, K) unit-peak magnitude of each resonance at bin_hz (F,).

    Each resonance is 1 / (1 + ((f - centre) / (bandwidth / 2)) ** 2): it peaks at 1, falls to half at
    centre +- bandwidth / 2, and its skirts fall 12 dB per octave of distance, like a resonator.
    A frame's formant envelope is these shapes weighted by the formant amplitudes: `resonances @ amp`.
    """
    detuning = (bin_hz[:, None] - freq_hz[..., None, :]) * (2 / bw_hz)[..., None, :]
    return torch.reciprocal(1 + detuning * detuning)


def shape_and_mix(sources: list[torch.Tensor], envelopes: list[torch.Tensor], n_fft: int, hop: int) -> torch.Tensor:
    """Filter each (B, N) source by its (B, T, F) frame-wise magnitude envelope and sum -> (B, N) audio.

    Envelopes hold one frame per hop (frame t centred on sample t * hop); F = n_fft // 2 + 1.
    """
    n_samples = sources[0].shape[-1]
    window = torch.hann_window(n_fft, device=sources[0].device, dtype=sources[0].dtype)
    mixed = 0
    for source, envelope in zip(sources, envelopes):
        spec = torch.stft(source, n_fft=n_fft, hop_length=hop, window=window, center=True, return_complex=True)
        envelope = torch.cat([envelope, envelope[:, -1:]], dim=1)[:, : spec.shape[-1]]  # centred STFT: T + 1 frames
        mixed = mixed + spec * envelope.transpose(1, 2)
    return torch.istft(mixed, n_fft=n_fft, hop_length=hop, window=window, center=True, length=n_samples)
