"""Waiting for something to become true in a test: poll with a generous timeout, never assert on time.

The timeout only bounds a test that would otherwise hang; a slow machine just polls longer.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

T = TypeVar("T")
Message = str | Callable[[], str]  # a callable is asked only on failure (e.g. for a screen dump)


class Pausing(Protocol):
    def pause(self, delay: float | None = None) -> Awaitable[Any]: ...


def poll(predicate: Callable[[], T], timeout: float, interval: float = 0.05) -> T | None:
    """The first truthy value of ``predicate``, or None once ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


def _failure(message: Message, timeout: float) -> AssertionError:
    text = message() if callable(message) else message
    return AssertionError(f"waited {timeout:g} s for {text}; it never happened")


def wait_until(
    predicate: Callable[[], T],
    timeout: float = 60.0,
    *,
    interval: float = 0.05,
    message: Message = "the condition",
) -> T:
    """Poll ``predicate`` until it returns something truthy and return that; fail with ``message``."""
    value = poll(predicate, timeout, interval)
    if not value:
        raise _failure(message, timeout)
    return value


async def pilot_wait_until(
    pilot: Pausing,
    predicate: Callable[[], T],
    timeout: float = 30.0,
    *,
    interval: float = 0.05,
    message: Message = "the condition",
) -> T:
    """``wait_until`` inside a Textual Pilot test: pauses let the app process its messages between checks."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise _failure(message, timeout)
        await pilot.pause(interval)
