"""LibriSpeech (Panayotov et al. 2015): read English audiobooks, CC BY 4.0, from openslr.org/12.

Layout: `LibriSpeech/<subset>/<speaker>/<chapter>/<speaker>-<chapter>-<utt>.flac` with one
`<speaker>-<chapter>.trans.txt` per chapter holding lines `<speaker>-<chapter>-<utt> TRANSCRIPT`.
`load_librispeech` accepts the `LibriSpeech/` root (all subsets in it) or one subset folder. Its utterances
decode their FLAC file each time their audio is read and never keep it: train-clean-100 alone is 100 hours,
23 GB as float32, so a corpus of it must not sit in memory (`features` caches what phase 1 needs on disk).

The subsets are disjoint by speaker (the corpus's design): pre-training on `train-*` and playing `test-clean`
to the participant, as Neural2Speech did with TIMIT, means the stimuli come from voices phase 1 never heard;
`check_disjoint_speakers` verifies it for any two corpora.
"""
from __future__ import annotations

import functools
from pathlib import Path

import soundfile as sf

from ..audio import SAMPLE_RATE, load_audio
from ..cache import cache_dir
from ..errors import CorpusNotFound, InputError
from .corpus import Corpus, Utterance, cached_builder
from .download import fetch, offline_error, unpack

OPENSLR_URL = "https://www.openslr.org/resources/12/{subset}.tar.gz"
# MD5 of each archive as published in https://www.openslr.org/resources/12/md5sum.txt
MD5 = {
    "dev-clean": "42e2234ba48799c1f50f24a7926300a1",
    "dev-other": "c8d0bcc9cca99d4f8b62fcc847357931",
    "test-clean": "32fa31d27d2e1cad72775fee3f4849a9",
    "test-other": "fb5a50374b501bb3bac4815ee91d3135",
    "train-clean-100": "2a93770f6d5c6c964bc36631d331a522",
    "train-clean-360": "c0e676e450a7ff2f54aeade5171606fa",
    "train-other-500": "d1a0fd59409feb2c614ce4d30c387708",
}
# hours of speech, speakers and archive size in GB (openslr.org/12; Panayotov et al. 2015, table 1)
SIZES = {"dev-clean": (5.4, 40, 0.34), "dev-other": (5.3, 33, 0.31), "test-clean": (5.4, 40, 0.35),
         "test-other": (5.1, 33, 0.33), "train-clean-100": (100.6, 251, 6.3), "train-clean-360": (363.6, 921, 23),
         "train-other-500": (496.7, 1166, 30)}
PRETRAINING_SUBSETS = ("train-clean-100", "train-clean-360", "train-other-500")
STIMULUS_SUBSET = "test-clean"
LICENSE = "CC BY 4.0 (LibriSpeech, Panayotov et al. 2015; LibriVox recordings)"


def default_root() -> Path:
    """Where downloads go unless told otherwise: `$N2S_CACHE/librispeech` (holding `LibriSpeech/<subset>`)."""
    return cache_dir() / "librispeech"


def download_librispeech(subset: str = "train-clean-100", root=None, url: str | None = None,
                         known_hash: str | None = None, progress: bool = True, keep_archive: bool = False) -> Path:
    """One subset unpacked under `root` -> its folder `root/LibriSpeech/<subset>`.

    A subset already unpacked there (a previous download or a copy the user put there) is used as it is.
    Otherwise the archive is downloaded (resumable, with a progress bar; `download.fetch`), checked against
    the MD5 openslr.org publishes (or `known_hash` for another `url`, e.g. a mirror: 'md5:HEX' or
    'sha256:HEX'; a url without known_hash is not checked), unpacked, and deleted unless keep_archive.
    root: default `default_root()`. Offline: CorpusNotFound naming the URL and where to unpack it.
    """
    if url is None:
        if subset not in MD5:
            raise ValueError(f"unknown LibriSpeech subset {subset!r}: expected one of {sorted(MD5)}")
        url, known_hash = OPENSLR_URL.format(subset=subset), known_hash or f"md5:{MD5[subset]}"
    root = Path(root).expanduser() if root is not None else default_root()
    folder = root / "LibriSpeech" / subset
    if any(folder.glob("*/*/*.trans.txt")):
        return folder
    archive = root / f"{subset}.tar.gz"
    try:
        fetch(url, archive, known_hash, progress=progress)
    except ConnectionError as exc:
        raise offline_error(url, root, f"{folder}/<speaker>/<chapter>/*.trans.txt", exc) from exc
    unpack(archive, root)
    if not any(folder.glob("*/*/*.trans.txt")):
        raise InputError(archive, "contents", f"LibriSpeech/{subset}/<speaker>/<chapter>/*.trans.txt",
                         "an archive without that layout")
    if not keep_archive:
        archive.unlink()
    return folder


