"""Fetch a large archive over HTTP: resumable, checked against a known hash, with a progress bar.

`fetch(url, path, known_hash)` keeps what has arrived in `<path>.part`; an interrupted download continues
from there with an HTTP Range request (a server that ignores Range sends the whole file again, which is
then started over). The finished file is checked against `known_hash` ('md5:HEX', 'sha256:HEX' or a bare
SHA-256 HEX, the forms pooch uses) before it is renamed to `path`; a mismatch deletes it. `unpack` extracts
a tar archive safely (no absolute paths, links out of the folder or device files: tarfile's 'data' filter).
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import urllib.error
import urllib.request
from pathlib import Path

from tqdm.auto import tqdm

from ..errors import CorpusNotFound

CHUNK = 1 << 20  # bytes read per step


class ChecksumError(ValueError):
    """A downloaded file's hash is not the published one."""


def parse_hash(known_hash: str) -> tuple[str, str]:
    """'md5:HEX' | 'sha256:HEX' | 'HEX' (SHA-256) -> (algorithm, lower-case hex digest)."""
    algorithm, colon, digest = known_hash.partition(":")
    if not colon:
        algorithm, digest = "sha256", known_hash
    if algorithm not in ("md5", "sha1", "sha256") or not digest or any(c not in "0123456789abcdef"
                                                                        for c in digest.lower()):
        raise ValueError(f"known_hash must be 'md5:HEX', 'sha256:HEX' or a SHA-256 HEX, got {known_hash!r}")
    return algorithm, digest.lower()


def file_hash(path, algorithm: str) -> str:
    """Hex digest of a file, read in chunks (an archive of several GB never sits in memory)."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(url: str, path, known_hash: str | None, progress: bool = True, timeout: float = 60.0) -> Path:
    """Download `url` to `path` (resuming `<path>.part`), check `known_hash` (None: unchecked) -> path.

    An existing `path` is kept if it matches the hash. Raises ChecksumError on a mismatch (the partial file
    is deleted, so the next call starts over) and ConnectionError, naming the URL, when it cannot be reached.
    """
    path = Path(path)
    algorithm, expected = parse_hash(known_hash) if known_hash else (None, None)
    if path.exists() and (algorithm is None or file_hash(path, algorithm) == expected):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    _download(url, part, progress, timeout)
    if algorithm is not None:
        got = file_hash(part, algorithm)
        if got != expected:
            part.unlink()
            raise ChecksumError(f"{url}: {algorithm} hash {got} does not match the published {expected}; "
                                "the download was deleted (a damaged transfer or another file)")
    os.replace(part, path)
    return path


def _download(url: str, part: Path, progress: bool, timeout: float) -> None:
    """Append the rest of `url` to `part` (a Range request from its current size)."""
    offset = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={offset}-"} if offset else {})
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:  # nothing after offset: the part file is already complete
            return
        raise ConnectionError(f"{url}: HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise ConnectionError(f"{url}: cannot be reached ({getattr(exc, 'reason', exc)})") from exc
    with response:
        resumed = offset > 0 and response.status == 206
        if not resumed:
            offset = 0  # a fresh download, or a server that ignored Range and sends everything
        length = response.headers.get("Content-Length")
        total = offset + int(length) if length is not None else None
        with open(part, "ab" if resumed else "wb") as file, tqdm(
                total=total, initial=offset, unit="B", unit_scale=True, desc=Path(url).name,
                disable=not progress, leave=False) as bar:
            for block in iter(lambda: response.read(CHUNK), b""):
                file.write(block)
                bar.update(len(block))


def unpack(archive, destination) -> Path:
    """Extract a .tar(.gz) into `destination` (created) through a temporary sibling folder, then move each
    top-level entry into place; an entry already there is kept. Returns destination."""
    destination = Path(destination)
    destination.mkdir(parents=True, exist_ok=True)
    scratch = destination / f".unpacking-{Path(archive).name}"
    shutil.rmtree(scratch, ignore_errors=True)
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(scratch, filter="data")
        _merge(scratch, destination)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return destination


def _merge(source: Path, target: Path) -> None:
    """Move the entries of `source` into `target`, descending into folders both hold; never replace a file."""
    for entry in source.iterdir():
        there = target / entry.name
        if not there.exists():
            os.replace(entry, there)
        elif there.is_dir() and entry.is_dir():
            _merge(entry, there)


def offline_error(url: str, where: Path, layout: str, cause: Exception) -> CorpusNotFound:
    """The error of a machine that cannot download: what to fetch, and where to unpack it."""
    return CorpusNotFound(f"cannot download {url} ({cause}). Fetch it on a machine with internet access and "
                          f"unpack it into {where}, so that {layout} exists; then run again.")
