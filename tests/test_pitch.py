"""Tests of the synthesizer's pitch supervision: pYIN reference tracks, the pitch loss and the agreement score."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from n2s_lite import audio as A
from n2s_lite.synth.pitch import octave_error, pitch_agreement, pitch_loss, pitch_track


def tone_then_silence(f0_hz: float, tone_s: float = 1.0, silence_s: float = 0.5) -> np.ndarray:
    """(N,) float32: harmonics of a steady f0, then digital silence."""
    t = np.arange(int(tone_s * A.SAMPLE_RATE)) / A.SAMPLE_RATE
    tone = sum(np.sin(2 * np.pi * k * f0_hz * t) / k for k in range(1, 8))
    return np.concatenate([0.1 * tone, np.zeros(int(silence_s * A.SAMPLE_RATE))]).astype(np.float32)


def test_pitch_track_follows_a_tone_on_the_log_mel_frame_clock():
    wave = tone_then_silence(150.0)
    f0, voiced_probability = pitch_track(wave)
    assert f0.shape == voiced_probability.shape == (len(A.log_mel(wave)),)
    assert f0.dtype == voiced_probability.dtype == np.float32
    tone, silence = f0[10:90], f0[110:]  # away from the edges of the 1024-sample window
    assert np.isfinite(tone).all() and np.allclose(tone, 150.0, rtol=0.01)
    assert np.isnan(silence).all()


def controls(f0_hz, voicing):
    return {"f0_hz": torch.tensor([f0_hz], requires_grad=True), "voicing": torch.tensor([voicing], requires_grad=True)}


def test_octave_error_is_one_per_octave_and_ignores_unvoiced_frames():
    reference = torch.tensor([[100.0, float("nan"), 200.0, 300.0]])
    f0 = torch.tensor([[200.0, 50.0, 100.0, 300.0]])
    assert torch.allclose(octave_error(f0, reference), torch.tensor([1.0, 1.0, 0.0]))


def test_pitch_loss_terms_and_their_gradients():
    c = controls([200.0, 50.0, 100.0, 300.0], [0.9, 0.2, 0.5, 1.0])
    reference = torch.tensor([[100.0, float("nan"), 200.0, 300.0]])
    f0_only = pitch_loss(c, reference, f0_weight=1.0, voicing_weight=0.0)
    assert f0_only.item() == pytest.approx(2.0 / 3.0)  # octaves 1, 1, 0 on the three voiced frames
    f0_only.backward()
    grad = c["f0_hz"].grad[0]
    assert grad[1] == 0  # an unvoiced frame's pitch is free
    assert grad[0] > 0 and grad[2] < 0  # too high is pushed down, too low up
    assert torch.isfinite(grad).all()

    c = controls([100.0, 50.0, 200.0, 300.0], [0.9, 0.2, 0.5, 1.0])
    voicing_only = pitch_loss(c, reference, f0_weight=0.0, voicing_weight=2.0)
    expected = -np.mean([np.log(0.9), np.log(1 - 0.2), np.log(0.5), np.log(1 - 1e-4)])
    assert voicing_only.item() == pytest.approx(2.0 * expected, rel=1e-5)
    voicing_only.backward()
    grad = c["voicing"].grad[0]
    assert grad[0] < 0 and grad[1] > 0  # voiced frames are pushed up, unvoiced down


def test_pitch_loss_without_a_voiced_frame_is_the_voicing_term_alone():
    c = controls([120.0, 130.0], [0.3, 0.4])
    reference = torch.full((1, 2), float("nan"))
    loss = pitch_loss(c, reference, f0_weight=1.0, voicing_weight=1.0)
    assert loss.item() == pytest.approx(-np.mean([np.log(0.7), np.log(0.6)]), rel=1e-5)
    loss.backward()
    assert torch.isfinite(c["f0_hz"].grad).all() and not c["f0_hz"].grad.any()


def test_pitch_agreement():
    reference = np.array([100.0, 100.0, np.nan, 200.0, np.nan])
    f0 = np.array([100.0 * 2 ** (1 / 12), 100.0, 300.0, 200.0 * 2 ** (-3 / 12), 80.0])
    voicing = np.array([0.9, 0.4, 0.1, 0.8, 0.7])
    error, accuracy = pitch_agreement(f0, voicing, reference)
    assert error == pytest.approx(1.0)  # median of 1, 0 and 3 semitones
    assert accuracy == pytest.approx(3 / 5)  # frames 1 (0.4 on a voiced frame) and 4 (0.7 on an unvoiced one) differ
    error, accuracy = pitch_agreement(f0, np.zeros(5), np.full(5, np.nan))
    assert np.isnan(error) and accuracy == 1.0
