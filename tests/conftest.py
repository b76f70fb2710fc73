"""Fixtures shared by the phase-2 tests (test_methods.py, test_experiment.py) and the bench tests."""
import pandas as pd
import pytest
import torch
from phase2_fakes import fake_recording, tiny_autoencoder

from n2s_lite import experiment as X
from n2s_lite import leakage, methods
from n2s_lite import vocoder as V


@pytest.fixture(scope="module")
def rec():
    """A small simulated recording (24 sentences, 8 electrodes); modules with their own `rec` override it."""
    return fake_recording()


@pytest.fixture(scope="module")
def trials(rec):
    """`rec` split into train / val / test trials by sentence."""
    return methods.split_trials(rec)


@pytest.fixture
def fake_phase_1(tmp_path, monkeypatch):
    """A fresh cache, a small fake participant and autoencoder and a constant held-out quality in place of the
    profile's; returns the list of (what, corpus) the bench asked for."""
    monkeypatch.setenv("N2S_CACHE", str(tmp_path / "cache"))
    rec, ae, asked = fake_recording(), tiny_autoencoder(), []

    def participant(profile, seed=0, corpus=None, snr=None):
        asked.append(("participant", corpus))
        return rec

    def pretrained_autoencoder(profile, corpus=None):
        asked.append(("autoencoder", corpus))
        return ae

    def pretrained_vocoder(profile, corpus=None):
        asked.append(("vocoder", corpus))
        return inverter

    def autoencoder_quality(ae, n_utterances, n_iter, workers, *, corpus, vocoder=None):
        asked.append(("held-out speech", corpus))
        assert vocoder is inverter
        return pd.DataFrame({m: [0.5] for m in X.QUALITY_COLUMNS})

    def pretraining_sentences(corpus):
        asked.append(("pretraining sentences", corpus))
        return frozenset({"a sentence no participant heard"})

    torch.manual_seed(0)
    inverter = V.SpectralInverter(channels=8, blocks=1)
    inverter.history = [dict(epoch=0, val_loss=1.0)]  # as `vocoder.load` gives it
    monkeypatch.setattr(V, "pretrained", pretrained_vocoder)
    monkeypatch.setattr(X, "participant", participant)
    monkeypatch.setattr(X, "pretrained_autoencoder", pretrained_autoencoder)
    monkeypatch.setattr(X, "autoencoder_quality", autoencoder_quality)
    monkeypatch.setattr(leakage, "pretraining_sentences", pretraining_sentences)
    return asked
