"""The runs table tags runs that share one model process alike, with their sample number."""

from __future__ import annotations

from datetime import UTC, datetime

from cosmos_tui.records import RunRecord, RunStatus
from cosmos_tui.tui.screens.runs import batch_mark


def run(**fields: object) -> RunRecord:
    base: dict = dict(
        run_id="rs_1",
        prompt_id="ps_1",
        model_type="transfer",
        host="h",
        status=RunStatus.RUNNING,
        config={},
        created_at=datetime(2026, 11, 22, tzinfo=UTC),
    )
    return RunRecord(**{**base, **fields})


def test_runs_of_one_batch_share_a_tag_and_show_their_sample() -> None:
    first = run(batch_id="bs_00000000a1b2", batch_index=0)
    second = run(run_id="rs_2", batch_id="bs_00000000a1b2", batch_index=1)
    assert batch_mark(first) == "#a1b2:1" and batch_mark(second) == "#a1b2:2"


def test_a_run_on_its_own_has_no_tag() -> None:
    assert batch_mark(run()) == ""
