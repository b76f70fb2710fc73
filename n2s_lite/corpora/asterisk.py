"""The Asterisk English prompts: ~25 minutes of real wideband speech by one speaker, installable offline.

Debian/Ubuntu package `asterisk-core-sounds-en-g722`: raw G.722 files (16 kHz) under
`en_US_f_Allison/` (with subfolders such as `digits/`, `letters/`), voice of Allison Smith, licence
CC BY-SA 3.0. Transcripts are lines `name: text` in `core-sounds-en.txt.gz`, e.g. `digits/1: one`.
Recordings without speech (transcripts like `[ascending tones]` or `(5 seconds of silence)`) and files
without a transcript are skipped and counted in `Corpus.n_skipped`.
"""
from __future__ import annotations

import gzip
import os
import re
from pathlib import Path

import G722
import numpy as np

from ..audio import SAMPLE_RATE
from ..errors import CorpusNotFound, InputError
from .corpus import Corpus, Utterance, cached_builder

ROOT_ENV = "N2S_ASTERISK_DIR"
DEFAULT_ROOT = Path("/usr/share/asterisk/sounds/en_US_f_Allison")
TRANSCRIPT_NAME = "core-sounds-en.txt.gz"
DEFAULT_TRANSCRIPTS = Path("/usr/share/doc/asterisk-core-sounds-en") / TRANSCRIPT_NAME
G722_BITRATE = 64_000  # bit/s of the Asterisk files
SPEAKER = "allison"
LICENSE = "CC BY-SA 3.0 (Allison Smith / Digium)"
HOW_TO_GET = ("install it with `sudo apt-get install asterisk-core-sounds-en-g722 asterisk-core-sounds-en`, "
              f"point ${ROOT_ENV} at a copy, or use another corpus: 'tts' (synthetic speech from espeak-ng) or "
              "'folder:PATH' (your own wav/flac/ogg files)")
_ANNOTATION = re.compile(r"\s*(\[[^\]]*\]|\([^)]*\))")  # "[ascending tones]", "(note: ...)"


def load_asterisk(root=None, transcripts=None) -> Corpus:
    """Load every transcribed prompt as a `Corpus` named 'asterisk' (decoded eagerly, cached per process).

    root: folder of .g722 files (default: $N2S_ASTERISK_DIR, else the Debian location).
    transcripts: the `name: text` file, gzipped or not (default: `core-sounds-en.txt.gz` inside root,
    else the Debian location).
    """
    root = Path(root or os.environ.get(ROOT_ENV) or DEFAULT_ROOT).expanduser()
    if not root.is_dir():
        raise CorpusNotFound(f"{root}: the Asterisk English prompts are not there; {HOW_TO_GET}")
    transcripts = Path(transcripts) if transcripts else _find_transcripts(root)
    return _build_corpus(root.resolve(), transcripts.resolve())


def _find_transcripts(root: Path) -> Path:
    for candidate in (root / TRANSCRIPT_NAME, root / Path(TRANSCRIPT_NAME).stem, DEFAULT_TRANSCRIPTS):
        if candidate.is_file():
            return candidate
    raise CorpusNotFound(f"{root}: no transcript file {TRANSCRIPT_NAME} found beside the prompts or at "
                         f"{DEFAULT_TRANSCRIPTS}; {HOW_TO_GET}")


@cached_builder
def _build_corpus(root: Path, transcripts: Path) -> Corpus:
    texts = read_transcripts(transcripts)
    utterances, skipped = [], 0
    for path in sorted(root.rglob("*.g722")):
        name = path.relative_to(root).with_suffix("").as_posix()
        text = spoken_text(texts.get(name, ""))
        if not text:
            skipped += 1
            continue
        utterances.append(Utterance(name, SPEAKER, text, decode_g722(path)))
    if not utterances:
        raise InputError(root, "prompts", f"transcribed .g722 files (transcripts from {transcripts})", "none")
    return Corpus("asterisk", tuple(utterances), license=LICENSE,
                  source=f"asterisk-core-sounds-en-g722 ({root})", n_skipped=skipped)


def read_transcripts(path: Path) -> dict[str, str]:
    """Parse `name: text` lines (`;` starts a comment) into {name: text}; gzip is detected by the suffix."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8-sig") as handle:  # some files start with a BOM
            lines = handle.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path, "transcripts", "a UTF-8 text file of 'name: text' lines (optionally gzipped)",
                         f"unreadable: {exc}") from exc
    texts = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith(";"):
            continue
        name, colon, text = line.partition(":")
        if not colon or not name.strip():
            raise InputError(path, f"line {number}", "'name: text'", repr(line))
        texts[name.strip()] = text.strip()
    return texts


def spoken_text(transcript: str) -> str:
    """The words actually spoken: bracketed notes removed ('at [@]' -> 'at'); '' for tones and silence."""
    return " ".join(_ANNOTATION.sub("", transcript).split())


def decode_g722(path: Path) -> np.ndarray:
    """Raw 64 kbit/s G.722 file -> (N,) float32 at 16 kHz in [-1, 1]."""
    data = Path(path).read_bytes()
    if not data:
        raise InputError(path, "audio", "a raw G.722 bitstream", "an empty file")
    if data[:4] in (b"RIFF", b"fLaC", b"OggS"):
        raise InputError(path, "audio", "a raw G.722 bitstream", f"a {data[:4].decode()} container file")
    decoder = G722.G722(SAMPLE_RATE, G722_BITRATE)  # stateful: one decoder per file
    return np.frombuffer(decoder.decode(data), dtype=np.int16).astype(np.float32) / 32768.0
