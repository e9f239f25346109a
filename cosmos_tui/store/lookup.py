"""Resolving a full ID, a unique prefix (``ps_3fa``) or, for prompts, an exact name to one ID."""

from __future__ import annotations

import re

from peewee import Expression, Field

from cosmos_tui.command import hint
from cosmos_tui.errors import AmbiguousIdError, NotFoundError, UsageError
from cosmos_tui.store.db import tuples

MAX_CANDIDATES = 10
_HEX = re.compile(r"[0-9a-f]{1,12}")


def resolve(
    field: Field,
    given: str,
    prefix: str,
    noun: str,
    name_field: Field | None = None,
    listing: str | None = None,
) -> str:
    """Return the single ID in ``field`` that starts with ``given``, else (with ``name_field``) the
    single record whose name is exactly ``given``: IDs come first.

    ``given`` may omit the type prefix (``3fa`` means ``ps_3fa``); the type prefix alone (``ps_``)
    matches every ID. An unknown ID or name, or one matching several records, raises a UsageError
    subclass that lists the candidates. ``listing`` is the command that lists them (``noun list``).
    """
    text = given.strip()
    low = text.lower()
    digits = low[len(prefix) + 1 :] if low.startswith(prefix + "_") else low
    id_like = bool(_HEX.fullmatch(digits)) or low == prefix + "_"
    listing = hint(listing or f"{noun} list")
    if id_like:
        low = f"{prefix}_{digits}"
        # A range scan on the unique index; LIKE would not use it.
        rows = _ids(field, (field >= low) & (field < low + "\x7f"))
        if len(rows) > 1:
            raise AmbiguousIdError(
                f"the {noun} ID prefix {low} matches several {noun}s ({_shown(rows)}); type more of it.",
                rows[:MAX_CANDIDATES],
            )
        if rows:
            return rows[0]
    if name_field is not None and text:
        rows = _ids(field, name_field == text)
        if len(rows) > 1:
            raise AmbiguousIdError(
                f'the name "{text}" belongs to several {noun}s ({_shown(rows)}); give one of their IDs.',
                rows[:MAX_CANDIDATES],
            )
        if rows:
            return rows[0]
    if id_like:
        if not digits:
            raise NotFoundError(f"there are no {noun}s yet.")
        raise NotFoundError(f"no {noun} has the ID {low}; list them with `{listing}`.")
    example = f"{noun} IDs look like {prefix}_3fa9c0e1b2d4 (a unique prefix such as {prefix}_3fa is enough)"
    if name_field is not None:
        raise NotFoundError(f'no {noun} has the name or ID "{given}"; {example}; list them with `{listing}`.')
    raise UsageError(f'"{given}" is not a {noun} ID; {example}.')


def _ids(field: Field, condition: Expression) -> list[str]:
    # distinct: a field many records share (a run's sweep) names one thing however many hold it.
    query = field.model.select(field).where(condition).distinct().order_by(field).limit(MAX_CANDIDATES + 1)
    return [row[0] for row in tuples(query)]


def _shown(rows: list[str]) -> str:
    return ", ".join(rows[:MAX_CANDIDATES]) + (", ..." if len(rows) > MAX_CANDIDATES else "")
