"""LibriSpeech (Panayotov et al. 2015): read English audiobooks, CC BY 4.0, from openslr.org/12.

Layout: `LibriSpeech/<subset>/<speaker>/<chapter>/<speaker>-<chapter>-<utt>.flac` with one
`<speaker>-<chapter>.trans.txt` per chapter holding lines `<speaker>-<chapter>-<utt> TRANSCRIPT`.
`load_librispeech` accepts the `LibriSpeech/` root (all subsets in it) or one subset folder.
"""
from __future__ import annotations

from pathlib import Path

import pooch

from ..audio import load_audio
from ..cache import cache_dir
from ..errors import CorpusNotFound, InputError
from .corpus import Corpus, Utterance, cached_builder

OPENSLR_URL = "https://www.openslr.org/resources/12/{subset}.tar.gz"
# SHA-256 of the archives published on openslr.org/12 (dev-clean also matches its published MD5
# 42e2234ba48799c1f50f24a7926300a1); torchaudio's LIBRISPEECH dataset checks the same values.
SHA256 = {
    "dev-clean": "76f87d090650617fca0cac8f88b9416e0ebf80350acb97b343a85fa903728ab3",
    "dev-other": "12661c48e8c3fe1de2c1caa4c3e135193bfb1811584f11f569dd12645aa84365",
    "test-clean": "39fde525e59672dc6d1551919b1478f724438a95aa55f874b576be21967e6c23",
    "test-other": "d09c181bba5cf717b3dee7d4d592af11a3ee3a09e08ae025c5506f6ebe961c29",
    "train-clean-100": "d4ddd1d5a6ab303066f14971d768ee43278a5f2a0aa43dc716b0e64ecbbbf6e2",
    "train-clean-360": "146a56496217e96c14334a160df97fffedd6e0a04e66b9c5af0d40be3c792ecf",
    "train-other-500": "ddb22f27f96ec163645d53215559df6aa36515f26e01dd70798188350adcb6d2",
}
LICENSE = "CC BY 4.0 (LibriSpeech, Panayotov et al. 2015; LibriVox recordings)"


def download_librispeech(subset: str = "dev-clean", dest=None, url=None, known_hash=None) -> Path:
    """Download and unpack one subset with pooch; return its folder (`.../LibriSpeech/<subset>`).

    dest: where to keep the archive and its unpacked copy (default: the n2s-lite cache, $N2S_CACHE).
    url: another mirror or archive; known_hash: 'sha256' hex or pooch's 'md5:...' form. For the
    openslr.org default the published SHA-256 is used; an explicit url is checked only if known_hash
    is given. A mismatching archive raises ValueError and is not kept. A finished download is reused.
    """
    if url is None:
        if subset not in SHA256:
            raise ValueError(f"unknown LibriSpeech subset {subset!r}: expected one of {sorted(SHA256)}")
        url, known_hash = OPENSLR_URL.format(subset=subset), known_hash or SHA256[subset]
    dest = Path(dest) if dest is not None else cache_dir() / "librispeech"
    pooch.retrieve(url, known_hash=known_hash, fname=f"{subset}.tar.gz", path=dest,
                   processor=pooch.Untar(extract_dir=subset), progressbar=False)
    unpacked = dest / subset
    standard = unpacked / "LibriSpeech" / subset
    return standard if standard.is_dir() else unpacked


def load_librispeech(path) -> Corpus:
    """Load every transcribed utterance under `path` as a `Corpus` (decoded eagerly, cached per process)."""
    root = Path(path).expanduser()
    if not root.is_dir():
        raise CorpusNotFound(f"{root}: no LibriSpeech folder there; get one with "
                             "`corpora.download_librispeech('dev-clean')`")
    return _build_corpus(root.resolve())


@cached_builder
def _build_corpus(root: Path) -> Corpus:
    transcript_files = sorted(root.rglob("*.trans.txt"))
    if not transcript_files:
        raise CorpusNotFound(f"{root}: no *.trans.txt files; expected the LibriSpeech layout "
                             "<subset>/<speaker>/<chapter>/<speaker>-<chapter>.trans.txt")
    utterances = [utterance for path in transcript_files for utterance in _read_chapter(path)]
    return Corpus(f"librispeech:{root.name}", tuple(utterances), license=LICENSE, source=str(root))


def _read_chapter(transcript_file: Path) -> list[Utterance]:
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
        utterances.append(Utterance(utterance_id, utterance_id.split("-")[0], text.strip(), load_audio(flac)))
    return utterances
