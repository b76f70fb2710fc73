"""Pre-training scale: transfer's margin over scratch against the minutes and speakers of phase-1 speech.

    python scripts/pretraining_scale.py --out figures/pretraining_scale_cpu.json            # CPU, offline corpora
    python scripts/pretraining_scale.py --profile full --pool librispeech:DATA/LibriSpeech/train-clean-100 \
        --stimuli librispeech:DATA/LibriSpeech/test-clean --minutes 60 600 6000 --speakers 10 50 251 --out ls.json

The participant (`experiment.participant`) hears the stimulus half of --stimuli; phase 1 learns from the
pre-training half of --pool (`corpora.pretraining_and_stimuli`), never from a speaker of --stimuli (checked:
`corpora.check_disjoint_speakers`). For each point (speakers, minutes) the autoencoder of the profile's size and
optimisation budget (the same number of gradient steps at every point: only the speech differs) is pre-trained
on about `minutes` of that speech, taken round-robin from the first `speakers` speakers of a seeded shuffle
(early-stopped on their validation sentences); then each phase-2 seed trains the adaptor on it ('transfer') and
the scratch ablation ('scratch', the same adaptor and an untrained decoder; it does not depend on the point), and
both are scored on the participant's test sentences (spectrogram_r, mean over sentences, no vocoder). The JSON
holds every run, the margin transfer - scratch per point and seed, the device and each stage's time.
--encoder SOURCE pre-trains the decoder on a frozen self-supervised model's latent instead (`ssl_phase1`).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from n2s_lite import autoencoder, corpora, experiment, features, methods, train
from n2s_lite.machine import describe
from n2s_lite.profiles import lookup
from n2s_lite.utils import atomic_path, refuse_to_replace

VAL_SHARE = 0.25  # validation speech per point, relative to its training minutes


def choose(pool_train: corpora.Corpus, pool_val: corpora.Corpus, speakers: list[str], minutes: float):
    """Utterances of `speakers`, taken in turn (one of each speaker, then the next of each...) until `minutes` of
    training speech; validation: theirs up to VAL_SHARE of that (at least one utterance) -> (train, val)."""
    def round_robin(corpus, budget_s):
        queues = [[u for u in corpus if u.speaker == s] for s in speakers]
        chosen, total = [], 0.0
        for rank in range(max((len(q) for q in queues), default=0)):
            for queue in queues:
                if rank < len(queue) and total < budget_s:
                    chosen.append(queue[rank])
                    total += queue[rank].duration
        return chosen

    train_part = round_robin(pool_train, minutes * 60)
    val_part = round_robin(pool_val, max(minutes * 60 * VAL_SHARE, 1e-9))
    return train_part, val_part


def pretrain_point(train_part, val_part, profile: str, seed: int, encoder: str | None, layer: int | None):
    """Phase 1 on these utterances with the profile's settings (every utterance, not max_utterances) -> model."""
    if encoder is not None:
        from n2s_lite import ssl_phase1

        return ssl_phase1.pretrain_on(train_part, val_part, encoder, layer, profile, seed, progress=False)
    settings = lookup(autoencoder.PROFILES, profile, "autoencoder")
    model = autoencoder.build(settings, "mel", seed)
    autoencoder.fit_autoencoder(model, features.log_mels(train_part, progress=False).nonempty(),
                                features.log_mels(val_part, progress=False).nonempty(), settings, seed,
                                progress=False)
    return model.cpu().eval()


def untrained_model(profile: str, encoder: str | None, layer: int | None):
    """The architecture phase 2's scratch ablation trains from scratch (its decoder weights are not used)."""
    if encoder is not None:
        from n2s_lite import ssl_phase1

        return ssl_phase1.build(encoder, layer, profile, seed=0)
    return autoencoder.build(profile, "mel", seed=0)


def score(decoder, trials) -> float:
    """Mean spectrogram_r over the test sentences (no vocoder)."""
    return float(experiment.evaluate(decoder, trials, vocode=False)["spectrogram_r"].mean())


