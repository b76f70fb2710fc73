"""The Asterisk prompts: real wideband speech by one speaker per language, installable offline.

Debian/Ubuntu packages `asterisk-core-sounds-LANG-g722` (raw G.722 files, 16 kHz) and
`asterisk-core-sounds-LANG` (transcripts, lines `name: text` in `core-sounds-LANG.txt.gz`, e.g.
`digits/1: one`). English (the default, ~25 minutes) is the voice of Allison Smith under
`en_US_f_Allison/`; `VOICES` lists the other languages. Recordings without speech (transcripts like
`[ascending tones]` or `(5 seconds of silence)`) and files without a transcript are skipped and counted in
`Corpus.n_skipped`. English utterance ids are the file names (`digits/1`); other languages prefix them
with the language (`fr/digits/1`), so corpora of several languages can be combined (`corpora.combine`).
"""
from __future__ import annotations

import gzip
import os
import re
from dataclasses import dataclass
from pathlib import Path


from ..audio import decode_g722
from ..errors import CorpusNotFound, InputError
from .corpus import Corpus, Utterance, cached_builder


@dataclass(frozen=True)
class Voice:
    """One language's prompts: folder below SOUNDS_DIR, speaker name, licence (from the package's copyright)."""

    folder: str
    speaker: str
    license: str


VOICES = {
    "en": Voice("en_US_f_Allison", "allison", "CC BY-SA 3.0 (Allison Smith / Digium)"),
    "es": Voice("es_MX_f_Allison", "allison", "CC BY-SA 3.0 (Allison Smith / Digium)"),
    "fr": Voice("fr_CA_f_June", "june", "CC BY-SA 3.0 (June Wallack)"),
    "it": Voice("it_IT_m_Carlo", "carlo", "CC BY-SA 3.0 (Carlo Flora)"),
    "ru": Voice("ru_RU_f_IvrvoiceRU", "ivrvoice-ru", "CC BY 3.0 (Maxim Topal / ivrvoice.ru)"),
}
ROOT_ENV = "N2S_ASTERISK_DIR"  # a copy of the English prompts (other languages: pass root)
SOUNDS_DIR = Path("/usr/share/asterisk/sounds")
DEFAULT_ROOT = SOUNDS_DIR / VOICES["en"].folder
_ANNOTATION = re.compile(r"\s*(\[[^\]]*\]|\([^)]*\))")  # "[ascending tones]", "(note: ...)"


def corpus_name(language: str) -> str:
    """The corpus spec and name of one language's prompts: 'asterisk' for English, 'asterisk-LANG' otherwise."""
    return "asterisk" if language == "en" else f"asterisk-{language}"


def transcript_name(language: str = "en") -> str:
    return f"core-sounds-{language}.txt.gz"


def default_transcripts(language: str = "en") -> Path:
    """Where Debian installs a language's transcripts."""
    return Path(f"/usr/share/doc/asterisk-core-sounds-{language}") / transcript_name(language)


def how_to_get(language: str = "en") -> str:
    where = f"point ${ROOT_ENV} at a copy" if language == "en" else "pass the folder of a copy ('asterisk-LANG:PATH')"
    return (f"install it with `sudo apt-get install asterisk-core-sounds-{language}-g722 "
            f"asterisk-core-sounds-{language}`, {where}, or use another corpus: 'tts' (synthetic speech from "
            "espeak-ng) or 'folder:PATH' (your own wav/flac/ogg files)")


def load_asterisk(root=None, transcripts=None, language: str = "en") -> Corpus:
    """Load every transcribed prompt of one language as a `Corpus` (decoded eagerly, cached per process).

    Named 'asterisk' for English, 'asterisk-LANG' otherwise. language: a key of `VOICES`.
    root: folder of .g722 files (default: for English $N2S_ASTERISK_DIR, else the Debian location).
    transcripts: the `name: text` file, gzipped or not (default: `core-sounds-LANG.txt.gz` inside root,
    else the Debian location).
    """
    if language not in VOICES:
        raise ValueError(f"language must be one of {sorted(VOICES)}, got {language!r}")
    from_env = os.environ.get(ROOT_ENV) if language == "en" else None
    root = Path(root or from_env or SOUNDS_DIR / VOICES[language].folder).expanduser()
    if not root.is_dir():
        raise CorpusNotFound(f"{root}: the Asterisk prompts ({language}) are not there; {how_to_get(language)}")
    transcripts = Path(transcripts) if transcripts else _find_transcripts(root, language)
    return _build_corpus(root.resolve(), transcripts.resolve(), language)


def _find_transcripts(root: Path, language: str) -> Path:
    name = transcript_name(language)
    for candidate in (root / name, root / Path(name).stem, default_transcripts(language)):
        if candidate.is_file():
            return candidate
    raise CorpusNotFound(f"{root}: no transcript file {name} found beside the prompts or at "
                         f"{default_transcripts(language)}; {how_to_get(language)}")


@cached_builder
def _build_corpus(root: Path, transcripts: Path, language: str) -> Corpus:
    texts = read_transcripts(transcripts)
    voice, prefix = VOICES[language], "" if language == "en" else f"{language}/"
    utterances, skipped = [], 0
    for path in sorted(root.rglob("*.g722")):
        name = path.relative_to(root).with_suffix("").as_posix()
        text = spoken_text(texts.get(name, ""))
        if not text:
            skipped += 1
            continue
        utterances.append(Utterance(prefix + name, voice.speaker, text, decode_g722(path)))
    if not utterances:
        raise InputError(root, "prompts", f"transcribed .g722 files (transcripts from {transcripts})", "none")
    return Corpus(corpus_name(language), tuple(utterances), license=voice.license,
                  source=f"asterisk-core-sounds-{language}-g722 ({root})", n_skipped=skipped)


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

