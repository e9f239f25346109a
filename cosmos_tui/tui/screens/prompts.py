"""The prompts screen: a table with live full-text filter, and the prompt detail screen."""

from __future__ import annotations

import time
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Header, Input, Static
from textual.worker import get_current_worker

from cosmos_tui.errors import CosmosError
from cosmos_tui.records import InputKind, PromptRecord, RunRecord, RunStatus, escape_controls
from cosmos_tui.tui.base import CosmosScreen
from cosmos_tui.tui.format import local_time, one_line, status_text
from cosmos_tui.tui.keymap import bindings, hint, key
from cosmos_tui.tui.widgets.confirm import ConfirmModal
from cosmos_tui.tui.widgets.footer import Footer
from cosmos_tui.tui.widgets.tables import Column, RecordTable, Rows, selected_key

MARK = "●"
NAME_WIDTH, NAME_MAX = 20, 30
# The ID and name are never dropped; the text gets what is left.
COLUMNS = (
    Column("mark", " ", 1),
    Column("id", "id", 15),
    Column("name", "name", 20),  # widened to the longest name shown, up to NAME_MAX
    Column("text", "text", 12, flex=True),
    Column("input", "input", 18, drop=3),  # "demo/ (depth,seg)", "robot.jpg", "text only"
    Column("runs", "runs", 4, drop=4),
    Column("last", "last", 9, drop=1),
    Column("created", "created", 16, drop=2),
)
DETAIL_COLUMNS = (
    Column("id", "id", 15),
    Column("status", "status", 10),
    Column("host", "host", 12, drop=2),
    Column("stage", "stage", 10, drop=3),
    Column("created", "created", 16, drop=1),
    Column("error", "error", 10, flex=True),
)


def input_text(p: PromptRecord) -> str:
    """The input box of the detail screen: a folder with its videos, one file, or none."""
    kind = p.input_kind
    if kind is InputKind.FOLDER:
        inputs = "\n".join(f"{k:>6}: {v}" for k, v in p.inputs.items())
        return f"inputs ({p.input_dir}):\n{inputs}"
    if kind is InputKind.NONE:
        return "input: none (text only)"
    return f"input ({kind.value}): {p.input_dir}"


