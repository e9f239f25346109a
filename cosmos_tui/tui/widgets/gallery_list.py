"""The gallery's list: one entry per result, three lines tall, its first, middle and last frames
as small coloured half blocks beside its prompt, model, host, date, duration and rating.

An OptionList, not a DataTable: each entry is one prebuilt Text whose rendered lines the list
keeps across focus and style changes, where a table renders every cell again after each of them
(a screen switch brings all three; measured in bench/bench_gallery.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path

from PIL import Image as PILImage
from PIL import ImageOps
from rich.color import Color
from rich.style import Style
from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from cosmos_tui.records import GalleryItem, escape_controls, stars
from cosmos_tui.tui.format import duration, local_time

ROWS = 3  # lines per entry, and the height of its frames
FRAME_WIDTH = 11  # cells: ROWS * 2 pixels high, about 16:9
Frame = list[Text]  # ROWS lines of half blocks
PLACEHOLDER: Frame = [Text("░" * FRAME_WIDTH, style="dim") for _ in range(ROWS)]


def half_blocks(picture: Path | PILImage.Image, width: int = FRAME_WIDTH, rows: int = ROWS) -> Frame:
    """A picture as ``rows`` lines of "▀", ``width`` cells wide: each cell is two pixels, the upper
    the foreground and the lower the background. Cropped to fill, never stretched."""
    if isinstance(picture, Path):
        with PILImage.open(picture) as opened:
            image = opened.convert("RGB")
    else:
        image = picture.convert("RGB")
    small = ImageOps.fit(image, (width, rows * 2), method=PILImage.Resampling.BOX)  # an average per cell
    pixels = small.load()
    assert pixels is not None  # a loaded RGB image always has pixel access
    lines = []
    for row in range(rows):
        line = Text()
        for x in range(width):
            upper, lower = pixels[x, row * 2], pixels[x, row * 2 + 1]
            line.append("▀", Style(color=Color.from_rgb(*upper[:3]), bgcolor=Color.from_rgb(*lower[:3])))  # type: ignore[index]  # RGB pixels are tuples
        lines.append(line)
    return lines


def entry(item: GalleryItem, frames: Sequence[Frame] | None = None) -> Text:
    """One result as ROWS lines: its three frames (placeholders until made), then its facts."""
    took = duration(item.duration_seconds)
    facts = [
        Text.assemble((escape_controls(item.prompt_name), "bold"), "  ", (stars(item.rating), "yellow")),
        Text(f"{item.model_type} ({item.family}) · {item.host}", style="dim"),
        Text(f"{local_time(item.finished_at)}{f' · took {took}' if took != '-' else ''} · {item.run_id}"),
    ]
    shown = list(frames or [])[:3]
    shown += [PLACEHOLDER] * (3 - len(shown))
    lines = []
    for row in range(ROWS):
        line = Text()
        for frame in shown:
            line.append_text(frame[row])
            line.append(" ")
        line.append(" ")
        line.append_text(facts[row])
        lines.append(line)
    return Text("\n", no_wrap=True, overflow="ellipsis").join(lines)


class GalleryList(OptionList):
    """Results keyed by run ID; the highlight stays on a run (not a position) across reloads.

    The first FIRST entries (a screenful and more) are listed at once, the rest REST_SECONDS later:
    the list measures every entry it holds, and a screen's first paint should not wait for the
    200th (Textual paints a mode switch once its loop is free; see GalleryScreen.once_open).
    """

    FIRST = 24
    REST_SECONDS = 0.2

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]  # OptionList's own keyword arguments
        self.entries: list[tuple[str, Text]] = []
        self.listed = 0  # how many of the entries are options so far

    def show(self, entries: list[tuple[str, Text]]) -> None:
        """Replace the entries (nothing happens when they are the same); the highlight stays on
        its run when that run is still listed, else goes to the first."""
        if entries == self.entries:
            return
        wanted = self.selected_id()
        ids = [run_id for run_id, _ in entries]
        at = ids.index(wanted) if wanted in ids else 0
        self.entries = entries
        self.listed = len(entries) if at >= self.FIRST else min(self.FIRST, len(entries))
        self.set_options(options_of(entries[: self.listed]))
        if entries:
            self.highlighted = at
        if self.listed < len(entries):
            self.set_timer(self.REST_SECONDS, partial(self.list_the_rest, entries))

    def list_the_rest(self, entries: list[tuple[str, Text]]) -> None:
        if entries is not self.entries:
            return  # replaced meanwhile; that show() lists its own
        self.add_options([None, *options_of(entries[self.listed :])])  # None: the line before them
        self.listed = len(entries)

    def update_entry(self, run_id: str, text: Text) -> None:
        """Draw one entry again (its frames arrived, or its rating changed)."""
        for index, (key, old) in enumerate(self.entries):
            if key == run_id:
                if old != text:
                    self.entries[index] = (run_id, text)
                    if index < self.listed:  # else it is listed with its new text
                        self.replace_option_prompt(run_id, text)
                return

    def selected_id(self) -> str | None:
        option = self.highlighted_option
        return option.id if option is not None else None


def options_of(entries: list[tuple[str, Text]]) -> list[Option | None]:
    """One option per entry, a line (None) between two."""
    options: list[Option | None] = []
    for run_id, text in entries:
        options += [Option(text, id=run_id), None]
    return options[:-1]