def run(args) -> dict:
    started = time.perf_counter()
    stages = {}
    pool = corpora.load(args.pool)
    stimulus_corpus = corpora.load(args.stimuli)
    corpora.check_disjoint_speakers(pool, stimulus_corpus)
    pretrain_half, _ = corpora.pretraining_and_stimuli(pool)
    pool_train, pool_val = pretrain_half.split("train"), pretrain_half.split("val")
    order = list(np.random.default_rng(args.speaker_seed).permutation(pool_train.speakers))
    t0 = time.perf_counter()
    rec = experiment.participant(args.profile, corpus=methods.corpus_spec(args.stimuli))
    trials = methods.split_trials(rec)
    stages["participant_seconds"] = time.perf_counter() - t0
    print(f"participant: {len(trials['train'])} training sentences ({stages['participant_seconds']:.0f} s)", flush=True)

    t0 = time.perf_counter()
    scratch = {}
    untrained = untrained_model(args.profile, args.encoder, args.layer)
    for seed in args.seeds:
        decoder = methods.train_on_trials("scratch", trials["train"], trials["val"], args.profile, seed, ae=untrained)
        scratch[seed] = score(decoder, trials["test"])
        print(f"scratch, seed {seed}: r {scratch[seed]:.4f}", flush=True)
    stages["scratch_seconds"] = time.perf_counter() - t0

    points = []
    for n_speakers in args.speakers:
        for minutes in args.minutes:
            if n_speakers > len(order):
                continue
            train_part, val_part = choose(pool_train, pool_val, order[:n_speakers], minutes)
            used = round(sum(u.duration for u in train_part) / 60, 4)
            if any(p["speakers"] == n_speakers and p["minutes_used"] == used for p in points):
                continue  # the pool has no more speech for these speakers: the same point again
            t0 = time.perf_counter()
            ae = pretrain_point(train_part, val_part, args.profile, 0, args.encoder, args.layer)
            phase1 = time.perf_counter() - t0
            t0 = time.perf_counter()
            transfer = {seed: score(methods.train_on_trials("transfer", trials["train"], trials["val"], args.profile,
                                                            seed, ae=ae), trials["test"]) for seed in args.seeds}
            margins = [transfer[s] - scratch[s] for s in args.seeds]
            points.append(dict(speakers=n_speakers, minutes=minutes, minutes_used=used,
                               n_train_utterances=len(train_part), n_val_utterances=len(val_part),
                               speakers_used=sorted({u.speaker for u in train_part}),
                               transfer_r=transfer, scratch_r=scratch, margin=dict(zip(args.seeds, margins)),
                               margin_mean=float(np.mean(margins)),
                               margin_sd=float(np.std(margins, ddof=1)) if len(margins) > 1 else None,
                               phase1_seconds=round(phase1, 1), phase2_seconds=round(time.perf_counter() - t0, 1)))
            print(f"{n_speakers} speakers, {used:.2f} min: margin {np.mean(margins):+.4f} "
                  f"({', '.join(f'{m:+.4f}' for m in margins)})", flush=True)
    return dict(
        description="transfer's margin over scratch (test spectrogram_r) against phase-1 speech; stimuli from "
                    "speakers never in phase 1",
        command=" ".join(sys.argv), profile=args.profile, pool=pool.summary(), pool_pretraining_train_minutes=round(
            pool_train.duration / 60, 3), stimuli=stimulus_corpus.summary(), stimulus_speakers=stimulus_corpus.speakers,
        encoder=args.encoder, layer=args.layer, seeds=list(args.seeds), speaker_order=order,
        participant=dict(minutes=round(rec.duration / 60, 3), n_electrodes=rec.n_electrodes,
                         test_sentences=len(trials["test"])),
        points=points, compute=train.compute_context(), machine=describe(),
        seconds=dict(stages, points=sum(p["phase1_seconds"] + p["phase2_seconds"] for p in points),
                     total=round(time.perf_counter() - started, 1)))


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="smoke")
    parser.add_argument("--pool", nargs="+", default=["tts"], help="corpus spec(s) of phase-1 speech")
    parser.add_argument("--stimuli", nargs="+", default=["asterisk"], help="corpus spec(s) the participant hears")
    parser.add_argument("--minutes", nargs="+", type=float, default=[0.25, 0.5, 2.0])
    parser.add_argument("--speakers", nargs="+", type=int, default=[1, 5])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    parser.add_argument("--speaker-seed", type=int, default=0, help="seed of the speakers' order")
    parser.add_argument("--encoder", default=None, help="a self-supervised speech model (folder or hub name)")
    parser.add_argument("--layer", type=int, default=None, help="its hidden layer used as the latent")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads (default: torch's; 1 is much faster on a machine whose cores are busy)")
    parser.add_argument("--out", required=True)
    parser.add_argument("--overwrite", action="store_true")
    args = parser.parse_args(argv)
    refuse_to_replace(args.out, args.overwrite)
    if args.threads:
        torch.set_num_threads(args.threads)
    results = run(args)
    with atomic_path(Path(args.out), overwrite=args.overwrite) as tmp:
        tmp.write_text(json.dumps(results, indent=1, default=str) + "\n")
    print(f"wrote {args.out}")
    return results


if __name__ == "__main__":
    main()
