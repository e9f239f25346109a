"""The gallery: completed runs with a video, newest (or best rated) first, the highlighted one's
first, middle and last frames beside the list; `/` filters, `s` sorts, 1-5 rate, enter plays.

Thumbnails are made once per run (ffmpeg, in a worker thread) and kept in its run folder; the list
itself is one database query, so the screen opens at once with a thousand results.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Input, Static
from textual_image.widget import Image

from cosmos_tui.errors import CosmosError
from cosmos_tui.records import GalleryItem, escape_controls, stars
from cosmos_tui.tui.base import CosmosScreen
from cosmos_tui.tui.format import duration, local_time
from cosmos_tui.tui.keymap import bindings, hint, key
from cosmos_tui.tui.widgets.tables import Column, RecordTable, Rows, selected_key

COLUMNS = (
    Column("id", "id", 15),
    Column("prompt", "prompt", 14, flex=True),
    Column("model", "model", 8, drop=3),
    Column("host", "host", 10, drop=2),
    Column("date", "finished", 16, drop=4),
    Column("duration", "took", 7, drop=1),
    Column("rating", "rating", 6),
)
SORT_NAMES = {"date": "newest first", "rating": "best rated first"}
PAGE = 200  # results listed; the filter narrows the rest down (the count says how many there are)
FIRST = 50  # rows drawn at once; the rest of the page follows right after the first paint


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

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[str, GalleryItem] = {}
        self.sort = "date"
        self.filter_text = ""
        self.shown_thumbs: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(
            placeholder=f"words, rating>=4, rating=0 (unrated); {key(self, 'gallery.clear_filter')} clears",
            id="gallery-filter",
            classes="hidden",
        )
        with Horizontal(id="gallery-body"):
            yield RecordTable(COLUMNS, id="gallery", zebra_stripes=True)
            with Vertical(id="gallery-side"):
                with Horizontal(id="gallery-thumbs"):
                    for name in ("first", "middle", "last"):
                        yield Image(None, id=f"thumb-{name}", classes="thumb")
                yield Static("", id="gallery-details")
        yield Static("", id="gallery-status", classes="status-line")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#gallery", RecordTable).focus()
        self.reload()

    def on_screen_resume(self) -> None:
        self.reload()

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
        table = self.query_one("#gallery", RecordTable)
        rows: Rows = [(item.run_id, self.cells(item)) for item in message.items]
        table.show(rows[:FIRST])
        if len(rows) > FIRST:  # a screenful now, the rest once it is on screen
            self.call_after_refresh(table.show, rows)
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

    @staticmethod
    def cells(item: GalleryItem) -> dict[str, Text | str]:
        return {
            "id": item.run_id,
            "prompt": Text(escape_controls(item.prompt_name), no_wrap=True, overflow="ellipsis"),
            "model": item.model_type,
            "host": item.host,
            "date": local_time(item.finished_at) or "-",
            "duration": duration(item.duration_seconds),
            "rating": Text(stars(item.rating), style="yellow"),
        }

    # -- the highlighted run ------------------------------------------------------------------------

    @on(DataTable.RowHighlighted, "#gallery")
    def highlighted(self) -> None:
        self.show_selected()

    @on(DataTable.RowSelected, "#gallery")
    def chosen(self) -> None:
        self.action_preview()  # enter on the table: the table's own binding gets it first

    def selected(self) -> GalleryItem | None:
        run_id = selected_key(self.query_one("#gallery", RecordTable))
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
        if self.shown_thumbs != item.run_id:
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
        self.query_one("#gallery", RecordTable).focus()
        if self.filter_text:
            self.filter_text = ""
            self.reload()

    @on(Input.Changed, "#gallery-filter")
    def filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value.strip()
        self.reload()

    @on(Input.Submitted, "#gallery-filter")
    def filter_done(self) -> None:
        self.query_one("#gallery", RecordTable).focus()

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
