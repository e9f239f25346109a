"""Errors a user can meet, each carrying one clear sentence and the CLI exit code it maps to.

Every layer raises these (or subclasses); the CLI and the TUI show ``str(error)`` and never a
traceback. The message says what happened and what to do about it. Callers decide by class and
attributes (``field``, ``AuthError``), never by the words of the message; the technical cause stays
chained (``raise ... from exc``) for the application log (:func:`cause_chain`).
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_HOST = 3
EXIT_INTERRUPTED = 130


class CosmosError(Exception):
    """Base class: a failure with a user-facing message."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(CosmosError):
    """Bad input from the user: a bad argument, a missing file, an invalid value.

    ``field`` names the input at fault when there is one, as the CosmosAPI parameter is called
    (``"text"``, ``"video_dir"``, ``"name"``, ``"negative_prompt"``), so a form can show the
    sentence under that field.
    """

    exit_code = EXIT_USAGE

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ConfigError(UsageError):
    """The configuration file is missing, malformed or invalid."""


class NotFoundError(UsageError):
    """What the user named does not exist: no record has the ID (or prefix), no such folder."""


class AmbiguousIdError(UsageError):
    """An ID prefix matches more than one record."""

    def __init__(self, message: str, candidates: list[str]) -> None:
        super().__init__(message)
        self.candidates = candidates


class SweepTooLargeError(UsageError):
    """A sweep makes more runs than are queued without the user's confirmation; ``runs`` says how
    many (the CLI asks for --yes, the TUI asks in a dialog)."""

    def __init__(self, message: str, runs: int) -> None:
        super().__init__(message, field="sweep")
        self.runs = runs


class OperationError(CosmosError):
    """The operation was understood but could not be carried out."""


class StoreError(OperationError):
    """The database cannot be used (newer schema, corrupt file, locked too long)."""


class HostError(CosmosError):
    """A host is unreachable or refused authentication."""

    exit_code = EXIT_HOST


class AuthError(HostError):
    """The host answered but would not let us in (no key it accepts, or our key file cannot be
    used). Retrying does not help until the config or the keys change."""


def cause_chain(exc: BaseException) -> str:
    """``exc`` and the errors behind it, on one line, for the application log."""
    parts: list[str] = []
    current: BaseException | None = exc
    while current is not None and len(parts) < 10:
        parts.append(f"{type(current).__name__}: {current}")
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return " <- ".join(parts)
