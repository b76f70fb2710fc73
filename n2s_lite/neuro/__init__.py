"""The simulator of n2s-lite: simulated ECoG listening and speaking experiments (and the high-gamma extractor
real recordings go through too). Encoding models of any recording live in `n2s_lite.encoding`, outside the
simulator, so that editing them never invalidates a cached simulated participant.

    rec = neuro.simulate_listening(corpus, minutes=20, n_electrodes=64, seed=0)
    rec = neuro.simulate_speaking(corpus, minutes=20, n_electrodes=64, seed=0)    # task='speaking'
    hg = neuro.high_gamma(raw, fs, bad=None)           # (T, E) z-scored 70-150 Hz envelope at 100 Hz
See docs/simulator.md for the model and its calibration.
"""
from .grid import SPACING_MM, electrode_names, grid_positions
from ..highgamma import high_gamma
from .responses import RESPONSE_TYPES
from .simulate import simulate_listening, simulate_speaking, tuning_table

__all__ = ["simulate_listening", "simulate_speaking", "high_gamma", "grid_positions",
           "electrode_names", "tuning_table", "RESPONSE_TYPES", "SPACING_MM"]
