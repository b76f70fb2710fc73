"""Speech corpora: transcribed 16 kHz speech for pre-training the autoencoder and for stimuli.

    corpus = corpora.load("asterisk")      # or "asterisk:PATH", "asterisk-fr", "folder:PATH", "librispeech:PATH", "tts"
    books = corpora.load("librispeech:train-clean-100")   # a subset's name: downloaded on first use
    several = corpora.load(["asterisk", "asterisk-es", "asterisk-fr"])   # one combined corpus
    pretrain, stimuli = corpora.pretraining_and_stimuli(corpus)
    train = stimuli.split("train")

Project rule: speech that pre-trains the autoencoder never contains a sentence played as a stimulus in the
(simulated) neural experiment; `pretraining_and_stimuli` makes that split (60/40 by sentence hash).

Audio is decoded when a corpus is loaded (LibriSpeech's only when an utterance's audio is read, since its
training subsets do not fit in memory); loading the same spec again in one process returns the same
corpus from an in-memory cache (`clear_cache()` empties it). Corpora are immutable and their audio arrays
read-only: copy one (`np.array(u.audio)`) before changing it in place. Keyword options go to the loader,
e.g. `load("tts", n=10)`.
"""
from __future__ import annotations

import functools

from .asterisk import VOICES, corpus_name, load_asterisk
from .corpus import Corpus, Utterance, clear_cache, combine, pretraining_and_stimuli
from .folder import load_folder
from .librispeech import check_disjoint_speakers, download_librispeech, load_librispeech
from .tts import load_tts

__all__ = ["Corpus", "Utterance", "load", "combine", "pretraining_and_stimuli", "download_librispeech",
           "check_disjoint_speakers", "clear_cache", "load_asterisk", "load_folder", "load_librispeech", "load_tts", "KINDS"]

KINDS = ("asterisk[:PATH]", "asterisk-LANG[:PATH]", "folder:PATH", "librispeech:PATH", "tts")
# kind -> (loader, whether its spec takes ':PATH': "optional", "required" or "none")
_LOADERS = {"asterisk": (load_asterisk, "optional"), "folder": (load_folder, "required"),
            "librispeech": (load_librispeech, "required"), "tts": (load_tts, "none")}
_OTHER_LANGUAGE_LOADERS = {  # asterisk-es, asterisk-fr, ...
    corpus_name(language): (functools.partial(load_asterisk, language=language), "optional")
    for language in VOICES if language != "en"}
_LOADERS.update(_OTHER_LANGUAGE_LOADERS)


def load(spec, **options) -> Corpus:
    """Load a corpus from a spec 'kind' or 'kind:PATH' (see `KINDS`); options go to the kind's loader.

    Returns a `Corpus`: an ordered tuple of `Utterance`s, each with id, speaker, text (its transcript, '' if
    none) and audio, a read-only (N,) float32 waveform, mono at 16 kHz in [-1, 1], whatever the files' rate.
    An unreadable or corrupt audio file is an InputError naming it.
    A list of specs loads each and combines them into one corpus (`combine`), e.g. for pre-training on
    several languages: ['asterisk', 'asterisk-es']. LANG is one of `VOICES` other than 'en'.
    """
    if isinstance(spec, (list, tuple)):
        return combine(load(one, **options) for one in spec)
    kind, colon, path = spec.partition(":")
    if kind not in _LOADERS:
        raise ValueError(f"unknown corpus {spec!r}: expected one of {', '.join(KINDS)} "
                         f"({', '.join(_OTHER_LANGUAGE_LOADERS)})")
    loader, path_rule = _LOADERS[kind]
    if path_rule == "required" and not path:
        raise ValueError(f"corpus {spec!r} needs a folder: '{kind}:PATH'")
    if path_rule == "none" and colon:
        raise ValueError(f"corpus {kind!r} takes no path, got {spec!r}")
    return loader(path, **options) if path else loader(**options)
