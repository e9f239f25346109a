"""The gallery: completed runs with a video, newest (or best rated) first, each entry with its
first, middle and last frames in small; the highlighted one's frames large beside the list, with
its prompt and details. `/` filters, `s` sorts, 1-5 rate, enter plays.

Thumbnails are made once per run (ffmpeg, in a worker thread) and kept in its run folder; the list
itself is one database query, so the screen opens at once with a thousand results. The app reads
the first page ahead (CosmosApp.read_gallery_ahead), so the screen's first paint has its list, and
builds the screen itself ahead of its first show in a quiet moment (CosmosApp.prepare_gallery).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.message import Message
from textual.widgets import Header, Input, OptionList, Static
from textual.worker import get_current_worker
from textual_image.widget import Image

from cosmos_tui.errors import CosmosError
from cosmos_tui.records import GalleryItem, escape_controls, stars
from cosmos_tui.tui.base import CosmosScreen
from cosmos_tui.tui.format import duration, local_time
from cosmos_tui.tui.keymap import bindings, hint, key
from cosmos_tui.tui.widgets.footer import Footer
from cosmos_tui.tui.widgets.gallery_list import Frame, GalleryList, entry, half_blocks

if TYPE_CHECKING:
    from cosmos_tui.api import CosmosAPI

SORT_NAMES = {"date": "newest first", "rating": "best rated first"}
PAGE = 200  # results listed; the filter narrows the rest down (the count says how many there are)
BATCH = 6  # entries whose frames are drawn together (one redraw of the list per batch)
SIDE_MIN_WIDTH = 100  # columns: narrower, the large frames and details beside the list are hidden
FRESH_SECONDS = 2.0  # a page read this recently is shown again on a resume, not read again
OPENING_SECONDS = 0.2  # frames are made (threads, ffmpeg) only this long after the screen is shown


@dataclass(frozen=True)
class Page:
    """What the list shows: the first PAGE results (with their entries drawn), and how many match."""

    filter_text: str
    sort: str
    items: list[GalleryItem]
    entries: list[tuple[str, Text]]
    total: int
    read_at: float = field(default_factory=time.monotonic)


def read_page(
    api: CosmosAPI, filter_text: str = "", sort: str = "date", frames: dict[str, list[Frame]] | None = None
) -> Page:
    """One query and the entries drawn from it: blocking, for a worker thread."""
    found = api.gallery(filter_text, sort)
    items = found[:PAGE]
    frames = frames or {}
    entries = [(item.run_id, entry(item, frames.get(item.run_id))) for item in items]
    return Page(filter_text, sort, items, entries, len(found))


class GalleryScreen(CosmosScreen[None]):
    BINDINGS = bindings("gallery")

    @dataclass
    class Loaded(Message):
        page: Page

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
        self.page: Page | None = None  # what the list shows
        self.opened_at = 0.0  # time.monotonic() of the last show

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
        self.opened_at = time.monotonic()  # shown now, unless built ahead (then not current)
        self.query_one("#gallery", GalleryList).focus()
        ahead = self.cosmos_app.gallery_ahead
        if ahead is not None:  # read while the user was on another screen: no wait, one paint
            self.show_page(ahead)

    def on_resize(self, event: Resize) -> None:
        self.query_one("#gallery-side").set_class(event.size.width < SIDE_MIN_WIDTH, "narrow")

    def on_screen_resume(self) -> None:
        """The first show is a resume too. A page read just now (by the app, ahead) is shown as it
        is: a second query would compete with the screen's first paint for the interpreter."""
        self.opened_at = time.monotonic()
        page = self.page
        same = page is not None and (page.filter_text, page.sort) == (self.filter_text, self.sort)
        if page is not None and same and time.monotonic() - page.read_at < FRESH_SECONDS:
            self.show_page(page)  # its frames now that it is shown
            return
        self.reload()

    def once_open(self, callback: Callable[[], object]) -> None:
        """Call back once the screen has been shown a moment: Textual holds a mode switch's paint
        back until its loop is free, and threads making frames would slow that paint down."""
        wait = OPENING_SECONDS - (time.monotonic() - self.opened_at)
        if wait > 0:
            self.set_timer(wait, callback)
        else:
            callback()

    # -- loading ------------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="gallery-load", exit_on_error=False)
    def reload(self) -> None:
        try:
            page = read_page(self.api, self.filter_text, self.sort, self.frames)
        except CosmosError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.post_message(self.Loaded(page))

    def on_gallery_screen_loaded(self, message: Loaded) -> None:
        if (message.page.filter_text, message.page.sort) == (self.filter_text, self.sort):
            self.show_page(message.page)  # else the filter or sort changed meanwhile; its reload follows

    def show_page(self, page: Page) -> None:
        self.page = page
        self.items = {item.run_id: item for item in page.items}
        self.query_one("#gallery", GalleryList).show(page.entries)
        missing = [item.run_id for item in page.items if item.run_id not in self.frames]
        if missing and self.is_current:
            self.once_open(lambda: self.load_entry_frames(missing))
        count = len(page.items)
        where = f' matching "{page.filter_text}"' if page.filter_text else ""
        shown = f"{page.total} result(s)" if page.total == count else f"{count} of {page.total} results"
        self.query_one("#gallery-status", Static).update(
            f"{shown}{where}, {SORT_NAMES[page.sort]} · "
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
            self.once_open(lambda: self.load_thumbs(item.run_id))

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
