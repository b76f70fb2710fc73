"""Differentiable torch twin of `audio.log_mel`: same STFT, the same librosa mel filterbank, the same dB floor."""
from __future__ import annotations

import functools

import torch

from .. import audio as A


@functools.lru_cache(maxsize=8)
def _filterbank(device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """(80, 513) mel filterbank of `audio.mel_filterbank` on a device."""
    return torch.from_numpy(A.mel_filterbank()).to(device=device, dtype=dtype)


def torch_log_mel(wave: torch.Tensor) -> torch.Tensor:
    """(B, N) 16 kHz waveform -> (B, N // 160, 80) log-mel in dB, agreeing with `audio.log_mel`.

    Centred Hann STFT (n_fft 1024, hop 160, zero padding as librosa), power, Slaney mel, 10 log10 floored
    at `audio.MEL_FLOOR`. Differentiable (gradient is zero where the floor is active).
    """
    window = torch.hann_window(A.N_FFT, device=wave.device, dtype=wave.dtype)
    spec = torch.stft(wave, n_fft=A.N_FFT, hop_length=A.HOP, win_length=A.N_FFT, window=window, center=True,
                      pad_mode="constant", return_complex=True)
    power = spec.real**2 + spec.imag**2  # (B, 513, frames)
    mel = torch.matmul(_filterbank(wave.device, wave.dtype), power)
    db = 10.0 * torch.log10(mel.clamp(min=A.MEL_FLOOR))
    return db.transpose(1, 2)[:, : A.n_frames(wave.shape[-1])]
