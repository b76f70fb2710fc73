"""Shared by every test (tests/ and the notebooks). `bash run.sh test` runs pytest in one worker process per
CPU core (pytest-xdist, `-n auto --dist loadfile`: each file's tests in one worker, in order). Each worker
is pinned to its share of the cores, and computes with that many threads, as does every process it starts
(notebook kernels, `n2s` commands, joblib workers), so the workers never compete for a core: two threads on
one core make torch's small networks several times slower."""
import os


def pytest_configure(config):
    worker, workers = os.environ.get("PYTEST_XDIST_WORKER"), os.environ.get("PYTEST_XDIST_WORKER_COUNT")
    if worker is None or not hasattr(os, "sched_setaffinity"):  # one pytest process: leave the defaults
        return
    import torch
    from threadpoolctl import threadpool_limits

    cores, index, count = sorted(os.sched_getaffinity(0)), int(worker.removeprefix("gw")), int(workers)
    if count >= len(cores):
        share = [cores[index % len(cores)]]
    else:
        share = cores[index * len(cores) // count:(index + 1) * len(cores) // count]
    os.sched_setaffinity(0, share)
    threads = len(share)
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[variable] = str(threads)
    torch.set_num_threads(threads)
    threadpool_limits(threads)
