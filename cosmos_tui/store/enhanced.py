"""Enhanced prompts: the child prompt an `enhance` run makes, and the run queued after it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cosmos_tui import ids
from cosmos_tui.records import RunStatus
from cosmos_tui.store.db import tuples
from cosmos_tui.store.models import Prompt, Run

CHILD_KEY = "_enhanced_prompt"  # in the enhance run's config: the prompt it made
THEN_KEY = "_then_run"  # in the enhance run's config: {"host", "options"} of the run to queue after it
NAME_SUFFIX = "-enhanced"
MAX_NAME = 200


def record_enhanced(run_id: str, text: str, now: datetime) -> tuple[str, str | None] | None:
    """Create the enhanced child of the run's prompt (same inputs and settings, the new text) and,
    when the run asks for it, queue the run of that child; both, and the note of them on the enhance
    run, in one transaction. Returns (prompt ID, queued run ID or None); None when the run already
    made its prompt (a second collection) or its prompt is gone."""
    with Run._meta.database.atomic():
        run = Run.get_or_none(Run.id == run_id)
        if run is None or run.prompt_id is None:
            return None
        config: dict[str, Any] = dict(run.config or {})
        if config.get(CHILD_KEY):
            return None
        parent = Prompt.get_or_none(Prompt.id == run.prompt_id)
        if parent is None:
            return None
        base = parent.name[: MAX_NAME - len(NAME_SUFFIX)]
        child = Prompt.create(
            id=ids.new_id(ids.PROMPT),
            name=base if base.endswith(NAME_SUFFIX) else base + NAME_SUFFIX,
            text=text,
            negative_prompt=parent.negative_prompt,
            model_type=parent.model_type,
            input_dir=parent.input_dir,
            inputs=dict(parent.inputs or {}),
            parameters=dict(parent.parameters or {}),
            parent=parent.id,
            created_at=now,
        )
        queued = None
        then = config.get(THEN_KEY)
        if isinstance(then, dict):
            options = dict(then.get("options") or {})
            options.update(prompt=text, prompt_id=child.id)
            queued = ids.new_id(ids.RUN)
            Run.create(
                id=queued,
                prompt=child.id,
                model_type=then.get("model_type", "transfer"),
                host=then.get("host", run.host),
                status=RunStatus.QUEUED,
                config=options,
                parent=run.id,
                created_at=now,
            )
        config[CHILD_KEY] = child.id
        Run.update(config=config).where(Run.id == run_id).execute()
    return child.id, queued


def children(prompt_id: str) -> list[str]:
    """The IDs of the prompts made from this one, oldest first."""
    query = Prompt.select(Prompt.id).where(Prompt.parent == prompt_id).order_by(Prompt.created_at, Prompt.pk)
    return [child for (child,) in tuples(query)]
