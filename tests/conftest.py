"""Fixtures shared by the phase-2 tests (test_methods.py, test_experiment.py)."""
import pytest
from phase2_fakes import fake_recording

from n2s_lite import methods


@pytest.fixture(scope="module")
def rec():
    """A small simulated recording (24 sentences, 8 electrodes); modules with their own `rec` override it."""
    return fake_recording()


@pytest.fixture(scope="module")
def trials(rec):
    """`rec` split into train / val / test trials by sentence."""
    return methods.split_trials(rec)
