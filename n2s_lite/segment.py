"""A continuous stimulus (a podcast, a story) cut into trials at the pauses of its word transcript, and the trials
split into contiguous blocks of the story.

A trial is a run of words whose silent gaps (next word's start minus the previous word's end) are all shorter
than `min_pause_s`, cut earlier where the run would exceed `max_trial_s`. Words without a usable onset (start or
end NaN, or end before start) are kept in the text of the trial they sit in (words before the first timed word go
to the first trial) but never decide a trial's bounds, so a missing onset neither splits nor drops its neighbours.

Splits are blocks of consecutive trials (train first, then val, then test at the end of the story), never
interleaved: neighbouring frames of one passage never land on both sides of a split.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import InputError

MIN_PAUSE_S = 0.3  # a silent gap at least this long between two words ends a trial
MAX_TRIAL_S = 10.0  # a trial never spans more than this; longer runs are cut before the word that would exceed it
TEST_FRACTION = 0.1
VAL_FRACTION = 0.1
SPLIT_SOURCE = ("contiguous blocks of the story (segment.contiguous_splits): the first {train:.0%} of the trials "
                "train, the next {val:.0%} val, the last {test:.0%} test")


def read_transcript(path, columns=("word", "start", "end")) -> pd.DataFrame:
    """A word transcript CSV (word, start s, end s; empty or NaN times allowed) -> DataFrame word, start, end."""
    try:
        table = pd.read_csv(path, encoding="utf-8-sig", keep_default_na=True)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(path, "file", "a readable word transcript CSV", f"{type(exc).__name__}: {exc}") from exc
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise InputError(path, "columns", f"columns {list(columns)}", f"columns {list(table.columns)}")
    word, start, end = columns
    times = {name: pd.to_numeric(table[name], errors="coerce").to_numpy(np.float64) for name in (start, end)}
    return pd.DataFrame({"word": table[word].fillna("").astype(str), "start": times[start], "end": times[end]})


def at_pauses(words: pd.DataFrame, min_pause_s: float = MIN_PAUSE_S, max_trial_s: float = MAX_TRIAL_S,
              source="<transcript>") -> pd.DataFrame:
    """Words (word, start, end in seconds, in spoken order) -> trials: start_s, end_s, text, n_words, n_untimed.

    Raises InputError (naming `source`) if no word has a usable onset.
    """
    start, end = words["start"].to_numpy(np.float64), words["end"].to_numpy(np.float64)
    timed = np.isfinite(start) & np.isfinite(end) & (end >= start)
    if not timed.any():
        raise InputError(source, "start", "words with onsets and offsets in seconds",
                         f"no usable onset among {len(words)} words")
    trials, current, pending = [], None, []
    for word, first, last, ok in zip(words["word"].astype(str), start, end, timed):
        if not ok:
            (current["words"] if current else pending).append(word)
            if current:
                current["untimed"] += 1
            continue
        if current and (first - current["end"] >= min_pause_s or last - current["start"] > max_trial_s):
            trials.append(current)
            current = None
        if current is None:
            current = dict(start=first, end=last, words=pending + [word], untimed=len(pending))
            pending = []
        else:
            current["end"] = max(current["end"], last)
            current["words"].append(word)
    trials.append(current)
    return pd.DataFrame({"start_s": [t["start"] for t in trials], "end_s": [t["end"] for t in trials],
                         "text": [" ".join(w for w in t["words"] if w.strip()) for t in trials],
                         "n_words": [len(t["words"]) for t in trials], "n_untimed": [t["untimed"] for t in trials]})


def contiguous_splits(n_trials: int, test_fraction: float = TEST_FRACTION,
                      val_fraction: float = VAL_FRACTION) -> list[str]:
    """Split labels for n_trials consecutive trials: a train block, then val, then test (each >= 1 trial when
    n_trials >= 3)."""
    n_test = max(1, int(round(test_fraction * n_trials))) if n_trials >= 3 else 0
    n_val = max(1, int(round(val_fraction * n_trials))) if n_trials >= 3 else 0
    return ["train"] * (n_trials - n_val - n_test) + ["val"] * n_val + ["test"] * n_test


def split_source(test_fraction: float = TEST_FRACTION, val_fraction: float = VAL_FRACTION) -> str:
    """The sentence recorded in Recording.metadata['split_source'] for `contiguous_splits`."""
    return SPLIT_SOURCE.format(train=1 - test_fraction - val_fraction, val=val_fraction, test=test_fraction)
