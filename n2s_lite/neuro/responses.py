"""Per-electrode response models of human superior temporal gyrus (STG), noiseless.

Each site has one response type (codes in RESPONSE_TYPES), drawn so that neighbouring sites tend to share
type and tuning:
- spectrotemporal: a spectro-temporal receptive field, Gaussian tuning on a log-frequency axis around a
  best frequency, a temporal kernel peaking 50-300 ms after the sound with a later inhibitory lobe
  (Mesgarani 2014, Hamilton 2018);
- onset: responds to acoustic edges (rectified rise of band energy) and, through strong slow
  adaptation, mostly to sentence onsets after silence (posterior STG; Hamilton 2018);
- sustained: follows the broadband envelope throughout the sentence (anterior/middle STG; Hamilton 2018);
- pitch: tuned to speaker-normalised (relative) pitch in voiced speech (Tang 2017);
- category: responds to one broad sound category, whatever its loudness and spectral detail, as sites
  selective to phonetic features do (Mesgarani 2014); none by default, `assign_categories` turns a share
  of the spectrotemporal sites into them;
- articulatory (speaking only): a sensorimotor site whose activity leads the produced sound, tuned to
  articulator trajectories (`articulation`);
- none: not speech-responsive.
Every responsive site then passes its linear drive through a threshold-linear rectifier, divisive
adaptation with its own time constant and a saturating (Naka-Rushton-like) output, so responses are
neither linear in the spectrogram nor stationary (Pasley 2012 note the limits of linear STRFs).
"""
from __future__ import annotations

import numpy as np
from scipy.signal import fftconvolve, lfilter
from scipy.special import ndtr

from .. import audio as A
from . import articulation
from .grid import on_speech_cortex, posterior_anterior, smooth_field

RESPONSE_TYPES = {0: "none", 1: "spectrotemporal", 2: "onset", 3: "sustained", 4: "pitch", 5: "category",
                  6: "articulatory"}
KERNEL_FRAMES = 60  # temporal kernels span 0-600 ms
BF_RANGE_HZ = (150.0, 6000.0)
LAG_RANGE_MS = (50.0, 300.0)
FIELD_WIDTH_MM = 5.0  # spatial smoothness of tuning maps (Gaussian sigma)


def sample_tuning(rng: np.random.Generator, positions: np.ndarray, grid: tuple[int, int],
                  responsive_fraction: float, origin_mm: tuple[float, float] = (0.0, 0.0)) -> dict[str, np.ndarray]:
    """Draw every electrode's tuning; returns (E,) arrays by name (see `tuning_table` for meanings).

    responsive_fraction: share of the sites on speech cortex that respond; origin_mm: the grid's placement
    (`simulate.simulate_listening`'s grid_origin_mm).
    """
    n = len(positions)

    def field(width=FIELD_WIDTH_MM):
        return smooth_field(rng, grid, n, width)

    responsiveness = field(6.0)
    on_cortex = on_speech_cortex(positions, origin_mm)
    cutoff = np.quantile(responsiveness[on_cortex], 1.0 - responsive_fraction) if on_cortex.any() else np.inf
    responsive = on_cortex & (responsiveness >= cutoff)
    # Few strong sites, many weak ones: log-gain grows with the responsiveness field.
    centre = np.median(responsiveness[responsive]) if responsive.any() else 0.0
    gain = np.where(responsive, np.exp(0.8 * (responsiveness - centre)), 0.0)

    axis = posterior_anterior(positions, origin_mm[0])
    scores = np.stack([field() + 0.2,             # spectrotemporal: the most common type
                       field() - 1.2 * axis,      # onset: posterior STG
                       field() + 1.2 * axis,      # sustained: anterior STG
                       field() - 0.3])            # pitch: a minority
    type_code = np.where(responsive, 1 + np.argmax(scores, axis=0), 0)

    log_bf = np.log(BF_RANGE_HZ[0]) + np.log(BF_RANGE_HZ[1] / BF_RANGE_HZ[0]) * ndtr(field())
    broad = (type_code == 2) | (type_code == 3)
    bandwidth = np.where(broad, rng.uniform(2.0, 3.0, n), rng.uniform(0.4, 1.5, n))
    lag = LAG_RANGE_MS[0] + (LAG_RANGE_MS[1] - LAG_RANGE_MS[0]) * ndtr(field())
    lag = np.where(type_code == 2, 0.6 * lag + 20.0, lag)  # onset sites respond early
    onset = type_code == 2
    return dict(
        type_code=type_code.astype(np.int64),
        gain=gain,
        best_frequency_hz=np.exp(log_bf),
        bandwidth_oct=bandwidth,
        lag_ms=lag,
        inhibition=rng.uniform(0.0, 0.6, n),
        preferred_pitch=rng.uniform(-1.5, 1.5, n),
        threshold=rng.uniform(0.0, 0.6, n),
        saturation=rng.uniform(0.5, 2.0, n),
        adaptation_tau_s=np.where(onset, rng.uniform(0.8, 2.0, n), rng.uniform(0.2, 0.8, n)),
        adaptation_strength=np.where(onset, rng.uniform(2.0, 4.0, n), rng.uniform(0.3, 1.5, n)),
        category=np.full(n, -1, np.int64),
    )


