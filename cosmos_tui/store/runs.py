"""Run queries: insert, fetch with stage timings, filtered lists."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from peewee import SqliteDatabase

from cosmos_tui.errors import NotFoundError
from cosmos_tui.records import RunRecord, StageTiming
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


def page(
    outputs: Path,
    *,
    statuses: Iterable[str] = (),
    prompt_id: str | None = None,
    host: str | None = None,
    model_type: str | None = None,
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
    query = query.order_by(Run.created_at.desc(), Run.id.desc()).limit(limit).offset(offset)
    return [_record(row, outputs) for row in query]