class PromptsScreen(CosmosScreen[None]):
    BINDINGS = bindings("prompts")

    @dataclass
    class Loaded(Message):
        prompts: list[PromptRecord]
        query: str

    @dataclass
    class Failed(Message):
        error: str

    def __init__(self) -> None:
        super().__init__()
        self.marked: set[str] = set()
        self.prompts: list[PromptRecord] = []
        self.query_text = ""
        self.select: str | None = None  # a prompt just created: the cursor goes to it

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(
            placeholder=f"filter prompts (full-text; {key(self, 'prompts.clear_filter')} clears)",
            id="filter",
            classes="hidden",
            disabled=True,
        )
        yield RecordTable(COLUMNS, id="prompts", zebra_stripes=True)
        yield Static("", id="prompts-status", classes="status-line")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(RecordTable).focus()
        self.refresh_prompts()

    def on_screen_resume(self) -> None:
        self.refresh_prompts()

    @work(thread=True, exclusive=True, group="prompts", exit_on_error=False)
    def refresh_prompts(self) -> None:
        query = self.query_text
        try:
            api = self.api
            prompts = api.search_prompts(query, limit=500) if query.strip() else api.list_prompts(limit=500)
        except CosmosError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.Loaded(prompts, query))

    def on_prompts_screen_loaded(self, message: Loaded) -> None:
        self.prompts = message.prompts
        table = self.query_one(RecordTable)
        longest = max((len(escape_controls(p.name)) for p in message.prompts), default=0)
        table.widen("name", max(NAME_WIDTH, min(NAME_MAX, longest)))
        rows: Rows = [
            (
                p.prompt_id,
                {
                    "mark": MARK if p.prompt_id in self.marked else " ",
                    "id": p.prompt_id,
                    "name": Text(one_line(p.name, 200), no_wrap=True, overflow="ellipsis"),
                    "text": Text(one_line(p.text, 500), no_wrap=True, overflow="ellipsis"),
                    "input": Text(p.input_label, no_wrap=True, overflow="ellipsis"),
                    "runs": str(p.run_count),
                    "last": status_text(p.last_status),
                    "created": local_time(p.created_at),
                },
            )
            for p in message.prompts
        ]
        select = self.select if any(p.prompt_id == self.select for p in message.prompts) else None
        table.show(rows, select=select)
        if select:
            self.select = None
        shown = f"{len(message.prompts)} prompt(s)"
        if message.query:
            shown += f" matching “{message.query}”"
        if self.marked:
            shown += f", {len(self.marked)} marked"
        self.query_one("#prompts-status", Static).update(
            Text(
                f"{shown} · "
                + hint(self, "prompts.new", "prompts.run", "prompts.open", "prompts.filter", "app.help")
            )
        )

    def on_prompts_screen_failed(self, message: Failed) -> None:
        self.query_one("#prompts-status", Static).update(Text(escape_controls(message.error), style="red"))

    def current_id(self) -> str | None:
        return selected_key(self.query_one(RecordTable))

    def current(self) -> PromptRecord | None:
        wanted = self.current_id()
        return next((p for p in self.prompts if p.prompt_id == wanted), None)

    # -- actions -------------------------------------------------------------------------------

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.disabled = False
        box.remove_class("hidden")
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.value = ""
        box.add_class("hidden")
        box.disabled = True
        self.query_one(DataTable).focus()

    @on(Input.Changed, "#filter")
    def filter_changed(self, event: Input.Changed) -> None:
        self.query_text = event.value if any(ch.isalnum() for ch in event.value) else ""
        self.refresh_prompts()

    @on(Input.Submitted, "#filter")
    def filter_done(self) -> None:
        self.query_one(DataTable).focus()

    @on(DataTable.RowSelected)
    def row_selected(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        prompt = self.current()
        if prompt is not None:
            self.app.push_screen(PromptDetailScreen(prompt))

    def action_mark(self) -> None:
        prompt_id = self.current_id()
        if prompt_id is None:
            return
        self.marked ^= {prompt_id}
        table = self.query_one(RecordTable)
        table.set_cell(prompt_id, "mark", MARK if prompt_id in self.marked else " ")
        table.action_cursor_down()

    def action_new_prompt(self) -> None:
        from cosmos_tui.tui.screens.prompt_form import NewPromptModal

        def created(prompt_id: str | None) -> None:
            if prompt_id:
                self.notify(f"created {prompt_id}")
                self.select = prompt_id
                self.refresh_prompts()

        self.app.push_screen(NewPromptModal(), created)

    def action_run(self) -> None:
        from cosmos_tui.tui.screens.run_form import RunFormModal

        current = self.current_id()
        ids = sorted(self.marked) or ([current] if current else [])
        if not ids:
            self.notify("no prompt selected", severity="warning")
            return

        def queued(run_ids: list[str] | None) -> None:
            if run_ids:
                self.marked.clear()
                self.cosmos_app.select_run = run_ids[0]
                self.notify(f"queued {', '.join(run_ids)}")
                self.refresh_prompts()

        known = [p for p in self.prompts if p.prompt_id in ids]
        self.app.push_screen(RunFormModal(ids, known), queued)

    def action_enhance(self) -> None:
        prompt = self.current()
        if prompt is None:
            self.notify("no prompt selected", severity="warning")
            return
        self.enhance(prompt.prompt_id)

    @work(thread=True, group="enhance", exit_on_error=False)
    def enhance(self, prompt_id: str) -> None:
        child = enhance_and_wait(self, prompt_id)
        if child is not None:
            self.select = child
            self.refresh_prompts()

    def action_delete(self) -> None:
        prompt = self.current()
        if prompt is None:
            return
        runs = f" and its {prompt.run_count} run(s) with their outputs" if prompt.run_count else ""

        def answer(yes: bool | None) -> None:
            if yes:
                self.delete_prompt(prompt.prompt_id, bool(prompt.run_count))

        self.app.push_screen(
            ConfirmModal(f"Delete prompt {prompt.prompt_id} ({prompt.name}){runs}?", "Delete", "Keep"), answer
        )

    @work(thread=True, group="delete", exit_on_error=False)
    def delete_prompt(self, prompt_id: str, force: bool) -> None:
        try:
            self.api.delete_prompt(prompt_id, force=force)
        except CosmosError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.app.call_from_thread(self._deleted, prompt_id)
        self.refresh_prompts()

    def _deleted(self, prompt_id: str) -> None:
        self.marked.discard(prompt_id)  # on the event loop, which iterates the set
        self.notify(f"deleted {prompt_id}")


class PromptDetailScreen(CosmosScreen[None]):
    BINDINGS = bindings("prompt")

    @dataclass
    class RunsLoaded(Message):
        runs: list[RunRecord]
        select: str | None = None

    @dataclass
    class LineageLoaded(Message):
        children: list[PromptRecord]

    def __init__(self, prompt: PromptRecord) -> None:
        super().__init__()
        self.prompt = prompt

    def compose(self) -> ComposeResult:
        p = self.prompt
        yield Header()
        with VerticalScroll(id="detail"):
            yield Static(Text(f"{p.prompt_id}  {escape_controls(p.name)}", style="bold"), classes="title")
            if p.parent_id:
                yield Static(Text(f"enhanced from {p.parent_id}"), id="prompt-parent", classes="hint")
            yield Static(Text(escape_controls(p.text)), id="prompt-text", classes="box")
            yield Static(Text("negative: " + escape_controls(p.negative_prompt), style="dim"), classes="box")
            yield Static(Text(escape_controls(input_text(p))), id="prompt-input", classes="box")
            with Vertical(classes="box hidden", id="prompt-children-box"):
                yield Static("enhanced versions", classes="title")
                yield Static("", id="prompt-children")
            with Vertical(classes="box"):
                yield Static("runs", classes="title")
                yield RecordTable(DETAIL_COLUMNS, id="prompt-runs")
        yield Footer()

    def on_mount(self) -> None:
        self.load_runs()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def load_runs(self, select: str | None = None) -> None:
        runs = self.api.list_runs(prompt=self.prompt.prompt_id, limit=200)
        children = self.api.prompt_children(self.prompt.prompt_id)
        self.post_message(self.RunsLoaded(runs, select))
        self.post_message(self.LineageLoaded(children))

    def on_prompt_detail_screen_lineage_loaded(self, message: LineageLoaded) -> None:
        lines = Text()
        for child in message.children:
            if lines:
                lines.append("\n")
            lines.append(child.prompt_id, style="bold")
            lines.append(f"  {local_time(child.created_at)}  ", style="dim")
            lines.append(one_line(child.text, 500))
        self.query_one("#prompt-children", Static).update(lines)
        self.query_one("#prompt-children-box").set_class(not message.children, "hidden")

    def on_prompt_detail_screen_runs_loaded(self, message: RunsLoaded) -> None:
        self.query_one(RecordTable).show(
            [
                (
                    run.run_id,
                    {
                        "id": run.run_id,
                        "status": status_text(run.status),
                        "host": run.host,
                        "stage": run.stage or "-",
                        "created": local_time(run.created_at),
                        "error": Text(run.error_class or ""),
                    },
                )
                for run in message.runs
            ],
            select=message.select,
        )

    def action_run(self) -> None:
        from cosmos_tui.tui.screens.run_form import RunFormModal

        def queued(run_ids: list[str] | None) -> None:
            if run_ids:
                self.cosmos_app.select_run = run_ids[0]
                self.load_runs(run_ids[0])

        self.app.push_screen(RunFormModal([self.prompt.prompt_id], [self.prompt]), queued)

    def action_enhance(self) -> None:
        self.enhance()

    @work(thread=True, group="enhance", exit_on_error=False)
    def enhance(self) -> None:
        if enhance_and_wait(self, self.prompt.prompt_id) is not None:
            self.load_runs()

    def action_open_run(self) -> None:
        run_id = selected_key(self.query_one(RecordTable))
        if run_id:
            from cosmos_tui.tui.screens.log import LogScreen

            self.app.push_screen(LogScreen(run_id))


CHILD_WAIT_SECONDS = 10.0  # a run collected by another process: its follow-up makes the prompt just after


def enhance_and_wait(screen: CosmosScreen[None], prompt_id: str) -> str | None:
    """In a thread worker: queue the prompt's enhancement, say so, wait for the run to end (while
    the worker lives) and say how it went; the enhanced child prompt's ID, or None."""
    api = screen.api
    app = screen.app
    worker = get_current_worker()
    run_id = api.enhance_prompt(prompt_id)
    app.call_from_thread(
        screen.notify,
        f"enhancing {prompt_id} as run {run_id}; the enhanced prompt "
        "appears as its child when the run completes",
    )
    while not api.wait_executors([run_id], timeout=1.0):
        if worker.is_cancelled:
            return None
    run = api.get_run(run_id)
    child = api.enhanced_prompt(run_id)
    deadline = time.monotonic() + CHILD_WAIT_SECONDS
    while child is None and run.status == RunStatus.COMPLETED and time.monotonic() < deadline:
        time.sleep(0.2)
        child = api.enhanced_prompt(run_id)
    if child is None:
        why = escape_controls(run.error_message or f"it ended {run.status}")
        app.call_from_thread(
            screen.notify,
            f"enhancing {prompt_id} failed (run {run_id}): {why}",
            severity="error",
            markup=False,
        )
        return None
    app.call_from_thread(screen.notify, f"enhanced {prompt_id} into {child.prompt_id}", markup=False)
    return child.prompt_id
