"""Test sentences never reach training: the check that a participant's test sentences are not in phase 1's speech.

Phase 1 learns from speech corpora only, but a lab's stimuli may come from a corpus that phase 1 also
reads (a TIMIT sentence in LibriSpeech-scale pre-training, a prompt in the asterisk set). A test sentence
the autoencoder already learned to reconstruct would flatter transfer. The check compares transcripts by
their words (`corpora.sentence_key`: lower case, punctuation dropped); where a test trial has no transcript
nothing can be compared, and the result says so.
"""
from __future__ import annotations

import functools

from .corpora.corpus import sentence_key
from .errors import InputError


@functools.lru_cache(maxsize=4)
def pretraining_sentences(specs) -> frozenset:
    """The `sentence_key`s of the pre-training half of corpus `specs` (a spec or a tuple, `methods.corpus_spec`)."""
    from . import corpora

    pretrain, _stimuli = corpora.pretraining_and_stimuli(corpora.load(specs))
    return frozenset(sentence_key(u.text) for u in pretrain) - {""}


def pretraining_overlap(rec, pretrain_corpus, source: str = "<recording>") -> dict:
    """What was checked between `rec`'s test trials and the pre-training half of `pretrain_corpus` (a spec or
    specs, `corpora.load`), as a JSON-ready dict; an InputError naming `source` if a test sentence is in it."""
    from .methods import corpus_spec

    keys = rec.trials_in("test")["text"].map(sentence_key)
    test_texts, untranscribed = set(keys) - {""}, int((keys == "").sum())
    specs = corpus_spec(pretrain_corpus)
    pretrain_texts = pretraining_sentences(specs)
    shared = sorted(test_texts & pretrain_texts)
    if shared:
        raise InputError(source, "trials.text", "test sentences that phase 1 never heard",
                         f"{len(shared)} of {len(test_texts)} in the pre-training half of {specs!r}, e.g. "
                         f"{shared[0]!r}: pre-train on another corpus (--pretrain-corpus)")
    return dict(checked="transcripts" if test_texts else "nothing: the test trials have no transcripts",
                pretrain_corpus=specs, test_sentences=len(test_texts), untranscribed_test_trials=untranscribed,
                pretraining_utterances=len(pretrain_texts), shared=0)
