"""The log view: a live tail of a run's log that stays fast and small whatever the log's size.

A reader thread follows the spool file (outputs/run_<id>/run.log), strips ANSI codes and folds
`\\r` updates, and puts lines on a bounded queue; a 20 Hz timer drains it into one batched write.
Only the last lines are kept in memory; the whole log stays on disk. Scrolling up pauses the
follow and counts the new lines; End or f resumes.
"""

from __future__ import annotations

import queue
import re
import shutil
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Log, ProgressBar, RichLog, Static

from cosmos_tui.cosmos.base import clean
from cosmos_tui.errors import CosmosError
from cosmos_tui.records import RunRecord
from cosmos_tui.tui.format import duration, status_text

KEEP_LINES = 10_000  # lines held in memory and on screen
QUEUE_LINES = 50_000  # reader -> UI backlog before the reader waits
DRAIN_HZ = 20
DRAIN_MAX = 25_000  # lines moved to the screen per tick
WRAP_LINES = 2_000  # a wrapped view re-renders at most this many lines
LOGURU_PREFIX = re.compile(r"^\[\d\d-\d\d \d\d:\d\d:\d\d\|[A-Z]+\|[^\]]*\] ")
TAIL_CHUNK = 1 << 20


def read_tail(path: Path, lines: int) -> tuple[list[str], int]:
    """The last ``lines`` lines of a file (read backwards in chunks) and the file size."""
    with path.open("rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        position = size
        data = b""
        while position > 0 and data.count(b"\n") <= lines:
            step = min(TAIL_CHUNK, position)
            position -= step
            handle.seek(position)
            data = handle.read(step) + data
    text = data.decode("utf-8", errors="replace").split("\n")
    if position > 0:
        text = text[1:]  # a partial first line
    if text and text[-1] == "":
        text.pop()
    return text[-lines:], size


class LogReader(threading.Thread):
    """Follows a growing file and feeds cleaned lines to a bounded queue."""

    def __init__(self, path: Path, out: queue.Queue[list[str]], done: threading.Event,
                 finished: threading.Event) -> None:
        super().__init__(daemon=True, name=f"log-reader-{path.parent.name}")
        self.path = path
        self.out = out
        self.done = done  # the screen went away
        self.finished = finished  # the run has ended: stop at the end of the file
        self.total = 0

    def run(self) -> None:
        while not self.path.exists():
            if self.done.wait(0.1) or self.finished.is_set():
                return
        tail, offset = read_tail(self.path, KEEP_LINES)
        self.total = len(tail)
        self._put([clean(line) for line in tail])
        partial = b""
        with self.path.open("rb") as handle:
            handle.seek(offset)
            while not self.done.is_set():
                data = handle.read(TAIL_CHUNK)
                if not data:
                    if self.finished.is_set():
                        break
                    self.done.wait(0.05)
                    continue
                data = partial + data
                cut = data.rfind(b"\n")
                if cut < 0:
                    partial = data
                    continue
                partial = data[cut + 1 :]
                lines = data[:cut].decode("utf-8", errors="replace").split("\n")
                self.total += len(lines)
                self._put([clean(line) for line in lines])

    def _put(self, lines: list[str]) -> None:
        while not self.done.is_set():
            try:
                self.out.put(lines, timeout=0.1)
                return
            except queue.Full:
                continue


class FollowLog(Log):
    """A Log that says when the user scrolls back, so the view can stop following."""

    class ScrolledBack(Message):
        pass

    def _back(self) -> None:
        self.auto_scroll = False
        self.post_message(self.ScrolledBack())

    def action_scroll_up(self) -> None:
        self._back()
        super().action_scroll_up()

    def action_page_up(self) -> None:
        self._back()
        super().action_page_up()

    def action_scroll_home(self) -> None:
        self._back()
        super().action_scroll_home()

    def _on_mouse_scroll_up(self, event) -> None:  # type: ignore[no-untyped-def]
        self._back()
        super()._on_mouse_scroll_up(event)


class LogScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("f,end", "follow", "Follow"),
        Binding("slash", "search", "Search"),
        Binding("n", "next_match", "Next", show=False),
        Binding("N", "previous_match", "Previous", show=False),
        Binding("w", "wrap", "Wrap"),
        Binding("t", "timestamps", "Timestamps"),
        Binding("s", "save", "Save copy"),
    ]

    @dataclass
    class RunUpdated(Message):
        run: RunRecord

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id
        self.lines: deque[str] = deque(maxlen=KEEP_LINES)
        self.queue: queue.Queue[list[str]] = queue.Queue(maxsize=max(1, QUEUE_LINES // 1000))
        self.done = threading.Event()
        self.finished = threading.Event()
        self.following = True
        self.new_lines = 0
        self.show_prefix = True
        self.wrapped = False
        self.matches: list[int] = []
        self.match_index = -1
        self.run: RunRecord | None = None
        self.reader: LogReader | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="log-error", classes="error hidden")
        yield Static("", id="log-stages")
        yield ProgressBar(total=100, show_eta=False, id="log-progress")
        yield FollowLog(id="log", max_lines=KEEP_LINES, auto_scroll=True)
        yield RichLog(id="log-wrapped", max_lines=WRAP_LINES, wrap=True, classes="hidden")
        yield Static("", id="log-badge", classes="badge hidden")
        yield Input(placeholder="search (enter; n / N for next / previous)", id="log-search",
                    classes="hidden", disabled=True)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = self.run_id
        self.query_one("#log", Log).focus()
        self.start_reader()
        self.set_interval(1 / DRAIN_HZ, self.drain)
        self.status_timer = self.set_interval(1.0, self.refresh_run)
        self.refresh_run()

    @work(thread=True, exclusive=True, group="log-start", exit_on_error=False)
    def start_reader(self) -> None:
        try:
            run = self.app.api.get_run(self.run_id)  # type: ignore[attr-defined]
        except CosmosError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.run_id = run.run_id
        if run.is_terminal:
            self.finished.set()
        self.reader = LogReader(Path(run.log_path or ""), self.queue, self.done, self.finished)
        self.reader.start()
        self.post_message(self.RunUpdated(run))

    def on_unmount(self) -> None:
        self.done.set()

    @work(thread=True, exclusive=True, group="log-run", exit_on_error=False)
    def refresh_run(self) -> None:
        try:
            run = self.app.api.get_run(self.run_id)  # type: ignore[attr-defined]
        except CosmosError:
            return
        if run.is_terminal:
            self.finished.set()
        self.post_message(self.RunUpdated(run))

    def on_log_screen_run_updated(self, message: RunUpdated) -> None:
        run = self.run = message.run
        self.sub_title = f"{run.run_id} · {run.host} · {run.status}"
        error = self.query_one("#log-error", Static)
        if run.error_class:
            error.update(Text(f"{run.error_class}: {run.error_message or ''}", style="bold red"))
            error.remove_class("hidden")
        else:
            error.add_class("hidden")
        stages = Text()
        for stage in run.stages:
            stages.append(f"{stage.stage} {duration(stage.seconds)}", style="green")
            stages.append(" › ", style="dim")
        if not run.is_terminal and run.stage:
            stages.append(f"{run.stage}…", style="bold cyan")
        else:
            stages.append_text(status_text(run.status))
        self.query_one("#log-stages", Static).update(stages)
        self.query_one(ProgressBar).update(progress=100.0 if run.status == "completed" else run.progress)
        if run.is_terminal:
            self.status_timer.pause()

    # -- the 20 Hz drain -----------------------------------------------------------------------

    def drain(self) -> None:
        batch: list[str] = []
        while len(batch) < DRAIN_MAX:
            try:
                batch.extend(self.queue.get_nowait())
            except queue.Empty:
                break
        log = self.query_one("#log", Log)
        if not batch:
            return
        self.lines.extend(batch)
        shown = batch if self.show_prefix else [LOGURU_PREFIX.sub("", line) for line in batch]
        log.write_lines(shown[-KEEP_LINES:])
        if self.following:
            # Again after layout: a horizontal scrollbar appearing changes where the end is.
            log.call_after_refresh(log.scroll_end, animate=False)
        if self.wrapped:
            wrapped = self.query_one("#log-wrapped", RichLog)
            for line in shown[-WRAP_LINES:]:
                wrapped.write(Text(line))
        if not self.following:
            self.new_lines += len(batch)
            badge = self.query_one("#log-badge", Static)
            badge.update(Text(f" {self.new_lines:,} new lines · End or f to follow "))
            badge.remove_class("hidden")

    def on_follow_log_scrolled_back(self) -> None:
        self.following = False  # the user scrolled up: pause, and count what arrives

    # -- actions -------------------------------------------------------------------------------

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()
        else:
            self.app.switch_mode("runs")

    def action_follow(self) -> None:
        self.following = True
        self.new_lines = 0
        log = self.query_one("#log", Log)
        log.auto_scroll = True
        log.scroll_end(animate=False)
        self.query_one("#log-badge", Static).add_class("hidden")

    def action_search(self) -> None:
        box = self.query_one("#log-search", Input)
        box.disabled = False
        box.remove_class("hidden")
        box.focus()

    @on(Input.Submitted, "#log-search")
    def search(self, event: Input.Submitted) -> None:
        needle = event.value.lower()
        log = self.query_one("#log", Log)
        self.matches = [i for i, line in enumerate(log.lines) if needle and needle in line.lower()]
        event.input.add_class("hidden")
        event.input.disabled = True
        log.focus()
        if self.matches:
            self.match_index = -1
            self.action_next_match()
        self.search_file(event.value, len(self.matches))

    @work(thread=True, exclusive=True, group="log-search", exit_on_error=False)
    def search_file(self, needle: str, shown: int) -> None:
        """Count the matches in the whole log on disk, beyond the lines held on screen."""
        run = self.app.api.get_run(self.run_id)  # type: ignore[attr-defined]
        path = Path(run.log_path or "")
        if not needle or not path.exists():
            return
        wanted = needle.lower().encode()
        total, first = 0, None
        with path.open("rb") as handle:
            for number, raw in enumerate(handle, 1):
                if wanted in raw.lower():
                    total += 1
                    first = first or number
        if total == shown:
            if not total:
                self.app.call_from_thread(self.notify, f"“{needle}” is not in the log", severity="warning")
            return
        older = total - shown
        self.app.call_from_thread(
            self.notify,
            f"“{needle}”: {total:,} matches in the whole log, {older:,} of them before the last "
            f"{KEEP_LINES:,} lines shown (first at line {first:,} of {path}; try `less +{first} {path}`)",
            timeout=15,
        )

    def _show_match(self) -> None:
        log = self.query_one("#log", Log)
        line = self.matches[self.match_index]
        self.following = False
        log.auto_scroll = False
        log.scroll_to(y=max(0, line - 3), animate=False)
        self.notify(f"match {self.match_index + 1}/{len(self.matches)} at line {line + 1}", timeout=2)

    def action_next_match(self) -> None:
        if self.matches:
            self.match_index = (self.match_index + 1) % len(self.matches)
            self._show_match()

    def action_previous_match(self) -> None:
        if self.matches:
            self.match_index = (self.match_index - 1) % len(self.matches)
            self._show_match()

    def _render_all(self) -> None:
        shown = list(self.lines) if self.show_prefix else [LOGURU_PREFIX.sub("", line) for line in self.lines]
        log = self.query_one("#log", Log)
        log.clear()
        log.write_lines(shown)
        if self.following:
            log.call_after_refresh(log.scroll_end, animate=False)
        if self.wrapped:
            wrapped = self.query_one("#log-wrapped", RichLog)
            wrapped.clear()
            for line in shown[-WRAP_LINES:]:
                wrapped.write(Text(line))

    def action_wrap(self) -> None:
        self.wrapped = not self.wrapped
        self.query_one("#log", Log).set_class(self.wrapped, "hidden")
        self.query_one("#log-wrapped", RichLog).set_class(not self.wrapped, "hidden")
        if self.wrapped:
            self._render_all()
        self.notify("wrapping long lines (last 2,000 lines)" if self.wrapped else "not wrapping", timeout=2)

    def action_timestamps(self) -> None:
        self.show_prefix = not self.show_prefix
        self._render_all()

    def action_save(self) -> None:
        self.save_copy()

    @work(thread=True, exit_on_error=False)
    def save_copy(self) -> None:
        run = self.app.api.get_run(self.run_id)  # type: ignore[attr-defined]
        source = Path(run.log_path or "")
        target = Path.cwd() / f"{run.run_id}-{time.strftime('%Y%m%d-%H%M%S')}.log"
        try:
            shutil.copyfile(source, target)
        except OSError as exc:
            message = f"could not save the log: {exc.strerror}"
            self.app.call_from_thread(self.notify, message, severity="error")
            return
        self.app.call_from_thread(self.notify, f"saved a copy to {target}")
