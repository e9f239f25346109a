"""Progress and ETA from stage events (pure logic, no host)."""

from __future__ import annotations

from cosmos_tui.cosmos.base import LogEvent
from cosmos_tui.cosmos.progress import Tracker
from cosmos_tui.cosmos.transfer import ADAPTER
from cosmos_tui.engine.runtime import parse_docker_time, parse_epoch

STAGES = ADAPTER.stages
DEFAULT_TOTAL = sum(s.default_seconds for s in STAGES)


def fed(pace: float, upto: str, learned: dict[str, float] | None = None) -> tuple[Tracker, float]:
    """A tracker that saw every stage up to ``upto`` begin, each taking ``pace`` x its default."""
    tracker = Tracker(STAGES, learned or {})
    now = 0.0
    for stage in STAGES:
        tracker.feed(LogEvent(stage=stage.key), now)
        if stage.key == upto:
            break
        now += stage.default_seconds * pace
    return tracker, now


def test_a_first_run_on_a_fast_host_gets_its_eta_from_the_stages_it_has_seen() -> None:
    tracker, now = fed(0.1, "preprocess")  # load took 6 s where the default says 60
    eta = tracker.eta_seconds(now)
    true_rest = (DEFAULT_TOTAL - 60) * 0.1
    assert eta is not None and abs(eta - true_rest) < 1, eta  # not the 6:40 of the defaults


def test_no_eta_before_anything_tells_the_pace() -> None:
    tracker, now = fed(0.1, "load")
    assert tracker.eta_seconds(now + 1) is None


def test_progress_moves_through_a_long_stage_and_stops_short_of_the_next() -> None:
    tracker, start = fed(0.1, "diffusion")
    diffusion = 280 * 0.1
    seen = [tracker.progress(start + diffusion * f) for f in (0.0, 0.25, 0.5, 0.75, 2.0)]
    assert seen == sorted(seen) and seen[-1] - seen[0] > 50  # advances with time, never back
    before_decode = 100 * (sum(s.default_seconds for s in STAGES[:7])) / DEFAULT_TOTAL
    assert seen[-1] < before_decode  # never past where the next stage starts
    tracker.feed(LogEvent(stage="decode"), start + diffusion)
    assert tracker.progress(start + diffusion) >= seen[-1]


def test_learned_stages_are_used_as_they_are() -> None:
    learned = {s.key: s.default_seconds * 2 for s in STAGES}
    tracker, now = fed(2.0, "preprocess", learned)
    assert abs(tracker.eta_seconds(now) - (DEFAULT_TOTAL - 60) * 2) < 1


def test_host_times_parse_to_naive_utc() -> None:
    assert parse_docker_time("2026-11-22T10:11:12.123456789Z").isoformat() == "2026-11-22T10:11:12.123456"
    assert parse_docker_time("0001-01-01T00:00:00Z") is not None
    assert parse_docker_time("junk") is None and parse_docker_time(None) is None
    assert parse_epoch("1795316698.754859573").isoformat() == "2026-11-22T03:04:58.754860"
    assert parse_epoch("1795316698.%N").isoformat() == "2026-11-22T03:04:58"  # busybox date
    assert parse_epoch("") is None


def test_a_two_clip_run_counts_both_clips_from_its_first_bar() -> None:
    """Fed the events of a real two-clip log, each stage taking its default time: when clip 2's
    diffusion begins the figure says 57 %, not the 99 % of a tracker that believed in one clip."""
    from tests.unit.test_transfer_adapter import events

    seconds = {s.key: s.default_seconds for s in STAGES}
    tracker = Tracker(STAGES, {})
    now = 0.0
    diffusions = 0
    for event in events("transfer_two_clips.log"):
        if tracker.feed(event, now):
            diffusions += event.stage == "diffusion"
            if diffusions == 2:
                break
            now += seconds[event.stage]
    assert tracker.clips == 2
    per_clip = seconds["encode"] + seconds["diffusion"] + seconds["decode"]
    before_clips = now - per_clip - seconds["encode"]
    assert before_clips == 100  # load .. augment
    done, total = now, DEFAULT_TOTAL + per_clip
    assert abs(tracker.progress(now) - 100 * done / total) < 0.5, (done, total)


