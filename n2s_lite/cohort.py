"""A simulated cohort: N different brains, each drawn within the simulator's calibrated ranges, each its own file.

Participant k of a cohort is the simulator's participant of seed k (its sentences, tuning and noise come from
`SeedSequence(k)`, as for `neuro.simulate_listening(seed=k)`), with four brain settings drawn from a stream of
its own (`SeedSequence(k, spawn_key=DRAW_STREAM)`), so participant k is the same in every cohort that holds it:

- grid placement (`grid_origin_mm`): x uniform in +-4 mm (one electrode spacing) along STG, which moves the
  grid's share of onset (posterior) and sustained (anterior) sites; y uniform in +-4 mm across it, which can
  leave one row of electrodes off the speech cortex (`neuro.grid.on_speech_cortex`), where no site responds;
- share of responsive sites (`responsive_fraction`): uniform in 0.18-0.32 (calibrated 0.25);
- noise level (`snr`, response-to-noise variance of a gain-1 site): log-uniform in 0.10-0.25 (calibrated
  0.15; docs/simulator.md: 0.12 and 0.25 keep the ridge and encoding correlations in their targets);
- bad channels (`bad_fraction`): uniform in 0.02-0.10 (calibrated 0.05).

docs/cohorts.md measures a cohort against the calibration standard (an independent ridge decoder's
spectrogram r, and the held-out encoding r of responsive sites, per participant).

    paths = simulate_cohort(5, "listening", "standard", "runs/cohort", seed=0)   # sim-000.h5 ... sim-004.h5
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import InputError

DRAW_STREAM = (1_000,)  # spawn key of the draws: far from the simulator's own streams (spawn keys 0-4)
PLACEMENT_MM = ((-4.0, 4.0), (-4.0, 4.0))  # (x, y) range of the grid's origin
RESPONSIVE_FRACTION = (0.18, 0.32)
SNR = (0.10, 0.25)  # drawn log-uniformly
BAD_FRACTION = (0.02, 0.10)
TASKS = ("listening", "speaking")


def draw(seed: int) -> dict:
    """Participant `seed`'s brain settings, as keywords of the simulator: grid_origin_mm, responsive_fraction,
    snr, bad_fraction (rounded to 3 decimals so that the file's metadata shows what was used)."""
    rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=DRAW_STREAM))
    origin = tuple(round(float(rng.uniform(*bounds)), 3) for bounds in PLACEMENT_MM)
    return dict(grid_origin_mm=origin, responsive_fraction=round(float(rng.uniform(*RESPONSIVE_FRACTION)), 3),
                snr=round(float(np.exp(rng.uniform(*np.log(SNR)))), 3),
                bad_fraction=round(float(rng.uniform(*BAD_FRACTION)), 3))


def participant_name(seed: int) -> str:
    """sim-007 for seed 7: the file stem, and the participant's name in the group table."""
    return f"sim-{int(seed):03d}"


def simulate_participant(seed: int, task: str, profile: str, out, overwrite: bool = False) -> Path:
    """Simulate cohort participant `seed` (its `draw`) at the profile's minutes and electrodes, hearing (or
    saying) the stimulus half of the profile's corpus, and save it to `out` (HDF5, atomic)."""
    from . import corpora, io
    from .methods import corpora_of, settings
    from .utils import refuse_to_replace

    refuse_to_replace(out, overwrite)
    simulate = simulator(task)
    options = settings(profile)
    _pretrain, stimuli = corpora.pretraining_and_stimuli(corpora.load(corpora_of(profile)["stimuli"]))
    rec = simulate(stimuli, minutes=options["minutes"], n_electrodes=options["n_electrodes"], seed=int(seed),
                   **draw(seed))
    io.save(rec, out, overwrite=overwrite)
    return Path(out)


def simulate_cohort(n: int, task: str = "listening", profile: str = "smoke", out_dir="runs/cohort", seed: int = 0,
                    overwrite: bool = False) -> list[Path]:
    """Simulate participants seed, seed + 1, ..., seed + n - 1 (`simulate_participant`) into
    out_dir/sim-SSS.h5; returns the paths. Existing files are refused before anything is simulated, unless
    overwrite=True."""
    from tqdm.auto import tqdm

    from .utils import refuse_to_replace

    if int(n) != n or n < 1:
        raise InputError("simulate_cohort", "n", "a whole number of participants >= 1", str(n))
    simulator(task)
    seeds = range(int(seed), int(seed) + int(n))
    paths = [Path(out_dir) / f"{participant_name(s)}.h5" for s in seeds]
    for path in paths:
        refuse_to_replace(path, overwrite)
    for s, path in zip(tqdm(seeds, desc=f"cohort ({task}, {profile})", unit="participant"), paths):
        simulate_participant(s, task, profile, path, overwrite)
    return paths


def simulator(task: str):
    """The simulator of a task: neuro.simulate_listening or neuro.simulate_speaking."""
    from . import neuro

    if task not in TASKS:
        raise InputError("simulate_cohort", "task", f"one of {TASKS}", repr(task))
    return neuro.simulate_listening if task == "listening" else neuro.simulate_speaking
