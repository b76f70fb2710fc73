"""Shared by every test (tests/ and the notebooks): `bash run.sh test` runs pytest in one worker process per
CPU core (pytest-xdist, `-n auto --dist loadfile`: each file's tests in one worker, in order). Each worker,
and every process it starts (notebook kernels, `n2s` commands, joblib workers), then computes on its share of
the cores, so the workers together use each core once instead of each trying to use all of them."""
import os


def pytest_configure(config):
    workers = os.environ.get("PYTEST_XDIST_WORKER_COUNT")
    if workers is None:  # one pytest process: leave torch and BLAS their defaults
        return
    import torch
    from threadpoolctl import threadpool_limits

    threads = max(1, (os.cpu_count() or 1) // int(workers))
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[variable] = str(threads)  # for the processes this worker starts
    torch.set_num_threads(threads)
    threadpool_limits(threads)
