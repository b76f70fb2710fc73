"""Measure the simulator's calibration: ridge decoding and encoding-model correlations on 20 minutes.

    python scripts/calibrate_simulator.py              # seeds 0 1 2, asterisk stimuli, prints JSON
    python scripts/calibrate_simulator.py --task speaking                # the speaking participant
    python scripts/calibrate_simulator.py --seeds 0 --minutes 10
    python scripts/calibrate_simulator.py --seeds 0 --snr 0.0375     # a noisier participant (notebook 07)
    python scripts/calibrate_simulator.py --category-share 1.0       # sound-category sites (docs/simulator.md)

Uses the stimulus half of the asterisk corpus (`corpora.pretraining_and_stimuli`), so the sentences are
disjoint from the autoencoder's pre-training speech. Targets (docs/simulator.md): spectrogram correlation
of a time-lagged ridge decoder 0.5-0.65 listening, 0.4-0.7 speaking (Angrick 2019 / Verwoert 2022
convention), median held-out encoding r of responsive electrodes 0.3-0.5 with a spread. The ridge reads
the calibration standard's fixed window of each task (STANDARD_LAGS), not the package's default windows, so
choosing those defaults cannot move the calibration.
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np

from n2s_lite import corpora, data, encoding, metrics, neuro
from n2s_lite.baselines import RidgeDecoder

# high-gamma frames read for audio frame t: listening 0-300 ms after it, speaking 300 ms before to 100 ms after
STANDARD_LAGS = dict(listening=range(0, 31), speaking=range(-30, 11))
# encoding models: high-gamma at t from the log-mel over t - last .. t - first ms (speaking: the sound after, too)
ENCODING_LAGS_MS = dict(listening=(0, 300), speaking=(-300, 300))
SIMULATORS = dict(listening=neuro.simulate_listening, speaking=neuro.simulate_speaking)


def decoding_scores(rec) -> dict:
    """Test-sentence spectrogram and flattened correlations of a ridge decoder (alpha chosen on val) reading
    the calibration standard's window of the recording's task."""
    stats = data.neural_stats(rec)
    train, val, test = (data.trial_arrays(rec, split, stats) for split in ("train", "val", "test"))
    decoder = RidgeDecoder(lags=STANDARD_LAGS[rec.task]).fit(train, val)
    predictions = [decoder.predict(t.hg) for t in test]
    spectral = [metrics.spectrogram_correlation(t.mel, p) for t, p in zip(test, predictions)]
    flat = [metrics.flattened_correlation(t.mel, p) for t, p in zip(test, predictions)]
    return dict(spectrogram_correlation=metrics.summarise(spectral), flattened_correlation=metrics.summarise(flat),
                lags=[min(decoder.lags), max(decoder.lags)], alpha=decoder.alpha_, n_train_trials=len(train), n_test_sentences=len(test))


def encoding_scores(rec) -> dict:
    """Held-out encoding r of responsive (ground truth) and non-responsive good electrodes."""
    table = encoding.encoding_correlations(rec, ENCODING_LAGS_MS[rec.task])
    good = table[~table["bad"]]
    responsive = good[good["responsive"]]
    return dict(responsive=metrics.summarise(responsive["r"]),
                responsive_ceiling=metrics.summarise(responsive["r_ceiling"]),
                non_responsive=metrics.summarise(good.loc[~good["responsive"], "r"]),
                by_type={kind: round(float(rows["r"].median()), 3) for kind, rows in responsive.groupby("response_type")},
                n_responsive=int(len(responsive)), n_good=int(len(good)))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--corpus", default="asterisk")
    parser.add_argument("--task", choices=sorted(SIMULATORS), default="listening",
                        help="the simulated participant listens to the sentences or says them aloud")
    parser.add_argument("--snr", type=float, default=None, help="response/noise variance of a gain-1 site "
                        "(default: the simulator's calibrated DEFAULT_SNR)")
    parser.add_argument("--category-share", type=float, default=0.0,
                        help="share of spectrotemporal sites that respond to sound categories instead")
    args = parser.parse_args(argv)
    _, stimuli = corpora.pretraining_and_stimuli(corpora.load(args.corpus))
    results = []
    for seed in args.seeds:
        start = time.perf_counter()
        rec = SIMULATORS[args.task](stimuli, minutes=args.minutes, snr=args.snr, seed=seed,
                                    category_share=args.category_share)
        simulated = time.perf_counter() - start
        results.append(dict(seed=seed, minutes=rec.duration / 60, decoding=decoding_scores(rec),
                            encoding=encoding_scores(rec), simulate_seconds=round(simulated, 1),
                            total_seconds=round(time.perf_counter() - start, 1)))
    settings = {k: rec.metadata[k] for k in ("snr", "responsive_fraction", "trial_gain_sd", "electrode_gain_sd",
                                             "noise_shares", "bad_fraction", "repeats", "gap_s", "n_electrodes",
                                             "category_share")}
    summary = dict(
        spectrogram_correlation_mean=float(np.mean([r["decoding"]["spectrogram_correlation"]["mean"] for r in results])),
        flattened_correlation_mean=float(np.mean([r["decoding"]["flattened_correlation"]["mean"] for r in results])),
        encoding_responsive_median=float(np.mean([r["encoding"]["responsive"]["median"] for r in results])))
    print(json.dumps(dict(corpus=f"{args.corpus} (stimulus half)", task=args.task, settings=settings, summary=summary,
                          seeds=results), indent=2, default=float))


if __name__ == "__main__":
    main()
