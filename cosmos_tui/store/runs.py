"""Run queries: insert, fetch with stage timings, filtered lists."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from peewee import SQL, SqliteDatabase, fn

from cosmos_tui.errors import NotFoundError
from cosmos_tui.records import RunRecord, StageTiming
from cosmos_tui.store.db import tuples
from cosmos_tui.store.mapping import RUN, STAGE
from cosmos_tui.store.models import Run, RunStage


def run_dir(outputs: Path, run_id: str) -> Path:
    """Where a run's local outputs and log live."""
    return outputs / f"run_{run_id}"


def _record(row: Run, outputs: Path, stages: list[StageTiming] | None = None) -> RunRecord:
    return RUN(row, log_path=str(run_dir(outputs, row.id) / "run.log"), stages=stages or [])


def insert(db: SqliteDatabase, outputs: Path, *, created_at: datetime, **fields: Any) -> RunRecord:
    with db.atomic():
        row = Run.create(created_at=created_at, **fields)
    return _record(row, outputs)


def stages(run_id: str) -> list[StageTiming]:
    query = RunStage.select().where(RunStage.run == run_id).order_by(RunStage.seq, RunStage.id)
    return [STAGE(row) for row in query]


def get(run_id: str, outputs: Path) -> RunRecord:
    row = Run.get_or_none(Run.id == run_id)
    if row is None:
        raise NotFoundError(f"no run has the ID {run_id}.")
    return _record(row, outputs, stages(run_id))


def change_seq() -> int:
    """The run change counter: it moves on with every insert, update and delete of a run."""
    return int(Run._meta.database.execute_sql('SELECT "seq" FROM "run_change"').fetchone()[0])


def count(statuses: Iterable[str] = (), since: datetime | None = None) -> int:
    """How many runs have one of these statuses (any, if none given), created at ``since`` or later."""
    # count(*), not count(id): the (status, created_at) index answers it without reading rows.
    query = Run.select(fn.COUNT(SQL("*")))
    wanted = list(statuses)
    if wanted:
        query = query.where(Run.status.in_(wanted))
    if since is not None:
        query = query.where(Run.created_at >= since)
    return int(query.scalar() or 0)


def page_ids(statuses: Iterable[str] = (), limit: int = 50) -> list[str]:
    """The IDs of the newest runs with one of these statuses (any, if none given), newest first.

    One query per status, merged here: for ``status IN (...)`` SQLite walks the created_at index
    over every run instead of the (status, created_at) index (100 ms at 200,000 runs)."""
    wanted = sorted(set(statuses))
    newest = Run.created_at.desc(), Run.id.desc()
    if len(wanted) < 2:
        query = Run.select(Run.id)
        if wanted:
            query = query.where(Run.status == wanted[0])
        return [run_id for (run_id,) in tuples(query.order_by(*newest).limit(limit))]
    found: list[tuple[datetime, str]] = []
    for status in wanted:
        query = Run.select(Run.created_at, Run.id).where(Run.status == status).order_by(*newest).limit(limit)
        found.extend(tuples(query))  # not +=: peewee reads that as a UNION
    found.sort(reverse=True)
    return [run_id for _, run_id in found[:limit]]


def changed(run_ids: Iterable[str], since: int, outputs: Path, also: Iterable[str] = ()) -> list[RunRecord]:
    """Those of these runs written after the change counter stood at ``since``, and those in ``also``."""
    ids = list(run_ids)
    if not ids:
        return []
    extra = list(also)
    fresh = Run.change_seq > since
    query = Run.select().where(Run.id.in_(ids) & ((fresh | Run.id.in_(extra)) if extra else fresh))
    return [_record(row, outputs) for row in query]


def page(
    outputs: Path,
    *,
    statuses: Iterable[str] = (),
    prompt_id: str | None = None,
    host: str | None = None,
    model_type: str | None = None,
    sweep_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[RunRecord]:
    query = Run.select()
    wanted = list(statuses)
    if wanted:
        query = query.where(Run.status.in_(wanted))
    if prompt_id:
        query = query.where(Run.prompt == prompt_id)
    if host:
        query = query.where(Run.host == host)
    if model_type:
        query = query.where(Run.model_type == model_type)
    if sweep_id:
        query = query.where(Run.sweep_id == sweep_id)
    query = query.order_by(Run.created_at.desc(), Run.id.desc()).limit(limit).offset(offset)
    return [_record(row, outputs) for row in query]
