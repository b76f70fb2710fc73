"""Independent work in worker processes with few CPU threads each (joblib's loky pool), as `n2s bench`, the
sweeps and the vocoding of many sentences use it.

The small recurrent and convolutional networks of phase 2 use two CPU threads poorly: one standard
adaptor epoch takes 3.9 s on 2 threads and 5.4 s on 1, so two one-thread processes finish two runs about
1.4x sooner than one two-thread process doing them in turn. A run's numbers depend on its seed and its
thread count, not on which worker runs it or when: a worker trains exactly what this process trains with
as many threads.
"""
from __future__ import annotations

import functools
import os
from typing import Callable, Sequence

from tqdm.auto import tqdm

from . import profiles

MAX_JOBS = 8  # each worker holds its own recording and models (~1.5 GB in the standard profile)


def usable_cores() -> int:
    """The CPU cores this process may run on: its affinity mask where the system keeps one (the cores of a
    cluster job or of a test worker, not every core of the node), else every core of the machine."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def default_jobs() -> int:
    """Worker processes: one per usable CPU core (at most MAX_JOBS) on a CPU-only machine; 1 with a GPU."""
    import torch

    if torch.cuda.is_available() or torch.backends.mps.is_available():
        return 1
    return max(1, min(usable_cores(), MAX_JOBS))


def threads_per_job(jobs: int) -> int:
    """CPU threads each of `jobs` workers gets, so that together they use every core once."""
    return max(1, usable_cores() // jobs)


def map_in_workers(function: Callable, tasks: Sequence, jobs: int | None = None, desc: str | None = "runs") -> list:
    """[function(task) for task in tasks], spread over `jobs` worker processes (here, in order, when jobs == 1).

    Each worker runs torch, OpenMP and BLAS on `threads_per_job(jobs)` threads, with this process's profile
    settings (`profiles.SETTINGS`, changes by `profiles.apply` included). The workers are joblib's
    loky processes: started afresh (never forked), kept for a few minutes to serve the next call, and a
    script (not a notebook) that calls this needs an `if __name__ == "__main__":` guard. function and the
    tasks and results must be picklable (joblib's cloudpickle also takes lambdas). desc: the label of the
    progress bar over finished tasks; None shows none.
    """
    jobs = default_jobs() if jobs is None else int(jobs)
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    bar = functools.partial(tqdm, total=len(tasks), desc=desc, leave=False, disable=desc is None)
    if jobs == 1 or len(tasks) < 2:
        return [function(task) for task in bar(tasks)]
    from joblib import Parallel, delayed, parallel_config

    threads = threads_per_job(jobs)
    run = delayed(functools.partial(_in_worker, function, threads, profiles.snapshot()))
    with parallel_config(backend="loky", inner_max_num_threads=threads):  # OMP/MKL/OpenBLAS limits of the workers
        results = Parallel(n_jobs=min(jobs, len(tasks)), return_as="generator")(run(task) for task in tasks)
        return list(bar(results))


def _in_worker(function: Callable, threads: int, settings: dict, task):
    """function(task) in a worker, with torch on `threads` threads and the caller's profile settings."""
    import torch

    torch.set_num_threads(threads)
    profiles.restore(settings)
    return function(task)
