"""The log view: a live tail of a run's log that stays fast and small whatever the log's size.

A thread worker iterates the API's log follower (`CosmosAPI.follow_log`, the same one `run logs
-f` uses) over the spool file (outputs/run_<id>/run.log), with lines made fit for a terminal
(colour codes dropped, every other control character escaped, `\\r` updates folded), and puts
them on a bounded queue; a 20 Hz timer drains it into one batched write.
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
from typing import Any, Protocol

from rich.style import Style
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.strip import Strip
from textual.widgets import Header, Input, Log, ProgressBar, RichLog, Static

from cosmos_tui.errors import CosmosError
from cosmos_tui.records import RunRecord, RunStatus, escape_controls
from cosmos_tui.tui.base import CosmosScreen
from cosmos_tui.tui.format import duration, status_text
from cosmos_tui.tui.keymap import bindings, hint, key, keys_text
from cosmos_tui.tui.widgets.footer import Footer

KEEP_LINES = 10_000  # lines held in memory and on screen
QUEUE_LINES = 50_000  # reader -> UI backlog before the reader waits
DRAIN_HZ = 20
DRAIN_MAX = 25_000  # lines moved to the screen per tick
WRAP_LINES = 2_000  # a wrapped view re-renders at most this many lines
WRAP_ROWS = 8 * WRAP_LINES  # screen rows a wrapped view keeps
CONTEXT = 3  # lines shown above a match
# Characters str.splitlines() breaks on besides \n: one log line must stay one row of the view.
LINE_BREAKS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
MATCH = Style(color="black", bgcolor="dark_goldenrod")
CURRENT_MATCH = Style(color="black", bgcolor="yellow", bold=True)
CURRENT_LINE = Style(bgcolor="grey30")


class Reader(Protocol):
    """What the view reads of the API's log follower while it runs."""

    total: int  # lines read so far
    skipped: int  # lines of the file before the tail that was read


def mark_matches(text: Text, needle: str, current: bool) -> Text:
    """Highlight every occurrence of ``needle`` (lower case) in ``text``; the current match's line
    gets a background too."""
    if current:
        text.stylize(CURRENT_LINE)
    plain = text.plain.lower()
    start = plain.find(needle) if needle else -1
    while start >= 0:
        text.stylize(CURRENT_MATCH if current else MATCH, start, start + len(needle))
        start = plain.find(needle, start + len(needle))
    return text


class FollowLog(Log):
    """A Log that says when the user scrolls back, so the view can stop following, and that
    highlights search matches (the current match's line stands out)."""

    class ScrolledBack(Message):
        pass

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.needle = ""
        self.current: int | None = None  # index in ``lines`` of the current match

    def set_search(self, needle: str, current: int | None) -> None:
        self.needle, self.current = needle, current
        self.refresh()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        lines = self.lines
        if (
            not self.needle
            or index >= len(lines)
            or (index != self.current and self.needle not in lines[index].lower())
        ):
            return super().render_line(y)
        text = mark_matches(
            Text(lines[index].expandtabs(), style=self.rich_style, no_wrap=True),
            self.needle,
            index == self.current,
        )
        strip = Strip(text.render(self.app.console), text.cell_len)
        width = self.size.width
        return strip.crop_extend(scroll_x, scroll_x + width, self.rich_style).apply_offsets(scroll_x, index)

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

    def _on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self._back()
        super()._on_mouse_scroll_up(event)


