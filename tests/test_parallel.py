"""n2s_lite.parallel: independent runs in joblib worker processes, each with its share of the CPU threads."""
import os

import numpy as np
import pytest
import torch

from n2s_lite import parallel
from n2s_lite.train import torch_threads

TWO_CORES = pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs two CPU cores")


def worker_report(task: int) -> tuple:
    """A worker task: the task, this process and its torch / OpenMP threads."""
    return task * task, os.getpid(), torch.get_num_threads(), os.environ.get("OMP_NUM_THREADS")


def seeded_training(seed: int) -> dict:
    """A worker task: a small convolutional and recurrent network trained 4 Adam steps from `seed` -> its weights."""
    torch.manual_seed(seed)
    conv, gru = torch.nn.Conv1d(8, 16, 5, padding=2), torch.nn.GRU(16, 16, batch_first=True)
    optimiser = torch.optim.Adam([*conv.parameters(), *gru.parameters()], 1e-2)
    x, y = torch.randn(4, 8, 50), torch.randn(4, 50, 16)
    for _ in range(4):
        optimiser.zero_grad()
        out, _ = gru(conv(x).transpose(1, 2))
        torch.nn.functional.mse_loss(out, y).backward()
        optimiser.step()
    return {k: v.numpy() for k, v in {**conv.state_dict(), **gru.state_dict()}.items()}


def test_one_job_runs_in_order_in_this_process():
    results = parallel.map_in_workers(worker_report, [3, 1, 2], jobs=1)
    assert [r[0] for r in results] == [9, 1, 4]
    assert {r[1] for r in results} == {os.getpid()}


@TWO_CORES
def test_workers_return_results_in_task_order_with_their_share_of_threads():
    before = os.environ.get("OMP_NUM_THREADS")
    results = parallel.map_in_workers(worker_report, list(range(6)), jobs=2)
    assert [r[0] for r in results] == [i * i for i in range(6)]
    assert os.getpid() not in {r[1] for r in results} and len({r[1] for r in results}) <= 2
    share = max(1, parallel.usable_cores() // 2)
    assert {r[2] for r in results} == {share} and {r[3] for r in results} == {str(share)}
    assert os.environ.get("OMP_NUM_THREADS") == before  # the limit applied to the workers only


@TWO_CORES
def test_a_worker_trains_what_this_process_trains_on_as_many_threads():
    with torch_threads(parallel.threads_per_job(2)):
        here = [seeded_training(seed) for seed in (0, 1)]
    there = parallel.map_in_workers(seeded_training, [0, 1], jobs=2)
    for mine, theirs in zip(here, there):
        assert mine.keys() == theirs.keys() and all(np.array_equal(mine[k], theirs[k]) for k in mine)
    assert not np.array_equal(here[0]["weight"], here[1]["weight"])  # the seeds differ, so would a mix-up


def test_worker_errors_reach_the_caller():
    with pytest.raises(ValueError, match="math domain"):
        parallel.map_in_workers(__import__("math").sqrt, [4.0, -1.0], jobs=2)


def test_threads_and_jobs_are_sane(monkeypatch):
    assert parallel.threads_per_job(1) == parallel.usable_cores()
    assert parallel.threads_per_job(10 ** 6) == 1
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    for cores, jobs in ((1, 1), (3, 3), (parallel.MAX_JOBS + 5, parallel.MAX_JOBS)):
        monkeypatch.setattr(parallel, "usable_cores", lambda: cores)
        assert parallel.default_jobs() == jobs  # one worker per core, at most MAX_JOBS
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert parallel.default_jobs() == 1  # a GPU: one worker
    with pytest.raises(ValueError, match="jobs"):
        parallel.map_in_workers(worker_report, [1], jobs=0)


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity") or (os.cpu_count() or 1) < 2,
                    reason="needs CPU affinity and a machine with two cores")
def test_usable_cores_follow_the_affinity_mask_as_a_cluster_job_sets_it():
    cores = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, {min(cores)})  # one core of the machine's two or more
        assert parallel.usable_cores() == 1 and parallel.threads_per_job(1) == 1
    finally:
        os.sched_setaffinity(0, cores)
    assert parallel.usable_cores() == len(cores)
