"""Where the time goes: wall seconds of named stages and the CPU time a hypervisor stole meanwhile.

    clock = StageClock()
    with clock.stage("phase 1"):
        ...
    clock.seconds    # {"phase 1": 841.2}
    clock.stolen()   # {"phase 1": 0.28}: 28 % of the machine's CPU time went to other virtual machines
"""
from __future__ import annotations

import time
from contextlib import contextmanager


def cpu_times() -> dict[str, float]:
    """The machine's CPU seconds since boot by state (user, idle, steal, ...), summed over CPUs (psutil)."""
    import psutil

    return psutil.cpu_times()._asdict()


class StageClock:
    """Wall time of named stages, in seconds, and the share of the machine's CPU time stolen meanwhile.

    Steal is CPU time a virtual machine's CPUs were ready to run but the hypervisor gave to another guest
    (Linux reports it; elsewhere `stolen` is None). A run on a busy host is slower for it, most of all
    with several threads: they wait for each other whenever one of them is not scheduled."""

    def __init__(self, read_cpu_times=cpu_times):
        self.read_cpu_times = read_cpu_times
        self.seconds: dict[str, float] = {}
        self._cpu: dict[str, dict[str, float]] = {}  # per stage: CPU seconds by state, summed over its spans

    @contextmanager
    def stage(self, name: str):
        """Time the block as stage `name` (wall seconds and CPU time by state; repeated stages add up)."""
        started, before = time.perf_counter(), self.read_cpu_times()
        try:
            yield
        finally:
            self.seconds[name] = round(self.seconds.get(name, 0.0) + time.perf_counter() - started, 3)
            spent = self._cpu.setdefault(name, {})
            for state, value in self.read_cpu_times().items():
                spent[state] = spent.get(state, 0.0) + value - before[state]

    def stolen(self) -> dict[str, float | None]:
        """{stage: stolen CPU time / all CPU time of the machine during it (0..1)}, None without a steal count."""
        out = {}
        for name, spent in self._cpu.items():
            total = sum(spent.values())
            out[name] = round(spent["steal"] / total, 4) if "steal" in spent and total > 0 else None
        return out
