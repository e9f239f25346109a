"""Run queries: insert, fetch with stage timings, filtered lists."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from peewee import SqliteDatabase

from cosmos_tui.errors import UsageError
from cosmos_tui.records import RunRecord, StageTiming
from cosmos_tui.store.db import to_aware
from cosmos_tui.store.models import Run, RunStage


def run_dir(outputs: Path, run_id: str) -> Path:
    """Where a run's local outputs and log live."""
    return outputs / f"run_{run_id}"


def _record(row: Run, outputs: Path, stages: list[StageTiming] | None = None) -> RunRecord:
    return RunRecord(
        run_id=row.id,
        prompt_id=row.prompt_id,
        model_type=row.model_type,
        host=row.host,
        status=row.status,
        config=dict(row.config or {}),
        created_at=to_aware(row.created_at),
        started_at=to_aware(row.started_at),
        finished_at=to_aware(row.finished_at),
        exit_code=row.exit_code,
        error_class=row.error_class,
        error_message=row.error_message,
        handle=row.handle,
        remote_dir=row.remote_dir,
        log_position=row.log_position,
        stage=row.stage,
        progress=row.progress,
        outputs=list(row.outputs or []),
        parent_id=row.parent_id,
        last_log_at=to_aware(row.last_log_at),
        duration_seconds=row.duration_seconds,
        eta_seconds=row.eta_seconds,
        log_path=str(run_dir(outputs, row.id) / "run.log"),
        stages=stages or [],
    )


def insert(db: SqliteDatabase, outputs: Path, *, created_at: datetime, **fields: Any) -> RunRecord:
    with db.atomic():
        row = Run.create(created_at=created_at, **fields)
    return _record(row, outputs)


def stages(run_id: str) -> list[StageTiming]:
    query = RunStage.select().where(RunStage.run == run_id).order_by(RunStage.seq, RunStage.id)
    return [
        StageTiming(
            stage=row.stage,
            seq=row.seq,
            started_at=to_aware(row.started_at),
            finished_at=to_aware(row.finished_at),
            seconds=row.seconds,
        )
        for row in query
    ]


def get(run_id: str, outputs: Path) -> RunRecord:
    row = Run.get_or_none(Run.id == run_id)
    if row is None:
        raise UsageError(f"no run has the ID {run_id}.")
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
