"""The prompts screen: a table with live full-text filter, and the prompt detail screen."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from cosmos_tui.errors import CosmosError
from cosmos_tui.records import PromptRecord, RunRecord
from cosmos_tui.tui.format import local_time, one_line, status_text
from cosmos_tui.tui.widgets.confirm import ConfirmModal
from cosmos_tui.tui.widgets.tables import selected_key

MARK = "●"


class PromptsScreen(Screen[None]):
    BINDINGS = [
        Binding("slash", "filter", "Filter"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        Binding("n", "new_prompt", "New"),
        Binding("enter", "open", "Open"),
        Binding("r", "run", "Run"),
        Binding("space", "mark", "Mark"),
        Binding("d", "delete", "Delete"),
    ]

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

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="filter prompts (full-text; esc clears)", id="filter", classes="hidden",
                    disabled=True)
        yield DataTable(id="prompts", cursor_type="row", zebra_stripes=True)
        yield Static("", id="prompts-status", classes="status-line")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column(" ", key="mark", width=1)
        for name, width in (("id", 15), ("name", 22), ("text", 40), ("controls", 14), ("runs", 4),
                            ("last", 10), ("created", 16)):
            table.add_column(name, key=name, width=width)
        table.focus()
        self.refresh_prompts()

    def on_screen_resume(self) -> None:
        self.refresh_prompts()

    @work(thread=True, exclusive=True, group="prompts", exit_on_error=False)
    def refresh_prompts(self) -> None:
        query = self.query_text
        try:
            api = self.app.api  # type: ignore[attr-defined]
            prompts = api.search_prompts(query, limit=500) if query.strip() else api.list_prompts(limit=500)
        except CosmosError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.Loaded(prompts, query))

    def on_prompts_screen_loaded(self, message: Loaded) -> None:
        self.prompts = message.prompts
        table = self.query_one(DataTable)
        selected = self.current_id()
        table.clear()
        for p in message.prompts:
            table.add_row(
                MARK if p.prompt_id in self.marked else " ",
                p.prompt_id,
                Text(one_line(p.name, 22)),
                Text(one_line(p.text, 40)),
                ",".join(p.controls) or "-",
                str(p.run_count),
                status_text(p.last_status),
                local_time(p.created_at),
                key=p.prompt_id,
            )
        if selected and selected in {p.prompt_id for p in message.prompts}:
            table.move_cursor(row=table.get_row_index(selected))
        shown = f"{len(message.prompts)} prompt(s)"
        if message.query:
            shown += f" matching “{message.query}”"
        if self.marked:
            shown += f", {len(self.marked)} marked"
        self.query_one("#prompts-status", Static).update(
            Text(shown + " · n new · r run · enter open · / filter · ? help")
        )

    def on_prompts_screen_failed(self, message: Failed) -> None:
        self.query_one("#prompts-status", Static).update(Text(message.error, style="red"))

    def current_id(self) -> str | None:
        return selected_key(self.query_one(DataTable))

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
        table = self.query_one(DataTable)
        table.update_cell(prompt_id, "mark", MARK if prompt_id in self.marked else " ")
        table.action_cursor_down()

    def action_new_prompt(self) -> None:
        from cosmos_tui.tui.screens.prompt_form import NewPromptModal

        def created(prompt_id: str | None) -> None:
            if prompt_id:
                self.notify(f"created {prompt_id}")
                self.refresh_prompts()

        self.app.push_screen(NewPromptModal(), created)

    def action_run(self) -> None:
        from cosmos_tui.tui.screens.run_form import RunFormModal

        ids = sorted(self.marked) or ([self.current_id()] if self.current_id() else [])
        if not ids:
            self.notify("no prompt selected", severity="warning")
            return

        def queued(run_ids: list[str] | None) -> None:
            if run_ids:
                self.marked.clear()
                self.notify(f"queued {', '.join(run_ids)}")
                self.refresh_prompts()

        self.app.push_screen(RunFormModal(ids), queued)

    def action_delete(self) -> None:
        prompt = self.current()
        if prompt is None:
            return
        runs = f" and its {prompt.run_count} run(s) with their outputs" if prompt.run_count else ""

        def answer(yes: bool | None) -> None:
            if yes:
                self.delete_prompt(prompt.prompt_id, bool(prompt.run_count))

        self.app.push_screen(ConfirmModal(f"Delete prompt {prompt.prompt_id} ({prompt.name}){runs}?",
                                          "Delete"), answer)

    @work(thread=True, group="delete", exit_on_error=False)
    def delete_prompt(self, prompt_id: str, force: bool) -> None:
        try:
            self.app.api.delete_prompt(prompt_id, force=force)  # type: ignore[attr-defined]
        except CosmosError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.marked.discard(prompt_id)
        self.app.call_from_thread(self.notify, f"deleted {prompt_id}")
        self.refresh_prompts()


class PromptDetailScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("r", "run", "Run"),
        Binding("enter", "open_run", "Open run log"),
    ]

    @dataclass
    class RunsLoaded(Message):
        runs: list[RunRecord]

    def __init__(self, prompt: PromptRecord) -> None:
        super().__init__()
        self.prompt = prompt

    def compose(self) -> ComposeResult:
        p = self.prompt
        yield Header()
        with VerticalScroll(id="detail"):
            yield Static(Text(f"{p.prompt_id}  {p.name}", style="bold"), classes="title")
            yield Static(Text(p.text), id="prompt-text", classes="box")
            yield Static(Text("negative: " + p.negative_prompt, style="dim"), classes="box")
            inputs = "\n".join(f"{k:>6}: {v}" for k, v in p.inputs.items())
            yield Static(Text(f"inputs ({p.input_dir}):\n{inputs}"), classes="box")
            with Vertical(classes="box"):
                yield Static("runs", classes="title")
                yield DataTable(id="prompt-runs", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for name in ("id", "status", "host", "stage", "created", "error"):
            table.add_column(name, key=name)
        self.load_runs()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def load_runs(self) -> None:
        runs = self.app.api.list_runs(prompt=self.prompt.prompt_id, limit=200)  # type: ignore[attr-defined]
        self.post_message(self.RunsLoaded(runs))

    def on_prompt_detail_screen_runs_loaded(self, message: RunsLoaded) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for run in message.runs:
            table.add_row(run.run_id, status_text(run.status), run.host, run.stage or "-",
                          local_time(run.created_at), Text(run.error_class or ""), key=run.run_id)

    def action_run(self) -> None:
        from cosmos_tui.tui.screens.run_form import RunFormModal

        self.app.push_screen(RunFormModal([self.prompt.prompt_id]),
                             lambda ids: self.load_runs() if ids else None)

    def action_open_run(self) -> None:
        run_id = selected_key(self.query_one(DataTable))
        if run_id:
            from cosmos_tui.tui.screens.log import LogScreen

            self.app.push_screen(LogScreen(run_id))
