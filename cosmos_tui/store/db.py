"""Opening the SQLite database with the settings every connection needs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from peewee import BaseQuery, SqliteDatabase

PRAGMAS = (
    # First, so that even switching the journal mode waits for another process's transaction.
    ("busy_timeout", 15000),
    ("journal_mode", "wal"),  # readers never block the writer
    ("foreign_keys", 1),
    ("synchronous", "normal"),  # safe with WAL; commits stay fast
)


def open_database(path: Path | str) -> SqliteDatabase:
    """A database whose write transactions start with BEGIN IMMEDIATE.

    Taking the write lock up front means two processes never both read-then-upgrade and
    deadlock: the second simply waits (busy_timeout) for the first short transaction to end.
    """
    return SqliteDatabase(str(path), pragmas=PRAGMAS, lock_type="IMMEDIATE", check_same_thread=False)


def to_aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None else None


def tuples(query: BaseQuery) -> Iterator[tuple[Any, ...]]:
    """The rows of a query as plain tuples (peewee's stubs type ``.tuples()`` rows as the model)."""
    return iter(query.tuples())
