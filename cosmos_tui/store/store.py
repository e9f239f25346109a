"""The Store: one open, migrated database with the models bound to it."""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import peewee

from cosmos_tui.errors import StoreError
from cosmos_tui.files import too_long
from cosmos_tui.store.db import open_database
from cosmos_tui.store.migrations import upgrade
from cosmos_tui.store.models import MODELS

log = logging.getLogger(__name__)

CONNECT_WAIT_S = 15.0


def describe_db_error(path: Path, exc: BaseException) -> str:
    """One sentence for a SQLite failure, saying what to do about it."""
    exc = _original(exc)
    text = str(exc).lower()
    if "disk is full" in text:
        return f"the disk holding {path} is full; free some space and try again."
    if "disk i/o" in text:
        return f"the disk holding {path} is full or failing; free some space and try again."
    if "locked" in text or "busy" in text:
        return f"the database {path} is busy in another cosmos-tui process; try again in a moment."
    if "malformed json" in text:  # a value, not the file: e.g. an infinite number slipped through
        return f"a value could not be stored in {path} (it is not valid JSON); report it."
    if "not a database" in text or "malformed" in text:
        return f"{path} is not a cosmos-tui database or is damaged; point [paths].database elsewhere."
    if "unable to open" in text or "readonly" in text or "read-only" in text:
        problem = open_problem(path)
        if problem:
            return problem
    if "readonly" in text or "read-only" in text:
        return f"the database {path} is read-only; fix its permissions."
    return f"the database {path} failed ({exc}); try again, and report it if it persists."


def _original(exc: BaseException) -> BaseException:
    """The error that started it: when SQLite already undid a transaction (a full disk does that),
    peewee's rollback fails with "no transaction is active", hiding the real cause."""
    seen = 0
    while "no transaction is active" in str(exc) and exc.__context__ is not None and seen < 10:
        exc, seen = exc.__context__, seen + 1
    return exc


def open_problem(path: Path) -> str | None:
    """Why the database file cannot be opened for writing, in one sentence; None if unknown."""
    if too_long(path):
        return f"the database path {path} is longer than the system allows; use a shorter [paths].database."
    if _is_dir(path):
        return (
            f"the database path {path} is a folder; point [paths].database at a file in it, "
            f"such as {path / 'cosmos.db'}."
        )
    try:
        read_only = bool(os.statvfs(path.parent).f_flag & os.ST_RDONLY)
    except OSError:
        return None
    if read_only:
        return (
            f"the database {path} is on a read-only file system; point [paths].database at a writable place."
        )
    if not os.access(path.parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        return f"the database {path} or its folder is not writable for you; fix the permissions."
    return None


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False


def foreign_database(path: Path) -> bool:
    """An SQLite file of another program: tables, but no cosmos-tui schema version.

    Looked at through a read-only connection, so such a file is refused untouched (our own
    connection would switch it to WAL before the schema check).
    """
    try:
        if path.stat().st_size == 0:
            return False
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except (OSError, sqlite3.Error):
        return False
    try:
        # One statement, so one snapshot: another process may create and migrate the file
        # between two reads, and tables without a version would then look foreign.
        rows = conn.execute(
            "SELECT (SELECT user_version FROM pragma_user_version), name FROM sqlite_master"
        ).fetchall()
    except sqlite3.Error:
        return False  # damaged or not SQLite at all: the normal open says so
    finally:
        conn.close()
    return any(not version and not name.startswith("sqlite_") for version, name in rows)


class Store:
    """Opens (creating and migrating as needed) the SQLite database at ``path``.

    Models are bound process-wide: one Store per process at a time.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the folder for the database {self.path} ({exc.strerror}); "
                "fix [paths].database or its permissions."
            ) from exc
        problem = open_problem(self.path) if _is_dir(self.path) or too_long(self.path) else None
        if problem:
            raise StoreError(problem)
        if foreign_database(self.path):
            raise StoreError(
                f"{self.path} is an SQLite database of another program (it has tables but no "
                "cosmos-tui schema) and was left untouched; point [paths].database at a new file."
            )
        self.db = open_database(self.path)
        self.db.bind(MODELS)
        with self.guard():
            self._connect()
            self.version = upgrade(self.db, str(self.path))

    def _connect(self) -> None:
        """Connect, waiting out another process that is switching a new file to WAL.

        That switch needs an exclusive lock and SQLite reports it as "locked" at once rather
        than through the busy handler, so retry for as long as busy_timeout would have waited.
        """
        deadline = time.monotonic() + CONNECT_WAIT_S
        delay = 0.01
        while True:
            try:
                self.db.connect(reuse_if_open=True)
                return
            except peewee.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                if not self.db.is_closed():
                    self.db.close()
                time.sleep(delay)
                delay = min(delay * 2, 0.5)

    @contextmanager
    def guard(self) -> Iterator[None]:
        """Turn SQLite errors into a StoreError with a clear sentence."""
        try:
            yield
        except peewee.DatabaseError as exc:
            log.warning("database error on %s: %s", self.path, exc)
            raise StoreError(describe_db_error(self.path, exc)) from exc

    def close(self) -> None:
        if not self.db.is_closed():
            self.db.close()
