"""On-disk cache of expensive products (pre-trained autoencoder, simulated recordings), keyed by config.

The key is a hash of the JSON configuration and of the package's source code, so neither a changed
setting nor a changed simulator or model reuses a stale product. Location: $N2S_CACHE, else
~/.cache/n2s-lite.
"""
from __future__ import annotations

import hashlib
import json
import functools
import os
from pathlib import Path
from typing import Callable

from . import __version__
from .utils import atomic_path


def cache_dir() -> Path:
    return Path(os.environ.get("N2S_CACHE", Path.home() / ".cache" / "n2s-lite"))


# Modules that only present or orchestrate results: editing them cannot change a cached product.
PRESENTATION_MODULES = {"plots.py", "widgets.py", "reproduce.py", "cli.py", "bench.py"}


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Hash of the n2s_lite source files that make products (all but PRESENTATION_MODULES)."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        if path.relative_to(package).as_posix() in PRESENTATION_MODULES:
            continue
        digest.update(str(path.relative_to(package)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def config_key(config: dict) -> str:
    """Stable 16-hex-digit hash of a JSON-serialisable configuration, the version and the code fingerprint."""
    text = json.dumps({"config": config, "version": __version__, "code": code_fingerprint()},
                      sort_keys=True, default=str)
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
