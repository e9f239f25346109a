"""What the database says about run folders found on a host: which runs are finished (and
since when) and which unfinished runs still need inputs there."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from cosmos_tui import ids
from cosmos_tui.records import RunStatus
from cosmos_tui.store.db import tuples
from cosmos_tui.store.models import Run

CHUNK = 500  # well under SQLite's limit on bound variables


def finished_at(run_ids: Iterable[str]) -> dict[str, datetime | None]:
    """{run ID: when it finished} for the given runs the database knows as finished.

    Runs it does not know, or knows as unfinished, are left out. A finished run without a
    finish time falls back to its last update, then its creation. A batch ID (whose folder
    holds its runs' outputs) is finished when every run of it is, at the latest of their times.
    """
    ids = [i for i in run_ids if not _is_batch(i)]
    found: dict[str, datetime | None] = _batches_finished_at([i for i in run_ids if _is_batch(i)])
    for start in range(0, len(ids), CHUNK):
        rows = Run.select(Run.id, Run.status, Run.finished_at, Run.updated_at, Run.created_at).where(
            Run.id.in_(ids[start : start + CHUNK])
        )
        for run_id, status, finished, updated, created in tuples(rows):
            if status in RunStatus.TERMINAL:
                found[run_id] = finished or updated or created
    return found


def known(run_ids: Iterable[str]) -> set[str]:
    """The given runs (or batches) the database has a record of (in any status)."""
    ids = [i for i in run_ids if not _is_batch(i)]
    found: set[str] = set(_batch_members([i for i in run_ids if _is_batch(i)]))
    for start in range(0, len(ids), CHUNK):
        found.update(r for (r,) in tuples(Run.select(Run.id).where(Run.id.in_(ids[start : start + CHUNK]))))
    return found


def _is_batch(folder_id: str) -> bool:
    return folder_id.startswith(f"{ids.BATCH}_")


def _batch_members(batch_ids: list[str]) -> dict[str, list[tuple[str, datetime | None]]]:
    """{batch ID: [(status, when it finished or last changed), ...]} of the runs still in each batch."""
    members: dict[str, list[tuple[str, datetime | None]]] = {}
    for start in range(0, len(batch_ids), CHUNK):
        rows = Run.select(Run.batch_id, Run.status, Run.finished_at, Run.updated_at, Run.created_at).where(
            Run.batch_id.in_(batch_ids[start : start + CHUNK])
        )
        for batch_id, status, finished, updated, created in tuples(rows):
            members.setdefault(batch_id, []).append((status, finished or updated or created))
    return members


def _batches_finished_at(batch_ids: list[str]) -> dict[str, datetime | None]:
    found: dict[str, datetime | None] = {}
    for batch_id, members in _batch_members(batch_ids).items():
        if all(status in RunStatus.TERMINAL for status, _ in members):
            times = [when for _, when in members if when is not None]
            found[batch_id] = max(times) if times else None
    return found


def unfinished_configs() -> list[tuple[str, str, str, dict[str, Any]]]:
    """(run ID, model type, family, config) of every run not yet finished, on any host."""
    return [
        (run_id, model_type, family, dict(config or {}))
        for run_id, model_type, family, config in tuples(
            Run.select(Run.id, Run.model_type, Run.family, Run.config).where(
                Run.status.not_in(RunStatus.TERMINAL)
            )
        )
    ]
