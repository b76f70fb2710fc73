"""`Utterance` and `Corpus`: transcribed speech held in memory, with deterministic hash splits.

Every split is decided by a stable hash (SHA-1) of the utterance's *sentence*: its transcript, lower-cased
and stripped of punctuation, in any script (or its id when it has no transcript). So the same split comes out on every
machine and run, adding or removing one utterance never moves another, and two recordings of the same
sentence (a repeated prompt, or one sentence read by several voices) always land on the same side:
test sentences never appear in training.
"""
from __future__ import annotations

import bisect
import collections
import dataclasses
import functools
import hashlib
import re
from typing import Iterable, Iterator

import numpy as np

from ..audio import SAMPLE_RATE
from ..errors import InputError

SPLIT_FRACTIONS = {"train": 0.8, "val": 0.1, "test": 0.1}
SPLIT_SALT = "split"
ROLE_SALT = "role"


@dataclasses.dataclass(frozen=True, eq=False)
class Utterance:
    """One transcribed recording. `audio` is (N,) float32 at 16 kHz in [-1, 1], read-only."""

    id: str
    speaker: str
    text: str
    audio: np.ndarray = dataclasses.field(repr=False)

    def __post_init__(self):
        audio = np.array(self.audio, dtype=np.float32)  # a private copy, so the cached corpus stays intact
        if audio.ndim != 1:
            raise InputError(self.id, "audio", "a (N,) mono waveform", f"shape {audio.shape}")
        audio.flags.writeable = False
        object.__setattr__(self, "audio", audio)

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return len(self.audio) / SAMPLE_RATE

    @property
    def sentence(self) -> str:
        """What the split hash sees: the transcript's `sentence_key`, or the id if the transcript has no words."""
        return sentence_key(self.text) or self.id


def sentence_key(text: str) -> str:
    """A transcript's lower-case words (runs of letters and digits of any script) joined by spaces.

    'Hello, there!' -> 'hello there'; 'Привет!' -> 'привет'; '[tone]' -> 'tone'; '...' -> ''.
    """
    return " ".join(re.findall(r"[^\W_]+", str(text).lower()))


def unit_hash(key: str) -> float:
    """Stable hash of a string onto [0, 1) (first 8 bytes of its SHA-1)."""
    return int.from_bytes(hashlib.sha1(key.encode("utf-8")).digest()[:8], "big") / 2**64


@dataclasses.dataclass(frozen=True, eq=False)
class Corpus:
    """An ordered, immutable collection of utterances with its provenance.

    `n_skipped` counts recordings the loader left out (e.g. tones and silences without speech).
    """

    name: str
    utterances: tuple[Utterance, ...]
    license: str = "unknown"
    source: str = ""
    n_skipped: int = 0

    def __post_init__(self):
        object.__setattr__(self, "utterances", tuple(self.utterances))
        duplicates = sorted(i for i, n in collections.Counter(self.ids).items() if n > 1)
        if duplicates:
            raise InputError(self.source or self.name, "utterance ids", "unique ids", f"duplicates {duplicates[:5]}")

    def __len__(self) -> int:
        return len(self.utterances)

    def __getitem__(self, index: int) -> Utterance:
        return self.utterances[index]

    def __iter__(self) -> Iterator[Utterance]:
        return iter(self.utterances)

    def __repr__(self) -> str:
        return f"Corpus({self.name!r}, {len(self)} utterances, {self.duration / 60:.1f} min)"

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(u.id for u in self.utterances)

    @property
    def speakers(self) -> tuple[str, ...]:
        """Distinct speakers, sorted."""
        return tuple(sorted({u.speaker for u in self.utterances}))

    @property
    def duration(self) -> float:
        """Total audio in seconds (each utterance's `duration`: a file-backed one reads only its header)."""
        return sum(u.duration for u in self.utterances)

    def summary(self) -> dict:
        """Name, size, speakers, minutes, licence, source and how many recordings the loader skipped."""
        return dict(name=self.name, n_utterances=len(self), n_speakers=len(self.speakers),
                    minutes=round(self.duration / 60, 2), license=self.license, source=self.source,
                    n_skipped=self.n_skipped)

    def partition(self, fractions: dict[str, float], salt: str) -> dict[str, Corpus]:
        """Deterministic hash partition into named parts of about the given fractions.

        Fractions must be positive and sum to at most 1; with a smaller sum the remainder is left out.
        Different salts give independent partitions. Utterances of the same sentence stay together.
        """
        names, bounds = _cumulative_bounds(fractions)
        parts: dict[str, list[Utterance]] = {name: [] for name in names}
        for utterance in self.utterances:
            index = bisect.bisect_right(bounds, unit_hash(f"{salt}:{utterance.sentence}"))
            if index < len(names):
                parts[names[index]].append(utterance)
        return {name: self._derived(name, members) for name, members in parts.items()}

    def split(self, which: str) -> Corpus:
        """The 'train', 'val' or 'test' part of the fixed 80/10/10 sentence-level split."""
        if which not in SPLIT_FRACTIONS:
            raise ValueError(f"unknown split {which!r}: expected one of {sorted(SPLIT_FRACTIONS)}")
        return self.partition(SPLIT_FRACTIONS, salt=SPLIT_SALT)[which]

    def _derived(self, part: str, utterances: list[Utterance]) -> Corpus:
        return Corpus(f"{self.name}/{part}", tuple(utterances), license=self.license, source=self.source)


