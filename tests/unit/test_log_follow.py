"""The log follower on its own, with a scripted host: it resumes run.log from the stored position,
writes lines cut across chunks (and across dropped links) exactly once, and decides when the model
must be stopped. No daemons: the runtime, its stream and the clock are small fakes."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from cosmos_tui.engine import log_follow
from cosmos_tui.engine.log_follow import LogFollower
from cosmos_tui.engine.runtime import ByteLines, DockerLines, LineDecoder, Position, State, ts_key
from cosmos_tui.errors import HostError
from cosmos_tui.remote.transport import Stream

DROP = HostError("connection to host test lost")


@dataclass
class Tick:
    """A read that found nothing within its timeout, after this many seconds."""

    seconds: float


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


class ScriptedStream(Stream):
    """Hands out chunks, ticks and drops in order; b"" (the end) once the script is spent."""

    def __init__(self, script: list[bytes | Tick | HostError], clock: Clock) -> None:
        self.script = list(script)
        self.clock = clock
        self.closed = False

    def read(self, timeout: float) -> bytes | None:
        if not self.script:
            return b""
        item = self.script.pop(0)
        if isinstance(item, HostError):
            raise item
        if isinstance(item, Tick):
            self.clock.t += item.seconds
            return None
        return item

    def close(self) -> None:
        self.closed = True


class ScriptedRuntime:
    """A host whose log streams are scripted: ``streams`` is called with the position each
    follow resumes from and returns that stream's script; ``states`` answers each state check."""

    def __init__(self, streams: list, states: list[str], clock: Clock, docker: bool = False) -> None:
        self.streams = list(streams)
        self.states = list(states)
        self.clock = clock
        self.docker = docker
        self.resumed_from: list[Position] = []
        self.opened: list[ScriptedStream] = []

    def follow(self, run_id: str, handle: str, position: Position) -> tuple[Stream, LineDecoder]:
        self.resumed_from.append(replace(position))
        script = self.streams.pop(0)
        stream = ScriptedStream(script(position) if callable(script) else script, self.clock)
        self.opened.append(stream)
        return stream, DockerLines(position) if self.docker else ByteLines(position)

    def state(self, run_id: str, handle: str) -> State:
        return State(self.states.pop(0) if self.states else "exited", 0)

    # unused by the follower, here to be a Runtime
    def start(self, run_id: str, command: str) -> str:
        raise NotImplementedError

    def find(self, run_id: str) -> str | None:
        raise NotImplementedError

    def stop(self, run_id: str, handle: str, grace: int) -> None:
        raise NotImplementedError

    def cleanup(self, run_id: str, handle: str) -> None:
        raise NotImplementedError


class Sink:
    """Records what the follower reports; checks run.log matches every position reported."""

    def __init__(self, spool: Path) -> None:
        self.spool = spool
        self.lines: list[bytes] = []
        self.partials: list[bytes] = []
        self.positions: list[Position] = []
        self.quiet: list[bool] = []
        self.follows = 0
        self.cancel = False
        self.stops = 0

    def log_following(self) -> None:
        self.follows += 1

    def log_lines(self, lines: list[bytes]) -> None:
        self.lines.extend(lines)

    def log_partial(self, update: bytes) -> None:
        self.partials.append(update)

    def log_position(self, position: Position, last_data: float) -> None:
        assert self.spool.stat().st_size == position.size  # never a position ahead of (or behind) run.log
        self.positions.append(replace(position))

    def log_quiet(self, quiet: bool) -> None:
        self.quiet.append(quiet)

    def cancel_requested(self) -> bool:
        return self.cancel

    def stop_model(self) -> None:
        self.stops += 1


@pytest.fixture(autouse=True)
def no_reconnect_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(log_follow, "RECONNECT_PAUSE", 0.0)


def follower(
    tmp_path: Path,
    runtime: ScriptedRuntime,
    position: Position | None = None,
    hang_after: float = 60.0,
    quiet: bool = False,
) -> tuple[LogFollower, Sink]:
    spool = tmp_path / "run_rs_000000000001" / "run.log"
    sink = Sink(spool)
    made = LogFollower(
        runtime,
        "rs_000000000001",
        "4242",
        position or Position(),
        spool,
        sink,
        hang_after=hang_after,
        quiet=quiet,
        clock=runtime.clock,
    )
    return made, sink


