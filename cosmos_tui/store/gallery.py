"""The gallery's query: completed runs that have a video, with their prompt's name and text, in
one SELECT (no per-run reads), filtered and sorted in SQL where it can be."""

from __future__ import annotations

import re
from pathlib import Path

from peewee import JOIN

from cosmos_tui.records import GalleryItem, RunStatus
from cosmos_tui.store.db import tuples
from cosmos_tui.store.models import Prompt, Run

VIDEO = "output.mp4"
RATING_WORD = re.compile(r"^(?:rating|★)\s*(>=|<=|=|:)?\s*([0-5])$")
SORTS = ("date", "rating")


def items(filter_text: str = "", sort: str = "date", limit: int = 5000) -> list[GalleryItem]:
    """Completed runs with an ``output.mp4``, newest first (``sort="rating"``: best rated first).
    ``filter_text``: words that must each appear in the prompt's name or text, the task, the model
    family, the host or the status; ``rating>=4`` / ``rating=5`` / ``★4`` (at least 4) filter by
    rating, ``rating=0`` keeps the unrated."""
    query = (
        Run.select(
            Run.id,
            Run.prompt,
            Prompt.name,
            Prompt.text,
            Run.model_type,
            Run.family,
            Run.host,
            Run.finished_at,
            Run.duration_seconds,
            Run.rating,
            Run.outputs,
            Run.parent,
        )
        .join(Prompt, JOIN.LEFT_OUTER, on=(Run.prompt == Prompt.id))
        .where(Run.status == RunStatus.COMPLETED)
    )
    for word in filter_text.split():
        found = RATING_WORD.match(word.lower())
        if found:
            op, value = found.group(1) or ">=", int(found.group(2))
            if value == 0:
                query = query.where(Run.rating.is_null())
            elif op == "<=":
                query = query.where(Run.rating <= value)
            elif op in ("=", ":"):
                query = query.where(Run.rating == value)
            else:
                query = query.where(Run.rating >= value)
            continue
        query = query.where(
            Prompt.name.contains(word)
            | Prompt.text.contains(word)
            | Run.model_type.contains(word)
            | Run.family.contains(word)
            | Run.host.contains(word)
            | Run.status.contains(word)
            | Run.id.startswith(word)
        )
    if sort == "rating":
        query = query.order_by(Run.rating.desc(nulls="LAST"), Run.finished_at.desc(), Run.id.desc())
    else:
        query = query.order_by(Run.finished_at.desc(), Run.id.desc())
    found_items = []
    for row in tuples(query.limit(limit)):
        *head, name, text, model_type, family, host, finished, seconds, rating, outputs, parent = row
        video = next((path for path in _paths(outputs) if Path(path).name == VIDEO), None)
        if video is None:
            continue
        run_id, prompt_id = head
        found_items.append(
            GalleryItem(
                run_id,
                prompt_id,
                name or "-",
                text or "",
                model_type,
                family,
                host,
                finished,
                seconds,
                rating,
                video,
                parent,
            )
        )
    return found_items


def _paths(outputs: object) -> list[str]:
    if isinstance(outputs, str):
        import json

        try:
            outputs = json.loads(outputs)
        except ValueError:
            return []
    return [str(p) for p in outputs] if isinstance(outputs, list) else []
