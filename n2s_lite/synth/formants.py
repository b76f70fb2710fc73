"""Reference formant tracks of real speech (LPC), and the loss that teaches a synthesizer decoder to follow them.

Trained by a spectral loss (and pitch supervision) alone, the decoder of notebook 4 used its formants as free
spectral shapers: F2 sat at the floor of its range and F3 did F2's work. Chen et al. (2024) supervise their
synthesizer's formants with reference tracks of the speech (from Praat); here the references come from
linear prediction, the textbook method Praat's Burg tracker also rests on (Markel & Gray 1976): per 25 ms
frame, the roots of an order-12 LPC polynomial of the speech resampled to 11 kHz (formants up to 5.5 kHz,
Praat's default range for a female voice), the narrow-band ones read as formants, lowest first.
Praat itself (praat-parselmouth) is GPL-licensed, so this MIT package does not depend on it.
"""
from __future__ import annotations

import librosa
import numpy as np
import torch

from .. import audio as A
from .pitch import pitch_loss, pitch_track

LPC_RATE = 11_000  # Hz; formants are looked for up to half of it
LPC_ORDER = 12  # two poles per formant (five below 5.5 kHz) and two for the glottal and radiation tilt
WINDOW_S = 0.025
PRE_EMPHASIS = float(np.exp(-2 * np.pi * 50 / LPC_RATE))  # +6 dB/octave above 50 Hz, as Praat does
MIN_FORMANT_HZ = 200.0  # the synthesizer's F1 floor; roots below are the glottal source's, not a resonance
MAX_BANDWIDTH_HZ = 600.0  # wider roots shape the envelope but are not formants
QUIET_DB = -50.0  # frames this far below the loudest are left unmeasured (NaN)
REFERENCE_FORMANTS = 3  # F1-F3 supervise the synthesizer decoder; LPC finds the higher ones less reliably


def formant_track(wave: np.ndarray, n_formants: int = REFERENCE_FORMANTS) -> np.ndarray:
    """(N,) 16 kHz speech -> (T, n_formants) float32 formant frequencies in Hz, lowest first, on the log-mel's
    frame clock (T = audio.n_frames(N)); NaN where a frame is quiet or has fewer narrow-band resonances.

    Formant values mean something only where the speech is voiced: pair them with `pitch.pitch_track`.
    """
    n_frames = A.n_frames(len(wave))
    tracks = np.full((n_frames, n_formants), np.nan, np.float32)
    if n_frames == 0:
        return tracks
    speech = librosa.resample(np.asarray(wave, np.float32), orig_sr=A.SAMPLE_RATE, target_sr=LPC_RATE)
    speech = librosa.effects.preemphasis(speech, coef=PRE_EMPHASIS)
    hop = LPC_RATE * A.HOP // A.SAMPLE_RATE  # 110 samples: 10 ms, the log-mel's hop
    length = int(WINDOW_S * LPC_RATE)
    padded = np.pad(speech, (length // 2, length))  # frame t is centred on t * hop, as the log-mel's are
    frames = librosa.util.frame(padded, frame_length=length, hop_length=hop, axis=0)[:n_frames]
    frames = frames * np.hamming(length).astype(np.float32)
    level_db = 10 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-20)
    loud = np.flatnonzero(level_db > level_db.max() + QUIET_DB)
    if len(loud):
        tracks[loud] = _formants_of_frames(frames[loud].astype(np.float64), n_formants)
    return tracks


def _formants_of_frames(frames: np.ndarray, n_formants: int) -> np.ndarray:
    """(F, L) windowed frames -> (F, n_formants) Hz of the lowest narrow-band LPC resonances (NaN if missing)."""
    coefficients = librosa.lpc(frames, order=LPC_ORDER, axis=-1)  # (F, order + 1), coefficients[:, 0] == 1
    companion = np.zeros((len(frames), LPC_ORDER, LPC_ORDER))
    companion[:, 0, :] = -coefficients[:, 1:]
    companion[:, np.arange(1, LPC_ORDER), np.arange(LPC_ORDER - 1)] = 1.0
    roots = np.linalg.eigvals(companion)  # (F, order): the poles of the all-pole model
    freqs = np.angle(roots) * LPC_RATE / (2 * np.pi)
    bandwidths = -np.log(np.abs(roots) + 1e-12) * LPC_RATE / np.pi
    formant = (freqs > MIN_FORMANT_HZ) & (freqs < LPC_RATE / 2 - 50) & (bandwidths < MAX_BANDWIDTH_HZ)
    ordered = np.sort(np.where(formant, freqs, np.inf), axis=1)[:, :n_formants]
    return np.where(np.isfinite(ordered), ordered, np.nan)


def formant_loss(formant_hz: torch.Tensor, reference_hz: torch.Tensor, voiced: torch.Tensor) -> torch.Tensor:
    """Mean |log2(F_k / reference F_k)| (octaves) over voiced frames with a reference -> scalar (0 if none).

    formant_hz: (B, T, K') the synthesizer's formant frequencies, of which the first K are supervised;
    reference_hz: (B, T, K) Hz, NaN where unmeasured; voiced: (B, T) bool, where the speech is voiced.
    """
    reference_hz = reference_hz.to(formant_hz.dtype)
    known = torch.isfinite(reference_hz) & voiced[..., None]
    decoded = formant_hz[..., :reference_hz.shape[-1]]
    errors = torch.log2(decoded[known] / reference_hz[known]).abs()
    return errors.mean() if errors.numel() else errors.sum()


def reference_tracks(wave: np.ndarray) -> np.ndarray:
    """(N,) 16 kHz speech -> (T, 1 + REFERENCE_FORMANTS) float32 reference tracks on the log-mel's frame clock:
    column 0 pYIN's f0 in Hz (NaN where unvoiced), columns 1-3 LPC's F1-F3 in Hz (NaN where unmeasured)."""
    return np.column_stack([pitch_track(wave)[0], formant_track(wave, REFERENCE_FORMANTS)])


def reference_track_loss(controls: dict[str, torch.Tensor], tracks: torch.Tensor, pitch_weight: float,
                         voicing_weight: float, formant_weight: float) -> torch.Tensor:
    """Supervision of a synthesizer's controls by (B, T, 4) reference tracks (`reference_tracks`) -> scalar:
    `pitch.pitch_loss` (f0 and voicing) + formant_weight x `formant_loss` on the frames pYIN hears voiced.
    Phase 1 (`autoencoder._loss`) and phase 2 (`adaptor.transfer_loss`) share it."""
    f0 = tracks[..., 0]
    loss = pitch_loss(controls, f0, pitch_weight, voicing_weight)
    if formant_weight:
        loss = loss + formant_weight * formant_loss(controls["formant_freq_hz"], tracks[..., 1:], torch.isfinite(f0))
    return loss


def formant_agreement(formant_hz: np.ndarray, reference_hz: np.ndarray, reference_f0_hz: np.ndarray) -> np.ndarray:
    """How well decoded formants follow reference tracks: (T, K') Hz, (T, K) Hz (NaN where unmeasured) and the
    (T,) reference f0 (NaN where unvoiced) -> (K,) median |error| in semitones of F1..FK over the voiced frames
    where the reference is measured (NaN for a formant without any)."""
    errors = []
    for k in range(reference_hz.shape[1]):
        known = np.isfinite(reference_hz[:, k]) & np.isfinite(reference_f0_hz)
        semitones = 12.0 * np.abs(np.log2(formant_hz[known, k] / reference_hz[known, k]))
        errors.append(float(np.median(semitones)) if known.any() else float("nan"))
    return np.array(errors)
