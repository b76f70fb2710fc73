"""The interactive explorer of notebook 8: pick a participant, a test sentence and methods; listen and look.

`ExplorerData` computes (decoders are trained on first use and kept in memory); `static_view` and
`plots.explorer_view` draw; `explorer` wires ipywidgets around them. Without a Jupyter frontend
(papermill, nbval) the notebook calls `static_view` only.
"""
from __future__ import annotations

import dataclasses
import functools
import io
import textwrap
import warnings
from pathlib import Path

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

    participants: each a simulation seed (int: that simulated participant of the profile, hearing `corpus`) or
    the path of a recording file (any format `io.load` reads); methods: names from `experiment.METHODS`;
    corpus: the speech of phase 1 and the simulated participants' (`profiles.corpora_of`; None: the profile's).
    Everything is computed on first use and memoised.
    """

    def __init__(self, profile: str, participants=(0,), methods=("transfer", "ridge"), seed: int = 0,
                 corpus=None):
        self.profile, self.participants, self.methods, self.seed = profile, tuple(participants), tuple(methods), seed
        self.corpus = corpus
        self.n_iter = experiment.settings(profile)["griffin_lim_iters"]

    @staticmethod
    def label(participant) -> str:
        """How the pickers name a participant: 'simulated participant N' or the recording's file name."""
        if isinstance(participant, (int, np.integer)):
            return f"simulated participant {participant}"
        return Path(participant).name

    @functools.lru_cache(maxsize=None)
    def recording(self, participant):
        if isinstance(participant, (int, np.integer)):
            return experiment.load_participant(self.profile, seed=int(participant), corpus=self.corpus)
        return experiment.load_participant(self.profile, participant)

    @functools.lru_cache(maxsize=None)
    def test_trials(self, participant) -> list:
        return experiment.split_trials(self.recording(participant))["test"]

    def sentences(self, participant) -> list[str]:
        """Texts of the participant's test trials, in order (repeats of a sentence are separate trials)."""
        return [t.text for t in self.test_trials(participant)]

    def longest_sentence(self, participant) -> int:
        """Index of the participant's longest test trial (the one the explorer opens on)."""
        return int(np.argmax([len(t.mel) for t in self.test_trials(participant)]))

    @functools.lru_cache(maxsize=None)
    def decoder(self, participant, method: str):
        ae = experiment.pretrained_autoencoder(self.profile, self.corpus) if method in experiment.USES_AUTOENCODER else None
        return experiment.train_method(method, self.recording(participant), self.profile, self.seed, ae)

    def true_mel(self, participant, sentence: int) -> np.ndarray:
        """(T, 80) dB log-mel of what the participant heard (or said)."""
        return self.test_trials(participant)[sentence].mel

    def decoded_mel(self, participant, sentence: int, method: str) -> np.ndarray:
        """(T, 80) dB log-mel decoded by `method` from the trial's high-gamma."""
        return self.decoder(participant, method).predict(self.test_trials(participant)[sentence].hg)

    def heard_audio(self, participant, sentence: int) -> np.ndarray:
        """(N,) 16 kHz audio of the trial."""
        return experiment.reference_audio(self.recording(participant), self.test_trials(participant)[sentence])

    def decoded_audio(self, participant, sentence: int, method: str) -> np.ndarray:
        """(N,) 16 kHz Griffin-Lim waveform of the decoded log-mel."""
        return A.griffin_lim(self.decoded_mel(participant, sentence, method), n_iter=self.n_iter)

    @functools.lru_cache(maxsize=None)
    def importance(self, participant, method: str) -> np.ndarray:
        """(E,) electrode importance on all electrodes of the recording (NaN for bad electrodes)."""
        rec = self.recording(participant)
        full = np.full(rec.n_electrodes, np.nan, dtype=np.float32)
        # Trial.hg holds the good electrodes in recording order (data.good_electrode_names)
        full[rec.good_electrodes()] = electrode_importance(self.decoder(participant, method), self.test_trials(participant))
        return full


def static_view(explorer: ExplorerData, participant, sentence: int, methods=None, importance_of: str | None = None):
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
    """ipywidgets UI: participant, sentence and method pickers; the figure of `static_view` and an audio player
    for the heard and each decoded sentence. It opens drawn, on the first participant's longest test sentence.

    The figure is a PNG in an Image widget and the players are Audio widgets holding WAV bytes, so the view is
    the widgets' state: it shows in JupyterLab as soon as it is displayed, whatever ran before."""
    import ipywidgets as W
    import matplotlib.pyplot as plt

    participant = W.Dropdown(options=[(explorer_data.label(p), p) for p in explorer_data.participants],
                             description="participant")
    sentence = W.Dropdown(description="sentence", layout=W.Layout(width="60%"))
    methods = W.SelectMultiple(options=explorer_data.methods, value=explorer_data.methods[:2], description="methods")
    figure, players = W.Image(format="png"), W.VBox()

    def update_sentences(*_):
        sentence.options = [(f"{i}: {text}", i) for i, text in enumerate(explorer_data.sentences(participant.value))]
        sentence.value = explorer_data.longest_sentence(participant.value)

    def redraw(*_):
        if sentence.value is None or not methods.value:
            return
        fig = static_view(explorer_data, participant.value, sentence.value, methods.value)
        figure.value = png_bytes(fig)
        plt.close(fig)
        waves = {"heard": explorer_data.heard_audio(participant.value, sentence.value)}
        waves.update({method: explorer_data.decoded_audio(participant.value, sentence.value, method)
                      for method in methods.value})
        players.children = [W.VBox([W.Label(label), W.Audio(value=wav_bytes(wave), format="wav", autoplay=False)])
                            for label, wave in waves.items()]

    update_sentences()
    redraw()
    participant.observe(update_sentences, names="value")
    for control in (sentence, methods):
        control.observe(redraw, names="value")
    return W.VBox([W.HBox([participant, methods]), sentence, W.HBox([figure, players])])


def png_bytes(fig) -> bytes:
    """The figure as PNG bytes (the explorer's Image widget)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=plots.DPI, bbox_inches="tight")
    return buffer.getvalue()


def wav_bytes(wave: np.ndarray) -> bytes:
    """(N,) 16 kHz float audio as 16-bit WAV bytes (the explorer's Audio widgets)."""
    import soundfile

    buffer = io.BytesIO()
    soundfile.write(buffer, np.clip(wave, -1.0, 1.0), A.SAMPLE_RATE, format="WAV", subtype="PCM_16")
    return buffer.getvalue()
