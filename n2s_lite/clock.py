"""Where the time goes: wall seconds of named stages.

    clock = StageClock()
    with clock.stage("phase 1"):
        ...
    clock.seconds    # {"phase 1": 841.2}
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Callable


class StageClock:
    """Wall time of named stages, in seconds; a stage timed again adds up. timer: seconds of a monotonic clock."""

    def __init__(self, timer: Callable[[], float] = time.perf_counter):
        self.timer = timer
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str):
        """Time the block as stage `name`, even when it raises."""
        started = self.timer()
        try:
            yield
        finally:
            self.seconds[name] = round(self.seconds.get(name, 0.0) + self.timer() - started, 3)
