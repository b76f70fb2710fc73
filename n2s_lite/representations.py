"""Speech representations of the trials' sound, frame by frame on the 100 Hz clock, for encoding models.

Each function takes `data.Trial`s (and what it needs: the recording, an autoencoder, a speech model) and
returns one (T, D) float32 array per trial, on the frames of the trial's mel:

    mel(trials)                       (T, 80) dB log-mel, what the simulator's auditory sites are driven by
    latent(ae, trials)                (T, latent_dim) the phase-1 encoder's output, 50 Hz repeated to 100 Hz
    controls(rec, trials)             (T, 7) the formant synthesizer's controls measured on the sound: voicing,
                                      log2 f0, loudness (dB), log2 F1-F3, formants-measured (pYIN and LPC)
    self_supervised(model, rec, trials, layers)   {layer: (T, dim)} hidden states of a `speech_model`, 50 -> 100 Hz
    combine(a, b, ...)                 the columns of several representations side by side

`by_split(function, trials)` applies one of them to the {'train', 'val', 'test'} dict of `data.split_trials`.
"""
from __future__ import annotations

import numpy as np
import torch

from . import audio as A
from . import data

CONTROL_NAMES = ("voiced", "log2_f0", "loudness_db", "log2_f1", "log2_f2", "log2_f3", "formants_measured")


def by_split(function, trials: dict) -> dict:
    """{split: function(trials of the split)} for a dict of Trial lists."""
    return {split: function(items) for split, items in trials.items()}


def mel(trials: list) -> list[np.ndarray]:
    """(T, 80) dB log-mel of each trial."""
    return [np.asarray(t.mel, np.float32) for t in trials]


def upsample(frames: np.ndarray, factor: int, n_frames: int) -> np.ndarray:
    """(T', D) at a rate `factor` times lower -> (n_frames, D), each frame repeated `factor` times (zero rows
    past the end if T' * factor < n_frames)."""
    out = np.repeat(np.asarray(frames, np.float32), factor, axis=0)[:n_frames]
    return np.pad(out, ((0, n_frames - len(out)), (0, 0)))


@torch.no_grad()
def latent_frames(ae, mel: np.ndarray) -> np.ndarray:
    """(T, 80) dB log-mel -> (T, latent_dim) phase-1 latent (`ae.encode`), repeated to the 100 Hz clock."""
    ae.eval()
    encoded = ae.encode(torch.as_tensor(mel, dtype=torch.float32, device=next(ae.parameters()).device)[None])
    return upsample(encoded[0].cpu().numpy(), ae.stride, len(mel))


def latent(ae, trials: list) -> list[np.ndarray]:
    """(T, latent_dim) phase-1 latent of each trial's mel, on the 100 Hz clock (`latent_frames`)."""
    return [latent_frames(ae, t.mel) for t in trials]


def loudness_db(mel_db: np.ndarray) -> np.ndarray:
    """(T, 80) dB log-mel -> (T,) dB mean power over the mel bins."""
    return (10.0 * np.log10(np.mean(10.0 ** (np.asarray(mel_db, np.float64) / 10.0), axis=1))).astype(np.float32)


def controls(rec, trials: list, progress: bool = False) -> list[np.ndarray]:
    """(T, 7) synthesizer controls measured on each trial's sound (`CONTROL_NAMES`): voicing (pYIN), log2 of
    f0 / 100 Hz (0 when unvoiced), loudness in dB, log2 of F1-F3 / 1 kHz (LPC; 0 when unmeasured) and whether
    they were measured (`reference_tracks`)."""
    out = []
    for t, tracks in zip(trials, reference_tracks(rec, trials, progress)):
        f0, formants = tracks[:, 0], tracks[:, 1:4]
        voiced, measured = np.isfinite(f0), np.isfinite(formants).all(axis=1)
        log_f0 = np.where(voiced, np.log2(np.where(voiced, f0, 100.0) / 100.0), 0.0)
        log_formants = np.where(measured[:, None], np.log2(np.where(measured[:, None], formants, 1000.0) / 1000.0),
                                0.0)
        out.append(np.column_stack([voiced, log_f0, loudness_db(t.mel), log_formants, measured]).astype(np.float32))
    return out


def reference_tracks(rec, trials: list, progress: bool = False) -> list[np.ndarray]:
    """(T, 4) pYIN f0 and LPC F1-F3 of each trial's sound (`data.with_reference_tracks`; those already on the
    trials are reused), cached on disk by the recording's audio and the trials' frames: pYIN is slow."""
    from . import cache

    if all(t.tracks is not None for t in trials):
        return [t.tracks for t in trials]
    config = dict(kind="reference_tracks", audio=cache.data_digest(rec.audio),
                  frames=cache.data_digest(np.array([(t.start, len(t.mel)) for t in trials], np.int64)))

    def build(path):
        with open(path, "wb") as handle:
            np.savez(handle, *[t.tracks for t in data.with_reference_tracks(rec, trials, progress)])

    with np.load(cache.cached("reference_tracks", config, build, suffix=".npz", code=("data",))) as stored:
        return [stored[f"arr_{i}"] for i in range(len(trials))]


def self_supervised(model, rec, trials: list, layers, progress: bool = False) -> dict[int, list[np.ndarray]]:
    """{layer: [(T, dim) per trial]}: hidden states of a `speech_model.SpeechModel` on each trial's sound
    (the audio of the trial's frames only), at 50 Hz repeated to the 100 Hz clock."""
    from tqdm.auto import tqdm

    layers = [int(layer) for layer in layers]
    factor = int(round(A.FRAME_RATE / model.frame_rate))
    out = {layer: [] for layer in layers}
    for t in tqdm(trials, desc=f"{model.source} features", leave=False, disable=not progress):
        sound = np.asarray(rec.audio[t.start * A.HOP:(t.start + len(t.mel)) * A.HOP], np.float32)
        for layer, states in zip(layers, model.layers(sound, layers)):
            out[layer].append(upsample(states, factor, len(t.mel)))
    return out


def combine(*representations: list) -> list[np.ndarray]:
    """Several representations of the same trials -> one, their columns side by side (T, D1 + D2 + ...)."""
    return [np.concatenate(parts, axis=1) for parts in zip(*representations)]


def catalogue(rec, trials: dict, ae, model=None, layers=(), pairs=(("latent", "controls"), ("mel", "controls")),
              progress: bool = False) -> dict[str, dict]:
    """{name: {split: [(T, D) per trial]}} for every split of `trials` (`data.split_trials`): 'mel', 'latent'
    (of `ae`), 'controls', 'ssl<k>' for each layer k of a `speech_model` (if given), and 'a+b' for each pair."""
    out = dict(mel=by_split(mel, trials), latent=by_split(lambda items: latent(ae, items), trials),
               controls=by_split(lambda items: controls(rec, items, progress), trials))
    if model is not None and layers:
        per_split = by_split(lambda items: self_supervised(model, rec, items, layers, progress), trials)
        for layer in layers:
            out[f"ssl{layer}"] = {split: per_layer[layer] for split, per_layer in per_split.items()}
    for a, b in pairs:
        out[f"{a}+{b}"] = {split: combine(out[a][split], out[b][split]) for split in trials}
    return out
