"""Independent training runs in worker processes with few CPU threads each (used by `n2s bench` and the data curve).

The small recurrent and convolutional networks of phase 2 use two CPU threads poorly: one standard
adaptor epoch takes 3.9 s on 2 threads and 5.4 s on 1, so two one-thread processes finish two runs about
1.4x sooner than one two-thread process doing them in turn. A run's numbers depend on its seed and its
thread count, not on which worker runs it or when.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Callable, Sequence

from tqdm.auto import tqdm

MAX_JOBS = 8  # each worker holds its own recording and models (~1.5 GB in the standard profile)


def default_jobs() -> int:
    """Worker processes: one per CPU core (at most MAX_JOBS) on a CPU-only machine; 1 with a GPU."""
    import torch

    if torch.cuda.is_available() or torch.backends.mps.is_available():
        return 1
    return max(1, min(os.cpu_count() or 1, MAX_JOBS))


def threads_per_job(jobs: int) -> int:
    """CPU threads each of `jobs` workers gets, so that together they use every core once."""
    return max(1, (os.cpu_count() or 1) // jobs)


def map_in_workers(function: Callable, tasks: Sequence, jobs: int | None = None, desc: str = "runs") -> list:
    """[function(task) for task in tasks], spread over `jobs` fresh processes (here, in order, when jobs == 1).

    function must be importable by name (a module-level function, or functools.partial of one), and the
    tasks and results picklable. Workers are started with "spawn", which imports the calling script
    again: a script (not a notebook) that calls this needs an `if __name__ == "__main__":` guard.
    Shows a progress bar over finished tasks.
    """
    jobs = default_jobs() if jobs is None else int(jobs)
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    if jobs == 1 or len(tasks) < 2:
        return [function(task) for task in tqdm(tasks, desc=desc, leave=False)]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    threads = threads_per_job(jobs)
    context = multiprocessing.get_context("spawn")  # fork is unsafe once torch's thread pool exists
    results = [None] * len(tasks)
    with _thread_limits(threads), ProcessPoolExecutor(min(jobs, len(tasks)), mp_context=context,
                                                      initializer=_set_torch_threads, initargs=(threads,)) as pool:
        futures = {pool.submit(function, task): i for i, task in enumerate(tasks)}
        for future in tqdm(as_completed(futures), total=len(futures), desc=desc, leave=False):
            results[futures[future]] = future.result()
    return results


def _set_torch_threads(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)


@contextmanager
def _thread_limits(threads: int):
    """Limit the OpenMP/BLAS threads of processes started inside (they read the environment at start)."""
    names = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update({name: str(threads) for name in names})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
