"""Audio contracts of the package: 16 kHz mono float32 audio and the one log-mel used everywhere.

Frames run at 100 Hz (hop 160 samples); a waveform of N samples has N // 160 frames, frame t centred
on sample 160 t. The log-mel is in dB (10 log10 of mel power, floored at `MEL_FLOOR`).
"""
from __future__ import annotations

from pathlib import Path

import G722
import librosa
import numpy as np
import soundfile as sf

from .errors import InputError
from .utils import atomic_path

SAMPLE_RATE = 16_000  # Hz
HOP = 160  # samples per frame
FRAME_RATE = SAMPLE_RATE // HOP  # 100 frames per second
N_FFT = 1024
N_MELS = 80
FMIN = 0.0
FMAX = 8_000.0
MEL_FLOOR = 1e-5  # power floor before dB: -50 dB
N_LINEAR = N_FFT // 2 + 1  # 513 STFT bins, 0 .. 8 kHz
LINEAR_FLOOR_DB = -80.0  # floor of `linear_power_db` (linear bins are narrower than mel bins)


def mel_params() -> dict:
    """Every parameter of `log_mel`, to store beside any saved mel."""
    return dict(sample_rate=SAMPLE_RATE, hop=HOP, n_fft=N_FFT, win_length=N_FFT, window="hann",
                n_mels=N_MELS, fmin=FMIN, fmax=FMAX, power=2.0, mel_norm="slaney", htk=False,
                scale="dB", floor=MEL_FLOOR, center=True)


def n_frames(n_samples: int) -> int:
    """Number of 100 Hz frames of a waveform of n_samples at 16 kHz."""
    return int(n_samples) // HOP


def mel_filterbank() -> np.ndarray:
    """(80, N_FFT//2+1) float32 Slaney mel filterbank of the package."""
    return librosa.filters.mel(sr=SAMPLE_RATE, n_fft=N_FFT, n_mels=N_MELS, fmin=FMIN, fmax=FMAX).astype(np.float32)


def log_mel(wave: np.ndarray) -> np.ndarray:
    """(N,) 16 kHz waveform -> (N // 160, 80) float32 log-mel in dB."""
    wave = np.asarray(wave, dtype=np.float32)
    if wave.ndim != 1:
        raise InputError("<waveform>", "wave", "a 1-D mono waveform", f"shape {wave.shape}")
    spec = np.abs(librosa.stft(wave, n_fft=N_FFT, hop_length=HOP, win_length=N_FFT, center=True)) ** 2
    mel = mel_filterbank() @ spec
    db = 10.0 * np.log10(np.maximum(mel, MEL_FLOOR))
    return db.T[: n_frames(len(wave))].astype(np.float32)


def linear_power_db(wave: np.ndarray) -> np.ndarray:
    """(N,) 16 kHz waveform -> (N // 160, 513) float32 dB STFT power floored at LINEAR_FLOOR_DB, framed like
    `log_mel` (the neural vocoder's target, `vocoder`)."""
    spec = np.abs(librosa.stft(np.asarray(wave, np.float32), n_fft=N_FFT, hop_length=HOP,
                               win_length=N_FFT, center=True)) ** 2
    db = np.maximum(10.0 * np.log10(np.maximum(spec, 1e-30)), LINEAR_FLOOR_DB)
    return db.T[: n_frames(len(wave))].astype(np.float32)


def mel_centre_frequencies() -> np.ndarray:
    """(80,) centre frequency of each mel bin in Hz."""
    return librosa.mel_frequencies(n_mels=N_MELS + 2, fmin=FMIN, fmax=FMAX)[1:-1].astype(np.float32)


def mel_to_linear_power(mel_power: np.ndarray, iterations: int = 30) -> np.ndarray:
    """(80, T) mel power -> (N_FFT//2+1, T) non-negative linear power that the filterbank maps back to it.

    Non-negative least squares by multiplicative updates (Lee & Seung 2001) started from the clipped
    pseudo-inverse: on real speech 30 updates invert better (and ~3x faster) than librosa's
    `mel_to_stft`, which stops its bounded solver early.
    """
    bank = mel_filterbank().astype(np.float64)
    linear = np.maximum(np.linalg.pinv(bank) @ mel_power, 1e-10)
    numerator, gram = bank.T @ mel_power, bank.T @ bank
    for _ in range(iterations):
        linear *= numerator / np.maximum(gram @ linear, 1e-12)
    return linear


