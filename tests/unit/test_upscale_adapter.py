"""The 4K upscaler adapter: the spec and command line it builds (exactly what Transfer1's
upscaler example runs), where it looks for its input on the host, the stages of its log; and the
runs table's order that puts an upscale under its parent."""

from __future__ import annotations

import itertools
import shlex
from datetime import UTC, datetime

import pytest

from cosmos_tui.cosmos.base import RunFiles, adapter_for, clean, placed_inputs
from cosmos_tui.cosmos.transfer import ADAPTER as TRANSFER
from cosmos_tui.cosmos.upscale import ADAPTER
from cosmos_tui.engine.upscale import check_weight
from cosmos_tui.errors import UsageError
from cosmos_tui.records import RunRecord, RunStatus
from cosmos_tui.tui.screens.runs import linked_order
from tests.unit.conftest import log_bytes

LOCAL = "/home/me/outputs/run_rs_000000000001/output.mp4"
CONFIG = {
    "parent_run": "rs_000000000001",
    "inputs": {"video": LOCAL},
    "control_weight": 0.5,
    "num_steps": 10,
    "num_gpu": 2,
    "prompt_id": "ps_000000000001",
}
FILES = RunFiles(".cosmos-tui/runs/rs_000000000002")


def test_adapter_for_finds_it() -> None:
    assert adapter_for("upscale") is ADAPTER


def test_the_input_is_looked_for_in_the_parent_runs_output_folder() -> None:
    assert ADAPTER.local_inputs(CONFIG) == [LOCAL]
    on_host = ".cosmos-tui/runs/rs_000000000001/output/output.mp4"
    assert placed_inputs(ADAPTER, CONFIG, FILES) == {LOCAL: on_host}
    assert placed_inputs(TRANSFER, {}, FILES) == {}  # an adapter without placed inputs


def test_spec_is_exactly_the_input_and_the_upscale_weight() -> None:
    files = RunFiles(FILES.run_rel, {LOCAL: ".cosmos-tui/runs/rs_000000000001/output/output.mp4"})
    assert ADAPTER.build_spec(CONFIG, files) == {
        "input_video_path": ".cosmos-tui/runs/rs_000000000001/output/output.mp4",
        "upscale": {"control_weight": 0.5},
    }


def test_command_runs_transfer_py_with_ten_steps() -> None:
    argv = shlex.split(ADAPTER.command(CONFIG, FILES))
    assert argv[:5] == [
        "torchrun",
        "--nproc_per_node=2",
        "--nnodes=1",
        "--node_rank=0",
        "cosmos_transfer1/diffusion/inference/transfer.py",
    ]
    assert argv[argv.index("--num_steps") + 1] == "10"
    assert argv[argv.index("--controlnet_specs") + 1] == f"{FILES.run_rel}/spec.json"
    assert argv[argv.index("--video_save_folder") + 1] == f"{FILES.run_rel}/output"
    assert argv[argv.index("--num_gpus") + 1] == "2"
    assert "--guidance" not in argv and "--seed" not in argv  # the upscaler's own defaults


def test_its_log_yields_every_stage_in_order() -> None:
    stages = []
    for raw in log_bytes("upscale_ok.log").split(b"\n")[:-1]:
        if ADAPTER.interesting(raw + b"\n"):
            event = ADAPTER.read_line(clean(raw.decode("utf-8", errors="replace")))
            if event is not None and event.stage:
                stages.append(event.stage)
    keys = [s.key for s in ADAPTER.stages]
    assert stages[0] == "load" and stages[-1] == "save"
    assert [k for k in keys if k in stages] == keys  # every stage seen
    assert all(keys.index(a) <= keys.index(b) for a, b in itertools.pairwise(stages))


@pytest.mark.parametrize("weight", [0, -0.5, 1.01, float("nan"), float("inf"), "x", None, True])
def test_weights_outside_zero_to_one_are_refused(weight: object) -> None:
    with pytest.raises(UsageError, match="above 0 and at most 1"):
        check_weight(weight)


@pytest.mark.parametrize("weight", [0.01, 0.5, 1, "0.7"])
def test_weights_in_range_are_taken(weight: object) -> None:
    assert 0 < check_weight(weight) <= 1


def run(run_id: str, parent: str | None = None) -> RunRecord:
    return RunRecord(
        run_id=run_id,
        prompt_id=None,
        model_type="upscale" if parent else "transfer",
        host="h",
        status=RunStatus.COMPLETED,
        created_at=datetime(2026, 11, 1, tzinfo=UTC),
        config={},
        parent_id=parent,
    )


def test_an_upscale_goes_right_under_its_parent_on_the_page() -> None:
    runs = {r.run_id: r for r in (run("c2", "p1"), run("x"), run("c1", "p1"), run("p1"), run("o", "gone"))}
    # Newest first: c2, x, c1, p1, o. The children follow their parent (newest first); a child whose
    # parent is not on the page keeps its place.
    assert linked_order(list(runs), runs) == ["x", "p1", "c2", "c1", "o"]


def test_a_page_without_links_keeps_its_order() -> None:
    runs = {r.run_id: r for r in (run("a"), run("b"), run("c"))}
    assert linked_order(list(runs), runs) == ["a", "b", "c"]
