"""On-disk cache of expensive products (pre-trained autoencoder, simulated recordings), keyed by config.

The key is a hash of the JSON configuration and of the source code of the modules that make the
product, so neither a changed setting nor a changed simulator or model reuses a stale product.
Location: $N2S_CACHE, else ~/.cache/n2s-lite.
"""
from __future__ import annotations

import ast
import hashlib
import json
import functools
import os
from pathlib import Path
from typing import Callable

from filelock import FileLock

from . import __version__
from .utils import atomic_path


def cache_dir() -> Path:
    """Where cached products live: $N2S_CACHE, else ~/.cache/n2s-lite."""
    return Path(os.environ.get("N2S_CACHE", Path.home() / ".cache" / "n2s-lite"))


def _module_file(package: Path, dotted: str) -> Path | None:
    """File of module `dotted` (relative to the package, '' for the package itself), or None."""
    base = package.joinpath(*dotted.split(".")) if dotted else package
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported_modules(package: Path, path: Path) -> set[str]:
    """Dotted names (relative to the package) of the package modules `path` imports with relative imports.

    A parent package's __init__ counts only when imported itself: ours only re-export names.
    """
    own = path.relative_to(package).with_suffix("").parts
    here = own[:-1]  # the package `path` belongs to (for an __init__.py, the package itself)
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.ImportFrom) or node.level == 0:
            continue
        base = here[: len(here) - (node.level - 1)] + (tuple(node.module.split(".")) if node.module else ())
        for name in node.names:
            target = ".".join(base + (name.name,))
            found.add(target if _module_file(package, target) else ".".join(base))
    return found


@functools.lru_cache(maxsize=None)
def code_fingerprint(*roots: str) -> str:
    """Hash of the code of package modules `roots` (e.g. 'neuro', 'autoencoder') and all they import.

    Only the code that makes a product keys it: editing the adaptor does not invalidate a cached
    simulated participant or pre-trained autoencoder, and neither do edits of comments or docstrings.
    No roots: every module of the package.
    """
    package = Path(__file__).resolve().parent
    if roots:
        todo, files = list(roots), set()
        while todo:
            path = _module_file(package, todo.pop())
            if path is None or path in files:
                continue
            files.add(path)
            todo.extend(_imported_modules(package, path))
    else:
        files = set(package.rglob("*.py"))
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(_code_without_docstrings(path).encode())
    return digest.hexdigest()[:16]


def _code_without_docstrings(path: Path) -> str:
    """The syntax tree of a module as text, without comments, docstrings or layout: what the code does."""
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(body, list) and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree)


def config_key(config: dict, code: tuple[str, ...] = ()) -> str:
    """Stable 16-hex-digit hash of a JSON-serialisable configuration, the version and `code_fingerprint(*code)`."""
    text = json.dumps({"config": config, "version": __version__, "code": code_fingerprint(*code)},
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def data_digest(*parts) -> str:
    """sha256 (16 hex digits) of arrays / bytes, to key cached products by the data they were made from."""
    import numpy as np

    digest = hashlib.sha256()
    for part in parts:
        digest.update(part if isinstance(part, bytes) else np.ascontiguousarray(part).tobytes())
    return digest.hexdigest()[:16]


def cached(kind: str, config: dict, build: Callable[[Path], None], suffix: str = ".h5",
           code: tuple[str, ...] = ()) -> Path:
    """Path of the product `kind` made from `config`; `build(tmp_path)` writes it if it is not cached yet.

    The product is written to a temporary file and moved into place, so an interrupted build leaves
    nothing half-written behind. Processes sharing the cache (test workers, a cohort's Snakemake jobs) build
    a product once: the first takes a lock file beside it (hidden, `.NAME.lock`) and the others wait for
    it, then load. code: the package modules whose source (with everything they import) makes the product,
    see `code_fingerprint`; empty means the whole package.
    """
    path = cache_dir() / kind / f"{config_key(config, code)}{suffix}"
    if path.exists():
        return path
    with building(path):
        if not path.exists():  # not built by another process while this one waited
            with atomic_path(path) as tmp:
                build(tmp)
            with atomic_path(path.with_suffix(".json")) as tmp:
                tmp.write_text(json.dumps(config, indent=2, sort_keys=True, default=str))
    return path


def building(product: Path) -> FileLock:
    """A lock on cache product `product` (a file or folder) for the duration of its build: `with building(p):`
    blocks while another process builds it. The lock file is hidden (`.NAME.lock`) beside it and stays."""
    product.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(product.with_name(f".{product.name}.lock"))


RESUME_SUFFIX = ".resume.pt"


def resume_path(kind: str, config: dict, code: tuple[str, ...] = ()) -> Path:
    """Where an interrupted training of the product `kind` made from `config` keeps its checkpoint."""
    return cache_dir() / kind / f"{config_key(config, code)}{RESUME_SUFFIX}"


def count_products(kinds) -> dict[str, int]:
    """{kind: finished products of that kind in the cache directory}: not their .json sidecars, half-written
    hidden temporaries or the checkpoints of interrupted trainings (`resume_path`)."""
    root = cache_dir()
    return {kind: sum(1 for path in (root / kind).glob("[!.]*")
                      if path.suffix != ".json" and not path.name.endswith(RESUME_SUFFIX)) for kind in kinds}