class LogScreen(CosmosScreen[None]):
    BINDINGS = bindings("log")

    @dataclass
    class RunUpdated(Message):
        run: RunRecord

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id
        self.lines: deque[str] = deque(maxlen=KEEP_LINES)
        self.queue: queue.Queue[list[str]] = queue.Queue(maxsize=max(1, QUEUE_LINES // 1000))
        self.done = threading.Event()
        self.following = True
        self.new_lines = 0
        self.prefix = "compact"
        self.wrapped = False
        self.wrap_tail = True  # the wrapped view shows the end of the log (not a window at a match)
        self.received = 0  # lines put in ``lines`` so far
        self.needle = ""
        self.matches: list[int] = []  # numbers (0 = the first line received) of the matching lines
        self.match_index = -1
        self.run: RunRecord | None = None
        self.reader: Reader | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="log-error", classes="error hidden")
        yield Static("", id="log-stages")
        yield Static("", id="log-answer", classes="hidden")
        yield ProgressBar(total=100, show_eta=False, id="log-progress")
        keys = (key(self, "log.next_match"), key(self, "log.previous_match"), key(self, "log.back"))
        yield Input(
            placeholder="search (enter; then {} / {} for next / previous, {} closes)".format(*keys),
            id="log-search",
            classes="hidden",
            disabled=True,
        )
        yield FollowLog(id="log", max_lines=KEEP_LINES, auto_scroll=True)
        yield RichLog(id="log-wrapped", max_lines=WRAP_ROWS, wrap=True, classes="hidden")
        yield Static("", id="log-found", classes="status-line hidden")
        yield Static("", id="log-badge", classes="badge hidden")
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
        """Follow the log until the run ends or the screen goes; runs for as long as that takes."""
        api = self.api
        try:
            run = api.get_run(self.run_id)
            follower = api.follow_log(run.run_id, tail=KEEP_LINES, stop=self.done, terminal=True)
        except CosmosError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.run_id = run.run_id
        self.reader = follower
        self.post_message(self.RunUpdated(run))
        for lines in follower:
            self._put(lines)

    def _put(self, lines: list[str]) -> None:
        """Hand lines to the drain; waits while it is behind (and the follower with it)."""
        while not self.done.is_set():
            try:
                self.queue.put(lines, timeout=0.1)
                return
            except queue.Full:
                continue

    def on_unmount(self) -> None:
        self.done.set()

    @work(thread=True, exclusive=True, group="log-run", exit_on_error=False)
    def refresh_run(self) -> None:
        try:
            run = self.api.get_run(self.run_id)
        except CosmosError:
            return
        self.post_message(self.RunUpdated(run))

    def on_log_screen_run_updated(self, message: RunUpdated) -> None:
        run = self.run = message.run
        self.sub_title = f"{run.run_id} · {run.model_type} ({run.family}) · {run.host} · {run.status}"
        answer = self.query_one("#log-answer", Static)
        if run.output_text is not None:  # a reasoner's answer, kept with the run
            answer.update(Text.assemble(("answer  ", "bold green"), escape_controls(run.output_text)))
            answer.remove_class("hidden")
        else:
            answer.add_class("hidden")
        error = self.query_one("#log-error", Static)
        if run.error_class:
            reason = escape_controls(run.error_message or "")
            error.update(Text(f"{run.error_class}: {reason}", style="bold red"))
            error.remove_class("hidden")
        elif run.note:  # why it waits: a pool no host of which answers, a lost link, a full disk
            error.update(Text(escape_controls(run.note), style="bold yellow"))
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
        done = run.status == RunStatus.COMPLETED
        self.query_one(ProgressBar).update(progress=100.0 if done else run.progress)
        if run.is_terminal:
            self.status_timer.pause()

    # -- what is shown -------------------------------------------------------------------------

    def shown(self, lines: list[str]) -> list[str]:
        """Lines as displayed: the chosen prefix, and exactly one row each."""
        api = self.api
        out = [api.format_log_line(line, self.prefix) for line in lines] if self.prefix != "full" else lines
        return [LINE_BREAKS.sub(" ", line) or " " for line in out]

    @property
    def first_number(self) -> int:
        """The number (0 = the first line received) of ``lines[0]``."""
        return self.received - len(self.lines)

    def line_number(self, number: int) -> int:
        """A received line's number in the log file (1-based)."""
        return (self.reader.skipped if self.reader else 0) + number + 1

    # -- the 20 Hz drain -----------------------------------------------------------------------

    def drain(self) -> None:
        batch: list[str] = []
        while len(batch) < DRAIN_MAX:
            try:
                batch.extend(self.queue.get_nowait())
            except queue.Empty:
                break
        log = self.query_one("#log", FollowLog)
        if not batch:
            return
        self.lines.extend(batch)
        self.received += len(batch)
        shown = self.shown(batch[-KEEP_LINES:])
        log.write_lines(shown)
        if log.current is not None:
            self._point_log_at_match()  # older lines may have been dropped: indices moved
        if self.following:
            # Again after layout: a horizontal scrollbar appearing changes where the end is.
            log.call_after_refresh(log.scroll_end, animate=False)
        if self.wrapped and self.wrap_tail:
            wrapped = self.query_one("#log-wrapped", RichLog)
            for line in shown[-WRAP_LINES:]:
                wrapped.write(mark_matches(Text(line), self.needle, False))
        if not self.following:
            self.new_lines += len(batch)
            badge = self.query_one("#log-badge", Static)
            badge.update(Text(f" {self.new_lines:,} new lines · {keys_text(self, 'log.follow')} to follow "))
            badge.remove_class("hidden")

    def on_follow_log_scrolled_back(self) -> None:
        self.following = False  # the user scrolled up: pause, and count what arrives

    # -- actions -------------------------------------------------------------------------------

    def action_back(self) -> None:
        box = self.query_one("#log-search", Input)
        if not box.has_class("hidden"):
            self.close_search()  # esc in the search box closes the box only
            return
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()
        else:
            self.app.switch_mode("runs")

    def close_search(self) -> None:
        box = self.query_one("#log-search", Input)
        box.add_class("hidden")
        box.disabled = True
        self.query_one("#log-wrapped" if self.wrapped else "#log").focus()

    def action_follow(self) -> None:
        self.following = True
        self.new_lines = 0
        log = self.query_one("#log", Log)
        log.auto_scroll = True
        log.scroll_end(animate=False)
        self.query_one("#log-badge", Static).add_class("hidden")
        if self.wrapped and not self.wrap_tail:
            self._render_wrapped()

    def action_search(self) -> None:
        box = self.query_one("#log-search", Input)
        box.disabled = False
        box.remove_class("hidden")
        box.focus()

    @on(Input.Submitted, "#log-search")
    def search(self, event: Input.Submitted) -> None:
        self.needle = needle = event.value.lower()
        first = self.first_number
        self.matches = [first + i for i, line in enumerate(self.lines) if needle and needle in line.lower()]
        self.close_search()
        self.match_index = -1
        if self.matches:
            self.action_next_match()
        else:
            self.query_one("#log", FollowLog).set_search(needle, None)
            self._say_found()
            if self.wrapped:
                self._render_wrapped()
        self.search_file(event.value, len(self.matches))

    @work(thread=True, exclusive=True, group="log-search", exit_on_error=False)
    def search_file(self, needle: str, shown: int) -> None:
        """Count the matches in the whole log on disk, beyond the lines held on screen."""
        run = self.api.get_run(self.run_id)
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

    def _say_found(self) -> None:
        found = self.query_one("#log-found", Static)
        if not self.needle:
            found.add_class("hidden")
            return
        if not self.matches:
            found.update(
                Text(
                    f"“{self.needle}”: no match in the lines shown · "
                    f"{key(self, 'log.search')} searches again",
                    style="yellow",
                )
            )
        else:
            number = self.line_number(self.matches[self.match_index])
            found.update(
                Text(
                    f"“{self.needle}”: match {self.match_index + 1} of {len(self.matches)}, "
                    f"line {number:,} · {hint(self, 'log.next_match', 'log.previous_match')} · "
                    f"{key(self, 'log.search')} new search"
                )
            )
        found.remove_class("hidden")

    def _point_log_at_match(self) -> None:
        log = self.query_one("#log", FollowLog)
        index = self.matches[self.match_index] - self.first_number if self.matches else -1
        log.set_search(self.needle, index if index >= 0 else None)

    def _show_match(self) -> None:
        log = self.query_one("#log", FollowLog)
        index = self.matches[self.match_index] - self.first_number
        self.following = False
        log.auto_scroll = False
        self._point_log_at_match()
        self._say_found()
        if index < 0:
            self.notify("that match has scrolled out of the lines held; search again", severity="warning")
            return
        line = log.lines[index].lower()
        column = line.find(self.needle)
        width = log.scrollable_content_region.width
        x = max(0, column - 8) if column + len(self.needle) > width - 2 else 0
        log.scroll_to(x=x, y=max(0, index - CONTEXT), animate=False)
        if self.wrapped:
            self._render_wrapped(index)

    def action_next_match(self) -> None:
        if self.matches:
            self.match_index = (self.match_index + 1) % len(self.matches)
            self._show_match()

    def action_previous_match(self) -> None:
        if self.matches:
            self.match_index = (self.match_index - 1) % len(self.matches)
            self._show_match()

    def _render_all(self) -> None:
        shown = self.shown(list(self.lines))
        log = self.query_one("#log", FollowLog)
        log.clear()
        log.write_lines(shown)
        if self.following:
            log.call_after_refresh(log.scroll_end, animate=False)
        if self.wrapped:
            self._render_wrapped()

    def _render_wrapped(self, at: int | None = None) -> None:
        """The wrapped view: the last lines, or (``at``) a window that starts just above that line,
        scrolled so the line shows."""
        wrapped = self.query_one("#log-wrapped", RichLog)
        wrapped.clear()
        log = self.query_one("#log", FollowLog)
        shown = log.lines
        current = log.current
        if at is None and self.following:
            start, end = max(0, len(shown) - WRAP_LINES), len(shown)
        elif at is None:
            start = max(0, int(log.scroll_offset.y))
            end = min(len(shown), start + WRAP_LINES)
        else:
            start = max(0, at - CONTEXT)
            end = min(len(shown), start + WRAP_LINES)
        self.wrap_tail = end == len(shown) and at is None and self.following
        wrapped.auto_scroll = self.wrap_tail
        target = 0
        for index in range(start, end):
            if index == at:
                target = len(wrapped.lines)
            wrapped.write(
                mark_matches(Text(shown[index]), self.needle, index == current), scroll_end=self.wrap_tail
            )
        if not self.wrap_tail:
            row = max(0, target - 1)
            wrapped.scroll_to(y=row, animate=False)
            wrapped.call_after_refresh(wrapped.scroll_to, y=row, animate=False)

    def action_wrap(self) -> None:
        self.wrapped = not self.wrapped
        self.query_one("#log", Log).set_class(self.wrapped, "hidden")
        wrapped = self.query_one("#log-wrapped", RichLog)
        wrapped.set_class(not self.wrapped, "hidden")
        if self.wrapped:
            # After the layout: the wrapped view renders at the width it gets.
            at = None if self.following else self.query_one("#log", FollowLog).current
            self.call_after_refresh(self._render_wrapped, at)
            wrapped.focus()
        else:
            self.query_one("#log", Log).focus()
        self.notify("wrapping long lines" if self.wrapped else "not wrapping", timeout=2)

    def action_prefix(self) -> None:
        names = self.api.LOG_PREFIXES
        self.prefix = names[(names.index(self.prefix) + 1) % len(names)]
        self._render_all()
        self.notify(f"log line prefix: {self.prefix}", timeout=2)

    def action_save(self) -> None:
        self.save_copy()

    @work(thread=True, exit_on_error=False)
    def save_copy(self) -> None:
        run = self.api.get_run(self.run_id)
        source = Path(run.log_path or "")
        target = Path.cwd() / f"{run.run_id}-{time.strftime('%Y%m%d-%H%M%S')}.log"
        try:
            shutil.copyfile(source, target)
        except OSError as exc:
            message = f"could not save the log: {exc.strerror}"
            self.app.call_from_thread(self.notify, message, severity="error")
            return
        self.app.call_from_thread(self.notify, f"saved a copy to {target}")
