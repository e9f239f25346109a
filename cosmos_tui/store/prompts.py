"""Prompt queries: insert, fetch, page, full-text search, delete."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from peewee import SQL, ModelSelect, SqliteDatabase, fn

from cosmos_tui.command import hint
from cosmos_tui.errors import NotFoundError, OperationError, UsageError
from cosmos_tui.records import PromptRecord, RunStatus
from cosmos_tui.store.db import tuples
from cosmos_tui.store.mapping import PROMPT
from cosmos_tui.store.models import Prompt, Run, RunStage

_WORD = re.compile(r"\w+", re.UNICODE)


def _record(row: Prompt, run_count: int = 0, last_status: str | None = None) -> PromptRecord:
    return PROMPT(row, run_count=run_count, last_status=last_status)


def insert(db: SqliteDatabase, *, created_at: datetime, **fields: Any) -> PromptRecord:
    with db.atomic():
        row = Prompt.create(created_at=created_at, **fields)
    return _record(row)


def _with_run_summary(query: ModelSelect[Prompt]) -> ModelSelect[Prompt]:
    """Add the run count and the latest run's status to each prompt row."""
    run_count = Run.select(fn.COUNT(SQL("*"))).where(Run.prompt == Prompt.id).alias("run_count")
    last_status = (
        Run.select(Run.status)
        .where(Run.prompt == Prompt.id)
        .order_by(Run.created_at.desc())
        .limit(1)
        .alias("last_status")
    )
    return query.select_extend(run_count, last_status)


def _summarised(row: Any) -> PromptRecord:
    """A row of `_with_run_summary`; peewee sets its extra columns as undeclared attributes."""
    return _record(row, row.run_count, row.last_status)


def _records(query: ModelSelect[Prompt]) -> list[PromptRecord]:
    return [_summarised(row) for row in query]


def get(prompt_id: str) -> PromptRecord:
    query = _with_run_summary(Prompt.select()).where(Prompt.id == prompt_id)
    rows = _records(query)
    if not rows:
        raise NotFoundError(f"no prompt has the ID {prompt_id}.")
    return rows[0]


def page(limit: int = 50, offset: int = 0) -> list[PromptRecord]:
    query = (
        _with_run_summary(Prompt.select())
        .order_by(Prompt.created_at.desc(), Prompt.pk.desc())
        .limit(limit)
        .offset(offset)
    )
    return _records(query)


def count() -> int:
    return Prompt.select().count()


def fts_query(text: str) -> str:
    """Turn what a user typed into a safe FTS5 query: every word, as a prefix, all required.

    Quoting each word means FTS5 operators and punctuation in the user's text are never parsed.
    """
    words = _WORD.findall(text)
    if not words:
        raise UsageError(f'the search "{text}" has no words to look for; type some letters.')
    return " ".join('"' + word.replace('"', '""') + '"*' for word in words)


def search(text: str, limit: int = 50) -> list[PromptRecord]:
    match = fts_query(text)
    # Newest first, like the prompt list. FTS5 walks its doclists in rowid order and stops at
    # the limit, so a word that matches most prompts costs no more than a rare one; ranking by
    # relevance would score every match (50 ms over 100k prompts, measured in bench/).
    cursor = Prompt._meta.database.execute_sql(
        "SELECT rowid FROM prompt_fts WHERE prompt_fts MATCH ? ORDER BY rowid DESC LIMIT ?",
        (match, limit),
    )
    keys = [row[0] for row in cursor.fetchall()]
    if not keys:
        return []
    by_key = {row.pk: row for row in _with_run_summary(Prompt.select()).where(Prompt.pk.in_(keys))}
    return [_summarised(by_key[k]) for k in keys if k in by_key]


def delete(db: SqliteDatabase, prompt_id: str, force: bool) -> list[str]:
    """Delete a prompt, and with ``force`` its runs; return the deleted run IDs.

    Refuses while the prompt has runs (unless forced) or any run still active, whatever ``force``.
    """
    with db.atomic():
        runs = list(tuples(Run.select(Run.id, Run.status).where(Run.prompt == prompt_id)))
        active = [run_id for run_id, status in runs if status in RunStatus.ACTIVE]
        if active:
            raise OperationError(
                f"prompt {prompt_id} has {len(active)} run(s) still in progress "
                f"({', '.join(active[:5])}); cancel them first with `{hint('run cancel ID')}`."
            )
        if runs and not force:
            raise OperationError(
                f"prompt {prompt_id} has {len(runs)} run(s); add --force to delete them too "
                "(their output folders go as well unless you add --keep-outputs)."
            )
        run_ids = [run_id for run_id, _ in runs]
        if run_ids:
            RunStage.delete().where(RunStage.run.in_(run_ids)).execute()
            Run.update(parent=None).where(Run.parent.in_(run_ids)).execute()
            Run.delete().where(Run.id.in_(run_ids)).execute()
        Prompt.update(parent=None).where(Prompt.parent == prompt_id).execute()
        Prompt.delete().where(Prompt.id == prompt_id).execute()
    return run_ids
