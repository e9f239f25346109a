"""Rows to records, derived from the records' dataclass fields.

A record field takes the model column of the same name (a foreign key ``prompt`` fills
``prompt_id``), converted by the column's kind: times become aware UTC, JSON values are copied,
an enum-typed field gets its enum. A new column therefore needs the model field and the record
field, nothing here; a column or field without a partner fails at import (and in the tests).
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Callable, Iterable
from dataclasses import fields
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from peewee import DateTimeField, ForeignKeyField, Model
from playhouse.sqlite_ext import JSONField

from cosmos_tui.records import PromptRecord, RunRecord, StageTiming
from cosmos_tui.store.db import to_aware
from cosmos_tui.store.models import Prompt, Run, RunStage

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

R = TypeVar("R", bound="DataclassInstance")  # a record dataclass
Convert = Callable[[Any], Any]


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list):
        return list(value)
    return value


def _enum_of(hint: Any) -> type[enum.Enum] | None:
    """The enum class of a field typed ``E`` or ``E | None``."""
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    found = [o for o in options if isinstance(o, type) and issubclass(o, enum.Enum)]
    return found[0] if found else None


def _key(column: Any) -> str:
    return str(column.object_id_name if isinstance(column, ForeignKeyField) else column.name)


def _converter(column: Any, hint: Any) -> Convert | None:
    kind = _enum_of(hint)
    if kind is not None:
        return lambda value: None if value is None else kind(value)
    if isinstance(column, DateTimeField):
        return to_aware
    if isinstance(column, JSONField):
        empty: Callable[[], Any] = column.default if callable(column.default) else lambda: None
        return lambda value: empty() if value is None else _copy(value)
    return None


class RowMapping(Generic[R]):
    """How rows of ``model`` become ``record`` instances.

    ``renames``: record field -> column where the names differ (``run_id`` -> ``id``).
    ``derived``: record fields the caller passes (not columns). ``internal``: columns no record
    shows (engine bookkeeping).
    """

    def __init__(
        self,
        record: type[R],
        model: type[Model],
        *,
        renames: dict[str, str] | None = None,
        derived: Iterable[str] = (),
        internal: Iterable[str] = (),
    ) -> None:
        self.record = record
        self.model = model
        self.derived = frozenset(derived)
        self.internal = frozenset(internal)
        renames = renames or {}
        columns = {_key(column): column for column in model._meta.sorted_fields}
        hints = typing.get_type_hints(record)
        self.plan: list[tuple[str, str, Convert | None]] = []
        self.derived_enums: dict[str, type[enum.Enum]] = {}
        used = {key for key, column in columns.items() if column.name in self.internal}
        for spec in fields(record):
            if spec.name in self.derived:
                kind = _enum_of(hints[spec.name])
                if kind is not None:
                    self.derived_enums[spec.name] = kind
                continue
            key = renames.get(spec.name, spec.name)
            column = columns.get(key)
            if column is None:
                raise TypeError(f"{record.__name__}.{spec.name} has no column in {model.__name__}")
            used.add(key)
            self.plan.append((spec.name, key, _converter(column, hints[spec.name])))
        unmapped = set(columns) - used
        if unmapped:
            raise TypeError(
                f"{model.__name__} columns {sorted(unmapped)} have no field in {record.__name__}; "
                "add them there or list them as internal"
            )

    def __call__(self, row: Model, **derived: Any) -> R:
        values = dict(derived)
        for name, kind in self.derived_enums.items():
            if values.get(name) is not None:
                values[name] = kind(values[name])
        for name, key, convert in self.plan:
            value = getattr(row, key)
            values[name] = convert(value) if convert is not None else value
        return self.record(**values)


RUN = RowMapping(
    RunRecord,
    Run,
    renames={"run_id": "id"},
    derived=("log_path", "stages"),
    internal=("claimed_by", "updated_at", "cancel_requested", "change_seq"),
)
PROMPT = RowMapping(
    PromptRecord,
    Prompt,
    renames={"prompt_id": "id"},
    derived=("run_count", "last_status"),
    internal=("pk",),
)
STAGE = RowMapping(StageTiming, RunStage, internal=("id", "run"))
