"""Shared by every test (tests/ and the notebooks). `bash run.sh test` runs pytest in one worker process per
CPU core (pytest-xdist, `-n auto --dist loadfile`: each file's tests in one worker, in order). Each worker
is pinned to its share of the cores, and computes with that many threads, as does every process it starts
(notebook kernels, `n2s` commands, joblib workers), so the workers never compete for a core: two threads on
one core made torch's small networks several times slower. Files with long tests go first, so that the
workers finish together rather than one waiting for the other's last long file."""
import os


def pin_this_worker() -> None:
    """In an xdist worker: pin it to its share of the cores and limit every thread pool to that many threads.
    Called as pytest loads this file, before anything imports torch (so its OpenMP reads the environment)."""
    worker, workers = os.environ.get("PYTEST_XDIST_WORKER"), os.environ.get("PYTEST_XDIST_WORKER_COUNT")
    if worker is None or not hasattr(os, "sched_setaffinity"):  # one pytest process: leave the defaults
        return
    cores, index, count = sorted(os.sched_getaffinity(0)), int(worker.removeprefix("gw")), int(workers)
    if count >= len(cores):
        share = [cores[index % len(cores)]]
    else:
        share = cores[index * len(cores) // count:(index + 1) * len(cores) // count]
    os.sched_setaffinity(0, share)
    threads = len(share)
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[variable] = str(threads)
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"  # a test that asks for more threads than cores: idle ones sleep

    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(threads)
    threadpool_limits(threads)


pin_this_worker()


def pytest_collection_modifyitems(config, items):
    """The notebooks and the files with a test marked `slow` first, each file's tests in their order."""
    def long_file(item) -> bool:
        return item.path.suffix == ".ipynb" or item.get_closest_marker("slow") is not None

    long_files = {item.path for item in items if long_file(item)}
    items.sort(key=lambda item: item.path not in long_files)
