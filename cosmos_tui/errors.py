"""Errors a user can meet, each carrying one clear sentence and the CLI exit code it maps to.

Every layer raises these (or subclasses); the CLI and the TUI show ``str(error)`` and never a
traceback. The message says what happened and what to do about it.
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
    """Bad input from the user: a bad argument, a missing file, an invalid value."""

    exit_code = EXIT_USAGE


class ConfigError(UsageError):
    """The configuration file is missing, malformed or invalid."""


class NotFoundError(UsageError):
    """No record has the ID (or ID prefix) the user gave."""


class AmbiguousIdError(UsageError):
    """An ID prefix matches more than one record."""

    def __init__(self, message: str, candidates: list[str]) -> None:
        super().__init__(message)
        self.candidates = candidates


class OperationError(CosmosError):
    """The operation was understood but could not be carried out."""


class StoreError(OperationError):
    """The database cannot be used (newer schema, corrupt file, locked too long)."""


class HostError(CosmosError):
    """A host is unreachable or refused authentication."""

    exit_code = EXIT_HOST
