"""The cosmos-tui application: five screens (prompts, runs, GPUs, dashboard, gallery) as modes, a header
with the host and a run summary, help, the command palette, and the engine executing queued runs
while the app is open. Everything blocking runs in thread workers."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from textual import events, work
from textual.app import App, SystemCommand
from textual.message import Message
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from cosmos_tui.api import CosmosAPI
from cosmos_tui.errors import CosmosError
from cosmos_tui.keymap import ACTIONS, PLACES
from cosmos_tui.records import RunStatus, escape_controls
from cosmos_tui.tui.keymap import action_for, bindings, keys_text
from cosmos_tui.tui.screens.dashboard import DashboardScreen
from cosmos_tui.tui.screens.gallery import GalleryScreen, Page, read_page
from cosmos_tui.tui.screens.gpu import GpuScreen
from cosmos_tui.tui.screens.prompts import PromptsScreen
from cosmos_tui.tui.screens.runs import RunsScreen
from cosmos_tui.tui.stylesheet import stylesheet_path
from cosmos_tui.tui.widgets.confirm import ConfirmModal

SUMMARY_SECONDS = 2.0
FAILURE_REPEAT_SECONDS = 15.0
PREPARE_SECONDS = 0.5  # how often the app looks for a quiet moment to build the gallery in
QUIET_SECONDS = 1.0  # ... which is this long without a key or a click, and no dialog open
log = logging.getLogger(__name__)


class CosmosApp(App[None]):
    TITLE = "cosmos-tui"
    CSS_PATH = str(stylesheet_path())
    MODES = {
        "prompts": PromptsScreen,
        "runs": RunsScreen,
        "gpu": GpuScreen,
        "dashboard": DashboardScreen,
        "gallery": GalleryScreen,
    }
    DEFAULT_MODE = "prompts"
    BINDINGS = bindings("app")  # keys: cosmos_tui/keymap.py; the config's [keys] rebinds them

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
        self.set_keymap(dict(config.keys))
        self.last_failure: tuple[str, float] = ("", 0.0)
        self.last_input = 0.0  # time.monotonic() of the last key, click or paste
        self.gallery_ahead: Page | None = None  # the gallery's first page, read at start

    def on_mount(self) -> None:
        if self.open_log:
            from cosmos_tui.tui.screens.log import LogScreen

            self.switch_mode("runs")
            self.push_screen(LogScreen(self.open_log))
        if self.start_engine:
            self.run_engine()
        self.set_interval(SUMMARY_SECONDS, self.update_summary)
        self.update_summary()
        if not self.is_headless:
            self.read_gallery_ahead()
            self.set_timer(PREPARE_SECONDS, self.prepare_gallery)

    @work(thread=True, exclusive=True, group="gallery-ahead", exit_on_error=False)
    def read_gallery_ahead(self) -> None:
        """The gallery's first page, read in a thread after the first paint: a `5` pressed before the
        gallery is built (prepare_gallery) then shows its list in the screen's first paint, instead
        of a second paint after a query that competes with the mount. The gallery reads again when
        shown, so a page read long ago is replaced at once."""
        with contextlib.suppress(CosmosError):  # the gallery says why when opened
            self.gallery_ahead = read_page(self.api)

    def prepare_gallery(self) -> None:
        """Build the gallery screen while the user reads another one. A screen's first mount costs
        Textual a few hundred ms (its stylesheet, footer and first table); paid here, the first `5`
        shows the gallery at once. Only in a quiet moment: keys typed while the event loop is busy
        mounting can reach a field before an earlier Tab has moved the focus out of it. (`_init_mode`
        is what `switch_mode` calls for a mode not yet built; textual is pinned exactly, and
        tests/test_gallery.py exercises this.)"""
        if self.current_mode == "gallery" or "gallery" in self._screen_stacks:
            return
        quiet = time.monotonic() - self.last_input >= QUIET_SECONDS
        if not quiet or len(self.screen_stack) > 1:
            self.set_timer(PREPARE_SECONDS, self.prepare_gallery)
            return
        self._init_mode("gallery")

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.MouseDown | events.Paste):
            self.last_input = time.monotonic()  # prepare_gallery waits for a quiet moment
        await super().on_event(event)

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
            active = self.api.count_runs(RunStatus.BUSY)
            queued = self.api.count_runs(RunStatus.QUEUED)
            failed = self.api.count_runs(RunStatus.FAILED, since=midnight)
        except CosmosError:
            return
        self.post_message(
            self.Summary(f"{self.host_text} · {active} running · {queued} queued · {failed} failed today")
        )

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

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Any failed worker, the app's or a screen's (see tui/base.py), becomes one notification:
        a CosmosError says its sentence; anything else says where its traceback was logged."""
        if event.state is not WorkerState.ERROR:
            return
        worker, error = event.worker, event.worker.error
        name = worker.name or worker.group
        if isinstance(error, CosmosError):
            log.warning("background task %s failed: %s", name, error, exc_info=error)
            self.say_failure(str(error))
            return
        log.error("background task %s failed unexpectedly", name, exc_info=error)
        files = [h.baseFilename for h in logging.getLogger().handlers if isinstance(h, logging.FileHandler)]
        where = f"the details are in {files[0]}" if files else "no log file is open to keep the details"
        self.say_failure(f"a background task ({name}) failed unexpectedly ({type(error).__name__}); {where}.")

    def say_failure(self, text: str) -> None:
        # A worker on a timer may fail on every tick: say it once, not every second.
        now = time.monotonic()
        if self.last_failure[0] == text and now - self.last_failure[1] < FAILURE_REPEAT_SECONDS:
            return
        self.last_failure = (text, now)
        self.notify(escape_controls(text), severity="error", markup=False, timeout=FAILURE_REPEAT_SECONDS)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for a in ACTIONS:
            if a.place == "app" and a.action.startswith("switch_mode"):
                yield SystemCommand(
                    a.label,
                    f"{a.what} (key {keys_text(self, a.id)})",
                    partial(self.call_next, self.run_action, a.action),
                )
        for binding in screen.active_bindings.values():
            b = binding.binding
            entry = action_for(b)
            if entry is not None and b.show and binding.node is screen:
                where = PLACES[entry.place].where
                yield SystemCommand(
                    f"{where[0].upper()}{where[1:]}: {entry.label}",
                    f"{entry.what} (key {self.get_key_display(b)})",
                    partial(self.call_next, screen.run_action, b.action),
                )
