"""Reconstruction metrics, each defined once.

Spectrogram correlation follows Angrick et al. 2019 / Verwoert et al. 2022: for one sentence, Pearson r
over time for each of the 80 mel bins, averaged over bins. Sentence-level values are then summarised
(mean and spread) by `summarise`.
"""
from __future__ import annotations

import numpy as np
from pystoi import stoi as _pystoi

from . import audio as A


def column_correlations(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(T, F), (T, F) -> (F,) Pearson r of each column over time (NaN where a column is constant)."""
    a = a - a.mean(axis=0)
    b = b - b.mean(axis=0)
    denom = np.sqrt((a**2).sum(axis=0) * (b**2).sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        return (a * b).sum(axis=0) / denom


def spectrogram_correlation(true_mel: np.ndarray, pred_mel: np.ndarray) -> float:
    """(T, 80), (T, 80) -> mean over mel bins of the Pearson r over time (Angrick/Verwoert convention)."""
    true_mel, pred_mel = _check_pair(true_mel, pred_mel)
    return float(np.nanmean(column_correlations(true_mel.astype(np.float64), pred_mel.astype(np.float64))))


def flattened_correlation(true_mel: np.ndarray, pred_mel: np.ndarray) -> float:
    """Pearson r over the flattened T x 80 log-mel (inflated by silence/speech contrast; reported for reference)."""
    true_mel, pred_mel = _check_pair(true_mel, pred_mel)
    return float(np.corrcoef(true_mel.ravel(), pred_mel.ravel())[0, 1])


def stoi(true_wave: np.ndarray, pred_wave: np.ndarray, extended: bool = False) -> float:
    """STOI (or ESTOI with extended=True) of (N,) 16 kHz waveforms, by pystoi; 1 for identical signals. The
    longer signal is cut to the shorter's length (a vocoder may add or drop a few samples)."""
    n = min(len(true_wave), len(pred_wave))
    return float(_pystoi(np.asarray(true_wave[:n], np.float64), np.asarray(pred_wave[:n], np.float64),
                         A.SAMPLE_RATE, extended=extended))


def mel_cepstral_distortion(true_mel: np.ndarray, pred_mel: np.ndarray, n_coefficients: int = 13) -> float:
    """MCD in dB between two (T, 80) dB log-mels (Kubichek 1993), on mel-cepstra c1..c(n-1) (c0, energy, excluded).

    MCD = (10 / ln 10) * sqrt(2 * sum_k (c_k - c'_k)^2), averaged over frames. The mel-cepstrum of a
    frame is that of its natural-log mel amplitude a_m (m = 0..M-1): a_m = c_0 + 2 sum_k c_k cos(pi k (m + 1/2) / M),
    i.e. c_k = DCT-II(a)_k / (2 M) with scipy's unnormalised DCT-II.
    """
    from scipy.fft import dct

    true_mel, pred_mel = _check_pair(true_mel, pred_mel)
    to_ln_amplitude = np.log(10.0) / 20.0
    scale = 1.0 / (2 * true_mel.shape[1])
    c_true = scale * dct(true_mel * to_ln_amplitude, type=2, axis=1)[:, 1:n_coefficients]
    c_pred = scale * dct(pred_mel * to_ln_amplitude, type=2, axis=1)[:, 1:n_coefficients]
    per_frame = np.sqrt(2.0 * ((c_true - c_pred) ** 2).sum(axis=1))
    return float((10.0 / np.log(10.0)) * per_frame.mean())


def identification_ranks(true_mels: list[np.ndarray], pred_mels: list[np.ndarray], sentence_ids=None) -> np.ndarray:
    """Rank (0 = best) of the right sentence among the distinct sentences, for each decoded trial.

    true_mels, pred_mels: the n trials' (T_i, 80) dB log-mels; sentence_ids: (n,) which sentence each trial
    played (default: every trial its own sentence). Similarity of decoded trial i to trial j is the
    spectrogram correlation over their common length. The rank of i counts the other sentences one of whose
    trials is more similar to it than its own trial, so a sentence played twice counts once. Returns (n,)
    int ranks; top-k accuracy is mean(rank < k).
    """
    n = len(true_mels)
    sentence_ids = np.arange(n) if sentence_ids is None else np.asarray(sentence_ids)
    similarity = np.empty((n, n))
    for i, pred in enumerate(pred_mels):
        for j, true in enumerate(true_mels):
            t = min(len(pred), len(true))
            similarity[i, j] = spectrogram_correlation(true[:t], pred[:t])
    similarity = np.nan_to_num(similarity, nan=-1.0)
    return np.array([len(set(sentence_ids[(similarity[i] > similarity[i, i]) & (sentence_ids != sentence_ids[i])]))
                     for i in range(n)], dtype=int)


def summarise(values) -> dict:
    """Sentence-level values -> mean, std, median, and 25/75 percentiles."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return dict(mean=float("nan"), std=float("nan"), median=float("nan"), q25=float("nan"), q75=float("nan"), n=0)
    return dict(mean=float(v.mean()), std=float(v.std()), median=float(np.median(v)),
                q25=float(np.percentile(v, 25)), q75=float(np.percentile(v, 75)), n=int(v.size))


def _check_pair(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(f"expected two (T, F) arrays of the same shape, got {a.shape} and {b.shape}")
    return a, b
