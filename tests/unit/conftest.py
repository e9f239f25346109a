"""The unit layer: pure logic only, no daemons, no subprocesses; the whole folder runs in seconds.

Every test here is marked ``unit`` (``pytest -m unit``), and asking for the daemon harness fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
LOGS = HERE / "logs"  # logs the simulator printed (Cosmos-Transfer1's formats), stdout and stderr merged


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.unit)


@pytest.fixture
def harness() -> None:
    pytest.fail("unit tests use no daemons; put this test outside tests/unit/", pytrace=False)


def log_bytes(name: str) -> bytes:
    return (LOGS / name).read_bytes()
