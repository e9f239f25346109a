"""What `--run --detach` promises, and what Ctrl-C may and may not cancel, driven as a user does:
the installed `cosmos-tui` in subprocesses against the local simulated host (one slot)."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

import pytest

from cosmos_tui.api import CosmosAPI
from cosmos_tui.config import load
from tests.conftest import DEMO
from tests.test_engine import cli, make_config
from tests.waiting import wait_until

pytestmark = pytest.mark.integration


def exit_file(tmp_path: Path, run_id: str) -> Path:
    return tmp_path / "remote-local" / ".cosmos-tui" / "runs" / run_id / "exit_code"


def test_a_detached_run_never_waits_for_a_slot_held_by_a_finished_run(tmp_path: Path) -> None:
    config = make_config(tmp_path, None, host="local", speed="0.005")
    first = cli(config, "prompt", "add", "first", str(DEMO)).stdout.strip()
    second = cli(config, "prompt", "add", "second", str(DEMO)).stdout.strip()
    started = cli(config, "--run", first, "--detach", "--json")
    assert started.returncode == 0, started.stderr
    [a] = json.loads(started.stdout)
    ended = exit_file(tmp_path, a["run_id"])
    wait_until(ended.exists, message="the first run to end on its host")
    time.sleep(2)  # collected well after it ended

    t0 = time.monotonic()
    again = cli(config, "--run", second, "--detach", "--json", timeout=60)
    took = time.monotonic() - t0
    assert again.returncode == 0, again.stderr
    [b] = json.loads(again.stdout)
    assert b["status"] == "running", b
    assert took < 30  # generous: before the fix it never returned
    shown = json.loads(cli(config, "run", "show", a["run_id"], "--json").stdout)
    assert shown["status"] == "completed"  # collected on the way, its slot freed
    assert any(p.endswith("output.mp4") for p in shown["outputs"])
    # Its finish time is the host's (the exit-code file's), so its duration is true.
    finished = datetime.fromisoformat(shown["finished_at"].replace("Z", "+00:00")).timestamp()
    assert abs(finished - ended.stat().st_mtime) < 1.5


def test_detaching_more_runs_than_slots_queues_the_rest_and_returns(tmp_path: Path) -> None:
    # One slot, no batching: the second run cannot share the first one's model process.
    config = make_config(tmp_path, None, host="local", speed="0.05", max_batch=1)
    first = cli(config, "prompt", "add", "first", str(DEMO)).stdout.strip()
    second = cli(config, "prompt", "add", "second", str(DEMO)).stdout.strip()
    result = cli(config, "--run", first, second, "--detach", timeout=60)
    assert result.returncode == 0, result.stderr
    a_id, b_id = result.stdout.split()
    with CosmosAPI(load(config)) as api:
        assert api.get_run(a_id).status == "running"
        assert api.get_run(b_id).status == "queued"
    assert f"{b_id} queued" in result.stderr
    assert "cosmos-tui worker" in result.stderr and f"run wait {b_id}" in result.stderr
    # What was promised: any later cosmos-tui collects A and starts B.
    waited = cli(config, "run", "wait", b_id, "--json", timeout=120)
    assert waited.returncode == 0, waited.stderr
    assert json.loads(waited.stdout)["status"] == "completed"
    assert json.loads(cli(config, "run", "show", a_id, "--json").stdout)["status"] == "completed"


def test_cancelling_a_run_whose_model_exited_zero_records_it_completed(tmp_path: Path) -> None:
    config = make_config(tmp_path, None, host="local", speed="0.005")
    prompt = cli(config, "prompt", "add", "done already", str(DEMO)).stdout.strip()
    [a] = json.loads(cli(config, "--run", prompt, "--detach", "--json").stdout)
    wait_until(exit_file(tmp_path, a["run_id"]).exists, message="the run to end on its host")
    cancelled = cli(config, "run", "cancel", a["run_id"])
    shown = json.loads(cli(config, "run", "show", a["run_id"], "--json").stdout)
    assert (shown["status"], shown["exit_code"]) == ("completed", 0), shown["error_message"]
    assert cancelled.returncode == 1  # nothing was cancelled
