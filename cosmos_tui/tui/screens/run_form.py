"""The run form: the task, weights for vis/edge/depth/seg, steps, guidance, seeds and host, for the
selected or marked prompts (the tasks offered are those every one of their inputs can feed).
Defaults come from the config; the last values used are remembered. A comma list in a number
field (``3,5,7``) or a seed range (``1-4``) queues one run per combination: a sweep
(``CosmosAPI.run_sweep``, as ``--seeds``/``--sweep`` do)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from cosmos_tui.errors import CosmosError, SweepTooLargeError
from cosmos_tui.records import PromptRecord, escape_controls
from cosmos_tui.tui.base import CosmosModal
from cosmos_tui.tui.keymap import bindings
from cosmos_tui.tui.widgets.confirm import ConfirmModal
from cosmos_tui.tui.widgets.footer import Footer

FIELDS = (
    ("vis", "vis weight"),
    ("edge", "edge weight"),
    ("depth", "depth weight"),
    ("seg", "seg weight"),
    ("num_steps", "steps"),
    ("guidance", "guidance"),
    ("seed", "seeds"),
)
SWEEP_HINT = "Comma lists (3,5,7) and seed ranges (1-4) queue one run per combination."


class RunFormModal(CosmosModal[list[str] | None]):
    BINDINGS = bindings("run_form")

    def __init__(self, prompt_ids: list[str], known: list[PromptRecord] | None = None) -> None:
        """``known``: the records of these prompts the caller has (the task list needs them all;
        when some are missing they are read in a worker)."""
        super().__init__()
        self.prompt_ids = prompt_ids
        records = {p.prompt_id: p for p in known or []}
        self.known = [records[i] for i in prompt_ids] if all(i in records for i in prompt_ids) else None

    def defaults(self) -> dict[str, Any]:
        remembered = getattr(self.app, "last_run_values", None)
        if remembered:
            return dict(remembered)
        d = self.api.config.defaults
        values: dict[str, Any] = dict(d.weights.as_dict())
        values.update(num_steps=d.num_steps, guidance=d.guidance, seed=d.seed)
        values["host"] = self.api.target()
        return values

    def compose(self) -> ComposeResult:
        values = self.defaults()
        config = self.api.config
        count = len(self.prompt_ids)
        title = f"Run {self.prompt_ids[0]}" if count == 1 else f"Run {count} marked prompts"
        with VerticalScroll(id="run-form", classes="modal"):
            yield Label(title, classes="title")
            with Grid(id="run-fields"):
                yield Label("task")
                # From the prompts' inputs ("" is their default task until a worker reads them).
                allowed, default = self.tasks_of(self.known) if self.known else ([], "")
                yield Select(self.task_options(allowed, default), value=default, allow_blank=False, id="task")
                for key, label in FIELDS:
                    yield Label(label)
                    yield Input(str(values.get(key, "")), id=key)
                yield Label("host")
                yield Select(
                    self.api.run_targets(),
                    value=values.get("host", config.default_host) or Select.BLANK,
                    allow_blank=False,
                    id="host",
                )
            if count > 1:
                # Off by default: compatible queued runs share a process anyway, up to max_batch.
                yield Checkbox(
                    "as one batch: one model process, loaded once (same settings needed)", id="batch"
                )
            yield Static(SWEEP_HINT, id="run-hint", classes="hint")
            yield Static("", id="run-error", classes="error")
            # Docked: the buttons stay in sight while the fields scroll; the footer shows the keys.
            # The spacer is what the buttons cover, so the last field can scroll out from under them.
            yield Static(classes="form-spacer")
            with Horizontal(classes="buttons form-keys"):
                yield Button("Run", variant="primary", id="start")
                yield Button("Cancel", id="cancel")
        yield Footer()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        # Centred, not just "visible": the docked buttons cover the bottom rows of the fields.
        if not isinstance(event.widget, Button):
            self.query_one(VerticalScroll).scroll_to_center(event.widget, animate=False)

    def on_mount(self) -> None:
        self.query_one("#vis", Input).focus()
        if self.known is None:
            self.load_tasks()

    def tasks_of(self, prompts: list[PromptRecord]) -> tuple[list[str], str]:
        """The tasks every one of the prompts' inputs can feed (the first prompt's order), and their
        common default task ("" when they differ)."""
        allowed = [
            task
            for task in self.api.prompt_tasks(prompts[0])
            if all(task in self.api.prompt_tasks(p) for p in prompts)
        ]
        defaults = {self.api.default_task(p) for p in prompts}
        default = defaults.pop() if len(defaults) == 1 else ""
        return allowed, default if default in allowed else (allowed[0] if allowed else "")

    @staticmethod
    def task_options(allowed: list[str], default: str) -> list[tuple[str, str]]:
        options = [(f"{task} (default)" if task == default else task, task) for task in allowed]
        return options or [("default", "")]

    @work(thread=True, exclusive=True, group="run-form-tasks", exit_on_error=False)
    def load_tasks(self) -> None:
        prompts = [self.api.get_prompt(prompt_id) for prompt_id in self.prompt_ids]
        self.app.call_from_thread(self.show_tasks, *self.tasks_of(prompts))

    def show_tasks(self, allowed: list[str], default: str) -> None:
        select = self.query_one("#task", Select)
        select.set_options(self.task_options(allowed, default))
        select.value = default

    def collect(self) -> tuple[dict[str, str], str, bool]:
        """Each field's text (a value, a comma list or a seed range; the API reads and checks them),
        the host, and whether the runs are to be one batch."""
        values = {key: self.query_one(f"#{key}", Input).value.strip() for key, _ in FIELDS}
        boxes = list(self.query("#batch").results(Checkbox))  # only when several prompts are run
        batch = bool(boxes) and boxes[0].value
        return values, str(self.query_one("#host", Select).value), batch

    def chosen_task(self) -> str | None:
        """The chosen task, or None for the prompts' own default."""
        return str(self.query_one("#task", Select).value) or None

    @on(Button.Pressed, "#start")
    def action_start(self) -> None:
        values, host, batch = self.collect()
        self.queue(values, host, batch=batch, task=self.chosen_task())

    @work(thread=True, exclusive=True, exit_on_error=False)
    def queue(
        self,
        values: dict[str, str],
        host: str,
        confirmed: bool = False,
        batch: bool = False,
        task: str | None = None,
    ) -> None:
        try:
            run_ids = self.api.run_sweep(
                self.prompt_ids, {}, values, host, confirmed=confirmed, batch=batch, model_type=task
            )
        except SweepTooLargeError as exc:
            self.app.call_from_thread(self.confirm_large, values, host, exc.runs, batch, task)
            return
        except CosmosError as exc:
            self.app.call_from_thread(self.refused, str(exc), getattr(exc, "field", None))
            return
        self.app.call_from_thread(self.queued, run_ids, {**values, "host": host})

    # On the event loop, never from the worker's thread: these touch widgets and the app.
    def refused(self, error: str, field: str | None = None) -> None:
        self.query_one("#run-error", Static).update(Text(escape_controls(error), style="red"))
        if field in dict(FIELDS):
            self.query_one(f"#{field}", Input).focus()
        elif field == "task":
            self.query_one("#task", Select).focus()

    def confirm_large(
        self, values: dict[str, str], host: str, runs: int, batch: bool = False, task: str | None = None
    ) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self.queue(values, host, confirmed=True, batch=batch, task=task)

        limit = self.api.SWEEP_CONFIRM_ABOVE
        question = f"These values make {runs:,} runs (more than {limit}). Queue them all?"
        self.app.push_screen(ConfirmModal(question, f"Queue {runs:,} runs", "Back"), answered)

    def queued(self, run_ids: list[str], remembered: dict[str, Any]) -> None:
        self.cosmos_app.last_run_values = remembered
        self.dismiss(run_ids)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
