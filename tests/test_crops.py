"""The phase-1 crop sampler: reproducible, aligned across features, padded with each feature's silence."""
from __future__ import annotations

import numpy as np
import torch

from n2s_lite.crops import CropSampler


def counted(n_frames: int, start: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two aligned features whose values say which frame they are: (T, 2) frame numbers and (T, 3) their negatives."""
    frames = np.arange(start, start + n_frames, dtype=np.float32)[:, None]
    return np.repeat(frames, 2, axis=1), -np.repeat(frames, 3, axis=1)


def test_same_seed_and_epoch_same_batches_and_other_epochs_differ():
    sampler = CropSampler([counted(50), counted(80, 1000)], (-1.0, -2.0), crop_frames=16, batch_size=3,
                          steps_per_epoch=4, seed=7)
    first, again, other = list(sampler(0)), list(sampler(0)), list(sampler(1))
    assert all(torch.equal(a, b) for x, y in zip(first, again) for a, b in zip(x, y))
    assert not all(torch.equal(x[0], y[0]) for x, y in zip(first, other))
    assert len(first) == 4 and first[0][0].shape == (3, 16, 2) and first[0][1].shape == (3, 16, 3)


def test_crops_are_contiguous_windows_aligned_across_features():
    sampler = CropSampler([counted(50), counted(80, 1000)], (-1.0, -2.0), crop_frames=16, batch_size=8,
                          steps_per_epoch=5, seed=0)
    for first, second in sampler(0):
        assert torch.equal(second, -first[..., :1].expand(-1, -1, 3))  # the same frames of both features
        steps = first[:, 1:, 0] - first[:, :-1, 0]
        assert (steps == 1).all()  # one contiguous window of one utterance


def test_short_utterances_sit_in_silence_at_a_random_offset():
    sampler = CropSampler([counted(5)], (-1.0, -2.0), crop_frames=12, batch_size=16, steps_per_epoch=1, seed=3)
    first, second = next(iter(sampler(0)))
    offsets = set()
    for mel, linear in zip(first.numpy(), second.numpy()):
        speech = mel[:, 0] >= 0
        assert speech.sum() == 5 and (mel[~speech] == -1.0).all() and (linear[~speech] == -2.0).all()
        assert np.array_equal(mel[speech, 0], np.arange(5))
        offsets.add(int(np.argmax(speech)))
    assert offsets <= set(range(8)) and len(offsets) > 1


def test_utterances_are_drawn_in_proportion_to_their_length():
    sampler = CropSampler([counted(100), counted(300, 1000)], (-1.0, -2.0), crop_frames=10, batch_size=50,
                          steps_per_epoch=40, seed=1)
    from_long = np.mean([float((first[:, 0, 0] >= 1000).float().mean()) for first, _ in sampler(0)])
    assert abs(from_long - 0.75) < 0.03  # 2,000 draws: the binomial sd is 0.01
