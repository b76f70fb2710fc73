"""Small helpers shared by the package: seeding, device choice, atomic file writes."""
from __future__ import annotations

import contextlib
import os
import random
import tempfile
from pathlib import Path

import numpy as np

from .errors import InputError


def seed_everything(seed: int) -> np.random.Generator:
    """Seed Python, NumPy and torch; return a NumPy generator seeded the same way."""
    import torch

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return np.random.default_rng(seed)


def pick_device(preference: str = "auto") -> str:
    """'auto' -> 'cuda' if available, else 'mps' (Apple), else 'cpu'; other values pass through."""
    import torch

    if preference != "auto":
        return preference
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def _umask() -> int:
    """The process's file-creation mask (reading it means setting it; it is set straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def refuse_to_replace(path, overwrite: bool = False) -> None:
    """Raise before any work is done if `path` is not a place to write a file: a directory (InputError), or
    an existing file while overwrite=False (FileExistsError)."""
    path = Path(path)
    if path.is_dir():
        raise InputError(path, "output path", "a file to write", "a directory")
    if not overwrite and path.exists():
        raise FileExistsError(f"{path}: exists already; refusing to overwrite it")


@contextlib.contextmanager
def atomic_path(path, overwrite: bool = True):
    """Yield a temporary path beside `path`; move it onto `path` only if the block succeeds.

    With overwrite=False an existing file is never replaced (FileExistsError instead), and a directory is
    never a target (`refuse_to_replace`). The file gets the permissions of an ordinary new file (0666 minus
    the umask), not mkstemp's private 0600.
    """
    path = Path(path)
    refuse_to_replace(path, overwrite)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        if not overwrite and path.exists():
            raise FileExistsError(f"{path}: appeared while writing; refusing to overwrite it")
        if os.path.isfile(tmp):
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
