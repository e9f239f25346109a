"""How the headless CLI prints: Rich tables on a terminal, tab-separated text when piped, JSON on
request. Data goes to stdout, diagnostics to stderr. Rich is imported only for a terminal.

Control characters in stored text (prompt text, names, log tails in error messages) are shown
escaped (``\\x1b``, see ``cosmos_tui.text``) in tables always and in records on a terminal; a
piped record and ``--json`` keep the exact text.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

from cosmos_tui.records import InputKind, PromptRecord, RunRecord, RunStatus, escape_controls, stars

STATUS_STYLES: dict[str, str] = {
    RunStatus.QUEUED: "dim",
    **dict.fromkeys(RunStatus.BUSY, "cyan"),
    RunStatus.COMPLETED: "green",
    RunStatus.FAILED: "red",
    RunStatus.CANCELLED: "yellow",
}


def local_time(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else ""


def one_line(text: str, width: int | None = None) -> str:
    """Flatten newlines and tabs for a one-row summary, control characters escaped (``show`` and
    ``--json`` give the exact text)."""
    flat = escape_controls(" ".join(text.split()))
    if width and len(flat) > width:
        return flat[: width - 1] + "…"
    return flat


def duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@dataclass(frozen=True)
class Layout:
    """How a terminal table fits its width. IDs and statuses are never cut: every column not named
    in ``flex`` is shown whole or not at all. The ``flex`` columns (free text) share what is left,
    cut with an ellipsis; while they would get less than ``min_flex`` cells, the ``drop`` columns
    go, in that order. Piped output ignores the layout: every column, nothing cut.
    """

    flex: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    min_flex: int = 40


SEPARATOR = 3  # " │ " between columns (no outer edge, no outer padding)


def fit_columns(columns: Sequence[str], natural: Sequence[int], width: int, layout: Layout) -> dict[str, int]:
    """The columns to show and their widths, in order (pure; ``natural`` is each column's widest cell)."""
    wide = dict(zip(columns, natural, strict=True))
    flex = [c for c in columns if c in layout.flex]
    want = min(sum(wide[c] for c in flex), layout.min_flex)

    def room(shown: list[str]) -> int:
        fixed = sum(wide[c] for c in shown if c not in layout.flex)
        return width - fixed - SEPARATOR * (len(shown) - 1)

    shown = list(columns)
    dropped: list[str] = []
    for column in (c for c in layout.drop if c in wide):
        if room(shown) >= want:
            break
        shown.remove(column)
        dropped.append(column)
    # A narrow column dropped early may fit again once wider ones have gone: most useful first.
    for column in reversed(dropped):
        again = [c for c in columns if c in shown or c == column]
        if room(again) >= want:
            shown = again
    left = max(room(shown), 0)
    widths = {c: wide[c] for c in shown}
    # Water-filling: a short flex column keeps its whole width, the others share the rest evenly.
    flex = [c for c in flex if c in shown]
    for count, column in enumerate(sorted(flex, key=lambda c: wide[c])):
        share = left // (len(flex) - count)
        widths[column] = max(min(wide[column], share), min(wide[column], 5))
        left -= min(widths[column], left)
    return widths


class Output:
    def __init__(self, stream: TextIO | None = None, json_mode: bool = False) -> None:
        self.stream = stream or sys.stdout
        self.json_mode = json_mode
        self.is_tty = self.stream.isatty()

    def json(self, data: Any) -> None:
        self.stream.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")

    def line(self, text: str = "") -> None:
        self.stream.write(text + "\n")

    def table(
        self,
        columns: Sequence[str],
        rows: Sequence[Sequence[str]],
        title: str = "",
        layout: Layout | None = None,
    ) -> None:
        """Rich table on a terminal; a header line and tab-separated rows otherwise.

        With a ``layout`` the table fits the terminal without ever cutting a non-flex cell; a table
        whose whole columns alone are wider than the terminal is printed wider (the terminal wraps).
        """
        if not self.is_tty:
            self.line("\t".join(columns))
            for row in rows:
                self.line("\t".join(one_line(cell) for cell in row))
            return
        from rich.cells import cell_len
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        console = Console(file=self.stream, highlight=False)
        flat = [[one_line(cell) for cell in row] for row in rows]
        table = Table(title=title or None, header_style="bold", show_edge=False, pad_edge=False)
        if layout is None:
            shown = {column: 0 for column in columns}
            for column in columns:
                wide = column in ("text", "name")
                table.add_column(column, no_wrap=True, overflow="ellipsis", max_width=60 if wide else None)
        else:
            natural = [
                max([cell_len(name), *(cell_len(row[i]) for row in flat)]) for i, name in enumerate(columns)
            ]
            shown = fit_columns(columns, natural, console.width, layout)
            for column, width in shown.items():
                table.add_column(column, width=width, no_wrap=True, overflow="ellipsis")
            console.width = max(console.width, sum(shown.values()) + SEPARATOR * (len(shown) - 1))
        keep = [i for i, column in enumerate(columns) if column in shown]
        for row in flat:
            # Text objects: user text is shown verbatim, never parsed as Rich markup.
            table.add_row(*(Text(row[i], style=STATUS_STYLES.get(row[i], "")) for i in keep))
        console.print(table)

    def fields(self, pairs: Sequence[tuple[str, str]], body: Sequence[tuple[str, str]] = ()) -> None:
        """A record: ``key: value`` lines, then long texts verbatim under their own heading."""
        width = max(len(key) for key, _ in pairs)
        if self.is_tty:
            from rich.console import Console
            from rich.text import Text

            console = Console(file=self.stream, highlight=False)
            for key, value in pairs:
                console.print(Text(f"{key:<{width}}  ", style="bold"), Text(escape_controls(value)), sep="")
            for heading, text in body:
                console.print()
                console.print(Text(heading, style="bold underline"))
                console.print(Text(escape_controls(text)))
            return
        for key, value in pairs:
            self.line(f"{key}: {value}")
        for heading, text in body:
            self.line()
            self.line(f"{heading}:")
            self.line(text)


# Narrow terminals lose the input first, then the date, then the run count; the name and
# the text share the rest. Runs have no free text: columns go whole, least useful first.
PROMPT_LAYOUT = Layout(flex=("name", "text"), drop=("input", "created", "runs"))
RUN_LAYOUT = Layout(drop=("sweep", "rating", "model", "stage", "host", "created", "duration", "progress"))


def prompt_rows(prompts: Sequence[PromptRecord]) -> tuple[list[str], list[list[str]]]:
    columns = ["id", "name", "text", "input", "runs", "last", "created"]
    rows = [
        [
            p.prompt_id,
            p.name,
            one_line(p.text),
            p.input_label,
            str(p.run_count),
            p.last_status or "-",
            local_time(p.created_at),
        ]
        for p in prompts
    ]
    return columns, rows


def run_rows(
    runs: Sequence[RunRecord], host_label: Callable[[str], str] = str
) -> tuple[list[str], list[list[str]]]:
    columns = ["id", "prompt", "model", "host", "status", "stage", "progress", "created", "duration"]
    columns += ["rating", "sweep"]
    rows = [
        [
            r.run_id,
            r.prompt_id or "-",
            r.model_type,
            r.where(host_label),
            r.status,
            r.stage or "-",
            f"{r.progress:.0f}%",
            local_time(r.created_at),
            duration(r.duration_seconds),
            stars(r.rating) or "-",
            r.sweep_id or "-",
        ]
        for r in runs
    ]
    return columns, rows


def sweep_text(run: RunRecord, members: Sequence[RunRecord], labels: dict[str, str]) -> str:
    """``sw_3fa9c0e1b2d4: run 2 of 4 (seed=2)``; ``members`` in the order they were queued."""
    order = [m.run_id for m in members]
    place = f"run {order.index(run.run_id) + 1} of {len(order)}" if run.run_id in order else ""
    label = labels.get(run.run_id)
    detail = f"{place} ({label})" if place and label else place or label or ""
    return f"{run.sweep_id}: {detail}" if detail else str(run.sweep_id)


INPUT_WORDS = {
    InputKind.FOLDER: "control-video folder",
    InputKind.VIDEO: "video",
    InputKind.IMAGE: "image",
    InputKind.NONE: "none (text only)",
}


def prompt_fields(
    p: PromptRecord, children: list[PromptRecord] | None = None, tasks: Sequence[str] = ()
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """``tasks``: what the prompt can run, its default first (``CosmosAPI.prompt_tasks``)."""
    kind = p.input_kind
    pairs = [
        ("id", p.prompt_id),
        ("name", p.name),
        ("model", p.model_type),
        ("created", local_time(p.created_at)),
        ("input", f"{INPUT_WORDS[kind]} {p.input_dir}".rstrip() if p.input_dir else INPUT_WORDS[kind]),
        # A folder's files, each by its control; a single file is the input line above.
        *([(f"input {k}", v) for k, v in p.inputs.items()] if kind is InputKind.FOLDER else []),
        ("parent", p.parent_id or "-"),
        ("children", ", ".join(c.prompt_id for c in children or []) or "-"),
        ("runs", str(p.run_count)),
        ("last status", p.last_status or "-"),
    ]
    if tasks:
        pairs.insert(5, ("tasks", f"{tasks[0]} (default)" + "".join(f", {t}" for t in tasks[1:])))
    if p.parameters:
        pairs.append(("parameters", json.dumps(p.parameters, ensure_ascii=False)))
    return pairs, [("text", p.text), ("negative prompt", p.negative_prompt)]


def run_fields(
    r: RunRecord,
    host_label: Callable[[str], str] = str,
    sweep: str | None = None,
    children: Sequence[RunRecord] = (),
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """``sweep`` says where the run stands in its sweep (``sweep_text``)."""
    pairs = [
        ("id", r.run_id),
        ("prompt", r.prompt_id or "-"),
        ("model", f"{r.model_type} ({r.family})"),
        ("host", r.where(host_label)),
        ("status", r.status),
        ("stage", f"{r.stage or '-'} ({r.progress:.0f}%)"),
        ("created", local_time(r.created_at)),
        ("started", local_time(r.started_at) or "-"),
        ("finished", local_time(r.finished_at) or "-"),
        ("duration", duration(r.duration_seconds) or "-"),
        ("exit code", "-" if r.exit_code is None else str(r.exit_code)),
        *([("rating", f"{stars(r.rating)} ({r.rating}/5)")] if r.rating else []),
        ("log", r.log_path or "-"),
        *[("output", path) for path in r.outputs],
    ]
    if r.output_text is not None:
        pairs.append(("answer", r.output_text))
    if r.parent_id:
        pairs.append(("parent run", r.parent_id))
    if r.batch_id:
        sample = "" if r.batch_index is None else f" (sample {r.batch_index + 1})"
        pairs.append(("batch", f"{r.batch_id}{sample}: one model process with its other runs"))
    if r.sweep_id:
        pairs.append(("sweep", sweep or r.sweep_id))
    for child in children:
        pairs.append((f"{child.model_type} run", f"{child.run_id} {child.status}"))
    if r.error_class:
        pairs.append(("error", f"{r.error_class}: {r.error_message or ''}"))
    elif r.note:
        pairs.append(("note", r.note))
    for stage in r.stages:
        pairs.append((f"stage {stage.seq}", f"{stage.stage} {duration(stage.seconds)}"))
    return pairs, [("config", json.dumps(r.config, indent=2, ensure_ascii=False))]
