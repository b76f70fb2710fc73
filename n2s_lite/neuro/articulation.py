"""Speaking: articulator trajectories read from the produced sound, and the sensorimotor sites that drive them.

In speech production, ventral sensorimotor cortex (vSMC) sites encode the movements of the vocal tract
(larynx, lips, jaw, tongue) in a rough dorsal-to-ventral somatotopy (Bouchard 2013), as coordinated
kinematic trajectories of several articulators rather than single muscles or phonemes (Chartier 2018), and
their high-gamma LEADS the sound those movements make. The simulator has no vocal tract, so it reads a proxy
of the kinematics from the produced sound itself (ARTICULATORS, each a smooth (T,) trajectory, zero at rest):
- aperture: loudness of the sound, a stand-in for jaw and lip opening;
- voicing: periodicity of the sound (larynx);
- height: log position of the first-formant region (250-900 Hz), inversely tongue and jaw height;
- frontness: log position of the second-formant region (900-2500 Hz), tongue front/back;
- frication: high-frequency (> 3.5 kHz) level against the level below it, a narrow tongue-tip constriction;
- rounding: spectral tilt of the envelope (lip rounding lowers every formant).
An articulatory site reads a weighted mix of these trajectories and of their velocities, led by its own lead
(LEAD_RANGE_MS): its activity at t reflects the movement at t + lead.
"""
from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.signal import fftconvolve
from scipy.special import ndtr

from .. import audio as A
from .grid import smooth_field
from .stimulus import AUDIBLE_LEVEL

ARTICULATORS = ("aperture", "voicing", "height", "frontness", "frication", "rounding")
# somatotopic place of each articulator's preferred sites between the sylvian fissure (0) and the top of the
# grid's sensorimotor part (1): tongue ventral, then jaw and lips, larynx dorsal (Bouchard 2013, Fig. 1)
SOMATOTOPY = dict(aperture=0.5, voicing=0.9, height=0.35, frontness=0.2, frication=0.1, rounding=0.65)
LEAD_RANGE_MS = (50.0, 300.0)  # activity precedes the sound it makes (Chartier 2018; Verwoert 2022)
SMOOTH_FRAMES = 2.0  # Gaussian sigma of the trajectories (20 ms): articulators move below ~10 Hz
SYLVIAN_MM = 14.0  # cortical y (mm, reference placement) of the sylvian fissure: STG below, vSMC above
ARTICULATORY_CODE = 6  # responses.RESPONSE_TYPES code of an articulatory site
SELF_SUPPRESSION = 0.7  # gain of auditory sites hearing one's own speech, relative to listening (Flinker 2010)
KERNEL_FRAMES = 60


def trajectories(aud: np.ndarray, periodicity: np.ndarray) -> np.ndarray:
    """(T, 80) auditory spectrogram (`stimulus.auditory_spectrogram`) and (T,) periodicity -> (T, 6) float64
    articulator trajectories (columns in ARTICULATORS order), each z-scored over the frames of speech and 0 (rest)
    in silence, then smoothed."""
    centres = np.log2(A.mel_centre_frequencies().astype(np.float64))
    level = aud.mean(axis=1)
    speech = level > AUDIBLE_LEVEL

    def region_position(low_hz, high_hz):
        inside = (centres >= np.log2(low_hz)) & (centres <= np.log2(high_hz))
        weights = aud[:, inside] + 1e-6
        return (weights * centres[inside]).sum(axis=1) / weights.sum(axis=1)

    high = centres >= np.log2(3500.0)
    slope = np.polyfit(centres, aud.T.astype(np.float64), 1)[0]  # level change per octave
    raw = np.stack([level, np.clip((periodicity - 0.3) / 0.5, 0.0, 1.0), region_position(250, 900),
                    region_position(900, 2500), aud[:, high].mean(axis=1) - aud[:, ~high].mean(axis=1), slope], axis=1)
    if speech.sum() > 1:
        raw = (raw - raw[speech].mean(axis=0)) / (raw[speech].std(axis=0) + 1e-9)
    raw[~speech] = 0.0
    return gaussian_filter1d(raw, SMOOTH_FRAMES, axis=0)


