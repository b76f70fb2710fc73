"""On-disk cache of expensive products (pre-trained autoencoder, simulated recordings), keyed by config.

The key is a hash of the JSON configuration and the package version, so a changed setting never reuses
a stale product. Location: $N2S_CACHE, else ~/.cache/n2s-lite.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Callable

from . import __version__
from .utils import atomic_path


def cache_dir() -> Path:
    return Path(os.environ.get("N2S_CACHE", Path.home() / ".cache" / "n2s-lite"))


def config_key(config: dict) -> str:
    """Stable 16-hex-digit hash of a JSON-serialisable configuration (and the package version)."""
    text = json.dumps({"config": config, "version": __version__}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def cached(kind: str, config: dict, build: Callable[[Path], None], suffix: str = ".h5") -> Path:
    """Path of the product `kind` made from `config`; `build(tmp_path)` writes it if it is not cached yet.

    The product is written to a temporary file and moved into place, so an interrupted build leaves
    nothing half-written behind.
    """
    path = cache_dir() / kind / f"{config_key(config)}{suffix}"
    if not path.exists():
        with atomic_path(path) as tmp:
            build(tmp)
        with atomic_path(path.with_suffix(".json")) as tmp:
            tmp.write_text(json.dumps(config, indent=2, sort_keys=True, default=str))
    return path
