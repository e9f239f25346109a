"""The foreign-database check must read one snapshot of the file.

Regression: it read ``user_version`` and the table list in two statements, so a process
that created and migrated the database between them made a fresh cosmos-tui database
look like another program's (seen once in CI as a failed two-writer test).
"""

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from cosmos_tui.store import store as store_module

REAL_CONNECT = sqlite3.connect


def migrate_like_cosmos(path: Path) -> None:
    conn = REAL_CONNECT(path)
    conn.execute("CREATE TABLE prompt (id TEXT)")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()


class Interleaving:
    """A connection that lets another writer commit after its first statement."""

    def __init__(self, real: sqlite3.Connection, path: Path) -> None:
        self.real = real
        self.path = path
        self.statements = 0

    def execute(self, sql: str) -> Any:
        rows = self.real.execute(sql).fetchall()
        self.statements += 1
        if self.statements == 1:
            migrate_like_cosmos(self.path)
        return Rows(rows)

    def close(self) -> None:
        self.real.close()


class Rows:
    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self.rows = rows

    def fetchone(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.rows

    def __iter__(self) -> Any:
        return iter(self.rows)


def test_a_database_migrated_during_the_check_is_not_called_foreign(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "cosmos.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")  # what the first opener does before migrating
    conn.close()
    monkeypatch.setattr(
        store_module.sqlite3, "connect", lambda *a, **k: Interleaving(REAL_CONNECT(*a, **k), path)
    )
    assert not store_module.foreign_database(path)


def test_another_programs_database_is_still_foreign(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.commit()
    conn.close()
    assert store_module.foreign_database(path)


def test_an_empty_or_migrated_database_is_not_foreign(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    assert not store_module.foreign_database(empty)
    ours = tmp_path / "ours.db"
    migrate_like_cosmos(ours)
    assert not store_module.foreign_database(ours)
