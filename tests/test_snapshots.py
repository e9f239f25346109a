"""Snapshots of every screen and modal at 120x40 and 80x24.

Deterministic: fixed folder, seeded IDs, a fixed clock, UTC, no engine, no cursor blink, fixed
GPU readings. Synchronous tests (snap_compare cannot run inside async tests).
Update with: ./scripts/test tests/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.widgets import Input, TextArea

from cosmos_tui import ids
from cosmos_tui.api import CosmosAPI
from cosmos_tui.config import load
from cosmos_tui.records import GpuStatus, HostStatus
from cosmos_tui.store import prompts as prompt_queries
from cosmos_tui.store.lifecycle import record_stage
from cosmos_tui.tui.app import CosmosApp
from tests.conftest import DEMO
from tests.helpers import add_run

FIXED = Path("/tmp/cosmos-tui-snapshots")
NOW = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)
SIZES = [pytest.param((120, 40), id="120x40"), pytest.param((80, 24), id="80x24")]


@pytest.fixture
def snap_api(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    # One GPU poll per snapshot: a second one would lengthen the sparklines.
    monkeypatch.setattr("cosmos_tui.tui.screens.gpu.POLL_SECONDS", 3600.0)
    shutil.rmtree(FIXED, ignore_errors=True)
    (FIXED / "inputs" / "videos").mkdir(parents=True)
    shutil.copytree(DEMO, FIXED / "inputs" / "videos" / "demo")
    (FIXED / "config.toml").write_text(
        'default_host = "sim"\n[paths]\ninputs = "inputs"\noutputs = "outputs"\n'
        'database = "outputs/cosmos.db"\n[hosts.sim]\ntransport = "local"\nremote_dir = "remote"\n'
        'runtime = "process"\nsimulated = true\ngpus = ""\n'
    )
    ids.seed(42)
    clock = iter(NOW - timedelta(hours=5) + timedelta(minutes=i) for i in range(10_000))
    api = CosmosAPI(load(FIXED / "config.toml"), clock=lambda: next(clock))
    demo = FIXED / "inputs" / "videos" / "demo"
    lighthouse = api.create_prompt(
        "A lighthouse on a rocky coast at dusk, waves crashing, slow dolly in", demo, name="lighthouse"
    )
    robot = api.create_prompt("A robot arm stacks red cubes on a wooden table [sim:clips=2]", demo)
    api.create_prompt("Rain on a neon street at night, reflections on wet asphalt", demo)
    start = NOW - timedelta(hours=2)
    done = add_run(api, lighthouse.prompt_id, "completed", host="sim", created=start, seconds=212)
    for seq, (stage, secs) in enumerate(
        (
            ("load", 41),
            ("preprocess", 12),
            ("guardrail", 5),
            ("embed", 4),
            ("diffusion", 140),
            ("decode", 9),
            ("save", 1),
        )
    ):
        at = start.replace(tzinfo=None) + timedelta(seconds=seq * 30)
        record_stage(api.store.db, done.run_id, stage, seq, at, at + timedelta(seconds=secs))
    failed = add_run(
        api,
        robot.prompt_id,
        "failed",
        host="sim",
        created=start + timedelta(minutes=10),
        seconds=95,
        error_class="oom",
        exit_code=1,
        error_message="the GPU ran out of memory; use more GPUs (num_gpu), fewer or shorter "
        "inputs, or free the GPU of other jobs.",
    )
    add_run(
        api,
        robot.prompt_id,
        "running",
        host="sim",
        created=NOW - timedelta(minutes=3),
        started_at=(NOW - timedelta(minutes=3)).replace(tzinfo=None),
        stage="diffusion",
        progress=42.0,
        eta_seconds=249.0,
    )
    add_run(api, lighthouse.prompt_id, "queued", host="sim", created=NOW - timedelta(minutes=1))
    log = Path(failed.log_path)
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(
        "[11-20 13:40:00|INFO|cosmos_transfer1/diffusion/model/model_ctrl.py:728:build_model] "
        "Start creating base model\n"
        "[11-20 13:40:41|INFO|cosmos_transfer1/diffusion/inference/world_generation_pipeline.py:590:"
        "_run_model] Starting diffusion sampling\n"
        "[rank0]: torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.50 GiB.\n"
        "torch.distributed.elastic.multiprocessing.errors.ChildFailedError: \n"
    )
    # An enhanced version of the lighthouse prompt (as an enhance run's follow-up makes it), listed
    # just above its parent.
    prompt_queries.insert(
        api.store.db,
        id=ids.new_id(ids.PROMPT),
        name="lighthouse-enhanced",
        text=lighthouse.text + ". The scene is captured in photorealistic detail, with natural lighting.",
        negative_prompt=lighthouse.negative_prompt,
        model_type="transfer",
        input_dir=lighthouse.input_dir,
        inputs=lighthouse.inputs,
        parameters={},
        parent=lighthouse.prompt_id,
        created_at=(lighthouse.created_at + timedelta(seconds=30)).astimezone(UTC).replace(tzinfo=None),
    )
    fixed_now = NOW
    monkeypatch.setattr(api, "now", lambda: fixed_now)
    status = HostStatus(
        "sim",
        "sim (simulated)",
        True,
        None,
        [
            GpuStatus(0, "NVIDIA H100 80GB HBM3", 81559.0, 65466.0, 97.0, 71.0, 612.5, 700.0),
            GpuStatus(1, "NVIDIA H100 80GB HBM3", 81559.0, 1.0, 0.0, 33.0, 70.0, 700.0),
        ],
        [],
        81_400_000_000,
    )
    monkeypatch.setattr(api, "host_status", lambda host=None: status)
    ids_ = {"failed": failed.run_id, "robot": robot.prompt_id}
    yield api, ids_
    api.close()


def settle(*keys: str):
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.pause(0.2)
        await pilot.app.workers.wait_for_complete()
        for key in keys:
            await pilot.press(key)
            await pilot.pause(0.2)
            await pilot.app.workers.wait_for_complete()
        for widget in pilot.app.screen.query("Input, TextArea"):
            if isinstance(widget, Input | TextArea):
                widget.cursor_blink = False
        await pilot.pause(0.2)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.1)

    return run_before


def app_for(api: CosmosAPI, **kwargs: object) -> CosmosApp:
    return CosmosApp(api, start_engine=False, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("size", SIZES)
def test_prompts_screen(snap_compare, snap_api, size) -> None:
    assert snap_compare(app_for(snap_api[0]), terminal_size=size, run_before=settle())


@pytest.mark.parametrize("size", SIZES)
def test_prompt_detail(snap_compare, snap_api, size) -> None:
    assert snap_compare(app_for(snap_api[0]), terminal_size=size, run_before=settle("down", "enter"))


@pytest.mark.parametrize("size", SIZES)
def test_prompt_detail_with_an_enhanced_version(snap_compare, snap_api, size) -> None:
    assert snap_compare(app_for(snap_api[0]), terminal_size=size, run_before=settle("end", "enter"))


@pytest.mark.parametrize("size", SIZES)
def test_new_prompt_modal(snap_compare, snap_api, size) -> None:
    assert snap_compare(app_for(snap_api[0]), terminal_size=size, run_before=settle("n"))


@pytest.mark.parametrize("size", SIZES)
def test_run_form_modal(snap_compare, snap_api, size) -> None:
    assert snap_compare(app_for(snap_api[0]), terminal_size=size, run_before=settle("r"))


@pytest.mark.parametrize("size", SIZES)
def test_delete_confirmation(snap_compare, snap_api, size) -> None:
    assert snap_compare(app_for(snap_api[0]), terminal_size=size, run_before=settle("d"))


@pytest.mark.parametrize("size", SIZES)
def test_help_panel(snap_compare, snap_api, size) -> None:
    assert snap_compare(app_for(snap_api[0]), terminal_size=size, run_before=settle("question_mark"))


@pytest.mark.parametrize("size", SIZES)
def test_runs_screen(snap_compare, snap_api, size) -> None:
    assert snap_compare(app_for(snap_api[0]), terminal_size=size, run_before=settle("2"))


@pytest.mark.parametrize("size", SIZES)
def test_runs_screen_with_a_sweep(snap_compare, snap_api, size) -> None:
    api, ids_ = snap_api
    api.run_sweep([ids_["robot"]], {}, {"guidance": "3,7", "seed": "1-3"})
    assert snap_compare(app_for(api), terminal_size=size, run_before=settle("2"))


@pytest.mark.parametrize("size", SIZES)
def test_log_view_of_a_failed_run(snap_compare, snap_api, size) -> None:
    api, made = snap_api
    assert snap_compare(app_for(api, open_log=made["failed"]), terminal_size=size, run_before=settle())


@pytest.mark.parametrize("size", SIZES)
def test_gpu_screen(snap_compare, snap_api, size) -> None:
    assert snap_compare(app_for(snap_api[0]), terminal_size=size, run_before=settle("3"))


@pytest.mark.parametrize("size", SIZES)
def test_dashboard_screen(snap_compare, snap_api, size) -> None:
    assert snap_compare(app_for(snap_api[0]), terminal_size=size, run_before=settle("4"))


@pytest.mark.parametrize("size", SIZES)
def test_gallery_screen(snap_compare, snap_api, size) -> None:
    """The completed runs with the demo scene's real videos: each entry's first, middle and last
    frames (made with ffmpeg, drawn as half blocks), the highlighted one's beside the list."""
    api, _ = snap_api
    from cosmos_tui.store.models import Run

    lighthouse = api.get_prompt("lighthouse")
    for minutes, video, rating in ((30, "color.mp4", 4), (40, "depth.mp4", None)):
        run = add_run(
            api, lighthouse.prompt_id, "completed", host="sim", created=NOW - timedelta(minutes=minutes),
            seconds=150, rating=rating,
        )  # fmt: skip
        folder = api.run_dir(run.run_id)
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(DEMO / video, folder / "output.mp4")
        Run.update(outputs=[str(folder / "output.mp4")]).where(Run.id == run.run_id).execute()
    assert snap_compare(app_for(api), terminal_size=size, run_before=settle("5"))


def test_snapshot_folder_is_outside_the_checkout() -> None:
    assert not str(FIXED).startswith(str(Path.cwd()))
