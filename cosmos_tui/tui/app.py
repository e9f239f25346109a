"""The cosmos-tui application (a first screen; the full UI grows from here)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Static

from cosmos_tui.api import CosmosAPI
from cosmos_tui.errors import CosmosError
from cosmos_tui.records import PromptRecord
from cosmos_tui.tui.stylesheet import stylesheet_path


class CosmosApp(App[None]):
    TITLE = "cosmos-tui"
    CSS_PATH = str(stylesheet_path())
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("r", "refresh", "Refresh"),
    ]

    @dataclass
    class PromptsLoaded(Message):
        prompts: list[PromptRecord]

    @dataclass
    class LoadFailed(Message):
        error: str

    def __init__(self, api: CosmosAPI) -> None:
        super().__init__()
        self.api = api

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading prompts…", id="status")
        yield DataTable(id="prompts", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        config = self.api.config
        host = config.host_label(config.default_host) if config.default_host else "no host configured"
        self.sub_title = f"host: {host}"
        table = self.query_one("#prompts", DataTable)
        table.add_columns("id", "name", "text", "controls", "runs", "last", "created")
        self.action_refresh()

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def action_refresh(self) -> None:
        try:
            self.post_message(self.PromptsLoaded(self.api.list_prompts(limit=500)))
        except CosmosError as exc:
            self.post_message(self.LoadFailed(str(exc)))

    def on_cosmos_app_prompts_loaded(self, message: PromptsLoaded) -> None:
        table = self.query_one("#prompts", DataTable)
        table.clear()
        for p in message.prompts:
            # Text cells: user text is shown verbatim, never parsed as markup.
            cells = (
                p.prompt_id,
                p.name,
                " ".join(p.text.split())[:60],
                ",".join(p.controls) or "-",
                str(p.run_count),
                p.last_status or "-",
                p.created_at.astimezone().strftime("%Y-%m-%d %H:%M"),
            )
            table.add_row(*(Text(cell) for cell in cells), key=p.prompt_id)
        count = len(message.prompts)
        self.query_one("#status", Static).update(
            f"{count} prompt(s). Add one with: cosmos-tui prompt add TEXT VIDEO_DIR"
        )

    def on_cosmos_app_load_failed(self, message: LoadFailed) -> None:
        self.query_one("#status", Static).update(f"Could not load prompts: {message.error}")
