"""scripts/pretraining_scale.py: which phase-1 speech a point takes, and the refusal of a pool sharing a voice
with the stimuli (the experiment itself is run by hand: figures/pretraining_scale_cpu.json)."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from script_loading import load_script

from n2s_lite import audio as A
from n2s_lite import corpora
from n2s_lite.errors import InputError

scale = load_script("pretraining_scale")


def corpus(speakers=("a", "b", "c"), per_speaker=4, seconds=1.0) -> corpora.Corpus:
    audio = np.zeros(int(seconds * A.SAMPLE_RATE), np.float32)
    return corpora.Corpus("pool", tuple(corpora.Utterance(f"{s}{i}", s, f"{s} says {i}", audio)
                                        for i in range(per_speaker) for s in speakers))


def test_points_take_speakers_in_turn_up_to_the_minutes():
    train, val = scale.choose(corpus(), corpus(per_speaker=2), ["a", "b"], minutes=5 / 60)
    assert [u.id for u in train] == ["a0", "b0", "a1", "b1", "a2"]  # one of each speaker in turn, 5 s
    assert [u.id for u in val] == ["a0", "b0"]  # VAL_SHARE of 5 s: 1.25 s, whole utterances
    everything, _ = scale.choose(corpus(), corpus(), ["c"], minutes=60)
    assert [u.id for u in everything] == ["c0", "c1", "c2", "c3"]  # a speaker's speech runs out


def test_a_pool_sharing_a_voice_with_the_stimuli_is_refused(tmp_path):
    for name, speakers in (("pool", ("x", "shared")), ("stimuli", ("shared",))):
        for speaker in speakers:
            (tmp_path / name / speaker).mkdir(parents=True)
            sf.write(tmp_path / name / speaker / "u.wav", np.zeros(1600, np.float32), A.SAMPLE_RATE)
    with pytest.raises(InputError, match="1 shared"):
        scale.main(["--pool", f"folder:{tmp_path / 'pool'}", "--stimuli", f"folder:{tmp_path / 'stimuli'}",
                    "--out", str(tmp_path / "out.json")])
    assert not (tmp_path / "out.json").exists()
