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

MB = 1024 * 1024
PATH_MAX = 4096  # Linux: a longer path fails every system call with ENAMETOOLONG
NAME_MAX = 255


def too_long(path: Path) -> bool:
    """A path no system call would accept, whatever is on disk."""
    encoded = os.fsencode(path)
    return len(encoded) >= PATH_MAX or any(len(part) > NAME_MAX for part in encoded.split(b"/"))


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def path_problem(path: Path) -> str | None:
    """Why ``path`` cannot be read as a regular file, as words that follow the path; None if it can."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "is a broken symbolic link" if _is_link(path) else "does not exist"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "is a symbolic link loop"
        if exc.errno == errno.ENAMETOOLONG:
            return "is a path longer than the system allows"
        if exc.errno == errno.ENOTDIR:
            return "does not exist (a part of the path is a file, not a folder)"
        return f"cannot be read ({exc.strerror})"
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    if not stat.S_ISREG(mode):
        return f"is {_kind(mode)}, not a regular file"
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
