"""`host clean` and keep_runs_days: finished runs' folders and unneeded inputs leave the host's
disk; unfinished runs, their inputs, unknown folders and everything outside remote_dir/.cosmos-tui/
stay. Against the real sshd + dockerd and locally; the pure planning is in tests/unit/test_cleanup_plan.py."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cosmos_tui.api import CosmosAPI
from cosmos_tui.config import load
from cosmos_tui.engine import cleanup
from cosmos_tui.remote import docker
from cosmos_tui.store import lifecycle
from tests.conftest import DEMO
from tests.harness import Harness, local_host_table
from tests.helpers import add_run

BIN = Path(sys.executable).parent / "cosmos-tui"
UNNEEDED = "a" * 64 + ".mp4"
REFERENCED = "b" * 64 + ".mp4"


# -- against real hosts -------------------------------------------------------------------------------


def make_api(tmp_path: Path, harness: Harness, host: str, **extra: object) -> CosmosAPI:
    folder = tmp_path / "project"
    folder.mkdir(exist_ok=True)
    body = f'default_host = "{host}"\n[paths]\noutputs = "outputs"\ndatabase = "outputs/cosmos.db"\n'
    body += harness.host_table("test", remote_dir=tmp_path / "remote-ssh", speed="0.002", **extra)
    body += local_host_table("local", tmp_path / "remote-local", speed="0.002", **extra)
    (folder / "config.toml").write_text(body)
    return CosmosAPI(load(folder / "config.toml"))


@pytest.fixture(params=["test", "local"])
def host_name(request) -> str:
    return request.param


def run_one(api: CosmosAPI, prompt_id: str) -> str:
    [run_id] = api.run_inference([prompt_id])
    assert api.execute([run_id], timeout=120)
    assert api.get_run(run_id).status == "completed"
    return run_id


def tree(root: Path) -> dict[str, bytes | str]:
    """Every path under root with its content (files) or link target (symlinks)."""
    found: dict[str, bytes | str] = {}
    for path in sorted(root.rglob("*")):
        key = str(path.relative_to(root))
        if path.is_symlink():
            found[key] = "-> " + str(path.readlink())
        elif path.is_file():
            found[key] = path.read_bytes()
        else:
            found[key] = "dir"
    return found


def age(path: Path, seconds_ago: float) -> None:
    stamp = time.time() - seconds_ago
    os.utime(path, (stamp, stamp), follow_symlinks=False)


@pytest.mark.integration
def test_clean_removes_only_finished_runs_and_unneeded_inputs(
    tmp_path: Path, harness: Harness, host_name: str
) -> None:
    remote = tmp_path / ("remote-ssh" if host_name == "test" else "remote-local")
    with make_api(tmp_path, harness, host_name, keep_runs_days=0) as api:
        prompt = api.create_prompt("A lighthouse in fog", DEMO)
        done = run_one(api, prompt.prompt_id)
        linked = run_one(api, prompt.prompt_id)
        [queued] = api.run_inference([prompt.prompt_id])  # not executed: needs the demo inputs
        state = remote / ".cosmos-tui"
        runs, inputs = state / "runs", state / "inputs"
        assert (runs / done / cleanup.MARKER).is_file()  # written after collection, even with 0 days

        # A folder of an unfinished run; folders of runs this database does not know.
        (runs / queued / "output").mkdir(parents=True)
        unknown = runs / "rs_0000000000aa"
        unknown.mkdir()
        spec = {"input_video_path": f".cosmos-tui/inputs/{REFERENCED}"}
        (unknown / "spec.json").write_text(json.dumps(spec))
        forgotten = runs / "rs_0000000000bb"  # e.g. its prompt was deleted with --force
        (forgotten / "output").mkdir(parents=True)
        (forgotten / "output" / "output.mp4").write_bytes(b"x" * 5000)
        (forgotten / cleanup.MARKER).touch()
        age(forgotten / cleanup.MARKER, 3600)
        # Inputs: one nobody needs, one a remaining spec names, an upload in progress.
        (inputs / UNNEEDED).write_bytes(b"u" * 3000)
        (inputs / REFERENCED).write_bytes(b"r" * 10)
        (inputs / (UNNEEDED + ".part-1234")).write_bytes(b"p")
        for path in inputs.iterdir():
            age(path, 2 * 3600)
        # Path tricks: a finished run's folder swapped for a symlink to precious files; odd names.
        outside = tmp_path / "precious"
        (runs / linked).rename(outside)
        (runs / linked).symlink_to(outside)
        (runs / "notes").mkdir()
        (remote / "keep.txt").write_text("mine")

        before = tree(remote)
        dry = api.clean_host(host_name, dry_run=True)
        assert tree(remote) == before  # a dry run removes nothing
        report = api.clean_host(host_name)

        assert dry.to_json() == {**report.to_json(), "dry_run": True}
        assert report.runs_removed == sorted([done, forgotten.name])
        assert report.inputs_removed == [UNNEEDED]
        assert report.inputs_removed_bytes == 3000 and report.runs_removed_bytes >= 5000
        assert report.freed_bytes == report.runs_removed_bytes + report.inputs_removed_bytes
        assert report.kept_unfinished == [queued] and report.kept_unknown == [unknown.name]
        assert report.errors == []
        after = tree(remote)
        gone = {k for k in before if k not in after}
        assert gone and all(
            k.startswith((f".cosmos-tui/runs/{done}", f".cosmos-tui/runs/{forgotten.name}"))
            or k == f".cosmos-tui/inputs/{UNNEEDED}"
            for k in gone
        ), gone
        assert all(after[k] == before[k] for k in after)
        assert (outside / "spec.json").is_file() and (remote / "keep.txt").read_text() == "mine"
        demo_inputs = [k for k in after if k.startswith(".cosmos-tui/inputs/") and "part" not in k]
        assert len(demo_inputs) >= 2  # the queued run's inputs (and the referenced one) stay

        again = api.clean_host(host_name)
        assert again.runs_removed == [] and again.inputs_removed == [] and again.freed_bytes == 0


@pytest.mark.integration
def test_older_than_keeps_runs_that_finished_recently(tmp_path: Path, harness: Harness) -> None:
    with make_api(tmp_path, harness, "local", keep_runs_days=0) as api:
        prompt = api.create_prompt("A lighthouse in fog", DEMO)
        old, new = run_one(api, prompt.prompt_id), run_one(api, prompt.prompt_id)
        ten_days_ago = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=10)
        lifecycle.update(api.store.db, old, finished_at=ten_days_ago)
        report = api.clean_host("local", older_than_days=5)
        assert report.runs_removed == [old] and report.kept_recent == [new]
        runs = tmp_path / "remote-local" / ".cosmos-tui" / "runs"
        assert not (runs / old).exists() and (runs / new).is_dir()


@pytest.mark.integration
def test_keep_runs_days_is_applied_after_each_collection(
    tmp_path: Path, harness: Harness, host_name: str
) -> None:
    remote = tmp_path / ("remote-ssh" if host_name == "test" else "remote-local")
    runs = remote / ".cosmos-tui" / "runs"
    with make_api(tmp_path, harness, host_name, keep_runs_days=2) as api:
        prompt = api.create_prompt("A lighthouse in fog", DEMO)
        now = datetime.now(UTC)
        naive = now.replace(tzinfo=None)
        stale = add_run(api, prompt.prompt_id, host=host_name, finished_at=naive - timedelta(days=3))
        fresh = add_run(api, prompt.prompt_id, host=host_name, finished_at=naive - timedelta(days=1))
        for run in (stale, fresh):
            (runs / run.run_id / "output").mkdir(parents=True)
            (runs / run.run_id / "output" / "output.mp4").write_bytes(b"v")
        new = run_one(api, prompt.prompt_id)
        assert not (runs / stale.run_id).exists()
        assert (runs / fresh.run_id / "output" / "output.mp4").is_file()
        assert (runs / new / cleanup.MARKER).is_file()


@pytest.mark.integration
def test_leftover_containers_of_finished_runs(tmp_path: Path, harness: Harness) -> None:
    runs = tmp_path / "remote-ssh" / ".cosmos-tui" / "runs"
    with make_api(tmp_path, harness, "test", keep_runs_days=0) as api:
        prompt = api.create_prompt("A lighthouse in fog", DEMO)
        stopped, live = run_one(api, prompt.prompt_id), run_one(api, prompt.prompt_id)
        image = api.config.hosts["test"].image
        label = f"{docker.LABEL}="
        harness.dockerd.docker(
            "create", "--name", f"cosmos-{stopped}", "--label", label + stopped, image, "true"
        )
        harness.dockerd.docker(
            "run", "-d", "--name", f"cosmos-{live}", "--label", label + live, image, "sleep", "120"
        )
        try:
            report = api.clean_host("test")
            assert report.runs_removed == [stopped] and report.kept_running == [live]
            assert not (runs / stopped).exists() and (runs / live).is_dir()
            assert harness.dockerd.our_containers() == [f"cosmos-{live}"]
        finally:
            harness.dockerd.docker("rm", "-f", f"cosmos-{live}", check=False)


@pytest.mark.integration
def test_docker_empties_a_folder_the_user_cannot(tmp_path: Path, harness: Harness) -> None:
    """The fallback for root-owned files: the host's docker empties only the run folder given."""
    with make_api(tmp_path, harness, "test") as api:
        session = api.engine().hosts.get("test")
        folder = tmp_path / "remote-ssh" / ".cosmos-tui" / "runs" / "rs_0123456789ab"
        (folder / "output" / "video_0").mkdir(parents=True)
        (folder / "output" / "video_0" / "output.mp4").write_bytes(b"v")
        (folder / "link").symlink_to(tmp_path / "project")
        argv = docker.wipe_argv(session.host.docker, session.host.image, str(folder))
        assert session.transport.run(shlex.join(argv)).ok
        assert folder.is_dir() and list(folder.iterdir()) == []
        assert (tmp_path / "project" / "config.toml").is_file()


