"""Resolving a full ID or a unique prefix (``ps_3fa``) to one record's ID."""

from __future__ import annotations

import re

from peewee import Field

from cosmos_tui.errors import AmbiguousIdError, NotFoundError, UsageError

MAX_CANDIDATES = 10
_HEX = re.compile(r"^[0-9a-f]+$")


def resolve(field: Field, given: str, prefix: str, noun: str) -> str:
    """Return the single ID in ``field`` that starts with ``given``.

    ``given`` may omit the type prefix (``3fa`` means ``ps_3fa``). An unknown ID or an ambiguous
    prefix raises a UsageError subclass that lists the candidates.
    """
    text = given.strip().lower()
    digits = text[len(prefix) + 1 :] if text.startswith(prefix + "_") else text
    if not digits or not _HEX.match(digits) or len(digits) > 12:
        raise UsageError(
            f'"{given}" is not a {noun} ID; {noun} IDs look like {prefix}_3fa9c0e1b2d4 '
            f"(a unique prefix such as {prefix}_3fa is enough)."
        )
    low = f"{prefix}_{digits}"
    # A range scan on the unique index; LIKE would not use it.
    model = field.model
    rows = [
        row[0]
        for row in model.select(field)
        .where((field >= low) & (field < low + "\x7f"))
        .order_by(field)
        .limit(MAX_CANDIDATES + 1)
        .tuples()
    ]
    if not rows:
        raise NotFoundError(f"no {noun} has the ID {low}; list them with `cosmos-tui {noun} list`.")
    if len(rows) > 1:
        shown = ", ".join(rows[:MAX_CANDIDATES]) + (", ..." if len(rows) > MAX_CANDIDATES else "")
        raise AmbiguousIdError(
            f"the {noun} ID prefix {low} matches several {noun}s ({shown}); type more of it.",
            rows[:MAX_CANDIDATES],
        )
    return rows[0]
