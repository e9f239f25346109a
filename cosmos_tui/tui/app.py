"""The cosmos-tui application: four screens (prompts, runs, GPUs, dashboard) as modes, a header
with the host and a run summary, help, the command palette, and the engine executing queued runs
while the app is open. Everything blocking runs in thread workers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen

from cosmos_tui.api import CosmosAPI
from cosmos_tui.errors import CosmosError
from cosmos_tui.tui.screens.dashboard import DashboardScreen
from cosmos_tui.tui.screens.gpu import GpuScreen
from cosmos_tui.tui.screens.prompts import PromptsScreen
from cosmos_tui.tui.screens.runs import RunsScreen
from cosmos_tui.tui.stylesheet import stylesheet_path
from cosmos_tui.tui.widgets.confirm import ConfirmModal

SUMMARY_SECONDS = 2.0


class CosmosApp(App[None]):
    TITLE = "cosmos-tui"
    CSS_PATH = str(stylesheet_path())
    MODES = {
        "prompts": PromptsScreen,
        "runs": RunsScreen,
        "gpu": GpuScreen,
        "dashboard": DashboardScreen,
    }
    DEFAULT_MODE = "prompts"
    BINDINGS = [
        Binding("1", "switch_mode('prompts')", "Prompts"),
        Binding("2", "switch_mode('runs')", "Runs"),
        Binding("3", "switch_mode('gpu')", "GPUs"),
        Binding("4", "switch_mode('dashboard')", "Dashboard"),
        Binding("question_mark", "toggle_help", "Help"),
        # Before the screens' own esc (back, clear filter), but only while the help panel shows.
        Binding("escape", "close_help", "Close help", show=False, priority=True),
        Binding("q", "quit_app", "Quit"),
    ]

    @dataclass
    class Summary(Message):
        text: str

    def __init__(self, api: CosmosAPI, *, start_engine: bool = True, open_log: str | None = None) -> None:
        super().__init__()
        self.api = api
        self.start_engine = start_engine
        self.open_log = open_log
        self.last_run_values: dict[str, Any] | None = None
        self.select_run: str | None = None  # a run just queued: the runs screen's cursor goes to it
        config = api.config
        host = config.host_label(config.default_host) if config.default_host else "no host configured"
        self.host_text = f"host: {host}"
        self.sub_title = self.host_text

    def on_mount(self) -> None:
        if self.open_log:
            from cosmos_tui.tui.screens.log import LogScreen

            self.switch_mode("runs")
            self.push_screen(LogScreen(self.open_log))
        if self.start_engine:
            self.run_engine()
        self.set_interval(SUMMARY_SECONDS, self.update_summary)
        self.update_summary()

    @work(thread=True, exit_on_error=False, group="engine")
    def run_engine(self) -> None:
        """Execute queued runs while the app is open; re-attach to runs left by a dead process."""
        try:
            self.api.start_execution()
        except CosmosError as exc:
            self.call_from_thread(self.notify, f"cannot execute runs: {exc}", severity="error")

    @work(thread=True, exclusive=True, group="summary", exit_on_error=False)
    def update_summary(self) -> None:
        midnight = self.api.now().replace(hour=0, minute=0, second=0, microsecond=0)  # UTC
        try:
            active = self.api.count_runs(["claimed", "uploading", "starting", "running", "collecting"])
            queued = self.api.count_runs("queued")
            failed = self.api.count_runs("failed", since=midnight)
        except CosmosError:
            return
        self.post_message(self.Summary(f"{self.host_text} · {active} running · {queued} queued · "
                                       f"{failed} failed today"))

    def on_cosmos_app_summary(self, message: Summary) -> None:
        self.sub_title = message.text

    def action_toggle_help(self) -> None:
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "close_help":
            return bool(self.screen.query("HelpPanel"))
        return True

    def action_close_help(self) -> None:
        self.action_hide_help_panel()

    def action_quit_app(self) -> None:
        executing = self.api.executing()
        if not executing:
            self.exit()
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self.exit()

        self.push_screen(
            ConfirmModal(
                f"{len(executing)} run(s) are executing from here. They keep running on their hosts "
                "and will be collected the next time cosmos-tui starts. Quit?",
                "Quit",
                "Stay",
            ),
            answer,
        )

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Prompts", "Show the prompts screen", lambda: self.switch_mode("prompts"))
        yield SystemCommand("Runs", "Show the runs screen", lambda: self.switch_mode("runs"))
        yield SystemCommand("GPUs", "Show GPU load, memory, temperature and power per host",
                            lambda: self.switch_mode("gpu"))
        yield SystemCommand("Dashboard", "Runs per day, success rates, durations, top inputs",
                            lambda: self.switch_mode("dashboard"))
        for binding in screen.active_bindings.values():
            b = binding.binding
            if b.description and b.show and binding.node is screen:
                yield SystemCommand(f"{screen.__class__.__name__.removesuffix('Screen')}: {b.description}",
                                    f"key {b.key_display or b.key}",
                                    lambda action=b.action: self.call_next(screen.run_action, action))
