"""The gallery: completed runs with a video, newest (or best rated) first, each entry with its
first, middle and last frames in small; the highlighted one's frames large beside the list, with
its prompt and details. `/` filters, `s` sorts, 1-5 rate, enter plays.

Thumbnails are made once per run (ffmpeg, in a worker thread) and kept in its run folder; the list
itself is one database query, so the screen opens at once with a thousand results. The app builds
this screen ahead of its first show (CosmosApp.prepare_gallery).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.message import Message
from textual.widgets import Footer, Header, Input, OptionList, Static
from textual.worker import get_current_worker
from textual_image.widget import Image

from cosmos_tui.errors import CosmosError
from cosmos_tui.records import GalleryItem, escape_controls, stars
from cosmos_tui.tui.base import CosmosScreen
from cosmos_tui.tui.format import duration, local_time
from cosmos_tui.tui.keymap import bindings, hint, key
from cosmos_tui.tui.widgets.gallery_list import Frame, GalleryList, entry, half_blocks

SORT_NAMES = {"date": "newest first", "rating": "best rated first"}
PAGE = 200  # results listed; the filter narrows the rest down (the count says how many there are)
BATCH = 6  # entries whose frames are drawn together (one redraw of the list per batch)
SIDE_MIN_WIDTH = 100  # columns: narrower, the large frames and details beside the list are hidden


class GalleryScreen(CosmosScreen[None]):
    BINDINGS = bindings("gallery")

    @dataclass
    class Loaded(Message):
        items: list[GalleryItem]
        total: int

    @dataclass
    class Thumbs(Message):
        run_id: str
        paths: list[Path]
        problem: str | None = None

    @dataclass
    class EntryFrames(Message):
        frames: dict[str, list[Frame]]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[str, GalleryItem] = {}
        self.sort = "date"
        self.filter_text = ""
        self.shown_thumbs: str | None = None
        self.frames: dict[str, list[Frame]] = {}  # run ID: its entry's small frames, once made

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(
            placeholder=f"words, rating>=4, rating=0 (unrated); {key(self, 'gallery.clear_filter')} clears",
            id="gallery-filter",
            classes="hidden",
        )
        with Horizontal(id="gallery-body"):
            yield GalleryList(id="gallery")
            with Vertical(id="gallery-side"):
                with Horizontal(id="gallery-thumbs"):
                    for name in ("first", "middle", "last"):
                        yield Image(None, id=f"thumb-{name}", classes="thumb")
                yield Static("", id="gallery-details")
        yield Static("", id="gallery-status", classes="status-line")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#gallery", GalleryList).focus()

    def on_resize(self, event: Resize) -> None:
        self.query_one("#gallery-side").set_class(event.size.width < SIDE_MIN_WIDTH, "narrow")

    def on_screen_resume(self) -> None:
        self.reload()  # the first show is a resume too: this loads the list once

    # -- loading ------------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="gallery-load", exit_on_error=False)
    def reload(self) -> None:
        try:
            items = self.api.gallery(self.filter_text, self.sort)
        except CosmosError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.post_message(self.Loaded(items[:PAGE], len(items)))

    def on_gallery_screen_loaded(self, message: Loaded) -> None:
        self.items = {item.run_id: item for item in message.items}
        self.query_one("#gallery", GalleryList).show(
            [(item.run_id, entry(item, self.frames.get(item.run_id))) for item in message.items]
        )
        missing = [item.run_id for item in message.items if item.run_id not in self.frames]
        if missing and self.is_current:
            self.load_entry_frames(missing)
        count = len(message.items)
        where = f' matching "{self.filter_text}"' if self.filter_text else ""
        shown = (
            f"{message.total} result(s)" if message.total == count else f"{count} of {message.total} results"
        )
        self.query_one("#gallery-status", Static).update(
            f"{shown}{where}, {SORT_NAMES[self.sort]} · "
            + hint(self, "gallery.preview", "gallery.rate_5", "gallery.filter", "gallery.sort", "app.help")
        )
        self.show_selected()

    @work(thread=True, exclusive=True, group="gallery-entries", exit_on_error=False)
    def load_entry_frames(self, run_ids: list[str]) -> None:
        """Each entry's small frames, in the list's order, a few entries per redraw. A run whose
        video cannot be read keeps its placeholders (its details say why when highlighted)."""
        worker = get_current_worker()
        batch: dict[str, list[Frame]] = {}
        for run_id in run_ids:
            if worker.is_cancelled:
                return
            try:
                batch[run_id] = [half_blocks(path) for path in self.api.thumbnails(run_id)]
            except (CosmosError, OSError):
                continue
            if len(batch) >= BATCH:
                self.post_message(self.EntryFrames(batch))
                batch = {}
        if batch:
            self.post_message(self.EntryFrames(batch))

    def on_gallery_screen_entry_frames(self, message: EntryFrames) -> None:
        self.frames.update(message.frames)
        listed = self.query_one("#gallery", GalleryList)
        for run_id, frames in message.frames.items():
            if run_id in self.items:
                listed.update_entry(run_id, entry(self.items[run_id], frames))

    # -- the highlighted run ------------------------------------------------------------------------

    @on(OptionList.OptionHighlighted, "#gallery")
    def highlighted(self) -> None:
        self.show_selected()

    @on(OptionList.OptionSelected, "#gallery")
    def chosen(self) -> None:
        self.action_preview()  # enter on the list: the list's own binding gets it first

    def selected(self) -> GalleryItem | None:
        run_id = self.query_one("#gallery", GalleryList).selected_id()
        return self.items.get(run_id) if run_id else None

    def show_selected(self) -> None:
        item = self.selected()
        details = self.query_one("#gallery-details", Static)
        if item is None:
            details.update(
                Text("no completed runs with a video yet" if not self.filter_text else "nothing matches")
            )
            self.set_thumbs([])
            self.shown_thumbs = None
            return
        text = Text()
        text.append(f"{item.prompt_name}\n", style="bold")
        text.append(escape_controls(item.prompt_text)[:400] + "\n\n")
        text.append(f"{item.run_id} · {item.model_type} ({item.family}) · {item.host}\n", style="dim")
        took = duration(item.duration_seconds)
        text.append(f"finished {local_time(item.finished_at) or '-'}{f' · took {took}' if took else ''}\n")
        text.append(stars(item.rating) or "not rated", style="yellow")
        details.update(text)
        if self.shown_thumbs != item.run_id and self.is_current:  # built ahead: no ffmpeg until shown
            self.shown_thumbs = item.run_id
            self.set_thumbs([])
            self.load_thumbs(item.run_id)

    @work(thread=True, exclusive=True, group="gallery-thumbs", exit_on_error=False)
    def load_thumbs(self, run_id: str) -> None:
        try:
            self.post_message(self.Thumbs(run_id, self.api.thumbnails(run_id)))
        except CosmosError as exc:
            self.post_message(self.Thumbs(run_id, [], str(exc)))

    def on_gallery_screen_thumbs(self, message: Thumbs) -> None:
        if message.run_id != self.shown_thumbs:
            return  # the cursor moved on meanwhile
        self.set_thumbs(message.paths)
        if message.problem:
            self.query_one("#gallery-details", Static).update(Text(message.problem, style="red"))

    def set_thumbs(self, paths: list[Path]) -> None:
        for name, path in zip(("first", "middle", "last"), [*paths, None, None, None], strict=False):
            self.query_one(f"#thumb-{name}", Image).image = path

    # -- actions ---------------------------------------------------------------------------------------

    def action_filter(self) -> None:
        box = self.query_one("#gallery-filter", Input)
        box.remove_class("hidden")
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#gallery-filter", Input)
        box.value = ""
        box.add_class("hidden")
        self.query_one("#gallery", GalleryList).focus()
        if self.filter_text:
            self.filter_text = ""
            self.reload()

    @on(Input.Changed, "#gallery-filter")
    def filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value.strip()
        self.reload()

    @on(Input.Submitted, "#gallery-filter")
    def filter_done(self) -> None:
        self.query_one("#gallery", GalleryList).focus()

    def action_sort(self) -> None:
        self.sort = "rating" if self.sort == "date" else "date"
        self.reload()

    def action_rate(self, rating: int) -> None:
        item = self.selected()
        if item is not None:
            self.rate(item.run_id, rating)

    @work(thread=True, group="gallery-rate", exit_on_error=False)
    def rate(self, run_id: str, rating: int) -> None:
        try:
            self.api.rate_run(run_id, rating)
        except CosmosError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.reload()

    def action_preview(self) -> None:
        item = self.selected()
        if item is None:
            return
        from cosmos_tui.tui.screens.preview import PreviewScreen

        self.app.push_screen(PreviewScreen(item))
