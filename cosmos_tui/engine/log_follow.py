"""Following a running model's log from its host into outputs/run_<id>/run.log.

The stored ``Position`` is the resume key: run.log is cut back to the size recorded with it and
the runtime resumes its stream from there, so a crash between writing and recording never loses
or duplicates a line. The follower reconnects after a dropped link, reports where it stands, and
decides when the model must be stopped (a cancel, or a log silent for too long).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from cosmos_tui.engine.runtime import LineDecoder, Position, Runtime
from cosmos_tui.errors import HostError
from cosmos_tui.remote.transport import Stream

log = logging.getLogger(__name__)

FLUSH_EVERY = 0.05  # seconds between run.log flushes (and the read timeout)
PERSIST_EVERY = 0.5  # seconds between progress/position reports
CANCEL_CHECK_EVERY = 1.0
MAX_PENDING = 20000  # lines held before run.log is written whatever the time
RECONNECT_PAUSE = 0.2  # after a dropped link; the transport adds its own backoff
STOP_JOIN = 120.0  # seconds to wait for a stop under way when the follower closes


class Spool:
    """outputs/run_<id>/run.log: appended in batches, truncated back to a recorded size on resume."""

    def __init__(self, path: Path, size: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        with path.open("ab"):
            pass
        if path.stat().st_size != size:
            with path.open("r+b") as handle:
                handle.truncate(size)
        self.handle = path.open("ab")

    def write(self, lines: list[bytes]) -> None:
        self.handle.writelines(lines)

    def flush(self) -> None:
        self.handle.flush()

    def close(self) -> None:
        self.handle.close()


class LogSink(Protocol):
    """What the follower reports to (the run's executor)."""

    def log_following(self) -> None:
        """A stream to the host's log is open (again)."""

    def log_lines(self, lines: list[bytes]) -> None:
        """Complete new lines, on their way to run.log."""

    def log_partial(self, update: bytes) -> None:
        """The latest ``\r`` update of a line still being written (a step bar): for progress only."""

    def log_position(self, position: Position, last_data: float) -> None:
        """run.log holds exactly what ``position`` says; ``last_data`` is a monotonic time."""

    def log_quiet(self, quiet: bool) -> None:
        """The log has been silent longer than the hang limit (True), or spoke again (False)."""

    def cancel_requested(self) -> bool: ...

    def stop_model(self) -> None:
        """Stop the model on its host (called in a thread of its own)."""


class LogFollower:
    """One run's log, from its host into run.log, until the model is over."""

    def __init__(
        self,
        runtime: Runtime,
        run_id: str,
        handle: str,
        position: Position,
        spool_path: Path,
        sink: LogSink,
        *,
        hang_after: float,
        quiet: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.runtime = runtime
        self.run_id = run_id
        self.handle = handle
        self.position = position
        self.sink = sink
        self.hang_after = hang_after
        self.quiet = quiet  # the run already carries the hang flag
        self.clock = clock
        self.spool = Spool(spool_path, position.size)  # back to what the position has seen
        self.pending: list[bytes] = []
        self.stopped_for: str | None = None  # "cancel" or "hang" once a stop was started
        self._stopper: threading.Thread | None = None
        self._start_clocks()

    def _start_clocks(self) -> None:
        self.last_data = self.last_flush = self.last_report = self.last_check = self.clock()

    # -- the loop ----------------------------------------------------------------------------------

    def follow(self) -> None:
        """Follow until the model is over, reconnecting whenever the stream ends early or drops."""
        self._start_clocks()
        while not self.follow_once():
            pass

    def follow_once(self) -> bool:
        """One stream, until it ends or drops; True when the model is over and run.log complete."""
        stream, decoder = self.open()
        try:
            ended = self.pump(stream, decoder)
        finally:
            stream.close()
            self.write_pending()
            self.report()
        if not ended:
            time.sleep(RECONNECT_PAUSE)
            return False
        if self.runtime.state(self.run_id, self.handle).status == "running":
            return False  # the stream ended early (a dropped link, say): follow again
        self.finish(decoder)
        return True

    def open(self) -> tuple[Stream, LineDecoder]:
        """Resume the host's log from the position (a fresh decoder re-reads any partial line)."""
        stream, decoder = self.runtime.follow(self.run_id, self.handle, self.position)
        self.sink.log_following()
        return stream, decoder

    def pump(self, stream: Stream, decoder: LineDecoder) -> bool:
        """Read chunks until the stream ends (True) or drops (False)."""
        while True:
            try:
                data = stream.read(FLUSH_EVERY)
            except HostError as exc:
                log.info("log stream of %s interrupted: %s", self.run_id, exc)
                return False
            now = self.clock()
            if data == b"":
                return True
            if data:
                self.take(decoder.feed(data), now)
                self.peek(decoder)
            self.tick(now)

    # -- one job each --------------------------------------------------------------------------------

    def take(self, lines: list[bytes], now: float) -> None:
        """Data arrived: queue its complete lines for run.log and pass them on; lift a hang flag."""
        self.last_data = now
        if lines:
            self.pending.extend(lines)
            self.sink.log_lines(lines)
        if self.quiet:
            self.quiet = False
            self.sink.log_quiet(False)

    def peek(self, decoder: LineDecoder) -> None:
        """A step bar redraws one line with ``\r`` and ends it only when its stage is done: pass
        on its latest complete redraw, so progress moves with the steps (where the runtime
        delivers unfinished lines: the process runtime does, docker's log driver does not)."""
        partial = getattr(decoder, "buffer", b"")
        end = partial.rfind(b"\r")
        if end <= 0:
            return
        start = partial.rfind(b"\r", 0, end) + 1
        if end > start:
            self.sink.log_partial(partial[start:end])

    def tick(self, now: float) -> None:
        """What is due after each read: write run.log, report progress, watch for a stop."""
        if self.pending and (now - self.last_flush >= FLUSH_EVERY or len(self.pending) > MAX_PENDING):
            self.write_pending()
            self.last_flush = now
        if now - self.last_report >= PERSIST_EVERY and not self.pending:
            self.report()
            self.last_report = now
        if now - self.last_check >= CANCEL_CHECK_EVERY:
            self.last_check = now
            self.watch(now)

    def write_pending(self) -> None:
        if self.pending:
            self.spool.write(self.pending)
            self.spool.flush()
            self.pending = []

    def report(self) -> None:
        """Tell where the log stands; only ever with run.log written up to the position."""
        self.sink.log_position(self.position, self.last_data)

    def watch(self, now: float) -> None:
        reason = self.stop_reason(now)
        if reason is not None:
            self.stop(reason)
        if not self.quiet and now - self.last_data > self.hang_after:
            self.quiet = True
            self.sink.log_quiet(True)

    def stop_reason(self, now: float) -> str | None:
        """Why the model must be stopped now: "cancel" (asked for), "hang" (silent twice as long
        as the hang flag: stop it rather than hold the GPU), or None (also once a stop is under way)."""
        if self.stopped_for is not None:
            return None
        if self.sink.cancel_requested():
            return "cancel"
        if now - self.last_data > 2 * self.hang_after:
            return "hang"
        return None

    def stop(self, reason: str) -> None:
        """Stop the model in the background: the log goes on until it ends."""
        self.stopped_for = reason
        self._stopper = threading.Thread(target=self.sink.stop_model, daemon=True, name=f"stop-{self.run_id}")
        self._stopper.start()

    def finish(self, decoder: LineDecoder) -> None:
        """The model is over: a last line without its newline still belongs in run.log."""
        flush = getattr(decoder, "flush", None)
        rest: list[bytes] = flush() if flush is not None else []
        if rest:
            self.spool.write(rest)
            self.spool.flush()
            self.sink.log_lines(rest)
            self.report()

    def close(self) -> None:
        """Close run.log and wait for a stop under way."""
        self.spool.close()
        if self._stopper is not None:
            self._stopper.join(timeout=STOP_JOIN)
