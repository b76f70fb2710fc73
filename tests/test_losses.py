import glob
import os

import numpy as np
import pytest
import torch
from pystoi import stoi as pystoi_stoi

from n2s_lite import audio as A
from n2s_lite import losses

SPEECH_FILES = sorted(glob.glob("/usr/share/asterisk/sounds/en_US_f_Allison/*.g722"), key=os.path.getsize)


def _mels(seed=0, shape=(2, 50, A.N_MELS)):
    g = torch.Generator().manual_seed(seed)
    return -30 + 10 * torch.randn(shape, generator=g)


@pytest.fixture(scope="module")
def speech():
    """About 5 s of real speech (the longest-but-40 asterisk prompt), float64 at 16 kHz."""
    if not SPEECH_FILES:
        pytest.skip("asterisk-core-sounds-en-g722 is not installed")
    import G722

    raw = G722.G722(A.SAMPLE_RATE, 64000).decode(open(SPEECH_FILES[-40], "rb").read())
    return np.asarray(raw, dtype=np.float64) / 32768


def test_spectrogram_loss_is_zero_for_a_perfect_match_and_normalise_round_trips():
    pred, true = _mels(0), _mels(1)
    assert float(losses.spectrogram_loss(pred, true)) > 0
    assert float(losses.spectrogram_loss(true, true)) == 0.0
    assert torch.allclose(losses.denormalise(losses.normalise(true)), true, atol=1e-4)


def test_difference_term_penalises_a_blurred_spectrogram_more_than_the_level_term_alone():
    true = _mels(0)
    blurred = torch.nn.functional.avg_pool1d(true.transpose(1, 2), 5, 1, 2, count_include_pad=False).transpose(1, 2)
    level_only = losses.spectrogram_loss(blurred, true, difference_weight=0.0)
    assert losses.spectrogram_loss(blurred, true, difference_weight=1.0) > level_only > 0


def test_gradients_flow_through_every_loss():
    true = _mels(0)
    pred = _mels(1).requires_grad_()
    latent = torch.randn(2, 25, 8, requires_grad=True)
    total = (losses.spectrogram_loss(pred, true) + losses.mel_estoi_loss(pred, true)
             + losses.latent_alignment(latent, torch.zeros(2, 25, 8)))
    total.backward()
    for tensor in (pred, latent):
        assert torch.isfinite(tensor.grad).all() and tensor.grad.abs().sum() > 0


def test_resampler_matches_pystoi(speech):
    from pystoi.utils import resample_oct

    ours = losses._resample_to_stoi_rate(torch.from_numpy(speech)).numpy()
    assert np.allclose(ours, resample_oct(speech, losses.STOI_RATE, A.SAMPLE_RATE), atol=1e-9)


@pytest.mark.parametrize("extended", [False, True])
def test_differentiable_stoi_agrees_with_pystoi_on_real_and_degraded_speech(speech, extended):
    rng = np.random.default_rng(0)
    noise = rng.standard_normal(speech.size) * speech.std()
    for snr_db in (20, 5, -5):
        degraded = speech + noise * 10 ** (-snr_db / 20)
        reference = pystoi_stoi(speech, degraded, A.SAMPLE_RATE, extended=extended)
        ours = float(losses.stoi(torch.from_numpy(speech), torch.from_numpy(degraded), extended=extended))
        assert ours == pytest.approx(reference, abs=0.01)


def test_stoi_loss_is_zero_for_identical_speech_and_has_gradients(speech):
    clean = torch.from_numpy(speech)
    assert float(losses.stoi_loss(clean, clean)) == pytest.approx(0.0, abs=1e-6)
    test = (clean + 0.05 * torch.randn_like(clean)).requires_grad_()
    losses.stoi_loss(clean, test).backward()
    assert torch.isfinite(test.grad).all() and test.grad.abs().sum() > 0


def test_mel_estoi_is_one_for_identical_mels_and_falls_with_distortion(speech):
    mel = torch.from_numpy(A.log_mel(speech.astype(np.float32)))[None]
    noisy = mel + 10 * torch.randn(mel.shape, generator=torch.Generator().manual_seed(0))
    assert float(losses.mel_estoi(mel, mel)[0]) == pytest.approx(1.0, abs=1e-4)
    assert float(losses.mel_estoi(mel, noisy)[0]) < 0.8


def test_mel_estoi_loss_with_a_segment_hop_stays_close_to_every_segment(speech):
    mel = torch.from_numpy(A.log_mel(speech.astype(np.float32)))[None]
    noisy = mel + 6 * torch.randn(mel.shape, generator=torch.Generator().manual_seed(1))
    every_segment = 1 - float(losses.mel_estoi(mel, noisy, segment_hop=1)[0])
    assert 0.1 < every_segment < 0.9
    assert float(losses.mel_estoi_loss(noisy, mel)) == pytest.approx(every_segment, abs=0.02)
    assert float(losses.mel_estoi_loss(mel, mel)) == pytest.approx(0.0, abs=1e-4)


def test_estoi_needs_thirty_frames():
    with pytest.raises(ValueError, match="30"):
        losses.intelligibility(torch.ones(1, 15, 10), torch.ones(1, 15, 10))
