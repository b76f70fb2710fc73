"""n2s_lite.clock: wall time of stages and the share of the machine's CPU time stolen by a hypervisor."""
import os
import sys
import time

import pytest

from n2s_lite.clock import StageClock, cpu_times


def test_stage_clock_gives_each_stage_the_share_of_cpu_time_stolen_during_it():
    readings = iter([dict(user=0.0, idle=0.0, steal=0.0),   # a starts
                     dict(user=6.0, idle=2.0, steal=2.0),   # a ends: 2 of 10 CPU seconds stolen
                     dict(user=6.0, idle=2.0, steal=2.0),   # a again
                     dict(user=9.0, idle=2.0, steal=9.0)])  # 7 of 10 more stolen: 9 of 20 over both spans
    stages = StageClock(lambda: next(readings))
    for _ in range(2):
        with stages.stage("a"):
            pass
    assert stages.stolen() == {"a": pytest.approx(0.45)} and 0.0 <= stages.seconds["a"] < 1.0
    no_steal = StageClock(lambda: dict(user=1.0, idle=1.0))  # a machine that does not report steal
    with no_steal.stage("b"):
        pass
    assert no_steal.stolen() == {"b": None}


def test_machine_cpu_times_add_up_to_the_cpus_time_and_include_steal_on_linux():
    first = cpu_times()
    time.sleep(0.2)
    second = cpu_times()
    elapsed_cpu = sum(second.values()) - sum(first.values())
    assert 0.0 < elapsed_cpu <= (os.cpu_count() or 1) * 5.0
    if sys.platform.startswith("linux"):
        assert "steal" in first
