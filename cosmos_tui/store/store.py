"""The Store: one open, migrated database with the models bound to it."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import peewee

from cosmos_tui.errors import StoreError
from cosmos_tui.store.db import open_database
from cosmos_tui.store.migrations import upgrade
from cosmos_tui.store.models import MODELS

log = logging.getLogger(__name__)

CONNECT_WAIT_S = 15.0


def describe_db_error(path: Path, exc: Exception) -> str:
    """One sentence for a SQLite failure, saying what to do about it."""
    text = str(exc).lower()
    if "disk is full" in text or "disk i/o" in text:
        return f"the disk holding {path} is full or failing; free some space and try again."
    if "locked" in text or "busy" in text:
        return f"the database {path} is busy in another cosmos-tui process; try again in a moment."
    if "not a database" in text or "malformed" in text:
        return f"{path} is not a cosmos-tui database or is damaged; point [paths].database elsewhere."
    if "readonly" in text or "read-only" in text:
        return f"the database {path} is read-only; fix its permissions."
    return f"the database {path} failed ({exc}); try again, and report it if it persists."


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
            ) from None
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
            raise StoreError(describe_db_error(self.path, exc)) from None

    def close(self) -> None:
        if not self.db.is_closed():
            self.db.close()
