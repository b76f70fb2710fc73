"""The lag window: which high-gamma frames around audio frame t a decoder reads, chosen by the task.

Listening, cortical high-gamma follows the heard sound by about 50-300 ms, so mel frame t is read from
high-gamma at t - 100 ms .. t + 300 ms. Speaking, sensorimotor cortex leads the produced sound while auditory
cortex still follows the speaker's own voice, so the window reaches both ways: t - 200 ms .. t + 200 ms, the
best of six 400-ms windows on validation trials of the simulator's speaking participant (docs/simulator.md,
"Speaking vs listening window"). Both span 41 frames at 100 Hz, so every network has the same size for either
task. The causal variant of a window keeps its span but ends at t (only activity up to the decoded frame):
for speech production, the real-time setting a speech prosthesis needs.

    window = LagWindow.for_task(rec.task)       # or LagWindow(-200, 200)
    window.lags                                 # (-10, ..., 30): frame offsets, in order
    window.causal().lags                        # (-40, ..., 0)
"""
from __future__ import annotations

from dataclasses import dataclass

from . import audio as A
from .recording import TASKS

DEFAULT_MS = {"listening": (-100.0, 300.0), "speaking": (-200.0, 200.0)}


@dataclass(frozen=True)
class LagWindow:
    """High-gamma from `first_ms` to `last_ms` (inclusive) around the decoded frame; negative = before it."""

    first_ms: float
    last_ms: float

    def __post_init__(self):
        if not self.first_ms <= self.last_ms:
            raise ValueError(f"lag window: first_ms must be <= last_ms, got {self.first_ms} and {self.last_ms} ms")

    @classmethod
    def for_task(cls, task: str) -> "LagWindow":
        """The default window of a task ('listening' or 'speaking')."""
        if task not in DEFAULT_MS:
            raise ValueError(f"task must be one of {TASKS}, got {task!r}")
        return cls(*DEFAULT_MS[task])

    @property
    def frames(self) -> tuple[int, int]:
        """(first, last) frame offsets at the 100 Hz frame clock."""
        return tuple(int(round(ms * A.FRAME_RATE / 1000.0)) for ms in (self.first_ms, self.last_ms))

    @property
    def lags(self) -> tuple[int, ...]:
        """Every frame offset of the window, first to last."""
        first, last = self.frames
        return tuple(range(first, last + 1))

    @property
    def lookback(self) -> int:
        """Frames before t where the window starts (negative if it starts after t)."""
        return -self.frames[0]

    @property
    def lookahead(self) -> int:
        """Frames after t where the window ends (negative if it ends before t)."""
        return self.frames[1]

    def causal(self) -> "LagWindow":
        """The same span ending at t: no activity after the decoded frame."""
        return LagWindow(self.first_ms - max(0.0, self.last_ms), min(0.0, self.last_ms))

    def to_dict(self) -> dict:
        return dict(first_ms=self.first_ms, last_ms=self.last_ms, frames=list(self.frames))
