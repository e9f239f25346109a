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
    """Where a run stands: stage spans as they begin and end, and what is left.

    A stage's expected length is the learned one (finished runs on this host) or, before there
    are any, the adapter's default scaled by how long this run's finished stages took against
    their defaults (a first run on a fast or a slow host still gets a true ETA). Inside a stage
    the figure advances with elapsed time but never reaches the next stage's start, and it never
    goes backwards. Where the model prints a per-step bar (``steps_done/steps_total``), the
    figure inside that stage follows the steps, and so does the time left in it. A bar that starts
    again inside its stage is another round of it (a Cosmos 3 transfer samples each chunk of the
    video with its own bar): ``rounds`` is how many are expected, when that is known beforehand.
    """

    stages: tuple[Stage, ...]
    expected: Mapping[str, float] = field(default_factory=dict)  # learned seconds per stage
    clips: int = 1
    clips_done: int = 0
    spans: list[StageSpan] = field(default_factory=list)
    steps_done: int = 0
    steps_total: int = 0  # of the current stage's per-step bar; 0 when it has none
    rounds: int = 1  # how many times the step bar runs in its stage (1 unless known otherwise)
    rounds_done: int = 0
    round_started: float = 0.0
    _shown: float = 0.0

    def _default(self, key: str) -> float:
        return float(next(s for s in self.stages if s.key == key).default_seconds)

    def scale(self) -> float:
        """This run's pace against the adapter's defaults, from its finished, unlearned stages."""
        actual = default = 0.0
        for span in self.spans:
            if span.finished is not None and span.stage not in self.expected:
                actual += span.finished - span.started
                default += self._default(span.stage)
        if default <= 0 or actual <= 0:
            return 1.0
        return min(100.0, max(0.001, actual / default))

    def seconds(self, key: str, scale: float | None = None) -> float:
        if key in self.expected:
            return float(self.expected[key])
        return self._default(key) * (self.scale() if scale is None else scale)

    def feed(self, event: LogEvent, now: float) -> bool:
        """Apply an event; True when the current stage changed."""
        if event.clips_total:
            self.clips = max(1, event.clips_total)
            self.clips_done = event.clips_done or 0
        current = self.current
        stepping = bool(event.steps_total)
        if event.stage is None or (current is not None and current.stage == event.stage):
            if stepping and current is not None and current.finished is None:
                done, total = event.steps_done or 0, event.steps_total or 0
                if self.steps_total and (done < self.steps_done or total != self.steps_total):
                    self.rounds_done += 1  # the bar started again: the next round of this stage
                    self.round_started = now
                self.steps_done, self.steps_total = done, total
            # Several "load" lines, or a step bar naming its stage, belong to one stage.
            if event.stage is None or event.stage == "load" or stepping:
                return False
        if current is not None:
            current.finished = now
        self.spans.append(StageSpan(str(event.stage), len(self.spans), now))
        self.rounds_done, self.round_started = 0, now
        self.steps_done, self.steps_total = (
            (event.steps_done or 0, event.steps_total or 0) if stepping else (0, 0)
        )
        return True

    def _rounds(self) -> int:
        """Rounds expected in the current stage: more than announced once more have begun."""
        return max(self.rounds, self.rounds_done + 1)

    def _step_fraction(self) -> float | None:
        """How far the current stage is by its step bar, or None when it has none."""
        if not self.steps_total:
            return None
        within = min(1.0, max(0.0, self.steps_done / self.steps_total))
        return (self.rounds_done + within) / self._rounds()

    def finish(self, now: float) -> None:
        if self.current is not None and self.current.finished is None:
            self.current.finished = now

    @property
    def current(self) -> StageSpan | None:
        return self.spans[-1] if self.spans else None

    def _skipped(self) -> set[str]:
        """Stages passed over without a line: a download when the weights are already there, say.
        They are out of the total once a stage after them has begun."""
        order = {stage.key: index for index, stage in enumerate(self.stages)}
        seen = {span.stage for span in self.spans}
        furthest = max((order.get(key, -1) for key in seen), default=-1)
        return {stage.key for stage in self.stages if order[stage.key] < furthest and stage.key not in seen}

    def _total(self, scale: float) -> float:
        skipped = self._skipped()
        return sum(
            self.seconds(s.key, scale) * (self.clips if s.per_clip else 1)
            for s in self.stages
            if s.key not in skipped
        )

    def _done_before_current(self, scale: float) -> float:
        """Expected seconds of all work before the current stage occurrence."""
        return sum(self.seconds(span.stage, scale) for span in self.spans[:-1])

    def progress(self, now: float) -> float:
        if not self.spans:
            return 0.0
        current = self.current
        assert current is not None
        scale = self.scale()
        expected = self.seconds(current.stage, scale)
        elapsed = (current.finished or now) - current.started
        steps = self._step_fraction()
        if steps is not None and current.finished is None:
            part = expected * min(steps, 0.99)
        else:
            part = min(elapsed, expected * 0.95) if expected > 0 else 0.0
        total = self._total(scale)
        value = 100.0 * (self._done_before_current(scale) + part) / total if total else 0.0
        self._shown = max(self._shown, min(99.0, max(0.0, value)))
        return self._shown

    def eta_seconds(self, now: float) -> float | None:
        """Seconds left; None while nothing tells the pace (no learned stages, none finished)."""
        if not self.spans:
            return None
        if not self.expected and all(span.finished is None for span in self.spans):
            return None
        current = self.current
        assert current is not None
        scale = self.scale()
        here = self.seconds(current.stage, scale)
        elapsed = now - current.started
        if self.steps_total and (self.steps_done or self.rounds_done) and current.finished is None:
            # The pace of the steps so far tells the rest of this round, and of the rounds after it.
            in_round = now - self.round_started
            if self.steps_done:
                per_round = in_round / self.steps_done * self.steps_total
            else:
                per_round = (self.round_started - current.started) / self.rounds_done
            left_here = max(0.0, per_round - in_round) + per_round * (self._rounds() - self.rounds_done - 1)
        else:
            left_here = max(0.0, here - elapsed)
        after = self._total(scale) - self._done_before_current(scale) - here
        return max(0.0, after) + left_here
