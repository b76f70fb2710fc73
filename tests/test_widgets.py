"""Tests of the explorer: its compute layer, and the widgets it opens with (built, not displayed)."""
import numpy as np
from phase2_fakes import fake_recording

from n2s_lite.data import Trial
from n2s_lite.widgets import ExplorerData, electrode_importance, explorer


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


class FakeExplorerData(ExplorerData):
    """The explorer's data on a small fake recording, with a decoder that copies one electrode (nothing trained)."""

    def recording(self, participant):
        return fake_recording(seed=int(participant) if isinstance(participant, int) else 9)

    def decoder(self, participant, method):
        return OneElectrodeDecoder(1 if method == "ridge" else 2)


def test_the_explorer_opens_drawn_on_the_longest_test_sentence():
    import matplotlib

    matplotlib.use("Agg")
    data = FakeExplorerData("smoke", participants=(0, "/data/sub-07.h5"), methods=("transfer", "ridge"))
    view = explorer(data)
    (participant, methods), sentence, (figure, players) = view.children[0].children, view.children[1], view.children[2].children
    assert [label for label, _value in participant.options] == ["simulated participant 0", "sub-07.h5"]
    assert sentence.value == data.longest_sentence(0) == int(np.argmax([len(t.mel) for t in data.test_trials(0)]))
    assert bytes(figure.value).startswith(b"\x89PNG")
    assert [box.children[0].value for box in players.children] == ["heard", "transfer", "ridge"]
    assert all(bytes(box.children[1].value).startswith(b"RIFF") for box in players.children)
    before = bytes(figure.value)
    participant.value = "/data/sub-07.h5"  # another participant: its sentences, redrawn
    assert sentence.value == data.longest_sentence("/data/sub-07.h5")
    assert bytes(figure.value).startswith(b"\x89PNG") and bytes(figure.value) != bytes(before)
