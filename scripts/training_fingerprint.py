"""Does this machine train the same networks as the one that made the committed figures?

Prints one JSON line: torch's CPU instruction set, the processor (/proc/cpuinfo), and the fingerprint of a
short seeded training run (`n2s_lite.machine.training_fingerprint`: the standard autoencoder for a few
Adam steps; final loss, a hash of the weights, and the seconds the steps took). The same code and seed give
the same hash only where the CPU kernels (oneDNN's among them) sum in the same order: on another
instruction set or thread count the hash differs, and full trainings there end at slightly different
networks (README, Reproducibility). Takes a few seconds.

    python scripts/training_fingerprint.py                            # compare with the README's hash
    ONEDNN_MAX_CPU_ISA=AVX2 python scripts/training_fingerprint.py    # the same machine, AVX2 kernels
"""
from __future__ import annotations

import argparse
import json

from n2s_lite.machine import cpu_capability, cpu_model, training_fingerprint


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    print(json.dumps(dict(cpu_capability=cpu_capability(), cpu=cpu_model(),
                          **training_fingerprint(args.steps, args.threads))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
