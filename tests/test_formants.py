"""LPC formant tracks of vowels with known formants, the formant loss and the agreement score."""
import numpy as np
import pytest
import scipy.signal
import torch

from n2s_lite import audio as A
from n2s_lite.synth.formants import (formant_agreement, formant_loss, formant_track, reference_track_loss,
                                     reference_tracks)
from n2s_lite.synth.pitch import pitch_loss, pitch_track

VOWELS_HZ = {"a": (700.0, 1220.0, 2600.0), "i": (400.0, 2300.0, 3000.0), "u": (500.0, 900.0, 2500.0)}


def vowel(formants_hz, f0_hz: float = 120.0, seconds: float = 0.5, bandwidths_hz=(80.0, 100.0, 120.0)) -> np.ndarray:
    """(N,) float32 16 kHz: a glottal pulse train at f0_hz through one two-pole resonator per formant."""
    x = np.zeros(int(seconds * A.SAMPLE_RATE))
    x[::int(A.SAMPLE_RATE / f0_hz)] = 1.0
    for freq, bandwidth in zip(formants_hz, bandwidths_hz):
        radius, angle = np.exp(-np.pi * bandwidth / A.SAMPLE_RATE), 2 * np.pi * freq / A.SAMPLE_RATE
        x = scipy.signal.lfilter([1 - radius], [1, -2 * radius * np.cos(angle), radius ** 2], x)
    return (0.5 * x / np.abs(x).max()).astype(np.float32)


@pytest.mark.parametrize("name", sorted(VOWELS_HZ))
def test_lpc_finds_the_formants_of_a_vowel(name):
    track = formant_track(vowel(VOWELS_HZ[name]))
    assert track.shape == (A.n_frames(8000), 3) and track.dtype == np.float32
    measured = np.nanmedian(track[3:-3], axis=0)  # away from the edges, where the window is half empty
    # within 2 semitones: LPC leans toward a harmonic when a formant falls between two (i's F1: 437 for 400 Hz)
    assert np.all(np.abs(12 * np.log2(measured / VOWELS_HZ[name])) < 2.0), measured


def test_silence_is_left_unmeasured_and_the_clock_is_the_log_mels():
    wave = np.concatenate([np.zeros(8000, np.float32), vowel(VOWELS_HZ["a"])])
    track = formant_track(wave, n_formants=2)
    assert track.shape == (len(A.log_mel(wave)), 2)
    assert np.isnan(track[:45]).all() and np.isfinite(track[55:-3]).all()  # the vowel starts at frame 50
    assert formant_track(np.zeros(100, np.float32)).shape == (A.n_frames(100), 3)


def test_the_formant_loss_is_the_octave_error_on_voiced_measured_frames_only():
    decoded = torch.tensor([[[500.0, 2000.0, 3000.0, 4000.0]] * 3], requires_grad=True)  # (1, 3 frames, K'=4)
    reference = torch.tensor([[[250.0, 2000.0, float("nan")], [1000.0, 1000.0, 1500.0], [123.0, 456.0, 789.0]]])
    voiced = torch.tensor([[True, True, False]])
    loss = formant_loss(decoded, reference, voiced)
    # measured and voiced: frame 0 F1 (1 octave), F2 (0); frame 1 F1 (1), F2 (1), F3 (1)
    assert loss.item() == pytest.approx(4 / 5)
    loss.backward()
    assert decoded.grad[0, 2].abs().sum() == 0 and decoded.grad[0, :, 3].abs().sum() == 0  # unvoiced; F4 free
    assert decoded.grad[0, 0, 0] > 0 and decoded.grad[0, 1, 1] > 0  # too high: the loss lowers them
    assert formant_loss(decoded, reference, torch.zeros(1, 3, dtype=torch.bool)).item() == 0.0


def test_agreement_is_the_median_semitone_error_per_formant_over_voiced_frames():
    decoded = np.array([[400.0, 2000.0], [800.0, 2000.0], [800.0, 2000.0], [999.0, 9.0]])
    reference = np.array([[400.0, np.nan], [400.0, 1000.0], [800.0, 1000.0], [100.0, 100.0]])
    f0 = np.array([150.0, 150.0, 150.0, np.nan])  # the last frame is unvoiced and does not count
    errors = formant_agreement(decoded, reference, f0)
    assert errors[0] == pytest.approx(0.0) and errors[1] == pytest.approx(12.0)
    assert np.isnan(formant_agreement(decoded, reference, np.full(4, np.nan))).all()


def test_reference_tracks_are_pyins_f0_beside_lpcs_formants():
    wave = np.concatenate([np.zeros(4000, np.float32), vowel(VOWELS_HZ["a"], f0_hz=125.0)])
    tracks = reference_tracks(wave)
    assert tracks.shape == (len(A.log_mel(wave)), 4)
    assert np.array_equal(tracks[:, 0], pitch_track(wave)[0], equal_nan=True)
    assert np.array_equal(tracks[:, 1:], formant_track(wave), equal_nan=True)
    assert abs(12 * np.log2(np.nanmedian(tracks[30:-3, 0]) / 125.0)) < 1.0


def test_the_reference_track_loss_adds_the_weighted_formant_term_to_the_pitch_loss():
    controls = dict(f0_hz=torch.tensor([[100.0, 200.0, 150.0]]), voicing=torch.tensor([[0.9, 0.8, 0.1]]),
                    formant_freq_hz=torch.tensor([[[500.0, 2000.0, 3000.0, 4000.0]] * 3]))
    tracks = torch.tensor([[[200.0, 250.0, 2000.0, 3000.0], [200.0, 1000.0, 2000.0, 3000.0],
                            [float("nan"), 999.0, 999.0, 999.0]]])
    pitch = pitch_loss(controls, tracks[..., 0], 1.0, 0.1)
    formants = formant_loss(controls["formant_freq_hz"], tracks[..., 1:], torch.isfinite(tracks[..., 0]))
    assert formants.item() == pytest.approx(2 / 6)  # F1 one octave off on both voiced frames, F2 and F3 exact
    expected = (pitch + 0.5 * formants).item()
    assert reference_track_loss(controls, tracks, 1.0, 0.1, 0.5).item() == pytest.approx(expected)
    assert reference_track_loss(controls, tracks, 1.0, 0.1, 0.0).item() == pytest.approx(pitch.item())
