"""Electrode grid geometry and smooth spatial fields over it.

Assumption: a clinical ECoG grid with 4 mm centre-to-centre spacing (high-density STG grids used by
e.g. Mesgarani 2014 and Hamilton 2018 have 4 mm spacing). Positions are in mm; x runs posterior (0) to
anterior along the superior temporal gyrus, y ventral (0) to dorsal. Electrodes are numbered row by row,
so `n_electrodes` < rows x cols uses the first rows of the grid.
"""
from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter

from ..errors import InputError

SPACING_MM = 4.0
DEFAULT_GRID = (8, 8)  # rows, columns
# The strip of speech cortex (y, mm) under the reference placement: the rows of the default grid plus half a
# spacing on each side. A grid moved (grid_origin_mm) partly off it has sites that cannot respond to speech.
SPEECH_CORTEX_Y_MM = (-0.5 * SPACING_MM, (DEFAULT_GRID[0] - 0.5) * SPACING_MM)


def grid_positions(n_electrodes: int, grid: tuple[int, int] = DEFAULT_GRID, spacing_mm: float = SPACING_MM) -> np.ndarray:
    """(n_electrodes, 2) float32 (x, y) positions in mm of the first n_electrodes of a rows x cols grid."""
    rows, cols = grid
    if not 1 <= int(n_electrodes) <= rows * cols:
        raise InputError("<grid>", "n_electrodes", f"between 1 and {rows * cols} for a {rows}x{cols} grid",
                         str(n_electrodes))
    index = np.arange(int(n_electrodes))
    return np.stack([index % cols, index // cols], axis=1).astype(np.float32) * spacing_mm


def electrode_names(n_electrodes: int) -> list[str]:
    """Clinical-style names 'G1'..'Gn'."""
    return [f"G{i + 1}" for i in range(n_electrodes)]


def smooth_field(rng: np.random.Generator, grid: tuple[int, int], n_electrodes: int, width_mm: float,
                 spacing_mm: float = SPACING_MM) -> np.ndarray:
    """(n_electrodes,) zero-mean unit-variance random field, spatially smooth over `width_mm` (Gaussian sigma).

    Drawn on the whole grid, so neighbouring electrodes get similar values whatever n_electrodes is.
    """
    noise = rng.standard_normal(grid)
    field = gaussian_filter(noise, sigma=width_mm / spacing_mm, mode="reflect").ravel()[:n_electrodes]
    return ((field - field.mean()) / (field.std() + 1e-12)).astype(np.float64)


def posterior_anterior(positions: np.ndarray, shift_mm: float = 0.0) -> np.ndarray:
    """(E,) position along the x axis scaled to [-1 (posterior), 1 (anterior)] over the grid's own span, then
    moved by `shift_mm` (a grid placed shift_mm more anteriorly: values up to 1 + 2 shift / span)."""
    x = positions[:, 0]
    span = np.ptp(x)
    return np.zeros_like(x, dtype=np.float64) if span == 0 else 2.0 * (x + shift_mm - x.min()) / span - 1.0


def on_speech_cortex(positions: np.ndarray, origin_mm: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """(E,) bool: whether each electrode of a grid placed at `origin_mm` lies on SPEECH_CORTEX_Y_MM."""
    y = positions[:, 1] + origin_mm[1]
    return (y >= SPEECH_CORTEX_Y_MM[0]) & (y <= SPEECH_CORTEX_Y_MM[1])
