"""The interactive explorer of notebook 8: pick a participant, a test sentence and methods; listen and look.

`ExplorerData` computes (decoders are trained on first use and kept in memory); `static_view` and
`plots.explorer_view` draw; `explorer` wires ipywidgets around them. Without a Jupyter frontend
(papermill, nbval) the notebook calls `static_view` only.
"""
from __future__ import annotations

import dataclasses
import functools
import textwrap
import warnings

import numpy as np

from . import audio as A
from . import experiment, metrics, plots


def electrode_importance(decoder, trials: list) -> np.ndarray:
    """(E_good,) drop in mean spectrogram correlation over `trials` when one electrode is silenced.

    Occlusion: each electrode's z-scored high-gamma is set to 0 (its training mean) in turn; a large
    drop means the decoder relies on that electrode. Works for any decoder with .predict(hg).
    """
    def mean_r(items):  # a constant prediction (undefined correlation) counts as r = 0
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            values = [metrics.spectrogram_correlation(t.mel, decoder.predict(t.hg)) for t in items]
        return float(np.mean(np.nan_to_num(values, nan=0.0)))

    baseline = mean_r(trials)
    drops = []
    for e in range(trials[0].hg.shape[1]):
        silenced = [dataclasses.replace(t, hg=_zero_column(t.hg, e)) for t in trials]
        drops.append(baseline - mean_r(silenced))
    return np.asarray(drops, dtype=np.float32)


def _zero_column(hg: np.ndarray, column: int) -> np.ndarray:
    out = hg.copy()
    out[:, column] = 0.0
    return out


class ExplorerData:
    """Recordings, decoders, decoded test sentences and electrode importance for the explorer.

    participants: simulation seeds (one simulated participant each, `experiment.participant`);
    methods: names from `experiment.METHODS`. Everything is computed on first use and memoised.
    """

    def __init__(self, profile: str, participants=(0,), methods=("transfer", "ridge"), seed: int = 0):
        self.profile, self.participants, self.methods, self.seed = profile, tuple(participants), tuple(methods), seed
        self.n_iter = experiment.settings(profile)["griffin_lim_iters"]

    @functools.lru_cache(maxsize=None)
    def recording(self, participant: int):
        return experiment.participant(self.profile, participant)

    @functools.lru_cache(maxsize=None)
    def test_trials(self, participant: int) -> list:
        return experiment.split_trials(self.recording(participant))["test"]

    def sentences(self, participant: int) -> list[str]:
        """Texts of the participant's test trials, in order (repeats of a sentence are separate trials)."""
        return [t.text for t in self.test_trials(participant)]

    @functools.lru_cache(maxsize=None)
    def decoder(self, participant: int, method: str):
        ae = experiment.pretrained_autoencoder(self.profile) if method != "ridge" else None
        return experiment.train_method(method, self.recording(participant), self.profile, self.seed, ae)

    def true_mel(self, participant: int, sentence: int) -> np.ndarray:
        """(T, 80) dB log-mel of what the participant heard."""
        return self.test_trials(participant)[sentence].mel

    def decoded_mel(self, participant: int, sentence: int, method: str) -> np.ndarray:
        """(T, 80) dB log-mel decoded by `method` from the trial's high-gamma."""
        return self.decoder(participant, method).predict(self.test_trials(participant)[sentence].hg)

    def heard_audio(self, participant: int, sentence: int) -> np.ndarray:
        """(N,) 16 kHz audio the participant heard."""
        return experiment.reference_audio(self.recording(participant), self.test_trials(participant)[sentence])

    def decoded_audio(self, participant: int, sentence: int, method: str) -> np.ndarray:
        """(N,) 16 kHz Griffin-Lim waveform of the decoded log-mel."""
        return A.griffin_lim(self.decoded_mel(participant, sentence, method), n_iter=self.n_iter)

    @functools.lru_cache(maxsize=None)
    def importance(self, participant: int, method: str) -> np.ndarray:
        """(E,) electrode importance on all electrodes of the recording (NaN for bad electrodes)."""
        rec = self.recording(participant)
        full = np.full(rec.n_electrodes, np.nan, dtype=np.float32)
        # Trial.hg holds the good electrodes in recording order (data.good_electrode_names)
        full[rec.good_electrodes()] = electrode_importance(self.decoder(participant, method), self.test_trials(participant))
        return full


def static_view(explorer: ExplorerData, participant: int, sentence: int, methods=None, importance_of: str | None = None):
    """Figure: heard and decoded spectrograms of one test sentence, and the electrode importance of one method."""
    methods = tuple(methods or explorer.methods)
    importance_of = importance_of or methods[0]
    text = explorer.sentences(participant)[sentence]
    true = explorer.true_mel(participant, sentence)
    mels = {f"heard: {textwrap.shorten(text, 80, placeholder=' ...')!r}": true}  # a paragraph would widen the figure
    for method in methods:
        decoded = explorer.decoded_mel(participant, sentence, method)
        mels[f"{method} (r = {metrics.spectrogram_correlation(true, decoded):.2f})"] = decoded
    rec = explorer.recording(participant)
    return plots.explorer_view(mels, rec.electrodes, explorer.importance(participant, importance_of),
                               f"electrodes driving '{importance_of}' (drop in r when silenced)")


def explorer(explorer_data: ExplorerData):
    """ipywidgets UI: participant, sentence and method pickers; spectrograms, electrode map and audio players."""
    import ipywidgets as W
    import matplotlib.pyplot as plt
    from IPython.display import Audio, display

    participant = W.Dropdown(options=explorer_data.participants, description="participant")
    sentence = W.Dropdown(description="sentence", layout=W.Layout(width="60%"))
    methods = W.SelectMultiple(options=explorer_data.methods, value=explorer_data.methods[:2], description="methods")
    figure, players = W.Output(), W.Output()

    def update_sentences(*_):
        sentence.options = [(f"{i}: {text}", i) for i, text in enumerate(explorer_data.sentences(participant.value))]

    def redraw(*_):
        if sentence.value is None or not methods.value:
            return
        with figure:
            figure.clear_output(wait=True)
            print("decoding (decoders are trained on first use)...")
            fig = static_view(explorer_data, participant.value, sentence.value, methods.value)
            figure.clear_output(wait=True)
            display(fig)
            plt.close(fig)
        with players:
            players.clear_output(wait=True)
            print("heard")
            display(Audio(explorer_data.heard_audio(participant.value, sentence.value), rate=A.SAMPLE_RATE))
            for method in methods.value:
                print(method)
                display(Audio(explorer_data.decoded_audio(participant.value, sentence.value, method), rate=A.SAMPLE_RATE))

    participant.observe(update_sentences, names="value")
    for control in (participant, sentence, methods):
        control.observe(redraw, names="value")
    update_sentences()
    return W.VBox([W.HBox([participant, methods]), sentence, W.HBox([figure, players])])
