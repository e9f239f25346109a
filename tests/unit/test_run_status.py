"""One run-status type: the named sets, the values the database and --json hold, and every table
keyed by status covering every status."""

from __future__ import annotations

import pytest

from cosmos_tui.cli_output import STATUS_STYLES
from cosmos_tui.records import STATUSES, RunStatus
from cosmos_tui.tui.format import STATUS_STYLE


def test_values_are_the_strings_the_database_and_json_hold() -> None:
    assert [s.value for s in RunStatus] == [
        "queued",
        "claimed",
        "uploading",
        "starting",
        "running",
        "collecting",
        "completed",
        "failed",
        "cancelled",
    ]
    assert tuple(RunStatus) == STATUSES
    assert RunStatus("running") is RunStatus.RUNNING and RunStatus.RUNNING == "running"
    assert f"{RunStatus.FAILED}" == str(RunStatus.FAILED) == "failed"


def test_named_sets_partition_the_lifecycle() -> None:
    busy, active, terminal = set(RunStatus.BUSY), set(RunStatus.ACTIVE), set(RunStatus.TERMINAL)
    assert busy == {"claimed", "uploading", "starting", "running", "collecting"}
    assert active == busy | {RunStatus.QUEUED}
    assert terminal == {"completed", "failed", "cancelled"}
    assert active.isdisjoint(terminal) and active | terminal == set(RunStatus)


@pytest.mark.parametrize("status", list(RunStatus))
def test_is_terminal_asks_the_terminal_set(status: RunStatus) -> None:
    assert status.is_terminal == (status in RunStatus.TERMINAL) == (status not in RunStatus.ACTIVE)


@pytest.mark.parametrize("styles", [STATUS_STYLE, STATUS_STYLES], ids=["tui", "cli"])
def test_every_status_has_a_colour_in_the_tui_and_the_cli(styles: dict[str, str]) -> None:
    # The CLI table had drifted: claimed, uploading, starting and collecting were left uncoloured
    # while the TUI showed them cyan like running.
    assert set(styles) == set(RunStatus)
    assert {styles[s] for s in RunStatus.TERMINAL}.isdisjoint(styles[s] for s in RunStatus.BUSY)