def griffin_lim(logmel: np.ndarray, n_iter: int = 32, seed: int = 0) -> np.ndarray:
    """(T, 80) dB log-mel -> (T * 160,) float32 waveform by mel inversion and Griffin-Lim (librosa)."""
    power = 10.0 ** (with_closing_frame(np.asarray(logmel, dtype=np.float64)).T / 10.0)
    return griffin_lim_magnitude(np.sqrt(mel_to_linear_power(power)), n_iter, seed)


def with_closing_frame(frames: np.ndarray) -> np.ndarray:
    """(T, C) frames -> (T + 1, C), the last one repeated: librosa's centred STFT of T * 160 samples has
    T + 1 frames, one more than `log_mel` keeps."""
    return np.concatenate([frames, frames[-1:]])


def griffin_lim_magnitude(magnitude: np.ndarray, n_iter: int = 32, seed: int = 0) -> np.ndarray:
    """(513, T + 1) linear STFT magnitude -> (T * 160,) float32 waveform in [-1, 1] by librosa's Griffin-Lim
    (random initial phase from `seed`)."""
    wave = librosa.griffinlim(magnitude, n_iter=n_iter, hop_length=HOP, win_length=N_FFT, n_fft=N_FFT,
                              length=(magnitude.shape[1] - 1) * HOP, random_state=seed, init="random")
    return np.clip(wave, -1.0, 1.0).astype(np.float32)


def to_mono_16k(wave: np.ndarray, sample_rate: int) -> np.ndarray:
    """Any (N,) or (N, channels) waveform at sample_rate -> (M,) float32 at 16 kHz in [-1, 1]."""
    wave = np.asarray(wave, dtype=np.float32)
    if wave.ndim == 2:
        wave = wave.mean(axis=1)
    if sample_rate != SAMPLE_RATE:
        wave = librosa.resample(wave, orig_sr=sample_rate, target_sr=SAMPLE_RATE, res_type="soxr_hq")
    return np.clip(wave, -1.0, 1.0).astype(np.float32)


G722_BITRATE = 64_000  # bit/s of raw G.722 files (the Asterisk prompts)


def decode_g722(path) -> np.ndarray:
    """Raw 64 kbit/s G.722 file -> (N,) float32 at 16 kHz in [-1, 1]."""
    data = Path(path).read_bytes()
    if not data:
        raise InputError(path, "audio", "a raw G.722 bitstream", "an empty file")
    if data[:4] in (b"RIFF", b"fLaC", b"OggS"):
        raise InputError(path, "audio", "a raw G.722 bitstream", f"a {data[:4].decode()} container file")
    decoder = G722.G722(SAMPLE_RATE, G722_BITRATE)  # stateful: one decoder per file
    return np.frombuffer(decoder.decode(data), dtype=np.int16).astype(np.float32) / 32768.0


def load_audio(path) -> np.ndarray:
    """Read any soundfile-readable file (wav, flac, ogg, ...) or raw G.722 (.g722) as (N,) float32 16 kHz mono
    in [-1, 1].

    An unreadable or empty file, or one holding NaN or infinite samples, is an InputError naming it."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such audio file")
    if path.suffix.lower() == ".g722":
        return decode_g722(path)
    try:
        wave, rate = sf.read(str(path), dtype="float32", always_2d=False)
    except Exception as exc:  # soundfile raises several types for corrupt files
        raise InputError(path, "audio", "a readable audio file (wav, flac, ogg)", f"unreadable: {exc}") from exc
    if wave.size == 0:
        raise InputError(path, "audio", "at least one sample", "an empty file")
    if not np.all(np.isfinite(wave)):
        first = int(np.argwhere(~np.isfinite(wave))[0, 0])
        raise InputError(path, "samples", "finite samples", f"NaN or infinite values (first at sample {first})")
    return to_mono_16k(wave, rate)


def save_audio(path, wave: np.ndarray, sample_rate: int = SAMPLE_RATE, overwrite: bool = True) -> Path:
    """Write an (N,) mono float waveform at sample_rate Hz as a 16-bit PCM wav (clipped to [-1, 1]), atomically."""
    path = Path(path)
    with atomic_path(path, overwrite=overwrite) as tmp:
        sf.write(str(tmp), np.clip(np.asarray(wave, dtype=np.float32), -1, 1), sample_rate,
                 subtype="PCM_16", format="WAV")
    return path
