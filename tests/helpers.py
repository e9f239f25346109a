"""Small helpers shared by tests: inserting runs the engine would normally create."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from cosmos_tui import ids
from cosmos_tui.api import CosmosAPI
from cosmos_tui.records import RunRecord
from cosmos_tui.store import runs as run_queries


def add_run(
    api: CosmosAPI,
    prompt_id: str | None,
    status: str = "completed",
    *,
    host: str = "gpu",
    model_type: str = "transfer",
    created: datetime | None = None,
    seconds: float | None = None,
    **fields: Any,
) -> RunRecord:
    created = created or datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    naive = created.astimezone(UTC).replace(tzinfo=None)
    if seconds is not None:
        fields.setdefault("started_at", naive)
        fields.setdefault("finished_at", naive + timedelta(seconds=seconds))
        fields.setdefault("duration_seconds", seconds)
    return run_queries.insert(
        api.store.db,
        api.config.paths.outputs,
        id=ids.new_id(ids.RUN),
        prompt=prompt_id,
        model_type=model_type,
        host=host,
        status=status,
        config={"num_steps": 35},
        created_at=naive,
        **fields,
    )
