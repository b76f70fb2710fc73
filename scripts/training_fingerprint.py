"""Does this machine train the same networks as the one that made the committed figures?

Prints one JSON line: torch's CPU instruction set, the processor (/proc/cpuinfo), and the fingerprint of a
short seeded training run: a profile's autoencoder (standard by default) for a few Adam steps; final loss, a
hash of the weights, and the seconds the steps took. The same code and seed give the same hash only where
the CPU kernels (oneDNN's among them) sum in the same order: on another instruction set or thread count the
hash differs, and full trainings there end at slightly different networks. The same hash does not promise
the same full trainings (docs/reproducibility.md). Takes a few seconds; nothing else in the package runs it.

    python scripts/training_fingerprint.py                            # compare with docs/reproducibility.md
    ONEDNN_MAX_CPU_ISA=AVX2 python scripts/training_fingerprint.py    # the same machine, AVX2 kernels
"""
from __future__ import annotations

import argparse
import hashlib
import json
import time

import torch

from n2s_lite import audio as A
from n2s_lite.autoencoder import PROFILES, SpeechAutoencoder
from n2s_lite.machine import cpu_capability, cpu_model
from n2s_lite.train import torch_threads


def training_fingerprint(steps: int = 30, threads: int = 2, seed: int = 0, profile: str = "standard") -> dict:
    """{profile, threads, steps, loss, weights_sha256, seconds} of `steps` seeded Adam steps (lr 1e-3) of the
    profile's autoencoder on one random (8, 200, 80) dB-like log-mel batch, on `threads` torch threads.
    `seconds` is the wall time of the steps, a rough speed of the host. The caller's thread count and torch
    random state are left as they were."""
    model_options = {key: PROFILES[profile][key] for key in ("channels", "blocks", "latent_dim", "stride")}
    with torch.random.fork_rng(devices=[]), torch_threads(threads):
        torch.manual_seed(seed)
        model = SpeechAutoencoder(**model_options)
        optimiser = torch.optim.Adam(model.parameters(), 1e-3)
        mel = torch.randn(8, 200, A.N_MELS) * 10 - 40  # (batch, frames, mel bins), dB-like
        started = time.perf_counter()
        for _ in range(steps):
            optimiser.zero_grad()
            loss = torch.nn.functional.smooth_l1_loss(model(mel), mel)
            loss.backward()
            optimiser.step()
        seconds = time.perf_counter() - started
    weights = b"".join(p.detach().numpy().tobytes() for p in model.parameters())
    return dict(profile=profile, threads=threads, steps=steps, loss=round(loss.item(), 10),
                weights_sha256=hashlib.sha256(weights).hexdigest()[:16], seconds=round(seconds, 2))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile", default="standard", help="whose autoencoder size trains (default: standard)")
    args = parser.parse_args(argv)
    print(json.dumps(dict(cpu_capability=cpu_capability(), cpu=cpu_model(),
                          **training_fingerprint(args.steps, args.threads, args.seed, args.profile))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
