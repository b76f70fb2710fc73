"""n2s_lite.clock: wall seconds of named stages."""
import pytest

from n2s_lite.clock import StageClock


def test_a_stage_timed_twice_adds_up_and_a_failing_block_is_timed_too():
    ticks = iter([0.0, 1.5, 10.0, 10.25, 20.0, 23.0])
    clock = StageClock(lambda: next(ticks))
    for _ in range(2):
        with clock.stage("a"):
            pass
    with pytest.raises(RuntimeError), clock.stage("b"):
        raise RuntimeError("the block failed")
    assert clock.seconds == {"a": 1.75, "b": 3.0}


def test_the_default_timer_measures_real_seconds():
    clock = StageClock()
    with clock.stage("nothing"):
        pass
    assert 0.0 <= clock.seconds["nothing"] < 1.0