def follow(made: LogFollower) -> None:
    try:
        made.follow()
    finally:
        made.close()


def from_offset(log: bytes, *cut_after: int) -> object:
    """The process runtime's stream: the host's log from the resumed offset, in 3-byte chunks,
    dropped after ``cut_after`` bytes (one number per follow; the last follow runs to the end)."""
    cuts = list(cut_after)

    def script(position: Position) -> list[bytes | Tick | HostError]:
        data = log[position.size :]
        cut = cuts.pop(0) if cuts else None
        sent = data if cut is None else data[:cut]
        out: list[bytes | Tick | HostError] = [sent[i : i + 3] for i in range(0, len(sent), 3)]
        return out + ([DROP] if cut is not None else [])

    return script


# -- resume --------------------------------------------------------------------------------------


def test_resume_cuts_run_log_back_to_the_stored_position_and_follows_from_there(tmp_path: Path) -> None:
    clock = Clock()
    host_log = b"one\ntwo\nthree\nfour\n"
    runtime = ScriptedRuntime([from_offset(host_log)], ["exited"], clock)
    # A crash after writing "three" but before recording it: run.log is ahead of its position.
    spool = tmp_path / "run_rs_000000000001" / "run.log"
    spool.parent.mkdir()
    spool.write_bytes(b"one\ntwo\nthree\n")
    made, sink = follower(tmp_path, runtime, Position(size=8))
    assert spool.read_bytes() == b"one\ntwo\n"

    follow(made)

    assert runtime.resumed_from == [Position(size=8)]
    assert sink.spool.read_bytes() == host_log
    assert sink.lines == [b"three\n", b"four\n"]
    assert sink.positions[-1].size == len(host_log)


def test_docker_resume_key_skips_the_lines_run_log_already_has(tmp_path: Path) -> None:
    clock = Clock()
    stamp = "2026-11-22T05:43:14.5Z"
    seen = Position(size=len(b"a\nb\n"), since=stamp, same=2)
    # --since is inclusive: docker sends again the two lines at that stamp run.log already holds.
    again = f"{stamp} a\n{stamp} b\n{stamp} c\n2026-11-22T05:43:15Z d\n".encode()
    runtime = ScriptedRuntime([[again[:17], again[17:40], again[40:]]], ["exited"], clock, docker=True)
    spool = tmp_path / "run_rs_000000000001" / "run.log"
    spool.parent.mkdir()
    spool.write_bytes(b"a\nb\n")
    made, sink = follower(tmp_path, runtime, replace(seen))

    follow(made)

    assert runtime.resumed_from == [seen]
    assert sink.spool.read_bytes() == b"a\nb\nc\nd\n"
    assert (ts_key(sink.positions[-1].since), sink.positions[-1].same) == (ts_key("2026-11-22T05:43:15Z"), 1)


# -- lines cut across chunks and links ---------------------------------------------------------------


def test_a_line_cut_across_chunks_is_written_once_and_whole(tmp_path: Path) -> None:
    clock = Clock()
    runtime = ScriptedRuntime([[b"al", b"pha\nbe", Tick(0.05), b"ta\ngamma"]], ["exited"], clock)
    made, sink = follower(tmp_path, runtime)

    follow(made)

    # The last line never got its newline: it still belongs in run.log once the model is over.
    assert sink.lines == [b"alpha\n", b"beta\n", b"gamma"]
    assert sink.spool.read_bytes() == b"alpha\nbeta\ngamma"
    assert sink.positions[-1].size == len(b"alpha\nbeta\ngamma")


def test_a_link_dropped_mid_line_loses_and_repeats_nothing(tmp_path: Path) -> None:
    clock = Clock()
    host_log = b"".join(b"line %d of the model's log\n" % i for i in range(40))
    runtime = ScriptedRuntime([from_offset(host_log, 50, 301, 7)], ["exited"], clock)
    runtime.streams *= 4  # the same host each time, from wherever the follower resumes
    made, sink = follower(tmp_path, runtime)

    follow(made)

    assert sink.spool.read_bytes() == host_log
    assert b"".join(sink.lines) == host_log
    assert sink.follows == 4
    assert [p.size for p in runtime.resumed_from[1:]] == [
        host_log.rfind(b"\n", 0, 50) + 1,
        host_log.rfind(b"\n", 0, runtime.resumed_from[1].size + 301) + 1,
        host_log.rfind(b"\n", 0, runtime.resumed_from[2].size + 7) + 1,
    ]
    assert all(stream.closed for stream in runtime.opened)


