"""One queue over many hosts: runs queued to a pool (or ``any``) and placed when a worker claims
them, on simulated hosts of this machine and unreachable SSH hosts; racing worker processes."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from cosmos_tui.api import CosmosAPI
from cosmos_tui.config import load
from cosmos_tui.errors import UsageError
from cosmos_tui.records import RunStatus
from cosmos_tui.store.models import Run
from tests.conftest import DEMO
from tests.harness import local_host_table, toml_table
from tests.helpers import race_workers
from tests.waiting import wait_until

pytestmark = pytest.mark.integration

BIN = Path(sys.executable).parent / "cosmos-tui"
GONE = {"transport": "ssh", "hostname": "127.0.0.1", "port": 1, "remote_dir": "/x", "runtime": "process"}


def pool_config(
    tmp_path: Path, *, default: str = "lab", gone: int = 0, speed: str = "0.003", **extra: object
) -> Path:
    """Two simulated hosts on this machine (``a``, ``b``) and ``gone`` unreachable ones, pool ``lab`` of
    them all, and pool ``dead`` of the unreachable ones."""
    folder = tmp_path / "project"
    folder.mkdir(exist_ok=True)
    body = f'default_host = "{default}"\n[paths]\noutputs = "outputs"\ndatabase = "outputs/cosmos.db"\n'
    names = []
    for index in range(gone):
        body += toml_table(f"hosts.gone{index}", GONE)
        names.append(f"gone{index}")
    for name in ("a", "b"):
        body += local_host_table(name, tmp_path / f"remote-{name}", speed=speed, **extra)
        names.append(name)
    body += toml_table("pools.lab", {"hosts": names})
    if gone:
        body += toml_table("pools.dead", {"hosts": names[:gone]})
    path = folder / "config.toml"
    path.write_text(body)
    return path


def cli(config: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COSMOS_TUI_CONFIG": str(config)}
    return subprocess.run([BIN, *args], env=env, capture_output=True, text=True, timeout=timeout)


def busy_by_host(db_path: Path) -> dict[str, int]:
    """Slots held on each host right now, read from the database file as another process would."""
    import sqlite3

    with sqlite3.connect(db_path, timeout=30) as db:
        rows = db.execute(
            "SELECT host, COUNT(DISTINCT COALESCE(batch_id, id)) FROM run WHERE status IN "
            f"({','.join('?' * len(RunStatus.BUSY))}) GROUP BY host",
            [str(s) for s in RunStatus.BUSY],
        ).fetchall()
    return dict(rows)


def test_twelve_pool_runs_and_two_racing_workers_run_each_once_within_every_hosts_slots(
    tmp_path: Path,
) -> None:
    # Two runs at once on one simulated GPU: give it the memory for both, or the second process's
    # pre-flight check would (rightly) refuse a run the GPU cannot hold next to the first.
    config = pool_config(tmp_path, max_concurrent=2, max_batch=1, env={"COSMOS_SIM_GPU_MEMORY_MIB": "200000"})
    env = {**os.environ, "COSMOS_TUI_CONFIG": str(config)}
    with CosmosAPI(load(config)) as api:
        prompt = api.create_prompt("race over a pool", DEMO)
        run_ids = api.run_inference([prompt.prompt_id] * 12)
        db_path = api.config.paths.database
        queued = [api.get_run(r) for r in run_ids]
    assert {(r.host, r.pool) for r in queued} == {("", "lab")}  # placed when claimed, not now
    assert all("num_gpu" not in r.config for r in queued)  # taken from the host it lands on
    most: dict[str, int] = {}
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(0.02):
            for host, busy in busy_by_host(db_path).items():
                most[host] = max(most.get(host, 0), busy)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    race_workers(env)
    stop.set()
    watcher.join()
    log = (Path(os.environ["XDG_STATE_HOME"]) / "cosmos-tui" / "log" / "cosmos-tui.log").read_text()
    with CosmosAPI(load(config)) as api:
        runs = [api.get_run(r) for r in run_ids]
    for run in runs:
        assert run.status == "completed", (run.run_id, run.error_message)
        assert run.host in ("a", "b") and run.pool == "lab"
        assert run.config["num_gpu"] == 1
        assert log.count(f"claimed {run.run_id} ") == 1  # claimed by one process, once
        assert Path(run.log_path).read_text().count("Saved prompt to") == 1  # generated once
        # Its run folder exists on the host it was placed on, and on no other.
        there = [h for h in ("a", "b") if any((tmp_path / f"remote-{h}").rglob(f"*{run.run_id}*"))]
        assert there == [run.host]
    assert {r.host for r in runs} == {"a", "b"}  # fewest busy first: both hosts worked
    assert most and max(most.values()) <= 2, most  # never more than max_concurrent on a host
    assert set(most) <= {"a", "b"}


def test_an_unreachable_host_is_passed_over_and_its_pool_runs_never_fail(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = pool_config(tmp_path, gone=1)
    with CosmosAPI(load(config)) as api:
        prompt = api.create_prompt("over the gone host", DEMO)
        run_ids = api.run_inference([prompt.prompt_id] * 3)
        with caplog.at_level(logging.WARNING, logger="cosmos_tui"):
            assert api.execute(run_ids, timeout=180)
        runs = [api.get_run(r) for r in run_ids]
        assert "Connection refused" in (api.engine().down_reason("gone0") or "")
    assert [r.status for r in runs] == ["completed"] * 3, [(r.error_class, r.error_message) for r in runs]
    assert {r.host for r in runs} <= {"a", "b"}
    assert "host gone0 cannot be reached; its pools' runs go to other hosts" in caplog.text


def test_runs_of_a_pool_no_host_of_which_answers_wait_and_say_why(tmp_path: Path) -> None:
    config = pool_config(tmp_path, gone=2, default="dead")
    refused = cli(config, "--run", cli(config, "prompt", "add", "nowhere", str(DEMO)).stdout.strip())
    assert refused.returncode == 3
    assert "no host of pool dead can be reached (gone0: " in refused.stderr and "gone1: " in refused.stderr
    with CosmosAPI(load(config)) as api:
        prompt = api.create_prompt("waits", DEMO)
        [run_id] = api.run_inference([prompt.prompt_id])
        api.start_execution()
        try:
            run = wait_until(
                lambda: (r := api.get_run(run_id)).note and "no host of pool dead" in r.note and r, timeout=60
            )
        finally:
            api.stop_execution()
        assert run.status == "queued" and run.host == "" and run.error_class is None
        assert run.note.startswith("waiting: no host of pool dead can be reached (gone0: ")
    shown = cli(config, "run", "show", run_id)
    assert "note" in shown.stdout and "no host of pool dead can be reached" in shown.stdout
    assert "dead (pool)" in shown.stdout


def test_a_pool_as_default_host_runs_from_the_command_line_and_shows_where_it_ran(tmp_path: Path) -> None:
    config = pool_config(tmp_path)
    prompt_id = cli(config, "prompt", "add", "cli pool", str(DEMO)).stdout.strip()
    done = cli(config, "--run", prompt_id, "--json")
    assert done.returncode == 0, done.stderr
    assert "on pool lab (a, b)" in done.stderr
    [run] = json.loads(done.stdout)
    assert run["status"] == "completed" and run["pool"] == "lab" and run["host"] in ("a", "b")
    shown = cli(config, "run", "show", run["run_id"])
    assert f"{run['host']} (simulated) · lab" in shown.stdout
    listed = cli(config, "run", "list")
    assert f"{run['host']} (simulated) · lab" in listed.stdout
    # Its re-run goes to the pool again, without what it took from the host it ran on.
    with CosmosAPI(load(config)) as api:
        again = api.get_run(api.rerun(run["run_id"]))
    assert (again.host, again.pool, again.status) == ("", "lab", "queued")
    assert "num_gpu" not in again.config


def test_a_pool_places_a_task_only_on_a_host_whose_family_runs_it(tmp_path: Path) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    body = 'default_host = "mixed"\n[paths]\noutputs = "outputs"\ndatabase = "outputs/cosmos.db"\n'
    body += local_host_table("t1", tmp_path / "remote-t1")
    body += local_host_table(
        "c3", tmp_path / "remote-c3", model="cosmos3", env={"HF_TOKEN": "hf_simulated", "HF_HOME": ".hf-home"}
    )
    body += toml_table("pools.mixed", {"hosts": ["t1", "c3"]})
    body += toml_table("pools.c3only", {"hosts": ["c3"]})
    config = folder / "config.toml"
    config.write_text(body)
    with CosmosAPI(load(config)) as api:
        prompt = api.create_prompt("what happens next", DEMO / "color.mp4")
        [run_id] = api.run_inference([prompt.prompt_id], model_type="predict")
        queued = api.get_run(run_id)
        assert queued.pool == "mixed" and queued.host == ""
        assert api.execute([run_id], timeout=180)
        run = api.get_run(run_id)
        assert run.status == "completed", (run.error_class, run.error_message)
        assert (run.host, run.family) == ("c3", "cosmos3")
        with pytest.raises(
            UsageError, match=r"no host of pool c3only runs upscale runs \(c3\); run it on t1\."
        ):
            api.run_inference([prompt.prompt_id], host="c3only", model_type="upscale")


def test_the_claim_never_reads_a_stale_host_for_a_pool_run(tmp_path: Path) -> None:
    """A pool run stepped back to its pool (its host could not be reached) loses its host and the
    options it took from it, so the next claim places it afresh."""
    config = pool_config(tmp_path)
    with CosmosAPI(load(config)) as api:
        prompt = api.create_prompt("step back", DEMO)
        [run_id] = api.run_inference([prompt.prompt_id])
        from cosmos_tui.store import lifecycle

        engine = api.engine()
        placement = engine.placement("a")
        assert placement is not None
        claimed, _ = lifecycle.claim_group(api.store.db, "a", 1, "me", engine.now(), placement=placement)
        assert claimed == [run_id]
        row = Run.get_by_id(run_id)
        assert row.host == "a" and row.config["num_gpu"] == 1 and row.config["_placed"] == ["num_gpu"]
        assert lifecycle.requeue(api.store.db, run_id, engine.now(), "back")
        row = Run.get_by_id(run_id)
        assert row.host == "" and row.pool == "lab" and "num_gpu" not in row.config


async def test_the_runs_table_shows_where_a_pool_run_was_placed_and_the_run_view_why_one_waits(
    tmp_path: Path,
) -> None:
    from textual.widgets import Static

    from cosmos_tui.tui.app import CosmosApp
    from tests.helpers import add_run
    from tests.test_tui import screen_text
    from tests.waiting import pilot_wait_until

    config = pool_config(tmp_path)
    with CosmosAPI(load(config)) as api:
        prompt = api.create_prompt("placed", DEMO)
        placed = add_run(api, prompt.prompt_id, "running", host="a", pool="lab", stage="diffusion")
        waiting = add_run(
            api,
            prompt.prompt_id,
            "queued",
            host="",
            pool="lab",
            error_message="waiting: no host of pool lab can be reached (a: down; b: down).",
        )
        app = CosmosApp(api, start_engine=False)
        async with app.run_test(size=(140, 40)) as pilot:
            await pilot.press("2")
            await pilot_wait_until(pilot, lambda: waiting.run_id in screen_text(app))
            rows = {line for line in screen_text(app).splitlines() if "rs_" in line}
            assert any(placed.run_id in row and "a (simulated) · lab" in row for row in rows), rows
            assert any(waiting.run_id in row and "lab (pool)" in row and "waiting" in row for row in rows), (
                rows
            )
        app = CosmosApp(api, start_engine=False, open_log=waiting.run_id)
        async with app.run_test(size=(140, 40)) as pilot:
            error = app.screen.query_one("#log-error", Static)
            await pilot_wait_until(pilot, lambda: "no host of pool lab can be reached" in str(error.render()))