def assign_categories(rng: np.random.Generator, tuning: dict, grid: tuple[int, int], share: float,
                      n_categories: int) -> dict:
    """A copy of `tuning` in which `share` (0-1) of the spectrotemporal sites are category sites instead.

    Which sites convert and which of the n_categories each one prefers come from smooth fields over the
    grid, so category sites cluster and neighbours tend to share a category. Every other setting of the
    converted sites (gain, lag, adaptation, ...) is kept; `rng` is used only here, so the other sites'
    tuning does not depend on `share`.
    """
    code = tuning["type_code"]
    n = len(code)
    candidates = np.flatnonzero(code == 1)
    chooser = smooth_field(rng, grid, n, FIELD_WIDTH_MM)
    preference = smooth_field(rng, grid, n, FIELD_WIDTH_MM)
    converted = candidates[np.argsort(-chooser[candidates], kind="stable")[:int(round(share * len(candidates)))]]
    changed = {name: values.copy() for name, values in tuning.items()}
    changed["type_code"][converted] = 5
    category = np.minimum((ndtr(preference) * n_categories).astype(np.int64), n_categories - 1)
    changed["category"][converted] = category[converted]
    return changed


def spectral_weights(tuning: dict) -> np.ndarray:
    """(80, E) Gaussian tuning on a log2-frequency axis, each column summing to 1."""
    centres = A.mel_centre_frequencies()[:, None]
    octaves = np.log2(centres / tuning["best_frequency_hz"][None, :])
    weights = np.exp(-0.5 * (octaves / tuning["bandwidth_oct"][None, :]) ** 2)
    return weights / weights.sum(axis=0, keepdims=True)


def temporal_kernels(tuning: dict) -> np.ndarray:
    """(KERNEL_FRAMES, E) causal kernels: excitatory bump at lag_ms minus an inhibitory one at 1.8 x lag."""
    tau = np.arange(KERNEL_FRAMES, dtype=np.float64)[:, None]
    peak = tuning["lag_ms"][None, :] / 10.0  # frames
    sustained = tuning["type_code"][None, :] == 3
    width = np.where(sustained, 0.8, 0.4) * peak + 1.0

    def bump(centre, spread):
        return np.exp(-0.5 * ((tau - centre) / spread) ** 2)

    kernels = bump(peak, width) - tuning["inhibition"][None, :] * bump(1.8 * peak, 1.5 * width)
    return kernels / np.abs(kernels).sum(axis=0, keepdims=True)


def linear_drive(aud: np.ndarray, rel_pitch: np.ndarray, periodicity: np.ndarray, tuning: dict,
                 categories: np.ndarray | None = None) -> np.ndarray:
    """(T, 80) auditory spectrogram, (T,) relative pitch and periodicity, and (T, K) sound-category
    membership (`stimulus.sound_categories`; needed only if there are category sites) -> (T, E) drive
    before the nonlinearity."""
    code = tuning["type_code"]
    band = aud @ spectral_weights(tuning)  # (T, E) level in each site's frequency band
    rise = np.maximum(np.diff(band, axis=0, prepend=band[:1]), 0.0)
    voiced = np.clip((periodicity - 0.3) / 0.5, 0.0, 1.0)[:, None]
    pitch_tuning = np.exp(-0.5 * ((rel_pitch[:, None] - tuning["preferred_pitch"][None, :]) / 0.7) ** 2)
    inputs = np.where(code == 2, rise, band)
    inputs = np.where(code == 4, voiced * pitch_tuning + 0.3 * band, inputs)
    if np.any(code == 5):
        inputs = np.where(code == 5, categories[:, np.maximum(tuning["category"], 0)], inputs)
    drive = fftconvolve(inputs, temporal_kernels(tuning), axes=0)[: len(aud)]
    return np.where(code == 0, 0.0, drive)


def output_nonlinearity(drive: np.ndarray, tuning: dict, frame_rate: float = A.FRAME_RATE) -> np.ndarray:
    """(T, E) drive -> (T, E) response: rectification, divisive adaptation, saturation (per electrode)."""
    scale = drive.std(axis=0, keepdims=True) + 1e-12
    z = (drive - np.median(drive, axis=0, keepdims=True)) / scale
    rectified = np.logaddexp(0.0, 4.0 * (z - tuning["threshold"][None, :])) / 4.0  # smooth threshold-linear
    adapted = np.empty_like(rectified)
    for e, tau_s in enumerate(tuning["adaptation_tau_s"]):
        keep = np.exp(-1.0 / (tau_s * frame_rate))
        state = lfilter([1.0 - keep], [1.0, -keep], rectified[:, e])  # leaky average of recent activity
        state /= state.mean() + 1e-12
        adapted[:, e] = rectified[:, e] / (1.0 + tuning["adaptation_strength"][e] * state)
    adapted /= np.percentile(adapted, 99, axis=0, keepdims=True) + 1e-12
    return adapted / (1.0 + adapted / tuning["saturation"][None, :])


def clean_responses(aud: np.ndarray, rel_pitch: np.ndarray, periodicity: np.ndarray, tuning: dict,
                    categories: np.ndarray | None = None, kinematics: np.ndarray | None = None) -> np.ndarray:
    """(T, E) float32 noiseless high-gamma: zero mean, standard deviation = each site's gain (0 if unresponsive).
    categories: (T, K) sound-category membership, for category sites (see `linear_drive`);
    kinematics: (T, 6) articulator trajectories, for articulatory sites (`articulation.trajectories`)."""
    drive = linear_drive(aud, rel_pitch, periodicity, tuning, categories)
    if kinematics is not None:
        drive = np.where(tuning["type_code"] == articulation.ARTICULATORY_CODE,
                         articulation.leading_drive(kinematics, tuning), drive)
    response = output_nonlinearity(drive, tuning)
    response = (response - response.mean(axis=0)) / (response.std(axis=0) + 1e-12)
    return (response * tuning["gain"][None, :]).astype(np.float32)