def test_a_stream_that_ends_while_the_model_runs_is_followed_again(tmp_path: Path) -> None:
    clock = Clock()
    host_log = b"first\nsecond\nthird\n"
    runtime = ScriptedRuntime([[b"first\nsec"], from_offset(host_log)], ["running", "exited"], clock)
    made, sink = follower(tmp_path, runtime)

    follow(made)

    assert runtime.resumed_from[1].size == len(b"first\n")
    assert sink.spool.read_bytes() == host_log


# -- when to stop ------------------------------------------------------------------------------------


def test_a_cancel_stops_the_model_once_and_the_log_is_followed_to_its_end(tmp_path: Path) -> None:
    clock = Clock()
    runtime = ScriptedRuntime([[b"step 1\n", Tick(1.0), Tick(1.0), b"stopping\n", Tick(1.0)]], [], clock)
    made, sink = follower(tmp_path, runtime)
    sink.cancel = True

    follow(made)

    assert (made.stopped_for, sink.stops) == ("cancel", 1)
    assert sink.spool.read_bytes() == b"step 1\nstopping\n"


def test_a_silent_log_is_flagged_then_stopped_as_hung_and_speaking_lifts_the_flag(tmp_path: Path) -> None:
    clock = Clock()
    script: list[bytes | Tick | HostError] = [b"loading\n", Tick(11.0), Tick(0.0)]
    runtime = ScriptedRuntime([script], [], clock)
    made, sink = follower(tmp_path, runtime, hang_after=10.0)
    made.follow_once()
    assert (sink.quiet, made.stopped_for) == ([True], None)  # flagged, not yet stopped

    runtime.streams.append([Tick(10.5), b"still here\n", Tick(1.0)])
    made.follow_once()
    assert (sink.quiet, made.stopped_for) == ([True, False], "hang")  # silent 21 s: stopped
    made.close()
    assert sink.stops == 1


def test_a_run_flagged_before_a_restart_is_unflagged_by_its_next_line(tmp_path: Path) -> None:
    clock = Clock()
    runtime = ScriptedRuntime([[b"diffusion 40%\n"]], [], clock)
    made, sink = follower(tmp_path, runtime, quiet=True)

    follow(made)

    assert sink.quiet == [False]


def test_stop_reason(tmp_path: Path) -> None:
    clock = Clock()
    made, sink = follower(tmp_path, ScriptedRuntime([], [], clock), hang_after=10.0)
    start = made.last_data
    assert made.stop_reason(start + 19.0) is None  # flagged at 10 s, stopped only past 20 s
    assert made.stop_reason(start + 20.5) == "hang"
    sink.cancel = True
    assert made.stop_reason(start + 1.0) == "cancel"  # a cancel wins over silence
    made.stop("cancel")
    assert made.stop_reason(start + 99.0) is None  # one stop at a time
    made.close()
    assert sink.stops == 1


def test_a_step_bar_s_redraws_are_passed_on_before_its_line_ends(tmp_path: Path) -> None:
    clock = Clock()
    bar = [b"Sampling:  10%| | 1/10 [", b"\rSampling:  20%| | 2/10 [\rSampling:  30%| | 3/", b"10 [\rSa"]
    runtime = ScriptedRuntime([[b"load\n", *bar, b"\n"]], ["exited"], clock)
    made, sink = follower(tmp_path, runtime)
    follow(made)
    # Only whole redraws, each once it is followed by the next; run.log gets the line as written.
    assert sink.partials == [b"Sampling:  20%| | 2/10 [", b"Sampling:  30%| | 3/10 ["]
    assert (tmp_path / "run_rs_000000000001" / "run.log").read_bytes() == b"load\n" + b"".join(bar) + b"\n"
