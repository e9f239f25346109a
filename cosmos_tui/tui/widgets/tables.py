"""Tables of records keyed by ID: columns fitted to the terminal's width, the cursor kept on a
record (not on a row number) across refreshes, and Home/End to the first/last row."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import RenderableType
from textual.events import Resize
from textual.widgets import DataTable

from cosmos_tui.tui.keymap import bindings

Rows = list[tuple[str, Mapping[str, RenderableType]]]  # (key, cell per column key)
CELL_PADDING = 2  # DataTable's cell_padding of 1 on each side
SCROLLBAR = 2  # kept free so a vertical scrollbar never pushes the last column out


@dataclass(frozen=True)
class Column:
    """A column: ``width`` is what it needs (a flexible column's minimum). IDs and statuses get
    ``drop=0`` and are never dropped; on a narrow terminal the highest ``drop`` goes first."""

    key: str
    label: str
    width: int
    drop: int = 0
    flex: bool = False


def fit_columns(columns: Sequence[Column], width: int) -> dict[str, int]:
    """The columns that fit in ``width`` cells with their widths, in their order. Low-value columns
    are dropped until the rest fit; the flexible column then gets every cell that is left."""
    kept = list(columns)

    def needed() -> int:
        return sum(c.width + CELL_PADDING for c in kept) + SCROLLBAR

    while needed() > width and any(c.drop for c in kept):
        kept.remove(max((c for c in kept if c.drop), key=lambda c: c.drop))
    spare = max(0, width - needed())
    return {c.key: c.width + (spare if c.flex else 0) for c in kept}


def selected_key(table: DataTable) -> str | None:
    """The key of the row under the cursor, or None for an empty table."""
    if table.row_count == 0:
        return None
    row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
    return str(row_key.value)


class RecordTable(DataTable):
    """A DataTable of records: ``show`` replaces the rows and keeps the cursor on the same record
    (or moves it to ``select``); the columns are refitted when the terminal is resized."""

    BINDINGS = bindings("table")

    def __init__(self, columns: Sequence[Column], **kwargs: Any) -> None:
        kwargs.setdefault("cursor_type", "row")
        super().__init__(**kwargs)
        self.layout_columns = list(columns)
        self.widths: dict[str, int] = {}
        self.records: Rows = []

    def on_mount(self) -> None:
        self.fit(self.size.width or self.app.size.width)

    def on_resize(self, event: Resize) -> None:
        self.fit(event.size.width)

    def fit(self, width: int) -> None:
        widths = fit_columns(self.layout_columns, width)
        if widths == self.widths:
            return
        self.widths = widths
        selected = selected_key(self)
        self.clear(columns=True)
        for column in self.layout_columns:
            if column.key in widths:
                self.add_column(column.label, key=column.key, width=widths[column.key])
        self.show(self.records, select=selected)

    def show(self, records: Rows, select: str | None = None) -> None:
        """Replace the rows; the cursor goes to ``select``, else stays on the record it was on."""
        wanted = select or selected_key(self)
        if records == self.records and self.row_count == len(records):
            if select:
                self.move_to(select)
            return  # nothing changed: a reload that finds the same rows costs nothing on screen
        self.records = records
        self.clear()
        for key, cells in records:
            self.add_row(*(cells.get(c, "") for c in self.widths), key=key)
        keys = [key for key, _ in records]
        if wanted in keys:
            self.move_cursor(row=keys.index(wanted))

    def has(self, key: str) -> bool:
        return any(k == key for k, _ in self.records)

    def keys(self) -> list[str]:
        return [key for key, _ in self.records]

    def update_row(self, key: str, cells: Mapping[str, RenderableType]) -> None:
        """Change those cells of a record that differ (a poll that finds nothing new costs
        nothing on screen); the rows stay where they are."""
        index = next((i for i, (k, _) in enumerate(self.records) if k == key), None)
        if index is None:
            return
        old = self.records[index][1]
        changed = {column: value for column, value in cells.items() if old.get(column) != value}
        if not changed:
            return
        self.records[index] = (key, {**old, **changed})
        for column, value in changed.items():
            if column in self.widths:
                self.update_cell(key, column, value)

    def move_to(self, key: str) -> None:
        """Put the cursor on this record, if the table has it."""
        keys = self.keys()
        if key in keys:
            self.move_cursor(row=keys.index(key))

    def set_cell(self, key: str, column: str, value: RenderableType) -> None:
        """Change one cell of a record, on screen and in what a refit shows again."""
        self.records = [(k, {**cells, column: value} if k == key else cells) for k, cells in self.records]
        if column in self.widths:
            self.update_cell(key, column, value)

    def widen(self, key: str, width: int) -> None:
        """Give a column the width its longest value needs (refits the table when that changes)."""
        columns = [
            Column(c.key, c.label, width, c.drop, c.flex) if c.key == key else c for c in self.layout_columns
        ]
        if columns != self.layout_columns:
            self.layout_columns = columns
            self.widths = {}
            self.fit(self.size.width or self.app.size.width)