def test_a_step_bar_moves_progress_and_the_eta_by_the_steps() -> None:
    tracker, start = fed(1.0, "diffusion")
    before = tracker.progress(start)
    # Ten of 35 steps in 20 s: the stage is 10/35 done whatever its expected length says.
    tracker.feed(LogEvent(steps_done=10, steps_total=35), start + 20)
    assert len(tracker.spans) == 7  # a bar line is no new stage
    at_ten = tracker.progress(start + 20)
    tracker.feed(LogEvent(stage="diffusion", steps_done=20, steps_total=35), start + 40)
    assert len(tracker.spans) == 7  # nor is a bar line that names its own stage
    at_twenty = tracker.progress(start + 40)
    assert before < at_ten < at_twenty
    share = 280 / DEFAULT_TOTAL * 100  # the diffusion stage's share of the whole run
    assert abs((at_twenty - at_ten) - share * 10 / 35) < 0.5
    eta = tracker.eta_seconds(start + 40)
    after_diffusion = sum(
        s.default_seconds for s in STAGES[STAGES.index(next(s for s in STAGES if s.key == "diffusion")) + 1 :]
    )
    assert eta is not None and abs(eta - (2.0 * 15 + after_diffusion)) < 1  # 2 s a step, 15 left


def test_the_step_bar_ends_with_its_stage() -> None:
    tracker, start = fed(1.0, "diffusion")
    tracker.feed(LogEvent(steps_done=35, steps_total=35), start + 70)
    tracker.feed(LogEvent(stage="decode"), start + 71)
    assert tracker.steps_total == 0 and tracker.current is not None and tracker.current.stage == "decode"


def test_a_bar_that_starts_again_in_its_stage_is_its_next_round() -> None:
    """A Cosmos 3 transfer samples its chunks one by one, each with its own 35-step bar."""
    tracker, start = fed(1.0, "diffusion")
    tracker.rounds = 3
    share = 280 / DEFAULT_TOTAL * 100
    base = tracker.progress(start)
    tracker.feed(LogEvent(steps_done=35, steps_total=35), start + 70)  # first chunk done: a third
    assert abs(tracker.progress(start + 70) - (base + share / 3)) < 0.5
    tracker.feed(LogEvent(steps_done=0, steps_total=35), start + 72)  # the second chunk begins
    assert tracker.rounds_done == 1 and len(tracker.spans) == 7
    tracker.feed(LogEvent(steps_done=7, steps_total=35), start + 86)  # 2 s a step again
    at = tracker.progress(start + 86)
    assert abs(at - (base + share * (1 + 7 / 35) / 3)) < 0.5
    # This chunk's pace tells the rest of it (28 steps, 56 s) and the whole third chunk (70 s).
    after = sum(s.default_seconds for s in STAGES[[s.key for s in STAGES].index("diffusion") + 1 :])
    eta = tracker.eta_seconds(start + 86)
    assert eta is not None and abs(eta - (56 + 70 + after)) < 1, eta


def test_more_rounds_than_announced_keep_progress_moving_forward() -> None:
    tracker, start = fed(1.0, "diffusion")  # rounds unknown: 1
    tracker.feed(LogEvent(steps_done=35, steps_total=35), start + 70)
    first = tracker.progress(start + 70)
    tracker.feed(LogEvent(steps_done=0, steps_total=35), start + 71)
    tracker.feed(LogEvent(steps_done=30, steps_total=35), start + 131)
    assert tracker.rounds_done == 1 and tracker.progress(start + 131) >= first
    eta = tracker.eta_seconds(start + 131)
    after = sum(s.default_seconds for s in STAGES[[s.key for s in STAGES].index("diffusion") + 1 :])
    assert eta is not None and abs(eta - (10 + after)) < 1  # the rest of this round, then the stages after


def test_a_stage_passed_over_leaves_the_total_so_progress_and_eta_stay_true() -> None:
    """Weights already on the host: no download stage ever prints, so it is no part of the run."""
    skip = STAGES[1].key  # the stage right after "load"
    tracker = Tracker(STAGES, {})
    now = 0.0
    for stage in STAGES:
        if stage.key == skip:
            continue
        tracker.feed(LogEvent(stage=stage.key), now)
        now += stage.default_seconds
    tracker.finish(now)
    without = DEFAULT_TOTAL - STAGES[1].default_seconds
    assert tracker.progress(now) >= 99.0  # capped at 99 until the run is collected
    assert abs(tracker.eta_seconds(now) or 0.0) < 1, (without, tracker.eta_seconds(now))
