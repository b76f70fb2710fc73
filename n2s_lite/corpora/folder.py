"""Any folder of recordings: wav/flac/ogg files (searched recursively), each with an optional transcript.

Layout: `PATH/**/name.flac` plus `name.txt` beside it holding the transcript (absent: empty text).
The utterance id is the path below PATH without suffix; the speaker is the name of the file's folder,
or "unknown" for files directly in PATH. Audio is resampled to 16 kHz mono by `audio.load_audio`.
"""
from __future__ import annotations

from pathlib import Path

from ..audio import load_audio
from ..errors import CorpusNotFound, InputError
from .corpus import Corpus, Utterance, cached_builder

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg")
UNKNOWN_SPEAKER = "unknown"


def load_folder(path) -> Corpus:
    """Load every audio file under `path` as a `Corpus` named 'folder:<folder name>' (cached per process)."""
    root = Path(path).expanduser()
    if not root.is_dir():
        raise CorpusNotFound(f"{root}: no such folder of audio files ({', '.join(AUDIO_SUFFIXES)})")
    return _build_corpus(root.resolve())


@cached_builder
def _build_corpus(root: Path) -> Corpus:
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file())
    if not files:
        raise InputError(root, "audio files", f"at least one {'/'.join(AUDIO_SUFFIXES)} file (searched recursively)",
                         "none")
    utterances = [Utterance(id=path.relative_to(root).with_suffix("").as_posix(),
                            speaker=path.parent.name if path.parent != root else UNKNOWN_SPEAKER,
                            text=read_transcript(path.with_suffix(".txt")),
                            audio=load_audio(path))
                  for path in files]
    return Corpus(f"folder:{root.name}", tuple(utterances), license="unknown (see the folder's own terms)",
                  source=str(root))


def read_transcript(path: Path) -> str:
    """Whitespace-normalised text of a UTF-8 transcript file, or '' if there is none."""
    if not path.is_file():
        return ""
    try:
        return " ".join(path.read_text(encoding="utf-8").split())
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path, "transcript", "a UTF-8 text file", f"unreadable: {exc}") from exc
