"""Playing a run's video in the terminal: frames decoded with ffmpeg (in a worker), drawn with the
best protocol the terminal has (kitty graphics or sixel, else coloured half blocks), at the video's
frame rate; space pauses, left/right step, c compares side by side with the input video or a
parent or child run (each press the next one, then off), escape goes back."""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image as PILImage
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static
from textual_image.widget import Image

from cosmos_tui.errors import CosmosError
from cosmos_tui.records import GalleryItem, escape_controls
from cosmos_tui.tui.base import CosmosScreen
from cosmos_tui.tui.keymap import bindings
from cosmos_tui.tui.widgets.footer import Footer

ASPECT = 16 / 9  # of the decoded frames; the widget fits them into its cells


class PreviewScreen(CosmosScreen[None]):
    BINDINGS = bindings("preview")

    @dataclass
    class Decoded(Message):
        fps: float
        frames: list[bytes]
        size: tuple[int, int]

    @dataclass
    class Failed(Message):
        problem: str

    @dataclass
    class Compared(Message):
        label: str
        frames: list[bytes]

    def __init__(self, item: GalleryItem) -> None:
        super().__init__()
        self.item = item
        self.frames: list[bytes] = []
        self.frame_size = (0, 0)
        self.index = 0
        self.playing = True
        self.timer: Timer | None = None
        self.sources: list[tuple[str, str]] | None = None  # what it can be compared with
        self.compare_index = -1  # -1: no comparison
        self.other: list[bytes] = []
        self.other_label = ""

    def compose(self) -> ComposeResult:
        with Vertical(id="preview"):
            yield Static(
                Text(f"{escape_controls(self.item.prompt_name)} · {self.item.run_id}", style="bold"),
                id="preview-title",
            )
            with Horizontal(id="preview-pair"):
                yield Image(None, id="preview-image")
                yield Image(None, id="preview-other", classes="hidden")
            yield Static("decoding…", id="preview-status", classes="status-line")
        yield Footer()

    def on_mount(self) -> None:
        width = max(32, min(320, self.app.size.width * 2))
        self.decode(width, int(width / ASPECT) // 2 * 2)

    @work(thread=True, exclusive=True, exit_on_error=False)
    def decode(self, width: int, height: int) -> None:
        try:
            fps, frames = self.api.video_frames(self.item.run_id, width, height)
            self.sources = self.api.compare_sources(self.item.run_id)
        except CosmosError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.Decoded(fps, frames, (width, height)))

    @work(thread=True, exclusive=True, group="compare", exit_on_error=False)
    def decode_other(self, label: str, path: str) -> None:
        width, height = self.frame_size
        try:
            _fps, frames = self.api.video_frames(self.item.run_id, width, height, source=path)
        except CosmosError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.Compared(label, frames))

    def on_preview_screen_compared(self, message: Compared) -> None:
        self.other, self.other_label = message.frames, message.label
        self.query_one("#preview-other", Image).remove_class("hidden")
        if self.frames:
            self.draw()

    def action_compare(self) -> None:
        sources = self.sources or []
        if not sources or not self.frames:
            self.notify("nothing to compare it with: no input video or related run here", timeout=4)
            return
        self.compare_index += 1
        if self.compare_index >= len(sources):
            self.compare_index = -1
            self.other, self.other_label = [], ""
            self.query_one("#preview-other", Image).add_class("hidden")
            self.draw()
            return
        label, path = sources[self.compare_index]
        self.decode_other(label, path)

    def on_preview_screen_failed(self, message: Failed) -> None:
        self.query_one("#preview-status", Static).update(Text(message.problem, style="red"))

    def on_preview_screen_decoded(self, message: Decoded) -> None:
        self.frames, self.frame_size = message.frames, message.size
        self.index = 0
        self.draw()
        self.timer = self.set_interval(1 / message.fps, self.tick)
        if not self.playing:
            self.timer.pause()

    def tick(self) -> None:
        if self.frames:
            self.index = (self.index + 1) % len(self.frames)
            self.draw()

    def draw(self) -> None:
        frame = PILImage.frombytes("RGB", self.frame_size, self.frames[self.index])
        self.query_one("#preview-image", Image).image = frame
        beside = f" · beside it: {self.other_label}" if self.other else ""
        if self.other:  # the same moment of the other video (its last frame once it is shorter)
            other = self.other[min(self.index, len(self.other) - 1)]
            self.query_one("#preview-other", Image).image = PILImage.frombytes("RGB", self.frame_size, other)
        state = "playing" if self.playing else "paused"
        self.query_one("#preview-status", Static).update(
            f"frame {self.index + 1}/{len(self.frames)} · {state}{beside} · space pause · ←/→ step · "
            "c compare · escape back"
        )

    def action_pause(self) -> None:
        self.playing = not self.playing
        if self.timer is not None:
            (self.timer.resume if self.playing else self.timer.pause)()
        if self.frames:
            self.draw()

    def action_step(self, delta: int) -> None:
        self.playing = False
        if self.timer is not None:
            self.timer.pause()
        if self.frames:
            self.index = (self.index + delta) % len(self.frames)
            self.draw()

    def action_close(self) -> None:
        if self.timer is not None:
            self.timer.stop()
        self.dismiss()
