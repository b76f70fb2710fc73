"""The formant synthesizer as a decoder option of the autoencoder: latent -> controls -> audio -> log-mel."""
from __future__ import annotations

import torch
from torch import nn

from ..errors import InputError
from ..layers import ResidualBlock
from .core import FormantSynthesizer
from .melspec import torch_log_mel


class SynthesizerDecoder(nn.Module):
    """(B, T', D) latent at 100 / latent_stride Hz -> dict(mel=(B, T, 80) dB, wave=(B, T * 160), controls=dict).

    A small convolutional network maps the latent, interpolated to the 100 Hz frame clock, to raw controls
    (two convolutions of kernel 5, then `blocks` residual dilated-convolution blocks, dilations 1, 2, 4, ...);
    the (weightless) FormantSynthesizer renders them, so the decoder's output is always speech-like and its
    controls (pitch, formants, voicing, loudness) are interpretable. The output layer starts at the controls
    of a neutral vowel at -26 dB. The noise source is the synthesizer's seeded one: the same latent always
    gives the same audio.
    """

    def __init__(self, latent_dim: int, latent_stride: int = 2, hidden: int = 128, blocks: int = 0,
                 synth: FormantSynthesizer | None = None):
        super().__init__()
        self.latent_dim, self.latent_stride = latent_dim, latent_stride
        self.synth = synth or FormantSynthesizer()
        self.net = nn.Sequential(nn.Conv1d(latent_dim, hidden, 5, padding=2), nn.GELU(),
                                 nn.Conv1d(hidden, hidden, 5, padding=2), nn.GELU(),
                                 *[ResidualBlock(hidden, 2**i) for i in range(blocks)],
                                 nn.Conv1d(hidden, self.synth.n_raw, 1))
        with torch.no_grad():
            output = self.net[-1]
            output.weight.mul_(0.1)
            output.bias.copy_(self.synth.get_raw(self.synth.neutral_controls(1, 1))[0, 0])

    def forward(self, latent: torch.Tensor, n_frames: int) -> dict:
        """latent (B, T', D) with T' * latent_stride within latent_stride of n_frames -> mel, wave, controls."""
        return self.render(self.controls(latent, n_frames))

    def controls(self, latent: torch.Tensor, n_frames: int) -> dict[str, torch.Tensor]:
        """latent (B, T', D) -> the synthesizer's controls at the 100 Hz frame clock ({name: (B, n_frames[, K])})."""
        if latent.ndim != 3 or latent.shape[-1] != self.latent_dim or \
                abs(latent.shape[1] * self.latent_stride - n_frames) >= self.latent_stride:
            raise InputError("SynthesizerDecoder", "latent",
                             f"(batch, about {n_frames} / {self.latent_stride}, {self.latent_dim})",
                             f"shape {tuple(latent.shape)}")
        upsampled = nn.functional.interpolate(latent.transpose(1, 2), size=n_frames, mode="linear")
        return self.synth.get_controls(self.net(upsampled).transpose(1, 2))

    def render_for_spectral_loss(self, controls: dict[str, torch.Tensor]) -> dict:
        """`render`, but with f0 as a copy without gradient, so a spectral loss shapes every control except f0:
        spectral losses give pitch poor gradients (Turian & Henry 2020), and f0 learns from a reference
        track instead (phase 1, `autoencoder._loss`) or stays as the latent implies (phase 2,
        `adaptor.decode_for_loss`)."""
        return self.render(dict(controls, f0_hz=controls["f0_hz"].detach()))

    def render(self, controls: dict[str, torch.Tensor]) -> dict:
        """Controls with T frames -> dict(mel=(B, T, 80) dB, wave=(B, T * 160), controls=the same controls)."""
        wave = self.synth.get_signal(controls)
        return dict(mel=torch_log_mel(wave), wave=wave, controls=controls)
