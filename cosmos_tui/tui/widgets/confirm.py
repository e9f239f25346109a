"""A yes/no confirmation for destructive actions: each button names what it does and its key, and
the safe one has the focus, so `enter` never destroys anything by surprise."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from cosmos_tui.records import escape_controls
from cosmos_tui.tui.base import CosmosModal
from cosmos_tui.tui.keymap import bindings, key


class ConfirmModal(CosmosModal[bool]):
    BINDINGS = bindings("confirm")

    def __init__(self, question: str, yes_label: str = "Yes", no_label: str = "No") -> None:
        super().__init__()
        self.question = question
        self.yes_label = yes_label
        self.no_label = no_label

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm", classes="modal"):
            yield Static(Text(escape_controls(self.question)), id="question")
            with Horizontal(classes="buttons"):
                yield Button(f"{self.yes_label} ({key(self, 'confirm.yes')})", variant="error", id="yes")
                yield Button(f"{self.no_label} ({key(self, 'confirm.no')})", variant="primary", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
