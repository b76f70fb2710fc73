"""Random fixed-length crops of speech features: the batches of phase-1 training (autoencoder, vocoder).

A batch draws utterances in proportion to their length, so that every frame is about equally likely, and
takes one random window of `crop_frames` from each. An utterance shorter than that sits at a random offset
in a window of silence. The same (seed, epoch) always gives the same batches, so a resumed run repeats them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np
import torch


@dataclass
class CropSampler:
    """Aligned crops of the features of each utterance.

    items: one tuple per utterance of time-aligned (T_i, C_k) float32 arrays, one per feature k (e.g. the
    log-mel alone, or the log-mel and the linear spectrogram); silence: per feature, the value (dB floor)
    that pads a short utterance.
    """

    items: list
    silence: tuple
    crop_frames: int
    batch_size: int
    steps_per_epoch: int
    seed: int

    def batches(self, epoch: int) -> Iterator[tuple[np.random.Generator, tuple[np.ndarray, ...]]]:
        """The epoch's batches as (the epoch's random generator, one (B, crop_frames, C_k) array per feature).

        The generator is handed on so that a caller can draw augmentations from the same reproducible stream.
        """
        rng = np.random.default_rng([self.seed, epoch])
        lengths = np.array([len(item[0]) for item in self.items], dtype=np.float64)
        for _ in range(self.steps_per_epoch):
            picks = rng.choice(len(self.items), size=self.batch_size, p=lengths / lengths.sum())
            crops = [self._crop(self.items[i], rng) for i in picks]
            yield rng, tuple(np.stack(feature) for feature in zip(*crops))

    def __call__(self, epoch: int):
        """The epoch's batches as tuples of (B, crop_frames, C_k) tensors, one per feature."""
        for _rng, features in self.batches(epoch):
            yield tuple(torch.from_numpy(feature) for feature in features)

    def _crop(self, item: tuple, rng: np.random.Generator) -> tuple:
        length = len(item[0])
        excess = length - self.crop_frames
        start = rng.integers(0, abs(excess) + 1)
        if excess >= 0:
            return tuple(feature[start:start + self.crop_frames] for feature in item)
        padded = []
        for feature, floor in zip(item, self.silence):
            window = np.full((self.crop_frames,) + feature.shape[1:], floor, np.float32)
            window[start:start + length] = feature
            padded.append(window)
        return tuple(padded)