def _cumulative_bounds(fractions: dict[str, float]) -> tuple[list[str], list[float]]:
    """Part names and the upper end of each part's hash interval."""
    if not fractions or any(not 0 < f <= 1 for f in fractions.values()):
        raise ValueError(f"fractions must be a non-empty dict of values in (0, 1], got {fractions!r}")
    total = sum(fractions.values())
    if total > 1 + 1e-9:
        raise ValueError(f"fractions must sum to at most 1, got {total:g} from {fractions!r}")
    bounds = list(np.cumsum(list(fractions.values())))
    if total > 1 - 1e-9:
        bounds[-1] = 1.0  # rounding must not leave a sliver of utterances out
    return list(fractions), bounds


def pretraining_and_stimuli(corpus: Corpus, *, pretrain: float = 0.6, stimuli: float = 0.4) -> tuple[Corpus, Corpus]:
    """Split a corpus by the project rule: autoencoder pre-training speech never contains a stimulus sentence.

    Phase 1 pre-trains the speech autoencoder on `pretrain` (default 60 % of the sentences); the
    (simulated) neural experiment plays only `stimuli` (default 40 %). The two are decided by a sentence
    hash with salt "role", so they are disjoint by sentence, not only by recording, and independent of
    `Corpus.split`: the stimuli can be split into train/val/test for the adaptor in turn.
    """
    parts = corpus.partition({"pretrain": pretrain, "stimuli": stimuli}, salt=ROLE_SALT)
    return parts["pretrain"], parts["stimuli"]


def combine(corpora: Iterable[Corpus]) -> Corpus:
    """One corpus holding the utterances of several, in order (e.g. several languages for pre-training).

    Its name joins the names with '+'; ids must stay unique across the corpora (InputError otherwise).
    """
    corpora = list(corpora)
    if not corpora:
        raise ValueError("combine needs at least one corpus")
    if len(corpora) == 1:
        return corpora[0]
    return Corpus("+".join(c.name for c in corpora), tuple(u for c in corpora for u in c),
                  license="; ".join(dict.fromkeys(c.license for c in corpora)),
                  source="; ".join(c.source for c in corpora), n_skipped=sum(c.n_skipped for c in corpora))


_CACHED_BUILDERS = []


def cached_builder(build):
    """Memoise a corpus builder on its (resolved) arguments, so loading the same corpus twice is free."""
    memoised = functools.lru_cache(maxsize=2)(build)
    _CACHED_BUILDERS.append(memoised)
    return memoised


def clear_cache() -> None:
    """Forget every corpus loaded so far in this process (e.g. after files changed on disk)."""
    for memoised in _CACHED_BUILDERS:
        memoised.cache_clear()
