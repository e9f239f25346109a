"""The new-prompt form: multi-line text, the input (a control-video folder, one video or image, or
nothing) with completion from inputs/ and what was found there, negative prompt, name. Errors
appear under the field they concern."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Label, Static, TextArea

from cosmos_tui.errors import CosmosError
from cosmos_tui.records import InputKind, escape_controls
from cosmos_tui.tui.base import CosmosModal
from cosmos_tui.tui.keymap import bindings
from cosmos_tui.tui.widgets.footer import Footer


class NewPromptModal(CosmosModal[str | None]):
    BINDINGS = bindings("new_prompt")

    @dataclass
    class Folders(Message):
        names: list[str]

    @dataclass
    class Controls(Message):
        text: str
        ok: bool | None  # None: nothing to judge (the field is empty)

    @dataclass
    class Refused(Message):
        field: str | None  # a CosmosAPI.create_prompt parameter; None: not about one field
        error: str

    # Where a refusal shows, by the field the error names.
    ERROR_PLACES = {
        "text": "#text-error",
        "input_path": "#folder-info",
        "negative_prompt": "#negative-error",
        "name": "#name-error",
    }

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="new-prompt", classes="modal"):
            yield Label("New prompt", classes="title")
            yield Label("Prompt text")
            yield TextArea(id="text", soft_wrap=True, show_line_numbers=False)
            yield Static("", id="text-error", classes="error")
            yield Label("Input: video folder, video or image (empty: text only)")
            yield Input(placeholder="demo, robot.jpg, or a path", id="folder")
            yield Static("", id="folder-info", classes="hint")
            yield Label("Negative prompt (empty: the configured default)")
            yield Input(id="negative")
            # Takes a row only while it has something to say (the form fits 120x40 unscrolled).
            yield Static("", id="negative-error", classes="error hidden")
            yield Label("Name (empty: made from the text)")
            yield Input(id="name")
            yield Static("", id="name-error", classes="error")
            # Docked: the buttons stay in sight while the fields scroll; the footer shows the keys.
            # The spacer is what the buttons cover, so the last field can scroll out from under them.
            yield Static(classes="form-spacer")
            with Horizontal(classes="buttons form-keys"):
                yield Button("Create", variant="primary", id="create")
                yield Button("Cancel", id="cancel")
        yield Footer()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        # Centred, not just "visible": the docked buttons cover the bottom rows of the fields.
        if not isinstance(event.widget, Button):
            self.query_one(VerticalScroll).scroll_to_center(event.widget, animate=False)

    def on_mount(self) -> None:
        self.names: list[str] = []  # what inputs/ holds, once loaded
        self.query_one("#text", TextArea).focus()
        self.query_one("#folder-info", Static).update(self.empty_hint())
        self.load_folders()

    @work(thread=True, exit_on_error=False)
    def load_folders(self) -> None:
        try:
            names = self.api.input_names()
        except OSError:
            return  # an unreadable inputs/ only loses the completion
        self.post_message(self.Folders(names))

    def on_new_prompt_modal_folders(self, message: Folders) -> None:
        folder = self.query_one("#folder", Input)
        folder.suggester = SuggestFromList(message.names, case_sensitive=False)
        self.names = message.names
        if not folder.value.strip():
            self.query_one("#folder-info", Static).update(self.empty_hint())

    def empty_hint(self) -> Text:
        hint = "empty: a prompt of text alone (predict text2world)"
        if self.names:
            hint += "; in inputs/: " + ", ".join(self.names[:8])
        return Text(escape_controls(hint), style="dim")

    @on(Input.Changed, "#folder")
    def folder_changed(self, event: Input.Changed) -> None:
        self.check_folder(event.value)

    @work(thread=True, exclusive=True, group="folder", exit_on_error=False)
    def check_folder(self, value: str) -> None:
        if not value.strip():
            self.post_message(self.Controls("", None))
            return
        try:
            kind, path, found = self.api.check_prompt_input(value.strip())
        except CosmosError as exc:
            self.post_message(self.Controls(str(exc), False))
            return
        if kind is InputKind.FOLDER:
            controls = ", ".join(k for k in found if k != "video") or "none"
            self.post_message(self.Controls(f"{path}: color.mp4 + controls: {controls}", True))
        else:
            self.post_message(self.Controls(f"{kind.value} {path}", True))

    def on_new_prompt_modal_controls(self, message: Controls) -> None:
        info = self.query_one("#folder-info", Static)
        if message.ok is None:
            info.update(self.empty_hint())
            return
        info.update(Text(escape_controls(message.text), style="green" if message.ok else "red"))

    @on(Button.Pressed, "#create")
    def action_save(self) -> None:
        for error in self.query(".error").results(Static):
            error.update("")
        self.query_one("#negative-error").add_class("hidden")
        self.create(
            self.query_one("#text", TextArea).text,
            self.query_one("#folder", Input).value.strip(),
            self.query_one("#negative", Input).value or None,
            self.query_one("#name", Input).value or None,
        )

    @work(thread=True, exclusive=True, group="create", exit_on_error=False)
    def create(self, text: str, folder: str, negative: str | None, name: str | None) -> None:
        try:
            # An empty input field: a prompt of text alone.
            prompt = self.api.create_prompt(text, folder or None, name=name, negative_prompt=negative)
        except CosmosError as exc:
            self.post_message(self.Refused(getattr(exc, "field", None), str(exc)))
            return
        self.app.call_from_thread(self.dismiss, prompt.prompt_id)

    def on_new_prompt_modal_refused(self, message: Refused) -> None:
        target = self.ERROR_PLACES.get(message.field or "")
        if target is None:  # not about a field (the database is busy, ...)
            self.notify(escape_controls(message.error), severity="error", markup=False)
            return
        place = self.query_one(target, Static)
        place.update(Text(escape_controls(message.error), style="red"))
        place.remove_class("hidden")

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
