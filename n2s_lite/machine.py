"""Which machine a run is on: processor, torch's CPU kernels, cores and threads (recorded, never judged).

The same code and seed train bitwise the same networks only where the CPU kernels sum in the same order.
Torch's `cpu_capability` names the instruction set its kernels use and `cpu_model` the processor, so a record
of a run says which host made it. `n2s bench` and `figures/MANIFEST.json` record `describe()`; whether two
hosts train the same networks is for `scripts/training_fingerprint.py` to find out, on request.
"""
from __future__ import annotations

import os
import platform
from pathlib import Path

from .parallel import usable_cores

CPUINFO = Path("/proc/cpuinfo")
CPUINFO_FIELDS = {"vendor_id": "vendor", "cpu family": "family", "model": "model", "stepping": "stepping",
                  "model name": "name", "cache size": "cache",  # x86
                  "CPU implementer": "implementer", "CPU part": "part", "CPU variant": "variant",  # ARM
                  "CPU revision": "revision"}


def describe() -> dict:
    """{cpu_count, usable_cores, cpu_capability, cpu, platform, omp_num_threads} of this machine and process
    (instant: nothing runs); usable_cores: those this process may run on (`parallel.usable_cores`)."""
    return dict(cpu_count=os.cpu_count(), usable_cores=usable_cores(), cpu_capability=cpu_capability(), cpu=cpu_model(),
                platform=platform.platform(), omp_num_threads=os.environ.get("OMP_NUM_THREADS"))


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
    trained different networks from one seed (docs/reproducibility.md), so the records of a run keep the processor too."""
    try:
        first_cpu = Path(cpuinfo).read_text().split("\n\n", 1)[0]
    except OSError:
        first_cpu = ""
    fields = {key.strip(): value.strip() for key, _, value in
              (line.partition(":") for line in first_cpu.splitlines())}
    found = {ours: fields[theirs] for theirs, ours in CPUINFO_FIELDS.items() if theirs in fields}
    return found or dict(name=platform.processor() or platform.machine() or None)
