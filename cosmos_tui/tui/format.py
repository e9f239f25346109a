"""Small text helpers shared by the screens (colours, bars, durations), Rich Text only."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from cosmos_tui.records import RunRecord, RunStatus, escape_controls

STATUS_STYLE: dict[str, str] = {
    RunStatus.QUEUED: "dim",
    RunStatus.CLAIMED: "cyan",
    RunStatus.UPLOADING: "cyan",
    RunStatus.STARTING: "cyan",
    RunStatus.RUNNING: "bold cyan",
    RunStatus.COLLECTING: "cyan",
    RunStatus.COMPLETED: "green",
    RunStatus.FAILED: "bold red",
    RunStatus.CANCELLED: "yellow",
}


def status_text(status: str | None) -> Text:
    return Text(status or "-", style=STATUS_STYLE.get(status or "", ""))


def bar(percent: float, width: int = 10) -> Text:
    filled = round(max(0.0, min(100.0, percent)) / 100 * width)
    text = Text("█" * filled, style="cyan")
    text.append("░" * (width - filled), style="dim")
    text.append(f" {percent:3.0f}%")
    return text


def duration(seconds: float | None) -> str:
    if seconds is None or seconds < 0:
        return "-"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def elapsed(run: RunRecord, now: datetime) -> float | None:
    if run.started_at is None:
        return None
    end = run.finished_at or now
    return (end - run.started_at).total_seconds()


def eta(run: RunRecord, now: datetime) -> float | None:
    """The engine's ETA (None until something tells it the run's pace: better no figure than
    a wild one)."""
    return None if run.is_terminal else run.eta_seconds


def local_time(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else "-"


def one_line(text: str, width: int = 60) -> str:
    """One row of user text: whitespace runs flattened, control characters escaped."""
    flat = escape_controls(" ".join(text.split()))
    return flat if len(flat) <= width else flat[: width - 1] + "…"
