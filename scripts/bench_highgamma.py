"""How long does loading a full-size Podcast ECoG participant take, and how much memory does it need?

Writes a synthetic participant in the Podcast layout with the tests' writer (tests/listening_fakes.py through
`n2s_lite.io.podcast.write`: by default 30 minutes, 235 channels at 512 Hz, the size of the dataset's largest
participant) into a temporary directory, then loads it with `io.load` in a fresh process (EDF read lazily,
high-gamma extracted in channel chunks, the 44.1 kHz stereo stimulus read and resampled) and records the wall
time, its CPU time (user + system; others' work on a shared machine stretches the wall time, not this) and the
process's peak resident memory (VmHWM). Prints one JSON object and, with --out, writes it (atomically).

    python scripts/bench_highgamma.py --out runs/bench_highgamma.json
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_LOAD = """
import json, resource, sys, time
import numpy as np
from n2s_lite import io


def peak_gb():  # high-water resident memory since this process's exec (VmHWM; ru_maxrss can carry the parent's)
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 2**20
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


started = time.perf_counter()
rec = io.load(sys.argv[1], subject="01", band=(float(sys.argv[2]), float(sys.argv[3])))
seconds = time.perf_counter() - started
frames = rec.audio[: rec.n_frames * 160].reshape(rec.n_frames, 160)
loudness = np.sqrt((frames ** 2).mean(axis=1))
lag = 10  # the writer's tracking channels follow the sound 100 ms later
r = [float(np.corrcoef(rec.high_gamma[lag:, e], loudness[:-lag])[0, 1]) for e in range(rec.n_electrodes)]
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps(dict(load_s=round(seconds, 1), load_cpu_s=round(usage.ru_utime + usage.ru_stime, 1),
                 peak_rss_gb=round(peak_gb(), 3), high_gamma_shape=list(rec.high_gamma.shape), n_trials=len(rec.trials),
                 r_loudness=r)))
"""


def write_participant(root: Path, minutes: float, channels: int, fs: int, seed: int) -> dict:
    """Write the synthetic participant sub-01 under root; return what was written and how long it took."""
    sys.path.insert(0, str(ROOT / "tests"))
    import listening_fakes
    from n2s_lite.io import podcast

    started = time.perf_counter()
    tracking = list(range(0, channels, 10))
    rec, words = listening_fakes.participant(seconds=int(round(minutes * 60)), n_channels=channels, fs=fs,
                                             tracking=tracking, bad=(channels - 1,), seed=seed)
    podcast.write(rec, root, words, subject="01", derivative=False)
    edf = next(root.rglob("*_ieeg.edf"))
    return dict(write_s=round(time.perf_counter() - started, 1), edf_mb=round(edf.stat().st_size / 2**20, 1),
                tracking_channels=tracking)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--channels", type=int, default=235)
    parser.add_argument("--fs", type=int, default=512)
    parser.add_argument("--band", type=float, nargs=2, default=(70.0, 150.0), metavar=("LOW", "HIGH"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="also write the JSON here (never over an existing file)")
    args = parser.parse_args(argv)
    from n2s_lite.utils import atomic_path, refuse_to_replace

    if args.out:
        refuse_to_replace(args.out)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="n2s-bench-hg-") as tmp:
        written = write_participant(Path(tmp), args.minutes, args.channels, args.fs, args.seed)
        done = subprocess.run([sys.executable, "-c", _LOAD, tmp, *(str(b) for b in args.band)], check=True,
                              capture_output=True, text=True)
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    r = loaded.pop("r_loudness")
    tracking = set(written["tracking_channels"])
    result = dict(command="python scripts/bench_highgamma.py " + " ".join(argv if argv is not None else sys.argv[1:]),
                  minutes=args.minutes, channels=args.channels, fs=args.fs, band_hz=list(args.band), **written,
                  **loaded, median_r_tracking=round(float(_median([r[e] for e in tracking])), 3),
                  median_r_other=round(float(_median([v for e, v in enumerate(r) if e not in tracking])), 3),
                  machine=_machine(load_before))
    text = json.dumps(result, indent=1)
    print(text)
    if args.out:
        with atomic_path(args.out, overwrite=False) as tmp:
            tmp.write_text(text + "\n")
    return 0


def _machine(load_before) -> dict:
    """CPU count and model, platform, and the 1-minute load average before and after (others' work slows ours)."""
    import platform

    from n2s_lite.machine import cpu_model

    return dict(cpu_count=os.cpu_count(), cpu=cpu_model().get("name"), platform=platform.platform(),
                load_average_1min=[round(load_before[0], 1), round(os.getloadavg()[0], 1)])


def _median(values) -> float:
    import numpy as np

    return float(np.median(values))


if __name__ == "__main__":
    sys.exit(main())
