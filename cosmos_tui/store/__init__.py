"""Persistence: Peewee models on SQLite, migrations and queries. Nothing here imports the UI."""

from cosmos_tui.store.store import Store

__all__ = ["Store"]
