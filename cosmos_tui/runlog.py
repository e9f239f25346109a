"""Reading a run's local log (outputs/run_<id>/run.log): its last lines, and following it as it
grows until the run ends. The one follower of that file: `run logs -f` and the TUI's log view
both iterate a ``LogFollower`` (the TUI from a thread worker)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from cosmos_tui.cosmos.base import clean

CHUNK = 1 << 20  # bytes read at a time
POLL = 0.05  # seconds between looks at a log that has not grown
ENDED_POLL = 0.5  # seconds between asking whether the run has ended, while the log is quiet


def read_tail(path: Path, lines: int) -> tuple[list[str], int]:
    """The last ``lines`` lines of a file (read backwards in chunks) and the file size."""
    with path.open("rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        position = size
        data = b""
        while position > 0 and data.count(b"\n") <= lines:
            step = min(CHUNK, position)
            position -= step
            handle.seek(position)
            data = handle.read(step) + data
    text = data.decode("utf-8", errors="replace").split("\n")
    if position > 0:
        text = text[1:]  # a partial first line
    if text and text[-1] == "":
        text.pop()
    return text[-lines:], size


def count_lines(path: Path, end: int) -> int:
    """How many lines the first ``end`` bytes of a file hold (a last one without its newline too)."""
    count, last = 0, b"\n"
    with path.open("rb") as handle:
        left = end
        while left > 0 and (data := handle.read(min(CHUNK, left))):
            count += data.count(b"\n")
            left -= len(data)
            last = data[-1:]
    return count + (last != b"\n")


class LogFollower:
    """Iterating gives the log's lines in batches: the last ``tail`` lines first (every line when
    ``tail`` is None), then, with ``follow``, what the run appends until ``ended()`` says it is
    over (and the rest is read) or ``stop`` is set.

    ``terminal`` lines are fit for a terminal (see ``cosmos.base.clean``); otherwise they are the
    model's text as written. ``total`` counts the lines given so far and ``skipped`` those before
    the tail (known once the tail has been taken).
    """

    def __init__(
        self,
        path: Path,
        *,
        ended: Callable[[], bool],
        tail: int | None = None,
        follow: bool = True,
        stop: threading.Event | None = None,
        terminal: bool = False,
        poll: float = POLL,
    ) -> None:
        self.path = path
        self.ended = ended
        self.tail = tail
        self.follow = follow
        self.stop = stop or threading.Event()
        self.terminal = terminal
        self.poll = poll
        self.total = 0
        self.skipped = 0
        self._asked = 0.0  # when ``ended`` was last asked (monotonic)

    def _lines(self, lines: list[str]) -> list[str]:
        self.total += len(lines)
        return [clean(line) for line in lines] if self.terminal else lines

    def _over(self) -> bool:
        """The run has ended; asked at most every ENDED_POLL seconds (it may be a database query)."""
        now = time.monotonic()
        if now - self._asked < ENDED_POLL:
            return False
        self._asked = now
        return self.ended()

    def _wait_for_file(self) -> bool:
        while not self.path.exists():
            if not self.follow or self.stop.is_set() or self.ended():
                return False
            self.stop.wait(self.poll)
        return True

    def __iter__(self) -> Iterator[list[str]]:
        if not self._wait_for_file():
            return
        offset = 0
        if self.tail is not None:
            lines, offset = read_tail(self.path, self.tail)
            if lines:
                yield self._lines(lines)
            if len(lines) >= self.tail:
                self.skipped = max(0, count_lines(self.path, offset) - len(lines))
        partial = b""
        over = False  # the run has ended: read to the end of the file, then stop
        with self.path.open("rb") as handle:
            handle.seek(offset)
            while not self.stop.is_set():
                data = handle.read(CHUNK)
                if not data:
                    if over or not self.follow:
                        break
                    # Asked after finding no more bytes, then one more read: lines written just
                    # before the run ended are never lost.
                    over = self._over()
                    if not over:
                        self.stop.wait(self.poll)
                    continue
                data = partial + data
                cut = data.rfind(b"\n")
                if cut < 0:
                    partial = data
                    continue
                partial = data[cut + 1 :]
                yield self._lines(data[:cut].decode("utf-8", errors="replace").split("\n"))
        if partial and not self.stop.is_set():
            yield self._lines([partial.decode("utf-8", errors="replace")])
