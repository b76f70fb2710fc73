"""Reference pitch of real speech (pYIN), and the loss that teaches a synthesizer decoder to follow it.

A spectral loss alone gives the synthesizer's f0 almost no useful gradient (Turian & Henry 2020): trained
by it, the decoder of notebook 4 left f0 at the top of its range and imitated speech with noise. DDSP's
autoencoder takes f0 from a pitch tracker (Engel et al. 2020) and Chen et al. (2024) supervise pitch with
reference tracks; here pYIN (librosa.pyin) gives those tracks for the pre-training speech.
"""
from __future__ import annotations

import librosa
import numpy as np
import torch
import torch.nn.functional as F

from .. import audio as A
from .controls import F0_RANGE_HZ

VOICING_CLAMP = 1e-4  # voicing is clamped to [1e-4, 1 - 1e-4] inside the cross-entropy (finite at 0 and 1)


def pitch_track(wave: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N,) 16 kHz speech -> (f0_hz, voiced_probability), each (T,) float32 on the log-mel's frame clock
    (T = audio.n_frames(N), the same frames as `audio.log_mel`); f0_hz is NaN where pYIN hears no voice.

    pYIN searches the synthesizer's f0 range (60-400 Hz) with the log-mel's 1024-sample window.
    """
    n_frames = A.n_frames(len(wave))
    f0, _voiced, voiced_probability = librosa.pyin(np.asarray(wave, dtype=np.float32), fmin=F0_RANGE_HZ[0],
                                                   fmax=F0_RANGE_HZ[1], sr=A.SAMPLE_RATE, frame_length=A.N_FFT,
                                                   hop_length=A.HOP, center=True)
    return f0[:n_frames].astype(np.float32), voiced_probability[:n_frames].astype(np.float32)


def octave_error(f0_hz: torch.Tensor, reference_hz: torch.Tensor) -> torch.Tensor:
    """|log2(f0 / reference)| (octaves; 1/12 is a semitone) on the frames where the reference is voiced
    (finite): (B, T) and (B, T) -> (n_voiced,). Unvoiced (NaN) reference frames take no part, nor a gradient."""
    voiced = torch.isfinite(reference_hz)
    return torch.log2(f0_hz[voiced] / reference_hz[voiced]).abs()


def pitch_loss(controls: dict[str, torch.Tensor], reference_hz: torch.Tensor, f0_weight: float,
               voicing_weight: float) -> torch.Tensor:
    """Supervision of a synthesizer's controls by a reference pitch track -> scalar.

    controls: the synthesizer's, of which f0_hz and voicing (B, T) are used; reference_hz: (B, T) Hz, NaN
    where the reference is unvoiced. f0_weight x the mean octave error over voiced frames (0 without any)
    + voicing_weight x the binary cross-entropy of voicing against the reference's voiced frames (1) and
    unvoiced ones (0), over all frames.
    """
    errors = octave_error(controls["f0_hz"], reference_hz)
    f0_term = errors.mean() if errors.numel() else errors.sum()
    voiced = torch.isfinite(reference_hz).to(controls["voicing"].dtype)
    voicing = controls["voicing"].clamp(VOICING_CLAMP, 1 - VOICING_CLAMP)
    return f0_weight * f0_term + voicing_weight * F.binary_cross_entropy(voicing, voiced)


def pitch_agreement(f0_hz: np.ndarray, voicing: np.ndarray, reference_hz: np.ndarray) -> tuple[float, float]:
    """How well decoded pitch controls follow a reference track: (T,) f0 in Hz, (T,) voicing in [0, 1], (T,)
    reference f0 in Hz (NaN where unvoiced) -> (median |f0 error| in semitones over the reference's voiced
    frames (NaN if there are none), the fraction of frames where voicing > 0.5 agrees with the reference)."""
    voiced = np.isfinite(reference_hz)
    semitones = 12.0 * np.abs(np.log2(f0_hz[voiced] / reference_hz[voiced]))
    error = float(np.median(semitones)) if voiced.any() else float("nan")
    return error, float(np.mean((voicing > 0.5) == voiced))
