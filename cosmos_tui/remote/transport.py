"""The interface every transport implements, and what its commands return.

Commands are shell strings run by the host's POSIX shell. Whoever builds one quotes every value
with ``shlex.quote``; helpers here never interpolate unquoted text.
"""

from __future__ import annotations

import shlex
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

Progress = Callable[[int, int], None]  # (bytes done, bytes total)


@dataclass(frozen=True)
class CommandResult:
    code: int
    stdout: bytes
    stderr: bytes

    @property
    def ok(self) -> bool:
        return self.code == 0

    @property
    def text(self) -> str:
        return self.stdout.decode("utf-8", errors="replace")

    @property
    def error_text(self) -> str:
        lines = self.stderr.decode("utf-8", errors="replace").strip().splitlines()
        return lines[-1] if lines else f"exit code {self.code}"


class Stream(ABC):
    """The stdout (stderr merged) of a long-running command, read in chunks."""

    @abstractmethod
    def read(self, timeout: float) -> bytes | None:
        """Up to 64 KiB; None when nothing arrived within ``timeout``; b"" at the end."""

    @abstractmethod
    def close(self) -> None: ...


class Transport(ABC):
    """One host: run commands, stream output, move files."""

    name: str

    @abstractmethod
    def run(self, command: str, *, timeout: float | None = 120, stdin: bytes | None = None) -> CommandResult:
        """Run a shell command to completion."""

    @abstractmethod
    def open_stream(self, command: str, merge_stderr: bool = True) -> Stream:
        """Start a shell command and stream its stdout (with stderr merged in, or discarded)."""

    @abstractmethod
    def upload(self, local: Path, remote: str, progress: Progress | None = None) -> None:
        """Copy a file to the host: to a temp name beside ``remote``, then an atomic rename."""

    @abstractmethod
    def download(self, remote: str, local: Path, progress: Progress | None = None) -> None:
        """Copy a file from the host: to a temp name beside ``local``, then a rename."""

    def expect_bulk(self, size: int) -> None:  # noqa: B027 - optional: most transports need nothing
        """A file of ``size`` bytes is about to move: open what that needs in the background."""

    def check(self) -> None:
        """Raise HostError when the host cannot be reached now."""
        self.run("true", timeout=30)

    def close(self) -> None:  # noqa: B027 - optional for transports without state
        """Release connections."""


def sh_join(argv: Iterable[str]) -> str:
    """A shell command from argv, every word quoted."""
    return " ".join(shlex.quote(str(a)) for a in argv)
