"""Tests of the differentiable formant synthesizer (n2s_lite.synthesizer)."""
from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from n2s_lite import audio as A
from n2s_lite import synthesizer as S
from n2s_lite.errors import InputError
from n2s_lite.synth import controls as C
from n2s_lite.synth.render import harmonic_source

ALLISON = Path("/usr/share/asterisk/sounds/en_US_f_Allison")


@pytest.fixture(scope="module")
def synth():
    return S.FormantSynthesizer(n_formants=6, n_noise_bands=2)


def constant_controls(synth, n_frames=100, **values):
    """Neutral controls for one item with some controls replaced by constants (scalars or (K,) lists)."""
    controls = synth.neutral_controls(1, n_frames)
    for name, value in values.items():
        controls[name] = torch.as_tensor(value, dtype=torch.float32).expand_as(controls[name]).clone()
    return controls


def espeak_wave(tmp_path, text="The quick brown fox jumps over the lazy dog."):
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    path = tmp_path / "espeak.wav"
    subprocess.run(["espeak-ng", "-w", str(path), text], check=True, capture_output=True)
    return A.load_audio(path)


def real_speech(tmp_path):
    """A real asterisk prompt if installed, otherwise espeak speech."""
    prompt = ALLISON / "conf-onlyperson.g722"
    if prompt.exists():
        import G722

        pcm = G722.G722(A.SAMPLE_RATE, 64000).decode(prompt.read_bytes())
        return np.asarray(pcm, dtype=np.float32) / 32768.0
    return espeak_wave(tmp_path)


def test_shapes(synth):
    raw = torch.randn(3, 20, synth.n_raw)
    controls = synth.get_controls(raw)
    assert set(controls) == set(S.CONTROL_NAMES)
    for name in ("f0_hz", "loudness", "voicing"):
        assert controls[name].shape == (3, 20)
    for name in ("formant_freq_hz", "formant_bw_hz", "formant_amp", "unvoiced_formant_amp"):
        assert controls[name].shape == (3, 20, 6)
    for name in ("noise_freq_hz", "noise_bw_hz", "noise_amp"):
        assert controls[name].shape == (3, 20, 2)
    assert synth.get_signal(controls).shape == (3, 20 * A.HOP)
    assert synth.render_mel(controls).shape == (3, 20, A.N_MELS)


def test_every_control_in_range_even_for_extreme_inputs(synth):
    torch.manual_seed(0)
    raw = torch.cat([torch.randn(4, 30, synth.n_raw) * 5, torch.full((1, 30, synth.n_raw), 1e4),
                     torch.full((1, 30, synth.n_raw), -1e4), torch.zeros(1, 30, synth.n_raw)])
    raw[-1, :, 3::2] = 1e4  # alternate extremes across channels
    controls = synth.get_controls(raw)
    assert all(torch.isfinite(value).all() for value in controls.values())
    scalar_ranges = {"f0_hz": C.F0_RANGE_HZ, "loudness": C.LOUDNESS_RANGE, "voicing": (0, 1),
                     "formant_bw_hz": C.FORMANT_BW_RANGE_HZ, "formant_amp": C.AMP_RANGE,
                     "unvoiced_formant_amp": C.AMP_RANGE, "noise_freq_hz": C.NOISE_FREQ_RANGE_HZ,
                     "noise_bw_hz": C.NOISE_BW_RANGE_HZ, "noise_amp": C.AMP_RANGE}
    for name, (lo, hi) in scalar_ranges.items():
        assert controls[name].min() >= lo * (1 - 1e-6) and controls[name].max() <= hi * (1 + 1e-6), name
    freqs = controls["formant_freq_hz"]
    for k, (lo, hi) in enumerate(C.FORMANT_RANGES_HZ):
        assert freqs[..., k].min() >= lo - 1e-3 and freqs[..., k].max() <= hi + 1e-3
    assert (freqs.diff(dim=-1) >= C.FORMANT_GAP_HZ - 1e-3).all()


def test_get_raw_inverts_get_controls(synth):
    controls = synth.get_controls(torch.randn(2, 10, synth.n_raw))
    again = synth.get_controls(synth.get_raw(controls))
    for name in S.CONTROL_NAMES:
        torch.testing.assert_close(again[name], controls[name], rtol=1e-3, atol=1e-2)


def test_gradients_reach_every_raw_control(synth):
    torch.manual_seed(1)
    raw = torch.randn(2, 20, synth.n_raw, requires_grad=True)
    mel = synth.render_mel(synth.get_controls(raw))
    mel.mean().backward()
    per_channel = raw.grad.abs().sum(dim=(0, 1))
    assert torch.isfinite(raw.grad).all()
    assert (per_channel > 0).all(), f"no gradient for channels {torch.nonzero(per_channel == 0).ravel().tolist()}"


