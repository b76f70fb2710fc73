"""Which machine a run is on, in enough detail to tell whether it trains the same networks as another.

The same code and seed train bitwise the same networks only where the CPU kernels sum in the same order.
Torch's `cpu_capability` names the instruction set its kernels use; `cpu_model` the processor; and
`training_fingerprint` trains the standard autoencoder for a few seeded steps and hashes the weights, which
differ where the kernels sum in another order (two hosts of one hash have still trained different networks in
full runs, at different speeds: docs/timing.md). `n2s bench` and `figures/MANIFEST.json` record all three
(`describe`), and `scripts/training_fingerprint.py` prints them.
"""
from __future__ import annotations

import hashlib
import os
import platform
import time
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")
CPUINFO_FIELDS = {"vendor_id": "vendor", "cpu family": "family", "model": "model", "stepping": "stepping",
                  "model name": "name", "cache size": "cache",  # x86
                  "CPU implementer": "implementer", "CPU part": "part", "CPU variant": "variant",  # ARM
                  "CPU revision": "revision"}


def describe() -> dict:
    """{cpu_count, cpu_capability, cpu, platform, omp_num_threads, fingerprint} of this machine (the
    fingerprint's 30 steps on 2 threads take a few seconds)."""
    return dict(cpu_count=os.cpu_count(), cpu_capability=cpu_capability(), cpu=cpu_model(),
                platform=platform.platform(), omp_num_threads=os.environ.get("OMP_NUM_THREADS"),
                fingerprint=training_fingerprint())


def cpu_capability() -> str:
    """The vector instructions torch's CPU kernels use on this machine ('AVX512', 'AVX2', ...). Kernels for
    another instruction set sum in another order, so the same seed trains slightly different networks there."""
    import torch

    return torch.backends.cpu.get_cpu_capability()


def cpu_model(cpuinfo: Path = CPUINFO) -> dict:
    """Which processor this is, from the first CPU in Linux's /proc/cpuinfo: on x86 {vendor, family, model,
    stepping, name, cache} (`cache` is its 'cache size' line, e.g. '1024 KB'), on ARM {implementer, part,
    variant, revision}; {name: platform.processor() or platform.machine()} where the file is missing or names
    none of these. `cpu_capability` names only the instruction set: two hosts that both report AVX512 have
    trained different networks from one seed (docs/timing.md), so the records of a run keep the processor too."""
    try:
        first_cpu = Path(cpuinfo).read_text().split("\n\n", 1)[0]
    except OSError:
        first_cpu = ""
    fields = {key.strip(): value.strip() for key, _, value in
              (line.partition(":") for line in first_cpu.splitlines())}
    found = {ours: fields[theirs] for theirs, ours in CPUINFO_FIELDS.items() if theirs in fields}
    return found or dict(name=platform.processor() or platform.machine() or None)


def training_fingerprint(steps: int = 30, threads: int = 2, seed: int = 0) -> dict:
    """{threads, steps, loss, weights_sha256, seconds} of a short seeded training run: the standard profile's
    autoencoder, Adam at 1e-3 on one random (8, 200, 80) dB-like log-mel batch, on `threads` torch threads.
    Another hash means another summation order; the same hash does not promise the same full trainings
    (docs/timing.md). `seconds` is the wall time of the steps, a rough speed of the host. The caller's thread
    count and torch random state are left as they were."""
    import torch

    from . import audio as A
    from .autoencoder import PROFILES, SpeechAutoencoder
    from .train import torch_threads

    model_options = {key: PROFILES["standard"][key] for key in ("channels", "blocks", "latent_dim", "stride")}
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
    return dict(threads=threads, steps=steps, loss=round(loss.item(), 10),
                weights_sha256=hashlib.sha256(weights).hexdigest()[:16], seconds=round(seconds, 2))
