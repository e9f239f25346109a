"""The dashboard: runs per day, success rate per model type, mean and median duration, most used
inputs, recent failures by error class."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Header, Static

from cosmos_tui.errors import CosmosError
from cosmos_tui.records import Dashboard, escape_controls, rating_text
from cosmos_tui.tui.base import CosmosScreen
from cosmos_tui.tui.format import duration
from cosmos_tui.tui.keymap import bindings, key
from cosmos_tui.tui.widgets.footer import Footer

DAYS = 30


class DashboardScreen(CosmosScreen[None]):
    BINDINGS = bindings("dashboard")

    @dataclass
    class Loaded(Message):
        dashboard: Dashboard

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Static("loading…", id="dashboard")
        yield Footer()

    def on_mount(self) -> None:
        self.action_reload()

    def on_screen_resume(self) -> None:
        self.action_reload()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def action_reload(self) -> None:
        try:
            self.post_message(self.Loaded(self.api.dashboard(days=DAYS)))
        except CosmosError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")

    def on_dashboard_screen_loaded(self, message: Loaded) -> None:
        d = message.dashboard
        per_day = Table(box=None)
        for column in ("day", "runs", "", "completed", "failed", "cancelled"):
            per_day.add_column(column)
        peak = max((x.total for x in d.runs_per_day), default=1) or 1
        for day in d.runs_per_day[-14:]:
            per_day.add_row(
                day.day,
                str(day.total),
                Text("█" * max(1, round(20 * day.total / peak)), style="cyan"),
                str(day.completed),
                str(day.failed),
                str(day.cancelled),
            )
        models = Table(box=None)
        for column in ("model", "finished", "success", "mean", "median", "rating"):
            models.add_column(column)
        for m in d.by_model:
            rate = "-" if m.success_rate is None else f"{m.success_rate:.0%}"
            models.add_row(
                m.model_type,
                str(m.finished),
                rate,
                duration(m.mean_seconds),
                duration(m.median_seconds),
                rating_text(m.mean_rating, m.rated),
            )
        inputs = Table(box=None)
        inputs.add_column("input")
        inputs.add_column("runs")
        for i in d.top_inputs:
            inputs.add_row(Text(escape_controls(i.input_dir or "(text only)")), str(i.runs))
        failures = Table(box=None)
        failures.add_column("error class")
        failures.add_column("runs")
        for f in d.failures:
            failures.add_row(f.error_class, Text(str(f.count), style="red"))
        new, run = key(self, "prompts.new"), key(self, "prompts.run")
        empty = Text(
            f"no runs yet: create a prompt ({new} on the prompts screen) and run it ({run})", style="dim"
        )
        # Headings as lines of their own: a table's title wraps to the table's (narrow) width.
        sections = (
            (f"runs per day (last {DAYS} days, UTC)", per_day),
            ("by model type", models),
            ("most used inputs", inputs),
            ("failures by error class", failures),
        )
        parts: list[RenderableType] = [empty]
        if d.runs_per_day:
            parts = []
            for heading, table in sections:
                parts += [Text(heading, style="italic"), table, Text()]
            parts.pop()
        self.query_one("#dashboard", Static).update(Group(*parts))
