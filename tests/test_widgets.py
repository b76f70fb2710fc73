"""Tests of the explorer's compute layer (no widgets are displayed)."""
import numpy as np

from n2s_lite.data import Trial
from n2s_lite.widgets import electrode_importance


class OneElectrodeDecoder:
    """Predicts every mel bin as a scaled copy of electrode `source` (a decoder that relies on one electrode)."""

    def __init__(self, source: int):
        self.source = source

    def predict(self, hg):
        return np.repeat(hg[:, self.source:self.source + 1], 80, axis=1) * np.linspace(1, 2, 80)


def make_trials(rng, n_trials=3, n_frames=60, n_electrodes=5, source=2):
    trials = []
    for i in range(n_trials):
        hg = rng.standard_normal((n_frames, n_electrodes)).astype(np.float32)
        mel = np.repeat(hg[:, source:source + 1], 80, axis=1) + 0.3 * rng.standard_normal((n_frames, 80))
        trials.append(Trial(hg=hg, mel=mel.astype(np.float32), text=f"s{i}", stimulus_id=f"s{i}", start=i * n_frames))
    return trials


def test_electrode_importance_finds_the_electrode_a_decoder_uses():
    trials = make_trials(np.random.default_rng(0), source=2)
    importance = electrode_importance(OneElectrodeDecoder(2), trials)
    assert importance.shape == (5,)
    assert int(np.argmax(importance)) == 2
    assert importance[2] > 0.5
    np.testing.assert_allclose(np.delete(importance, 2), 0.0, atol=1e-6)


def test_electrode_importance_leaves_the_trials_untouched():
    trials = make_trials(np.random.default_rng(1))
    before = [t.hg.copy() for t in trials]
    electrode_importance(OneElectrodeDecoder(2), trials)
    for t, hg in zip(trials, before):
        np.testing.assert_array_equal(t.hg, hg)
