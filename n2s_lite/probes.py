"""Downstream probes of a speech representation on held-out speech: what a simple read-out can get from it.

A representation is a function `represent(mel (T, 80) dB) -> (T, D)` on the 100 Hz clock (e.g.
`lambda mel: representations.latent_frames(ae, mel)`). Each probe fits the simplest read-out on some
utterances and scores it on others, so a better score means the information is more directly there:

    speaker(represent, utterances)          nearest class mean of the utterance's (mean, std) over frames,
                                            accuracy on held-out utterances of each speaker (chance 1 / speakers)
    sentence(represent, pairs)              the same sentence by two voices: each B rendering matched to the A
                                            rendering it correlates best with after both are stretched to 32
                                            frames; top-1 accuracy (chance 1 / sentences)
    pitch(represent, mels, tracks)          frame-wise ridge to voicing (accuracy, threshold midway between
                                            the classes' fitted means) and to log f0 on voiced
                                            frames (Pearson r), trained, validated and tested on separate utterances
"""
from __future__ import annotations

import numpy as np

from .baselines.ridge import LaggedRidge
from .metrics import column_correlations

SENTENCE_FRAMES = 32  # frames a rendering is stretched to for sentence identification


def _standardised(train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    mean, std = train.mean(axis=0), train.std(axis=0) + 1e-8
    return [(x - mean) / std for x in (train, *others)]


def speaker(represent, utterances: list[tuple[str, np.ndarray]]) -> float:
    """utterances: (speaker, mel) pairs. Each speaker's utterances alternate between fitting and testing;
    accuracy of the nearest (z-scored) class mean on the test half."""
    features = np.stack([np.concatenate([f.mean(axis=0), f.std(axis=0)]) for f in
                         (represent(mel) for _, mel in utterances)])
    labels = np.array([who for who, _ in utterances])
    fitting = np.zeros(len(labels), bool)
    for who in np.unique(labels):
        fitting[np.flatnonzero(labels == who)[::2]] = True
    if fitting.all():
        raise ValueError("every speaker needs at least two utterances")
    train, test = _standardised(features[fitting], features[~fitting])
    names = np.unique(labels[fitting])
    centres = np.stack([train[labels[fitting] == who].mean(axis=0) for who in names])
    guesses = names[np.argmin(((test[:, None] - centres[None]) ** 2).sum(axis=2), axis=1)]
    return float(np.mean(guesses == labels[~fitting]))


def stretched(frames: np.ndarray, n: int = SENTENCE_FRAMES) -> np.ndarray:
    """(T, D) -> (n, D) by linear interpolation along time."""
    positions = np.linspace(0, len(frames) - 1, n)
    return np.stack([np.interp(positions, np.arange(len(frames)), column) for column in frames.T], axis=1)


def sentence(represent, pairs: list[tuple[np.ndarray, np.ndarray]]) -> float:
    """pairs: (mel of voice A, mel of voice B) of the same sentence, one pair per sentence. Top-1 accuracy of
    matching each B to its A by the correlation of their stretched, column-standardised representations."""
    def flattened(mels):  # each column z-scored over the voice's renderings, then each rendering over its values
        x = np.stack([stretched(represent(mel)) for mel in mels])
        x = ((x - x.mean(axis=(0, 1))) / (x.std(axis=(0, 1)) + 1e-8)).reshape(len(x), -1)
        return (x - x.mean(axis=1, keepdims=True)) / (x.std(axis=1, keepdims=True) + 1e-8)

    similarity = flattened([b for _, b in pairs]) @ flattened([a for a, _ in pairs]).T
    return float(np.mean(np.argmax(similarity, axis=1) == np.arange(len(pairs))))


def pick(items: list, role: int) -> list:
    """The utterances of one role in the pitch probe: 0 test (i % 4 == 0), 1 validation (== 1), 2 fitting."""
    return [x for i, x in enumerate(items) if min(i % 4, 2) == role]


def pitch(represent, mels: list[np.ndarray], tracks: list[np.ndarray]) -> dict:
    """mels: (T, 80) dB; tracks: (T, 4) reference tracks (column 0 pYIN's f0 in Hz, NaN unvoiced; see
    `synth.formants.reference_tracks`). Utterances i % 4 == 0 test, == 1 validate, the rest fit.
    -> {voicing_accuracy, f0_r (on frames voiced in the reference), voiced_share (test frames voiced)}."""
    if len(mels) < 4:
        raise ValueError("the pitch probe needs at least 4 utterances")
    features = [represent(mel) for mel in mels]
    voiced = [np.isfinite(t[:, 0]).astype(np.float32)[:, None] for t in tracks]
    log_f0 = [np.log2(np.where(np.isfinite(t[:, 0]), t[:, 0], 1.0))[:, None].astype(np.float32) for t in tracks]
    voicing = LaggedRidge(lags=(0,)).fit_arrays(pick(features, 2), pick(voiced, 2), pick(features, 1),
                                                 pick(voiced, 1))
    # ridge's penalty is chosen by validation correlation, which ignores scale: the threshold is the midpoint
    # of the fitted output's means on voiced and unvoiced fitting frames, not 0.5
    fitted, labels = (np.concatenate(x)[:, 0] for x in ([voicing.predict(f) for f in pick(features, 2)],
                                                        pick(voiced, 2)))
    threshold = (fitted[labels > 0].mean() + fitted[labels == 0].mean()) / 2
    truth = np.concatenate(pick(voiced, 0))[:, 0]
    guess = np.concatenate([voicing.predict(x) for x in pick(features, 0)])[:, 0] > threshold
    accuracy = float(np.mean(guess == (truth > 0.5)))

    def voiced_only(items, k):
        return [x[v[:, 0] > 0] for x, v in zip(pick(items, k), pick(voiced, k)) if (v > 0).any()]

    f0 = LaggedRidge(lags=(0,)).fit_arrays(voiced_only(features, 2), voiced_only(log_f0, 2),
                                           voiced_only(features, 1), voiced_only(log_f0, 1))
    test_x, test_y = voiced_only(features, 0), voiced_only(log_f0, 0)
    predicted = np.concatenate([f0.predict(x) for x in test_x]).astype(np.float64)
    r = float(column_correlations(np.concatenate(test_y).astype(np.float64), predicted)[0])
    return dict(voicing_accuracy=accuracy, f0_r=r, voiced_share=float(truth.mean()))


def tts_speech(n: int) -> dict:
    """Held-out speech for the probes, never seen in phase 1 or by the simulator: the first n built-in tts
    sentences, each by its corpus voice (A) and by the next voice (B) (`corpora.tts`, needs espeak-ng).
    -> {pairs: [(mel A, mel B)], utterances: [(voice, mel)] (both renderings), mels: [mel A],
    tracks: [(T, 4) reference tracks of A]}."""
    import shutil
    import tempfile
    from pathlib import Path

    from . import audio as A
    from .corpora import load_tts
    from .corpora.tts import VOICES, synthesise
    from .synth.formants import reference_tracks

    corpus = load_tts(n)
    pairs, utterances, tracks = [], [], []
    with tempfile.TemporaryDirectory(prefix="n2s-probe-") as folder:
        for index, utterance in enumerate(corpus):
            voice, rate = VOICES[(index + 1) % len(VOICES)]
            wav = Path(folder) / f"{index}.wav"
            synthesise(shutil.which("espeak-ng"), utterance.text, voice, rate, wav)
            mel_a, mel_b = A.log_mel(np.asarray(utterance.audio)), A.log_mel(A.load_audio(wav))
            pairs.append((mel_a, mel_b))
            utterances += [(utterance.speaker, mel_a), (voice, mel_b)]
            tracks.append(reference_tracks(np.asarray(utterance.audio))[:len(mel_a)])
    return dict(pairs=pairs, utterances=utterances, mels=[a for a, _ in pairs], tracks=tracks)


def all_probes(represent, speech: dict, other_speakers: list | None = None) -> dict:
    """Every probe on `tts_speech`'s output; other_speakers: more (speaker, mel) pairs for the speaker probe
    (e.g. held-out sentences of the participant's corpus). -> {speaker_accuracy, n_speakers, sentence_accuracy,
    n_sentences, voicing_accuracy, f0_r, voiced_share}."""
    utterances = speech["utterances"] + list(other_speakers or [])
    return dict(speaker_accuracy=speaker(represent, utterances), n_speakers=len({who for who, _ in utterances}),
                sentence_accuracy=sentence(represent, speech["pairs"]), n_sentences=len(speech["pairs"]),
                **pitch(represent, speech["mels"], speech["tracks"]))
