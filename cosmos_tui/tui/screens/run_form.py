"""The run form: weights for vis/edge/depth/seg, steps, guidance, seed and host, for the selected
or marked prompts. Defaults come from the config; the last values used are remembered."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.widgets import Button, Footer, Input, Label, Select, Static

from cosmos_tui.errors import CosmosError
from cosmos_tui.records import escape_controls
from cosmos_tui.tui.base import CosmosModal
from cosmos_tui.tui.keymap import bindings

FIELDS = (
    ("vis", "vis weight"),
    ("edge", "edge weight"),
    ("depth", "depth weight"),
    ("seg", "seg weight"),
    ("num_steps", "steps"),
    ("guidance", "guidance"),
    ("seed", "seed"),
)


class RunFormModal(CosmosModal[list[str] | None]):
    BINDINGS = bindings("run_form")

    def __init__(self, prompt_ids: list[str]) -> None:
        super().__init__()
        self.prompt_ids = prompt_ids

    def defaults(self) -> dict[str, Any]:
        remembered = getattr(self.app, "last_run_values", None)
        if remembered:
            return dict(remembered)
        d = self.api.config.defaults
        values: dict[str, Any] = dict(d.weights.as_dict())
        values.update(num_steps=d.num_steps, guidance=d.guidance, seed=d.seed)
        values["host"] = self.api.config.host().name
        return values

    def compose(self) -> ComposeResult:
        values = self.defaults()
        config = self.api.config
        count = len(self.prompt_ids)
        title = f"Run {self.prompt_ids[0]}" if count == 1 else f"Run {count} marked prompts"
        with VerticalScroll(id="run-form", classes="modal"):
            yield Label(title, classes="title")
            with Grid(id="run-fields"):
                for key, label in FIELDS:
                    yield Label(label)
                    yield Input(str(values.get(key, "")), id=key)
                yield Label("host")
                yield Select(
                    [(config.host_label(name), name) for name in config.hosts],
                    value=values.get("host", config.default_host) or Select.BLANK,
                    allow_blank=False,
                    id="host",
                )
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

    def collect(self) -> tuple[dict[str, Any], str]:
        def number(key: str, kind: type) -> Any:
            raw = self.query_one(f"#{key}", Input).value.strip()
            try:
                return kind(raw)
            except ValueError:
                raise ValueError(f"{dict(FIELDS)[key]} must be a {kind.__name__}, not “{raw}”.") from None

        weights = {k: number(k, float) for k in ("vis", "edge", "depth", "seg")}
        overrides = {
            "weights": weights,
            "num_steps": number("num_steps", int),
            "guidance": number("guidance", float),
            "seed": number("seed", int),
        }
        host = self.query_one("#host", Select).value
        return overrides, str(host)

    @on(Button.Pressed, "#start")
    def action_start(self) -> None:
        try:
            overrides, host = self.collect()
        except ValueError as exc:
            self.query_one("#run-error", Static).update(Text(escape_controls(str(exc)), style="red"))
            return
        self.queue(overrides, host)

    @work(thread=True, exclusive=True, exit_on_error=False)
    def queue(self, overrides: dict[str, Any], host: str) -> None:
        try:
            run_ids = self.api.run_inference(self.prompt_ids, overrides, host)
        except CosmosError as exc:
            self.app.call_from_thread(self.refused, str(exc))
            return
        remembered = {**overrides["weights"], **{k: v for k, v in overrides.items() if k != "weights"}}
        remembered["host"] = host
        self.app.call_from_thread(self.queued, run_ids, remembered)

    # On the event loop, never from the worker's thread: these touch widgets and the app.
    def refused(self, error: str) -> None:
        self.query_one("#run-error", Static).update(Text(escape_controls(error), style="red"))

    def queued(self, run_ids: list[str], remembered: dict[str, Any]) -> None:
        self.cosmos_app.last_run_values = remembered
        self.dismiss(run_ids)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
