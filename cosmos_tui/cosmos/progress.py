"""Turning stage events into a 0-100 progress figure and an ETA.

Expected stage durations come from finished runs (the median of the last ones on the same host
and model type) and fall back to the adapter's defaults before there are any.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cosmos_tui.cosmos.base import LogEvent, Stage


@dataclass
class StageSpan:
    stage: str
    seq: int
    started: float
    finished: float | None = None


@dataclass
class Tracker:
    stages: tuple[Stage, ...]
    expected: Mapping[str, float] = field(default_factory=dict)  # learned seconds per stage
    clips: int = 1
    clips_done: int = 0
    spans: list[StageSpan] = field(default_factory=list)

    def seconds(self, key: str) -> float:
        stage = next(s for s in self.stages if s.key == key)
        return float(self.expected.get(key, stage.default_seconds))

    def feed(self, event: LogEvent, now: float) -> bool:
        """Apply an event; True when the current stage changed."""
        if event.clips_total:
            self.clips = max(1, event.clips_total)
            self.clips_done = event.clips_done or 0
        if event.stage is None:
            return False
        current = self.current
        if current is not None and current.stage == event.stage and event.stage == "load":
            return False  # several "load" lines belong to one stage
        if current is not None:
            current.finished = now
        self.spans.append(StageSpan(event.stage, len(self.spans), now))
        return True

    def finish(self, now: float) -> None:
        if self.current is not None and self.current.finished is None:
            self.current.finished = now

    @property
    def current(self) -> StageSpan | None:
        return self.spans[-1] if self.spans else None

    def _total(self) -> float:
        return sum(self.seconds(s.key) * (self.clips if s.per_clip else 1) for s in self.stages)

    def _done_before_current(self) -> float:
        """Expected seconds of all work before the current stage occurrence."""
        done = 0.0
        for span in self.spans[:-1]:
            done += self.seconds(span.stage)
        return done

    def progress(self, now: float) -> float:
        if not self.spans:
            return 0.0
        current = self.current
        assert current is not None
        expected = self.seconds(current.stage)
        elapsed = (current.finished or now) - current.started
        part = min(elapsed, expected * 0.95) if expected > 0 else 0.0
        total = self._total()
        value = 100.0 * (self._done_before_current() + part) / total if total else 0.0
        return max(0.0, min(99.0, value))

    def eta_seconds(self, now: float) -> float | None:
        if not self.spans:
            return None
        current = self.current
        assert current is not None
        elapsed = now - current.started
        left_here = max(0.0, self.seconds(current.stage) - elapsed)
        return max(0.0, self._total() - self._done_before_current() - self.seconds(current.stage)) + left_here
