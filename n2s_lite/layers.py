"""Convolutional building blocks over time shared by the autoencoder, the synthesizer decoder and the vocoder.

Every tensor here is (batch, channels, frames). The blocks keep the frame count, so they stack at any frame rate.
"""
from __future__ import annotations

import torch
from torch import nn


class ChannelNorm(nn.LayerNorm):
    """LayerNorm over the channels of each frame of a (B, C, T) tensor (independent of sequence length)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.transpose(1, 2)).transpose(1, 2)


class ResidualBlock(nn.Module):
    """(B, C, T) -> (B, C, T): x + conv1x1(GELU(dilated conv(GELU(norm(x)))))."""

    def __init__(self, channels: int, dilation: int, kernel: int = 5):
        super().__init__()
        self.body = nn.Sequential(ChannelNorm(channels), nn.GELU(),
                                  nn.Conv1d(channels, channels, kernel, padding="same", dilation=dilation),
                                  nn.GELU(), nn.Conv1d(channels, channels, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


def residual_blocks(channels: int, n: int) -> nn.Sequential:
    """n residual blocks with dilations 1, 2, 4, ... (receptive field grows to 1 + 4 (2^n - 1) frames)."""
    return nn.Sequential(*[ResidualBlock(channels, 2**i) for i in range(n)])
