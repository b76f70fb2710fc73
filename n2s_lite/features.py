"""On-disk, memory-mapped cache of per-utterance speech features (the log-mel of `audio.log_mel`, a speech model's
hidden states), so phase 1 can learn from hours of speech without holding its audio or features in memory.

    mels = features.log_mels(corpus)          # a FeatureStore: mels[i] is utterance i's (T_i, 80) dB log-mel
    mels.ids, len(mels), mels.frames          # read lazily from disk: crops touch only the pages they read

A store is one folder `$N2S_CACHE/features/<key>/` holding `frames.bin` (every utterance's (T_i, C) rows one
after another, raw little-endian float32), `index.npz` (ids, offsets) and `config.json`. It is built one
utterance at a time (decoded, featurised, appended, forgotten) into a temporary folder renamed into place when
complete, so an interrupted build leaves nothing behind. The key hashes what decides the features, like the
package's other cached products (`cache.config_key`): the feature's settings (e.g. `audio.mel_params()`), the
source code that computes them, and the utterances themselves: their ids and their audio, by content for
utterances held in memory and by file path, size and modification time for file-backed ones
(`corpora.librispeech.FlacUtterance`), whose content is too large to hash on every load.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from tqdm.auto import tqdm

from . import audio as A
from . import cache

DTYPE = np.dtype("<f4")


@dataclass(frozen=True)
class FeatureStore:
    """Features of a sequence of utterances: store[i] is a (T_i, dim) float32 array backed by the file
    (copy-on-write: changing it never changes the cache). ids: the utterances' ids in order."""

    path: Path
    ids: tuple[str, ...]
    offsets: np.ndarray  # (n + 1,) first row of each utterance, then the total
    data: np.ndarray  # (total rows, dim) memory map

    @classmethod
    def open(cls, path) -> FeatureStore:
        path = Path(path)
        index = np.load(path / "index.npz")
        offsets, dim = index["offsets"], int(index["dim"])
        data = (np.memmap(path / "frames.bin", DTYPE, mode="c", shape=(int(offsets[-1]), dim)) if offsets[-1]
                else np.zeros((0, dim), DTYPE))
        return cls(path, tuple(str(i) for i in index["ids"]), offsets, data)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> np.ndarray:
        return self.data[self.offsets[i]:self.offsets[i + 1]]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    @property
    def dim(self) -> int:
        return self.data.shape[1]

    @property
    def frames(self) -> int:
        """Rows over all utterances."""
        return int(self.offsets[-1])

    def nonempty(self) -> list[np.ndarray]:
        """The (T_i, dim) arrays of utterances with at least one frame, in order."""
        return [self[i] for i in range(len(self)) if self.offsets[i + 1] > self.offsets[i]]


def utterances_fingerprint(utterances) -> str:
    """Hash of the ids and audio of a sequence of utterances (file-backed ones: path, size, mtime)."""
    digest = hashlib.sha256()
    for u in utterances:
        digest.update(u.id.encode() + b"\0")
        path = getattr(u, "path", None)
        if path is not None:
            stat = os.stat(path)
            digest.update(f"{Path(path).resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode())
        else:
            digest.update(np.ascontiguousarray(u.audio, np.float32).tobytes())
    return digest.hexdigest()[:16]


def cached_features(name: str, utterances, featurise: Callable[[np.ndarray], np.ndarray], settings: dict,
                    code: tuple[str, ...], progress: bool = True) -> FeatureStore:
    """The FeatureStore of featurise(u.audio) -> (T, dim) float32 for each utterance, built once.

    name: what the features are (e.g. 'log_mel'); settings: everything besides `code` (package modules whose
    source computes them) and the utterances that decides their values; all three key the store.
    """
    utterances = list(utterances)
    config = dict(kind="features", name=name, settings=settings, utterances=utterances_fingerprint(utterances),
                  n_utterances=len(utterances))
    folder = cache.cache_dir() / "features" / cache.config_key(config, code)
    if not (folder / "index.npz").exists():
        with cache.building(folder):
            if not (folder / "index.npz").exists():  # not built by another process while this one waited
                _build(folder, config, utterances, featurise, progress)
    return FeatureStore.open(folder)


def _build(folder: Path, config: dict, utterances: list, featurise: Callable, progress: bool) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".part", dir=folder.parent))
    try:
        offsets, dim = [0], None
        with open(scratch / "frames.bin", "wb") as frames:
            for u in tqdm(utterances, desc=f"{config['name']} features", disable=not progress, leave=False):
                values = np.ascontiguousarray(featurise(u.audio), DTYPE)
                if values.ndim != 2 or (dim is not None and values.shape[1] != dim):
                    raise ValueError(f"{u.id}: features must be (T, {dim or 'dim'}), got shape {values.shape}")
                dim = values.shape[1]
                frames.write(values.tobytes())
                offsets.append(offsets[-1] + len(values))
        np.savez(scratch / "index.npz", ids=np.array([u.id for u in utterances], dtype=str),
                 offsets=np.array(offsets, np.int64), dim=dim or 0)
        (scratch / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True, default=str))
        os.rename(scratch, folder)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def log_mels(utterances, progress: bool = True) -> FeatureStore:
    """Each utterance's (T_i, 80) dB log-mel (`audio.log_mel`, T_i = samples // 160), cached on disk."""
    return cached_features("log_mel", utterances, A.log_mel, dict(mel=A.mel_params()), code=("features",),
                           progress=progress)


def linear_powers(utterances, progress: bool = True) -> FeatureStore:
    """Each utterance's (T_i, 513) dB linear STFT power (`audio.linear_power_db`, the neural vocoder's target),
    cached on disk."""
    settings = dict(mel=A.mel_params(), linear_floor_db=A.LINEAR_FLOOR_DB)
    return cached_features("linear_power_db", utterances, A.linear_power_db, settings, code=("features",),
                           progress=progress)
