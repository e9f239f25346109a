"""Looking at a path the user named before anything reads it.

A FIFO or a device named like a file (``color.mp4``, ``--config``) would block a read forever or
fill memory, so these checks use ``stat`` and never open what is not a regular file; what is
read is bounded.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Literal

MB = 1024 * 1024
PATH_MAX = 4096  # Linux: a longer path fails every system call with ENAMETOOLONG
NAME_MAX = 255


def too_long(path: Path) -> bool:
    """A path no system call would accept, whatever is on disk."""
    encoded = os.fsencode(path)
    return len(encoded) >= PATH_MAX or any(len(part) > NAME_MAX for part in encoded.split(b"/"))


ProblemKind = Literal[
    "missing",
    "broken_link",
    "loop",
    "too_long",
    "not_a_folder",
    "unreadable",
    "folder",
    "fifo",
    "socket",
    "device",
    "special",
]


class PathProblem(str):
    """Why a path cannot be read as a regular file: the words that follow the path for people,
    ``kind`` for code (decide by the kind, never by the words)."""

    kind: ProblemKind

    def __new__(cls, kind: ProblemKind, words: str) -> PathProblem:
        problem = super().__new__(cls, words)
        problem.kind = kind
        return problem


def _special(mode: int) -> PathProblem:
    if stat.S_ISFIFO(mode):
        return PathProblem("fifo", "is a FIFO (named pipe), not a regular file")
    if stat.S_ISSOCK(mode):
        return PathProblem("socket", "is a socket, not a regular file")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return PathProblem("device", "is a device, not a regular file")
    return PathProblem("special", "is not a regular file")


def path_problem(path: Path) -> PathProblem | None:
    """Why ``path`` cannot be read as a regular file; None if it can."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        if _is_link(path):
            return PathProblem("broken_link", "is a broken symbolic link")
        return PathProblem("missing", "does not exist")
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return PathProblem("loop", "is a symbolic link loop")
        if exc.errno == errno.ENAMETOOLONG:
            return PathProblem("too_long", "is a path longer than the system allows")
        if exc.errno == errno.ENOTDIR:
            return PathProblem("not_a_folder", "does not exist (a part of the path is a file, not a folder)")
        return PathProblem("unreadable", f"cannot be read ({exc.strerror})")
    if stat.S_ISDIR(mode):
        return PathProblem("folder", "is a folder, not a file")
    if not stat.S_ISREG(mode):
        return _special(mode)
    return None


def _is_link(path: Path) -> bool:
    try:
        return path.is_symlink()
    except OSError:
        return False


def read_up_to(path: Path, count: int, *, regular: bool = True) -> bytes:
    """At most ``count`` bytes from the start of ``path``; raises OSError.

    With ``regular`` (check with :func:`path_problem` first), a FIFO or device put in the file's
    place since is refused (EINVAL) without blocking; without it, a pipe such as ``<(...)`` is
    read, still never past ``count`` bytes.
    """
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | (os.O_NONBLOCK if regular else 0))
    with os.fdopen(fd, "rb") as handle:
        if regular:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise OSError(errno.EINVAL, "not a regular file", str(path))
            os.set_blocking(fd, True)
        return handle.read(count)
