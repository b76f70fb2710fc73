"""Tiny stand-ins for the phase-2 tests: a recording whose high-gamma follows its mel, a small autoencoder,
a folder corpus of tones."""
from __future__ import annotations

import numpy as np

from n2s_lite import audio as A
from n2s_lite import data
from n2s_lite.autoencoder import SpeechAutoencoder
from n2s_lite.recording import Recording, electrode_table, trial_table

DELAY = 8  # frames by which the fake high-gamma follows the mel


def _sentence(rng: np.random.Generator, n_frames: int) -> np.ndarray:
    """(n_frames * 160,) float32: a few gliding tones with smooth on/off envelopes."""
    t = np.arange(n_frames * A.HOP) / A.SAMPLE_RATE
    wave = np.zeros_like(t)
    for _ in range(4):
        onset, length = rng.uniform(0, t[-1] * 0.7), rng.uniform(0.15, 0.4)
        envelope = np.exp(-0.5 * ((t - onset - length / 2) / (length / 3)) ** 2)
        f0 = rng.uniform(150, 3000)
        wave += 0.2 * envelope * np.sin(2 * np.pi * (f0 * t + rng.uniform(-300, 300) * t**2))
    return wave.astype(np.float32)


def fake_recording(n_sentences: int = 24, n_electrodes: int = 8, seed: int = 0, noise: float = 0.3) -> Recording:
    """A listening recording: sentences of 0.8-1.3 s with 0.3 s gaps, 2/3 train, the rest val and test;
    high-gamma = a fixed random projection of the mel delayed by DELAY frames, plus noise."""
    rng = np.random.default_rng(seed)
    gap = np.zeros(30 * A.HOP, np.float32)
    pieces, starts, ends = [gap], [], []
    for _ in range(n_sentences):
        sentence = _sentence(rng, int(rng.integers(80, 130)))
        starts.append(sum(len(p) for p in pieces) // A.HOP)
        pieces += [sentence, gap]
        ends.append(starts[-1] + len(sentence) // A.HOP)
    wave = np.concatenate(pieces)
    mel = A.log_mel(wave)
    mixing = rng.standard_normal((A.N_MELS, n_electrodes)) / np.sqrt(A.N_MELS)
    hg = np.roll((mel + 30) / 20, DELAY, axis=0) @ mixing + noise * rng.standard_normal((len(mel), n_electrodes))
    n_test = n_val = n_sentences // 6
    splits = ["test"] * n_test + ["val"] * n_val + ["train"] * (n_sentences - n_test - n_val)
    texts = [f"sentence {i}" for i in range(n_sentences)]
    positions = np.stack([np.arange(n_electrodes), np.zeros(n_electrodes)], axis=1)
    return Recording(audio=wave, high_gamma=hg.astype(np.float32),
                     electrodes=electrode_table([f"e{i}" for i in range(n_electrodes)], positions),
                     trials=trial_table(starts, ends, texts, splits)).validate("fake_recording")


def write_tone_corpus(folder, n_sentences: int, pitch_hz: float = 150.0, name: str = "s") -> str:
    """Write n_sentences 1.5-s tones (pitch rising by up to 20 % over the corpus) with transcripts into
    `folder`; returns its corpus spec 'folder:PATH'. 120 of them: the stimulus part (40 %) fills 3 min, each twice."""
    from pathlib import Path

    import soundfile

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    t = np.arange(24000) / A.SAMPLE_RATE
    for index in range(n_sentences):
        audio = 0.3 * np.sin(2 * np.pi * pitch_hz * (1 + 0.2 * index / n_sentences) * t)
        audio += 0.01 * rng.standard_normal(t.size)
        soundfile.write(folder / f"{name}_{index:03d}.wav", audio.astype(np.float32), A.SAMPLE_RATE)
        (folder / f"{name}_{index:03d}.txt").write_text(f"{name} sentence number {index}")
    return f"folder:{folder}"


def fake_splits(**options) -> dict:
    """{'train', 'val', 'test'} -> lists of data.Trial of `fake_recording(**options)`."""
    rec = fake_recording(**options)
    stats = data.neural_stats(rec)
    return {split: data.trial_arrays(rec, split, stats) for split in ("train", "val", "test")}


def tiny_autoencoder(seed: int = 0, decoder: str = "mel") -> SpeechAutoencoder:
    import torch

    torch.manual_seed(seed)
    return SpeechAutoencoder(latent_dim=8, stride=2, channels=16, blocks=1, decoder=decoder).eval()