@pytest.mark.integration
def test_cli_host_clean_json_and_unreachable_host(tmp_path: Path, harness: Harness) -> None:
    folder = tmp_path / "cli"
    folder.mkdir()
    config = folder / "config.toml"
    config.write_text(
        '[paths]\noutputs = "outputs"\ndatabase = "outputs/cosmos.db"\n'
        + harness.host_table("test", remote_dir=tmp_path / "remote-ssh")
        + harness.host_table("down", remote_dir=tmp_path / "remote-down", port=1)
    )
    env = {**os.environ, "COSMOS_TUI_CONFIG": str(config)}
    result = subprocess.run(
        [BIN, "host", "clean", "test", "--dry-run", "--json", "--older-than", "3"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["host"] == "test" and data["dry_run"] is True and data["older_than_days"] == 3.0
    assert set(data) >= {"freed_bytes", "runs_removed", "inputs_removed", "runs_kept", "inputs_kept"}
    assert data["errors"] == []
    plain = subprocess.run(
        [BIN, "host", "clean", "test"], env=env, capture_output=True, text=True, timeout=60
    )
    assert plain.returncode == 0 and plain.stdout.startswith("host test: removed 0 run folder(s)")
    down = subprocess.run([BIN, "host", "clean", "down"], env=env, capture_output=True, text=True, timeout=60)
    assert down.returncode == 3
    assert down.stderr.startswith("cosmos-tui: error: cannot connect to host down")
    assert down.stderr.count("\n") == 1 and "Traceback" not in down.stderr
    bad = subprocess.run(
        [BIN, "host", "clean", "test", "--older-than", "-1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "--older-than" in bad.stderr


@pytest.mark.integration
def test_stale_upload_parts_go_when_the_host_is_next_used_and_in_host_clean(
    tmp_path: Path, harness: Harness, host_name: str
) -> None:
    remote = tmp_path / ("remote-ssh" if host_name == "test" else "remote-local")
    inputs = remote / ".cosmos-tui" / "inputs"
    inputs.mkdir(parents=True)
    stale, fresh = inputs / f"{'a' * 64}.mp4.part-1a2b3c4d", inputs / f"{'b' * 64}.mp4.part-5e6f7a8b"
    for part in (stale, fresh):
        part.write_bytes(b"half an upload")
    age(stale, 2 * 86400)  # a killed upload two days ago; `fresh` may be one going on now
    with make_api(tmp_path, harness, host_name, keep_runs_days=0) as api:
        run_one(api, api.create_prompt("A lighthouse in fog", DEMO).prompt_id)
        assert not stale.exists() and fresh.exists()
        age(fresh, 2 * 86400)
        assert api.clean_host(host_name, dry_run=True).stale_uploads_removed == 1 and fresh.exists()
        assert api.clean_host(host_name).stale_uploads_removed == 1
        assert not fresh.exists()


@pytest.mark.integration
def test_a_batch_folder_goes_once_every_run_of_it_is_finished(
    tmp_path: Path, harness: Harness, host_name: str
) -> None:
    remote = tmp_path / ("remote-ssh" if host_name == "test" else "remote-local")
    runs = remote / ".cosmos-tui" / "runs"
    with make_api(tmp_path, harness, host_name, keep_runs_days=0) as api:
        prompts = [api.create_prompt(text, DEMO).prompt_id for text in ("one", "two")]
        run_ids = api.run_inference(prompts, batch=True)
        assert api.execute(run_ids, timeout=120)
        batch_id = api.get_run(run_ids[0]).batch_id
        assert batch_id and (runs / batch_id / "output" / "video_1" / "output.mp4").is_file()
        assert (runs / batch_id / cleanup.MARKER).is_file()  # marked once collected, like a run's

        # A batch whose runs are not all finished keeps its folder.
        busy = "bs_0000000000cc"
        (runs / busy / "output").mkdir(parents=True)
        queued = api.run_inference(prompts[:1])[0]
        lifecycle.update(api.store.db, queued, batch_id=busy)

        report = api.clean_host(host_name)
        assert batch_id in report.runs_removed and not (runs / batch_id).exists()
        assert busy in report.kept_unfinished and (runs / busy).is_dir()
