"""The runs screen: a live table of runs with progress, cancel, re-run, open output, and a toast
and a bell when a run completes or fails.

Every second it asks the API what changed since its last look (`CosmosAPI.run_changes`): when
nothing did, that is one tiny query and no work on screen; otherwise only the rows that changed
are redrawn (all of them only when runs come onto or leave the page)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rich.console import RenderableType
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import Header, Static

from cosmos_tui.errors import CosmosError, NotFoundError
from cosmos_tui.records import RunChanges, RunRecord, RunStatus, escape_controls, stars
from cosmos_tui.tui.base import CosmosScreen
from cosmos_tui.tui.format import bar, duration, elapsed, eta, status_text
from cosmos_tui.tui.keymap import bindings, hint
from cosmos_tui.tui.widgets.cancel import confirm_and_cancel
from cosmos_tui.tui.widgets.footer import Footer
from cosmos_tui.tui.widgets.tables import Column, RecordTable, selected_key

# "running" shows every run holding a slot on its host (claimed ... collecting).
FILTERS = (
    None,
    RunStatus.RUNNING,
    RunStatus.QUEUED,
    RunStatus.FAILED,
    RunStatus.COMPLETED,
    RunStatus.CANCELLED,
)
REFRESH_SECONDS = 1.0
PAGE = 300  # the newest runs shown
# IDs and statuses are never cut or dropped; the prompt's name gets what is left; on a narrow
# terminal model, host, stage and elapsed go first, in that order.
COLUMNS = (
    Column("id", "id", 15),
    Column("prompt", "prompt", 14, flex=True),
    Column("model", "model", 8, drop=6),
    Column("host", "host", 15, drop=5),
    Column("status", "status", 10),
    Column("progress", "progress", 15, drop=1),
    Column("stage", "stage", 10, drop=4),
    Column("elapsed", "elapsed", 7, drop=3),
    Column("eta", "ETA", 7, drop=2),
    Column("rating", "rating", 6, drop=7),
)


def batch_mark(run: RunRecord) -> str:
    """Runs that share one model process carry the same tag: the end of their batch ID and the
    sample number (``#1a2f:2``)."""
    if not run.batch_id:
        return ""
    sample = "" if run.batch_index is None else f":{run.batch_index + 1}"
    return f"#{run.batch_id[-4:]}{sample}"


def sweep_marks(runs: list[RunRecord], labels: dict[str, str]) -> dict[str, tuple[str, str]]:
    """For each run of a sweep, in table order: its mark (╭ first of a group of neighbours, │ within,
    ╰ last, · alone) and what sets it apart from the rest of its sweep."""
    marks: dict[str, tuple[str, str]] = {}
    for i, run in enumerate(runs):
        if not run.sweep_id:
            continue
        above = i > 0 and runs[i - 1].sweep_id == run.sweep_id
        below = i + 1 < len(runs) and runs[i + 1].sweep_id == run.sweep_id
        mark = "│" if above and below else "╰" if above else "╭" if below else "·"
        marks[run.run_id] = (mark, labels.get(run.run_id, ""))
    return marks


class RunsScreen(CosmosScreen[None]):
    BINDINGS = bindings("runs")

    @dataclass
    class Loaded(Message):
        changes: RunChanges
        since: int | None  # the version the changes are relative to
        filter_index: int
        names: dict[str, str]  # names of prompts not seen before

    def __init__(self) -> None:
        super().__init__()
        self.filter_index = 0
        self.runs: dict[str, RunRecord] = {}  # what the table shows, in its order
        self.version: int | None = None  # of ``runs``; None: load the page afresh
        self.seen: dict[str, str] = {}
        self.names: dict[str, str] = {}  # prompt ID -> name (names never change)
        self.status_line = ""
        self.sweeps: dict[str, tuple[str, str]] = {}  # run ID -> (group mark, what sets it apart)

    def compose(self) -> ComposeResult:
        config = self.api.config
        # Wide enough for "box1 (simulated) · lab" where a host is in a pool (`any` is not counted:
        # few use it, and it would widen every table).
        host_width = max(
            (
                len(config.host_label(name))
                + max((len(pool) + 3 for pool in config.pools_of(name)[1:]), default=0)
                for name in config.hosts
            ),
            default=4,
        )
        columns = [
            Column(c.key, c.label, max(4, min(host_width, 24)), c.drop) if c.key == "host" else c
            for c in COLUMNS
        ]
        yield Header()
        yield RecordTable(columns, id="runs", zebra_stripes=True)
        yield Static("", id="runs-status", classes="status-line")
        yield Footer()

    def on_mount(self) -> None:
        self.opened_at = self.api.now()
        self.refresh_runs()
        self.timer = self.set_interval(REFRESH_SECONDS, self.refresh_runs)

    def on_screen_suspend(self) -> None:
        self.timer.pause()

    def on_screen_resume(self) -> None:
        self.timer.resume()
        self.refresh_runs()

    @property
    def status_filter(self) -> RunStatus | None:
        return FILTERS[self.filter_index]

    @work(thread=True, exclusive=True, group="runs", exit_on_error=False)
    def refresh_runs(self) -> None:
        filter_index, since, known = self.filter_index, self.version, list(self.runs)
        wanted = FILTERS[filter_index]
        statuses = RunStatus.BUSY if wanted == RunStatus.RUNNING else ([wanted] if wanted else None)
        api = self.api
        names: dict[str, str] = {}
        try:
            changes = api.run_changes(since, status=statuses, limit=PAGE, known=known)
            for prompt_id in {r.prompt_id for r in changes.runs if r.prompt_id} - set(self.names):
                try:
                    names[prompt_id] = api.get_prompt(prompt_id).name
                except NotFoundError:
                    names[prompt_id] = prompt_id  # deleted meanwhile
        except CosmosError:
            return
        self.post_message(self.Loaded(changes, since, filter_index, names))

    def cells(self, run: RunRecord, now: datetime) -> dict[str, RenderableType]:
        label = self.api.config.host_label
        return {
            "id": run.run_id,
            "prompt": self.prompt_cell(run),
            "model": run.model_type,
            "host": run.where(label),
            "status": status_text(run.status),
            "progress": bar(100.0 if run.status == RunStatus.COMPLETED else run.progress),
            "stage": Text(run.stage or ("waiting" if run.note else "-")),
            **self.clock_cells(run, now),
            "rating": Text(stars(run.rating), style="yellow"),
        }

    def prompt_cell(self, run: RunRecord) -> Text:
        """The prompt's name; a run of a batch first shows its batch tag, a run of a sweep its place in
        the group and what sets it apart (``╭ seed=3 robot-arm``), so the name is what an ellipsis cuts."""
        name = escape_controls(self.names.get(run.prompt_id or "", "-"))
        cell = Text(no_wrap=True, overflow="ellipsis")
        cell.append(self.link(run))
        if run.batch_id:
            cell.append(batch_mark(run) + " ", style="cyan")
        if run.run_id in self.sweeps:
            mark, label = self.sweeps[run.run_id]
            cell.append(mark + " ", style="dim")
            if label:
                cell.append(label + " ", style="italic")
        cell.append(name)
        return cell

    def link(self, run: RunRecord) -> str:
        """Before a child run's prompt name (a 4K upscale): under its parent when the page shows
        the parent (``linked_order`` put it there), else which run it came from."""
        if not run.parent_id:
            return ""
        kind = "4K" if run.model_type == "upscale" else run.model_type
        parent = self.runs.get(run.parent_id)
        if parent is not None and parent.parent_id not in self.runs:
            return f"└ {kind}: "
        return f"{kind} of {run.parent_id}: "

    @staticmethod
    def clock_cells(run: RunRecord, now: datetime) -> dict[str, RenderableType]:
        """The cells that move with the clock while a run goes on."""
        return {"elapsed": duration(elapsed(run, now)), "eta": duration(eta(run, now))}

    def on_runs_screen_loaded(self, message: Loaded) -> None:
        if message.filter_index != self.filter_index or message.since != self.version:
            return  # answers a question asked before the filter or the table changed
        changes = message.changes
        self.version = changes.version
        self.names.update(message.names)
        now = self.api.now()
        table = self.query_one(RecordTable)
        if changes.ids is not None:
            held = {} if message.since is None else self.runs
            fresh = {run.run_id: run for run in changes.runs}
            runs = {i: fresh.get(i) or held[i] for i in changes.ids if i in fresh or i in held}
            self.runs = {i: runs[i] for i in linked_order(list(runs), runs)}
            sweeps = sweep_marks(list(self.runs.values()), self.api.sweep_labels(self.runs.values()))
            regroup, self.sweeps = sweeps != self.sweeps, sweeps
            if regroup or list(self.runs) != table.keys():
                table.show([(run.run_id, self.cells(run, now)) for run in self.runs.values()])
            else:
                for run in changes.runs:
                    table.update_row(run.run_id, self.cells(run, now))
            self.announce(changes.runs)
        for run in self.runs.values():
            if not run.is_terminal:
                table.update_row(run.run_id, self.clock_cells(run, now))
        # A run just queued from here (r on a prompt, R here) gets the cursor once it shows up.
        wanted = self.cosmos_app.select_run
        if wanted in self.runs:
            table.move_to(wanted)
            self.cosmos_app.select_run = None
        shown = self.status_filter or "all"
        line = f"{len(self.runs)} run(s), showing {shown} · " + hint(
            self, "runs.filter", "runs.open_log", "runs.cancel", "runs.rerun", "runs.open_output"
        )
        if line != self.status_line:
            self.status_line = line
            self.query_one("#runs-status", Static).update(Text(line))

    def announce(self, runs: list[RunRecord]) -> None:
        """A toast and a bell when a run we saw in progress completes or fails."""
        for run in runs:
            before = self.seen.get(run.run_id)
            # A run may start and end between two refreshes: judge it by when it finished.
            fresh = before is None and run.finished_at is not None and run.finished_at > self.opened_at
            changed = before is not None and before != run.status
            if (changed or fresh) and run.status in (RunStatus.COMPLETED, RunStatus.FAILED):
                if run.status == RunStatus.COMPLETED:
                    self.notify(
                        f"{run.run_id} completed: {self.result_path(run)}", title="Run finished", timeout=15
                    )
                else:
                    reason = escape_controls(run.error_message or "")
                    self.notify(
                        f"{run.run_id} failed: {run.error_class}: {reason}",
                        title="Run failed",
                        severity="error",
                        timeout=10,
                    )
                self.app.bell()
            self.seen[run.run_id] = run.status

    def result_path(self, run: RunRecord) -> str:
        """The output video, else the run's folder."""
        video = next((p for p in run.outputs if p.endswith("output.mp4")), None)
        return video or str(self.api.run_dir(run.run_id))

    def current_id(self) -> str | None:
        return selected_key(self.query_one(RecordTable))

    def current(self) -> RunRecord | None:
        wanted = self.current_id()
        return self.runs.get(wanted) if wanted else None

    def on_data_table_row_selected(self) -> None:
        self.action_open_log()

    def action_open_log(self) -> None:
        run_id = self.current_id()
        if run_id:
            from cosmos_tui.tui.screens.log import LogScreen

            self.app.push_screen(LogScreen(run_id))

    def action_cycle_filter(self) -> None:
        self.filter_index = (self.filter_index + 1) % len(FILTERS)
        self.version = None  # another page: load it afresh
        self.refresh_runs()

    def action_cancel_run(self) -> None:
        run = self.current()
        if run is None or run.is_terminal:
            self.notify("that run has already ended", severity="warning")
            return
        confirm_and_cancel(self, run.run_id, run.host)

    def action_rerun(self) -> None:
        run = self.current()
        if run is not None:
            self.rerun(run.run_id)

    @work(thread=True, group="rerun", exit_on_error=False)
    def rerun(self, run_id: str) -> None:
        try:
            new_id = self.api.rerun(run_id)
        except CosmosError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.cosmos_app.select_run = new_id
        self.app.call_from_thread(self.notify, f"queued {new_id} (same settings as {run_id})")
        self.refresh_runs()

    def action_upscale(self) -> None:
        run = self.current()
        if run is not None:
            self.upscale(run.run_id)

    @work(thread=True, group="upscale", exit_on_error=False)
    def upscale(self, run_id: str) -> None:
        """Queue the run's 4K upscale (the API refuses, in one sentence, what cannot be upscaled)."""
        try:
            new_id = self.api.upscale(run_id)
        except CosmosError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.cosmos_app.select_run = new_id
        self.app.call_from_thread(self.notify, f"queued {new_id}: 4K upscale of {run_id}")
        self.refresh_runs()

    def action_open_output(self) -> None:
        run = self.current()
        if run is not None:
            self.open_output(run)

    @work(thread=True, group="open", exit_on_error=False)
    def open_output(self, run: RunRecord) -> None:
        """xdg-open the video (or the run folder) where there is one; else say where it is."""
        video = next((Path(p) for p in run.outputs if p.endswith("output.mp4")), None)
        target = video or self.api.run_dir(run.run_id)
        opener = shutil.which("xdg-open")
        if opener and target.exists():
            subprocess.Popen(
                [opener, str(target)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            self.app.call_from_thread(self.notify, f"opening {target}")
        else:
            self.app.call_from_thread(self.notify, f"output: {target}", timeout=15)


def linked_order(ids: list[str], runs: Mapping[str, RunRecord]) -> list[str]:
    """The page's run IDs with each child run (a 4K upscale) moved right under its parent when the
    page shows the parent; every other run keeps its place (newest first)."""
    shown = set(ids)

    def under(run_id: str) -> str | None:
        parent = runs[run_id].parent_id
        if parent is None or parent not in shown or runs[parent].parent_id in shown:
            return None
        return parent

    children: dict[str, list[str]] = {}
    for run_id in ids:
        parent = under(run_id)
        if parent is not None:
            children.setdefault(parent, []).append(run_id)
    order: list[str] = []
    for run_id in ids:
        if under(run_id) is None:
            order.append(run_id)
            order += children.get(run_id, [])
    return order
