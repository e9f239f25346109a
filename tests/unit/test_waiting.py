"""The tests' own polling helper: returns what it waited for, fails with a sentence saying what."""

from __future__ import annotations

import itertools

import pytest

from tests.waiting import poll, wait_until


def test_wait_until_returns_the_first_truthy_value() -> None:
    counter = itertools.count()
    assert wait_until(lambda: [n] if (n := next(counter)) >= 3 else [], interval=0) == [3]


def test_wait_until_fails_with_the_message_and_asks_a_callable_only_then() -> None:
    asked: list[int] = []
    assert wait_until(lambda: True, message=lambda: str(asked.append(1))) is True
    assert asked == []
    with pytest.raises(AssertionError, match=r"waited 0.01 s for the screen: empty; it never happened"):
        wait_until(lambda: False, 0.01, interval=0.001, message=lambda: "the screen: empty")


def test_poll_gives_up_quietly() -> None:
    assert poll(lambda: 0, 0.01, 0.001) is None
