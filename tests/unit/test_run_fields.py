"""`run show`'s text names a run's batch and its place in it, its sweep, parent and children."""

from __future__ import annotations

from datetime import UTC, datetime

from cosmos_tui.cli_output import run_fields
from cosmos_tui.records import RunRecord, RunStatus

MOMENT = datetime(2026, 11, 22, 7, 0, tzinfo=UTC)


def run(**fields: object) -> RunRecord:
    base: dict = dict(
        run_id="rs_1",
        prompt_id="ps_1",
        model_type="transfer",
        host="h",
        status=RunStatus.COMPLETED,
        config={},
        created_at=MOMENT,
    )
    return RunRecord(**{**base, **fields})


def test_a_run_of_a_batch_names_its_batch_and_sample() -> None:
    pairs, _ = run_fields(run(batch_id="bs_abc", batch_index=1))
    assert ("batch", "bs_abc (sample 2): one model process with its other runs") in pairs


def test_a_run_on_its_own_has_no_batch_line() -> None:
    pairs, _ = run_fields(run())
    assert all(label != "batch" for label, _value in pairs)


def test_sweep_parent_and_children_are_listed() -> None:
    child = run(run_id="rs_2", model_type="upscale", status=RunStatus.QUEUED, parent_id="rs_1")
    pairs, _ = run_fields(run(sweep_id="sw_1", parent_id="rs_0"), sweep="sw_1: run 1 of 2", children=[child])
    assert ("parent run", "rs_0") in pairs
    assert ("sweep", "sw_1: run 1 of 2") in pairs
    assert ("upscale run", "rs_2 queued") in pairs
