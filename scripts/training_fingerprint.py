"""Does this machine train the same networks as the one that made the committed figures?

Trains the standard profile's autoencoder architecture for a few Adam steps on a seeded random log-mel batch
and prints one JSON line: torch's CPU instruction set, the thread count, the final loss and a hash of the
weights. The same code and seed give the same hash only where the CPU kernels (oneDNN's among them) sum in
the same order: on another instruction set or thread count the hash differs, and full trainings there end
at slightly different networks (README, Reproducibility). Takes a few seconds.

    python scripts/training_fingerprint.py                            # compare with the README's hash
    ONEDNN_MAX_CPU_ISA=AVX2 python scripts/training_fingerprint.py    # the same machine, AVX2 kernels
"""
from __future__ import annotations

import argparse
import hashlib
import json

import torch

from n2s_lite import audio as A
from n2s_lite.autoencoder import PROFILES, SpeechAutoencoder
from n2s_lite.reproduce import cpu_capability
from n2s_lite.train import torch_threads


def fingerprint(steps: int = 30, threads: int = 2, seed: int = 0) -> dict:
    """{cpu_capability, threads, steps, loss, weights_sha256} of a short seeded training run."""
    torch.manual_seed(seed)
    model_options = {key: PROFILES["standard"][key] for key in ("channels", "blocks", "latent_dim", "stride")}
    model = SpeechAutoencoder(**model_options)
    optimiser = torch.optim.Adam(model.parameters(), 1e-3)
    mel = torch.randn(8, 200, A.N_MELS) * 10 - 40  # (batch, frames, mel bins), dB-like
    with torch_threads(threads):
        for _ in range(steps):
            optimiser.zero_grad()
            loss = torch.nn.functional.smooth_l1_loss(model(mel), mel)
            loss.backward()
            optimiser.step()
    weights = b"".join(p.detach().numpy().tobytes() for p in model.parameters())
    return dict(cpu_capability=cpu_capability(), threads=threads, steps=steps, loss=round(loss.item(), 10),
                weights_sha256=hashlib.sha256(weights).hexdigest()[:16])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    print(json.dumps(fingerprint(args.steps, args.threads)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
