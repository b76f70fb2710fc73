import codecs

import numpy as np
import pandas as pd
import pytest

from n2s_lite import segment
from n2s_lite.errors import InputError

NAN = float("nan")


def _words(rows):
    return pd.DataFrame(rows, columns=["word", "start", "end"])


def test_trials_end_at_pauses_at_least_min_pause_long():
    words = _words([("a", 0.0, 0.2), ("b", 0.29, 0.5),  # gap 0.09 s: same trial
                    ("c", 0.5 + segment.MIN_PAUSE_S, 1.0),  # gap exactly the minimum pause: new trial
                    ("d", 1.2, 1.4), ("e", 2.0, 2.3)])
    trials = segment.at_pauses(words)
    assert trials["text"].tolist() == ["a b", "c d", "e"]
    assert trials[["start_s", "end_s"]].to_numpy().tolist() == [[0.0, 0.5], [0.8, 1.4], [2.0, 2.3]]


def test_words_without_onsets_keep_their_text_and_their_neighbours():
    words = _words([("so", NAN, NAN), ("once", 0.1, 0.3), ("upon", NAN, 0.5), ("a", 0.45, 0.6),
                    ("time", 1.5, 1.8), ("there", 1.8, NAN), ("was", 1.9, 2.1)])
    trials = segment.at_pauses(words)
    assert trials["text"].tolist() == ["so once upon a", "time there was"]
    assert trials["n_untimed"].tolist() == [2, 1]
    assert trials[["start_s", "end_s"]].to_numpy().tolist() == [[0.1, 0.6], [1.5, 2.1]]  # untimed words set no bound


def test_long_runs_are_cut_at_max_trial_length():
    words = _words([(f"w{i}", 0.25 * i, 0.25 * i + 0.2) for i in range(40)])  # 10 s of speech without a pause
    trials = segment.at_pauses(words, max_trial_s=3.0)
    assert (trials["end_s"] - trials["start_s"]).max() <= 3.0
    assert " ".join(trials["text"]).split() == words["word"].tolist()
    assert len(trials) == 4


def test_a_transcript_without_usable_onsets_names_its_file():
    words = _words([("a", NAN, 0.2), ("b", 0.5, NAN), ("c", 1.0, 0.4)])  # the last ends before it starts
    with pytest.raises(InputError, match="no usable onset among 3 words") as error:
        segment.at_pauses(words, source="story.csv")
    assert error.value.source == "story.csv" and error.value.field == "start"


def test_splits_are_contiguous_blocks_train_val_test():
    splits = segment.contiguous_splits(95)
    assert splits == ["train"] * 75 + ["val"] * 10 + ["test"] * 10
    assert segment.contiguous_splits(3) == ["train", "val", "test"]
    assert "80% of the trials train" in segment.split_source()


def test_read_transcript_takes_a_byte_order_mark_and_empty_onsets(tmp_path):
    path = tmp_path / "transcript.csv"
    path.write_bytes(codecs.BOM_UTF8 + b"word,start,end\nHello,0.1,0.4\nthere,,0.7\nfriend,nan,NaN\n")
    words = segment.read_transcript(path)
    assert words["word"].tolist() == ["Hello", "there", "friend"]
    assert words["start"].iloc[0] == 0.1 and np.isnan(words["start"].iloc[1:]).all()
    path.write_text("token,onset\nHello,0.1\n")
    with pytest.raises(InputError, match="columns") as error:
        segment.read_transcript(path)
    assert str(path) in str(error.value)