class FlacUtterance(Utterance):
    """A LibriSpeech utterance whose `audio` is decoded from its FLAC file each time it is read (never kept).

    Same fields as `Utterance` plus `path`; `duration` comes from the file header without decoding."""

    def __init__(self, id: str, speaker: str, text: str, path: Path):  # noqa: A002 - Utterance's field name
        for name, value in (("id", id), ("speaker", speaker), ("text", text), ("path", Path(path))):
            object.__setattr__(self, name, value)

    @property
    def audio(self):
        wave = load_audio(self.path)
        wave.flags.writeable = False
        return wave

    @functools.cached_property
    def duration(self) -> float:
        info = sf.info(str(self.path))
        return info.frames / info.samplerate if info.samplerate else 0.0

    @property
    def n_samples(self) -> int:
        """Length of its audio at 16 kHz, from the file header."""
        return round(self.duration * SAMPLE_RATE)


def load_librispeech(path) -> Corpus:
    """Every transcribed utterance under `path` as a `Corpus` of `FlacUtterance`s (audio read on demand).

    path: a LibriSpeech folder, or a subset's name ('train-clean-100', 'test-clean', ...; not an existing
    folder), which is downloaded into `default_root()` on first use (`download_librispeech`)."""
    if str(path) in MD5 and not Path(path).exists():
        path = download_librispeech(str(path))
    root = Path(path).expanduser()
    if not root.is_dir():
        raise CorpusNotFound(f"{root}: no LibriSpeech folder there; get one with "
                             "`corpora.download_librispeech('train-clean-100')` (and 'test-clean' for stimuli)")
    return _build_corpus(root.resolve())


@cached_builder
def _build_corpus(root: Path) -> Corpus:
    transcript_files = sorted(root.rglob("*.trans.txt"))
    if not transcript_files:
        raise CorpusNotFound(f"{root}: no *.trans.txt files; expected the LibriSpeech layout "
                             "<subset>/<speaker>/<chapter>/<speaker>-<chapter>.trans.txt")
    utterances = [utterance for path in transcript_files for utterance in _read_chapter(path)]
    return Corpus(f"librispeech:{root.name}", tuple(utterances), license=LICENSE, source=str(root))


def _read_chapter(transcript_file: Path) -> list[FlacUtterance]:
    utterances = []
    for number, line in enumerate(transcript_file.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        utterance_id, _, text = line.strip().partition(" ")
        if not text or utterance_id.count("-") != 2:
            raise InputError(transcript_file, f"line {number}", "'<speaker>-<chapter>-<utt> TRANSCRIPT'", repr(line))
        flac = transcript_file.parent / f"{utterance_id}.flac"
        if not flac.is_file():
            raise InputError(flac, "audio", f"the FLAC file listed in {transcript_file.name}", "a missing file")
        utterances.append(FlacUtterance(utterance_id, utterance_id.split("-")[0], text.strip(), flac))
    return utterances


def check_disjoint_speakers(pretrain: Corpus, stimuli: Corpus) -> None:
    """Raise InputError if a speaker of `stimuli` also speaks in `pretrain` (the paper's condition: the
    participant hears voices phase 1 never learned from)."""
    shared = sorted(set(pretrain.speakers) & set(stimuli.speakers))
    if shared:
        raise InputError(stimuli.name, "speakers", f"no speaker of the pre-training corpus {pretrain.name}",
                         f"{len(shared)} shared, e.g. {shared[:5]}")