def assign_articulatory(rng: np.random.Generator, tuning: dict, positions: np.ndarray, grid: tuple[int, int],
                        origin_mm: tuple[float, float]) -> dict:
    """A copy of `tuning` (`responses.sample_tuning`) in which the responsive sites above the sylvian fissure
    (cortical y >= SYLVIAN_MM) are articulatory sites, with the arrays they need added for every site:
    articulator (index of the preferred one, -1 if not articulatory), lead_ms, velocity_weight and
    articulatory_weights (E, 6). Responsive sites below the fissure keep their auditory tuning, their gain
    lowered by SELF_SUPPRESSION. `rng` is used only here."""
    n = len(positions)
    y = positions[:, 1] + origin_mm[1]
    height = np.clip((y - SYLVIAN_MM) / max(SYLVIAN_MM, 1e-9), 0.0, 1.0)  # 0 at the fissure, 1 at the grid top
    # the preferred articulator: somatotopic order plus a smooth random field, so neighbours share it
    scores = np.stack([smooth_field(rng, grid, n, 4.0) - ((height - SOMATOTOPY[name]) / 0.25) ** 2
                       for name in ARTICULATORS], axis=1)
    preferred = np.argmax(scores, axis=1)
    # coordinated movements: the preferred articulator plus weaker, random contributions of the others
    weights = 0.35 * rng.standard_normal((n, len(ARTICULATORS)))
    weights[np.arange(n), preferred] = rng.choice([-1.0, 1.0], n)
    lead = LEAD_RANGE_MS[0] + (LEAD_RANGE_MS[1] - LEAD_RANGE_MS[0]) * ndtr(smooth_field(rng, grid, n, 5.0))
    velocity = rng.uniform(0.0, 1.0, n)
    motor = (tuning["type_code"] > 0) & (y >= SYLVIAN_MM)
    changed = {name: values.copy() for name, values in tuning.items()}
    changed["type_code"][motor] = ARTICULATORY_CODE
    changed["gain"] = np.where(motor, tuning["gain"], SELF_SUPPRESSION * tuning["gain"])
    changed["adaptation_strength"][motor] = rng.uniform(0.0, 0.5, n)[motor]  # little adaptation in motor cortex
    changed.update(articulator=np.where(motor, preferred, -1).astype(np.int64), lead_ms=np.where(motor, lead, 0.0),
                   velocity_weight=np.where(motor, velocity, 0.0),
                   articulatory_weights=np.where(motor[:, None], weights, 0.0).astype(np.float32))
    return changed


def leading_drive(kinematics: np.ndarray, tuning: dict) -> np.ndarray:
    """(T, 6) trajectories -> (T, E) linear drive of the articulatory sites (0 elsewhere): each site's mix of
    positions and velocities, read lead_ms AHEAD of the frame (an anti-causal bump kernel)."""
    weights = tuning["articulatory_weights"].astype(np.float64).T  # (6, E)
    velocity = np.gradient(kinematics, axis=0) * 5.0  # per 50 ms, on the scale of the positions
    inputs = kinematics @ weights + tuning["velocity_weight"][None, :] * (velocity @ weights)
    tau = np.arange(KERNEL_FRAMES, dtype=np.float64)[:, None]
    peak = tuning["lead_ms"][None, :] / 10.0
    kernels = np.exp(-0.5 * ((tau - peak) / (0.3 * peak + 1.0)) ** 2)
    kernels /= kernels.sum(axis=0, keepdims=True)
    # drive(t) = sum_tau kernel(tau) inputs(t + tau): a causal convolution of the time-reversed inputs
    drive = fftconvolve(inputs[::-1], kernels, axes=0)[: len(inputs)][::-1]
    return np.where(tuning["type_code"][None, :] == ARTICULATORY_CODE, drive, 0.0)