def test_closed_form_harmonics_match_an_explicit_sum_of_cosines():
    f0 = torch.linspace(90.0, 380.0, 4000)[None]
    got = harmonic_source(f0, A.SAMPLE_RATE, n_harmonics=40)
    phase = 2 * math.pi * torch.cumsum(f0.double() / A.SAMPLE_RATE, dim=-1)
    k = torch.arange(1, 41, dtype=torch.float64)
    below_nyquist = (k * f0.double()[..., None] < A.SAMPLE_RATE / 2).double()
    expected = (torch.cos(k * phase[..., None]) * below_nyquist).sum(-1) * torch.sqrt(2 / below_nyquist.sum(-1))
    torch.testing.assert_close(got.double(), expected, atol=2e-3, rtol=0)


def harmonic_contrast_db(wave: np.ndarray, f0: float, n_harmonics: int = 30) -> float:
    """Mean power at k * f0 over the power half-way between harmonics, in dB (wave of whole seconds)."""
    spectrum = np.abs(np.fft.rfft(wave * np.hanning(len(wave)))) ** 2
    hz_per_bin = A.SAMPLE_RATE / len(wave)
    at = [spectrum[round(k * f0 / hz_per_bin)] for k in range(1, n_harmonics + 1)]
    between = [spectrum[round((k + 0.5) * f0 / hz_per_bin)] for k in range(1, n_harmonics + 1)]
    return float(10 * np.log10(np.mean(at) / np.mean(between)))


def flat_formants(synth, voicing):
    """Constant controls at f0 = 200 Hz whose formant envelope is nearly flat (wide, equal resonances)."""
    return constant_controls(synth, voicing=voicing, f0_hz=200.0, formant_amp=1.0, unvoiced_formant_amp=1.0,
                             formant_bw_hz=C.FORMANT_BW_RANGE_HZ[1], noise_amp=C.AMP_RANGE[0])


def test_voiced_tone_has_its_energy_at_the_harmonics_of_f0(synth):
    wave = synth.get_signal(flat_formants(synth, voicing=1.0))[0].numpy()
    assert harmonic_contrast_db(wave, 200.0) > 30
    spectrum = np.abs(np.fft.rfft(wave))
    assert np.argmax(spectrum[100:300]) + 100 == 200  # 1 Hz bins: the fundamental is the strongest line


def test_unvoiced_noise_has_no_harmonic_peaks(synth):
    wave = synth.get_signal(flat_formants(synth, voicing=0.0))[0].numpy()
    assert abs(harmonic_contrast_db(wave, 200.0)) < 3
    assert wave.std() > 0


def test_loudness_sets_the_output_level(synth):
    quiet = synth.get_signal(constant_controls(synth, loudness=0.01, voicing=1.0))
    loud = synth.get_signal(constant_controls(synth, loudness=0.1, voicing=1.0))
    torch.testing.assert_close(loud, 10 * quiet, rtol=1e-4, atol=1e-5)
    assert 0.05 < loud.std() < 0.2


def test_torch_log_mel_agrees_with_audio_log_mel_on_speech(tmp_path):
    wave = real_speech(tmp_path)
    expected = A.log_mel(wave)
    got = S.torch_log_mel(torch.from_numpy(wave)[None])[0].numpy()
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() < 0.5
    assert expected.max() - expected.min() > 40  # real dynamic range, not a floor-to-floor comparison


def test_same_seed_same_audio(synth):
    controls = constant_controls(synth, voicing=0.3)
    first, again = synth.get_signal(controls, seed=7), synth.get_signal(controls, seed=7)
    assert torch.equal(first, again)
    assert not torch.equal(first, synth.get_signal(controls, seed=8))
    assert torch.equal(S.FormantSynthesizer(seed=7).get_signal(controls), first)


def test_bad_inputs_raise_input_error(synth):
    with pytest.raises(InputError, match="raw"):
        synth.get_controls(torch.zeros(1, 10, synth.n_raw + 1))
    controls = synth.neutral_controls(1, 10)
    del controls["voicing"]
    with pytest.raises(InputError, match="voicing"):
        synth.get_signal(controls)
    with pytest.raises(InputError, match="n_formants"):
        S.FormantSynthesizer(n_formants=7)


def test_synthesizer_decoder_shapes_and_gradients():
    torch.manual_seed(0)
    decoder = S.SynthesizerDecoder(latent_dim=8, latent_stride=2, hidden=16)
    out = decoder(torch.randn(2, 13, 8), n_frames=25)
    assert out["mel"].shape == (2, 25, A.N_MELS) and out["wave"].shape == (2, 25 * A.HOP)
    assert out["controls"]["formant_freq_hz"].shape == (2, 25, 6)
    out["mel"].mean().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0
               for p in decoder.parameters())
    with pytest.raises(InputError, match="latent"):
        decoder(torch.randn(2, 13, 8), n_frames=40)


@pytest.mark.slow
def test_analysis_by_synthesis_improves_the_fit(tmp_path):
    wave = espeak_wave(tmp_path, "Open the door.")
    result = S.fit_to_speech(wave, steps=40, seed=0)
    assert result.mel_fit.shape == result.mel_true.shape == (A.n_frames(len(wave)), A.N_MELS)
    assert result.history[-1] < result.history[0]
    assert result.spectrogram_correlation > result.initial_correlation
    assert set(result.controls) == set(S.CONTROL_NAMES) and result.controls["f0_hz"].shape == (len(result.mel_fit),)
