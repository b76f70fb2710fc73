"""How long does each phase-2 training step take here?

Trains a fresh `transfer` network of a profile for one epoch of its batches (seed 0, the profile's loss
weights and sizes) on the given torch threads, and prints one JSON line: the seconds of every step and
their sum. On a shared host the 2-thread steps vary far more than the 1-thread ones (docs/reproducibility.md).
Needs the profile's participant and autoencoder (made, or loaded from the cache).

    python scripts/phase2_step_times.py --threads 2      # standard profile
    python scripts/phase2_step_times.py --threads 1
"""
from __future__ import annotations

import argparse
import json
import time

import torch

from n2s_lite import decoding as D
from n2s_lite import experiment as X
from n2s_lite.adaptor import LossWeights, build, transfer_loss
from n2s_lite.train import torch_threads


def step_times(model, batches, weights: LossWeights, lr: float, threads: int) -> dict:
    """Train `model` on `batches` ((B, T, E) high-gamma, (B, T, 80) dB mel) with AdamW on `threads` threads;
    returns {threads, step_seconds, seconds}."""
    optimiser = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr)
    seconds = []
    model.train()
    with torch_threads(threads):
        for hg, mel in batches:
            started = time.perf_counter()
            optimiser.zero_grad()
            transfer_loss(model, hg, mel, weights).backward()
            optimiser.step()
            seconds.append(round(time.perf_counter() - started, 3))
    return dict(threads=threads, step_seconds=seconds, seconds=round(sum(seconds), 2))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="standard")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    options, settings = X.settings(args.profile), X.training_settings(args.profile)
    rec, ae = X.participant(args.profile), X.pretrained_autoencoder(args.profile)
    train = X.split_trials(rec)["train"]
    model = build(ae, train[0].hg.shape[1], seed=0, dropout=settings.dropout, **options["adaptor"])
    batches = list(D.WindowSampler(train, settings.window, settings.batch_size, seed=0)(0))
    print(json.dumps(step_times(model, batches, LossWeights(**options["loss"]), settings.lr, args.threads)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
