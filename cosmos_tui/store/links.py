"""Runs linked to a parent run (a 4K upscale of a transfer run): listing a run's children and
queueing a child in the same transaction that checks its parent."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from cosmos_tui.records import RunStatus
from cosmos_tui.store.db import tuples
from cosmos_tui.store.models import Run


def children(run_id: str, model_type: str | None = None) -> list[str]:
    """The IDs of a run's child runs (of this model type, if given), oldest first."""
    return children_of([run_id], model_type)


def children_of(run_ids: Iterable[str], model_type: str | None = None) -> list[str]:
    """The IDs of these runs' child runs (4K upscales, the runs of enhanced prompts; of this model
    type, if given), oldest first."""
    wanted = list(run_ids)
    if not wanted:
        return []
    query = Run.select(Run.id).where(Run.parent.in_(wanted))
    if model_type is not None:
        query = query.where(Run.model_type == model_type)
    return [child for (child,) in tuples(query.order_by(Run.created_at, Run.id))]


def queue_child(parent_id: str, *, id: str, created_at: datetime, **fields: Any) -> bool:
    """Queue a child run of a run that is still completed (one transaction); False when the parent
    is gone or no longer completed."""
    with Run._meta.database.atomic():
        parent = Run.get_or_none(Run.id == parent_id)
        if parent is None or parent.status != RunStatus.COMPLETED:
            return False
        Run.create(id=id, parent=parent_id, status=RunStatus.QUEUED, created_at=created_at, **fields)
    return True
