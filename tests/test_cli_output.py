"""How terminal tables fit their width: pure layout logic."""

from __future__ import annotations

from cosmos_tui.cli_output import PROMPT_LAYOUT, RUN_LAYOUT, fit_columns

PROMPT_COLUMNS = ["id", "name", "text", "input", "runs", "last", "created"]
PROMPT_WIDTHS = [15, 22, 90, 14, 4, 9, 16]
RUN_COLUMNS = ["id", "prompt", "model", "host", "status", "stage", "progress", "created", "duration"]
RUN_WIDTHS = [15, 15, 8, 15, 9, 10, 8, 16, 8]


def test_wide_terminal_shows_every_column_and_gives_the_text_the_rest() -> None:
    widths = fit_columns(PROMPT_COLUMNS, PROMPT_WIDTHS, 200, PROMPT_LAYOUT)
    assert list(widths) == PROMPT_COLUMNS and widths["text"] == 90
    widths = fit_columns(PROMPT_COLUMNS, PROMPT_WIDTHS, 120, PROMPT_LAYOUT)
    assert list(widths) == PROMPT_COLUMNS
    assert sum(widths.values()) + 3 * 6 == 120 and widths["name"] == 22


def test_narrow_terminal_drops_low_value_columns_whole() -> None:
    widths = fit_columns(PROMPT_COLUMNS, PROMPT_WIDTHS, 80, PROMPT_LAYOUT)
    assert list(widths) == ["id", "name", "text", "runs", "last"]
    assert widths["id"] == 15 and widths["last"] == 9
    assert sum(widths.values()) + 3 * 4 <= 80
    widths = fit_columns(RUN_COLUMNS, RUN_WIDTHS, 80, RUN_LAYOUT)
    # stage went early, then came back once host and created had made room for it
    assert list(widths) == ["id", "prompt", "status", "stage", "progress", "duration"]
    assert sum(widths.values()) + 3 * 5 == 80
    assert widths == {c: w for c, w in zip(RUN_COLUMNS, RUN_WIDTHS, strict=True) if c in widths}


def test_too_narrow_for_the_ids_keeps_them_whole_anyway() -> None:
    widths = fit_columns(RUN_COLUMNS, RUN_WIDTHS, 30, RUN_LAYOUT)
    assert widths == {"id": 15, "prompt": 15, "status": 9}
