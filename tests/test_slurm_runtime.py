"""The Slurm runtime against a real one-node cluster (munged, slurmctld, slurmd on 127.0.0.1): each
run a batch job of the simulated model, over the local transport and over SSH to the login node."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from cosmos_tui.api import CosmosAPI
from cosmos_tui.config import load
from cosmos_tui.remote import slurm as slurm_text
from tests.conftest import DEMO
from tests.harness import Harness, local_host_table
from tests.helpers import cut_ssh_links
from tests.waiting import wait_until

pytestmark = pytest.mark.integration

BIN = Path(sys.executable).parent / "cosmos-tui"


def slurm_config(
    tmp_path: Path, slurm, harness: Harness | None = None, speed: str = "0.002", **extra
) -> Path:
    """Host ``cluster``: the Slurm runtime over the local transport (the login node is this machine);
    with ``harness``, host ``login``: the same cluster over SSH to 127.0.0.1."""
    folder = tmp_path / "project"
    folder.mkdir(exist_ok=True)
    body = 'default_host = "cluster"\n[paths]\noutputs = "outputs"\ndatabase = "outputs/cosmos.db"\n'
    settings = {"runtime": "slurm", "slurm_gres": "gpu:1", "slurm_partition": slurm.partition, **extra}
    body += local_host_table("cluster", tmp_path / "remote-slurm", speed=speed, env=slurm.env, **settings)
    if harness is not None:
        body += harness.host_table(
            "login", remote_dir=tmp_path / "remote-login", speed=speed, env=slurm.env, image="", **settings
        )
    path = folder / "config.toml"
    path.write_text(body)
    return path


@pytest.fixture
def slurm_api(tmp_path: Path, slurm):
    made: list[CosmosAPI] = []

    def build(harness: Harness | None = None, **extra) -> CosmosAPI:
        api = CosmosAPI(load(slurm_config(tmp_path, slurm, harness, **extra)))
        made.append(api)
        return api

    yield build
    for api in made:
        api.close()


def occupy_gpus(slurm, count: int = 2) -> str:
    """A job of our own holding the node's GPUs, so the next one waits for Resources."""
    out = slurm.run(
        "sbatch", "--parsable", f"--gres=gpu:{count}", "--output=/dev/null", "--wrap", "sleep 300"
    )
    job = out.stdout.strip().split(";")[0]
    wait_until(lambda: slurm.job_state(job)[0] == "RUNNING", timeout=30, message="the blocking job to run")
    return job


@pytest.mark.parametrize("host", ["cluster", "login"])
def test_a_slurm_run_completes_with_its_outputs_and_job(
    slurm_api, slurm, harness: Harness, host: str
) -> None:
    api = slurm_api(harness)
    prompt = api.create_prompt("A lighthouse in fog", DEMO)
    [run_id] = api.run_inference([prompt.prompt_id], host=host)
    assert api.execute([run_id], timeout=180)
    run = api.get_run(run_id)
    assert run.status == "completed", (run.error_class, run.error_message)
    assert run.handle and run.handle.isdigit()  # the Slurm job ID
    folder = api.run_dir(run_id)
    assert (folder / "output.mp4").stat().st_size > 0
    log = (folder / "run.log").read_text()
    assert log.count("Saved video to") == 1
    shown = slurm.show_job(run.handle)
    assert shown["JobName"] == f"cosmos-{run_id}" and shown["JobState"] == "COMPLETED"
    assert shown.get("Comment") == f"cosmos-{run_id}"
    remote = Path(run.remote_dir or "")
    assert (remote / "job.sh").stat().st_mode & 0o077 == 0  # the model's environment is not for others
    assert (folder / "run.log").read_bytes() == (remote / "run.log").read_bytes()


def test_a_pending_job_is_starting_with_slurms_reason_and_cancels_at_once(slurm_api, slurm) -> None:
    api = slurm_api()
    blocker = occupy_gpus(slurm)
    try:
        prompt = api.create_prompt("waits for a GPU", DEMO)
        [run_id] = api.run_inference([prompt.prompt_id])
        api.start_execution()
        run = wait_until(
            lambda: (r := api.get_run(run_id)).note and "Resources" in r.note and r,
            timeout=60,
            message="the run to show Slurm's reason",
        )
        assert run.status == "starting" and run.handle and run.stage == "queued"
        assert run.note == "waiting in Slurm's queue: Resources."
        shown = subprocess.run(
            [BIN, "run", "show", run_id], env={**os.environ, "COSMOS_TUI_CONFIG": str(api.config.source)},
            capture_output=True, text=True,
        )  # fmt: skip
        assert "note" in shown.stdout and "waiting in Slurm's queue: Resources." in shown.stdout
        api.cancel_run(run_id)
        run = wait_until(lambda: (r := api.get_run(run_id)).is_terminal and r, timeout=60)
        assert (run.status, run.error_class) == ("cancelled", "cancelled")
        assert "waited in Slurm's queue" in (run.error_message or "")
        assert slurm.job_state(run.handle)[0] == "CANCELLED"
    finally:
        api.stop_execution()
        slurm.run("scancel", blocker, check=False)


def test_a_running_job_is_cancelled_with_sigterm_first(slurm_api, slurm) -> None:
    api = slurm_api(speed="0.05")
    prompt = api.create_prompt("stop me [sim:hang]", DEMO)
    [run_id] = api.run_inference([prompt.prompt_id])
    worker = threading.Thread(target=api.execute, args=([run_id],), kwargs={"timeout": 120}, daemon=True)
    worker.start()
    wait_until(lambda: api.get_run(run_id).status == "running", timeout=60)
    wait_until(lambda: api.run_dir(run_id).joinpath("run.log").exists(), timeout=30)
    api.cancel_run(run_id)
    worker.join(120)
    run = api.get_run(run_id)
    assert (run.status, run.error_class) == ("cancelled", "cancelled")
    # The job script passed SIGTERM on to the model, which ended: an exit code, not Slurm's kill.
    remote = Path(run.remote_dir or "")
    assert (remote / "exit_code").exists(), (remote / "run.log").read_text()[-2000:]
    assert run.handle and slurm.job_state(run.handle)[0] in ("COMPLETED", "FAILED", "CANCELLED")


def test_a_job_slurm_ends_at_its_time_limit_fails_with_its_own_class(slurm_api, slurm) -> None:
    api = slurm_api(speed="0.05", slurm_time="00:05:00")
    prompt = api.create_prompt("too long [sim:hang]", DEMO)
    [run_id] = api.run_inference([prompt.prompt_id])
    worker = threading.Thread(target=api.execute, args=([run_id],), kwargs={"timeout": 150}, daemon=True)
    worker.start()
    run = wait_until(lambda: (r := api.get_run(run_id)).status == "running" and r, timeout=60)
    slurm.run("scontrol", "update", f"JobId={run.handle}", "TimeLimit=0")  # checked every 30 s
    worker.join(150)
    run = api.get_run(run_id)
    assert (run.status, run.error_class) == ("failed", "time_limit"), run.error_message
    assert run.error_message == (
        "Slurm ended the job at its time limit (slurm_time = 00:05:00); raise slurm_time for host cluster "
        "and run it again."
    )
    assert "DUE TO TIME LIMIT" in api.run_dir(run_id).joinpath("run.log").read_text()


def test_a_killed_cosmos_tui_re_attaches_to_its_slurm_job(tmp_path: Path, slurm) -> None:
    config = slurm_config(tmp_path, slurm, speed="0.01")
    env = {**os.environ, "COSMOS_TUI_CONFIG": str(config)}
    with CosmosAPI(load(config)) as api:
        prompt_id = api.create_prompt("re-attach", DEMO).prompt_id
        first = subprocess.Popen([BIN, "--run", prompt_id], env=env, stderr=subprocess.DEVNULL)
        run = wait_until(lambda: (r := api.list_runs()) and r[0].status == "running" and r[0], timeout=60)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    second = subprocess.run(
        [BIN, "run", "wait", run.run_id, "--json"], env=env, capture_output=True, text=True, timeout=180
    )
    assert second.returncode == 0, second.stderr
    data = json.loads(second.stdout)
    assert data["status"] == "completed" and data["handle"] == run.handle
    log = Path(data["log_path"]).read_text()
    assert log.count("Saved video to") == 1  # one job, followed to its end once
    assert log.count("Start creating base model") == 1
    assert slurm.run(
        "squeue", "-h", "-t", "all", "-n", f"cosmos-{run.run_id}", "-o", "%i"
    ).stdout.split() == [run.handle]


def test_the_gpu_status_of_a_slurm_host_is_its_nodes_allocation(slurm_api, slurm) -> None:
    api = slurm_api()
    blocker = occupy_gpus(slurm, 1)
    try:
        status = api.host_status("cluster")
    finally:
        slurm.run("scancel", blocker, check=False)
    assert status.reachable and not status.gpus
    [node] = status.nodes
    assert (node.name, node.gpus_total, node.gpus_allocated) == (slurm.node, 2, 1)
    check = api.check_host("cluster")
    states = {item.name: item.state for item in check.items}
    assert states["runtime"] == "ok" and states["gpus"] == "ok", check.items


def test_cut_ssh_links_to_the_login_node_lose_and_duplicate_no_log_line(
    slurm_api, harness: Harness, tmp_path: Path
) -> None:
    api = slurm_api(harness, speed="0.02")
    prompt = api.create_prompt("flooding [sim:flood=3000]", DEMO)
    [run_id] = api.run_inference([prompt.prompt_id], host="login")
    worker = threading.Thread(target=api.execute, args=([run_id],), kwargs={"timeout": 180}, daemon=True)
    worker.start()
    wait_until(lambda: api.get_run(run_id).status == "running", interval=0.02, timeout=60)
    cuts = cut_ssh_links(harness.sshd, worker)  # the login node's side of our connection dies
    worker.join(180)
    expected = (tmp_path / "remote-login" / ".cosmos-tui" / "runs" / run_id / "run.log").read_bytes()
    run = api.get_run(run_id)
    assert cuts >= 3
    assert run.status == "completed", (run.error_class, run.error_message)
    local = Path(run.log_path).read_bytes()
    assert local == expected  # byte for byte: nothing lost, nothing twice
    assert len(local.splitlines()) > 2000
    assert api.engine().hosts.get("login").transport.reconnects > 1


def test_a_batch_is_one_slurm_job(slurm_api, slurm) -> None:
    api = slurm_api()
    prompts = [api.create_prompt(f"batch {i}", DEMO).prompt_id for i in range(3)]
    run_ids = api.run_inference(prompts, batch=True)
    assert api.execute(run_ids, timeout=180)
    runs = [api.get_run(r) for r in run_ids]
    assert [r.status for r in runs] == ["completed"] * 3, [(r.error_class, r.error_message) for r in runs]
    assert len({r.handle for r in runs}) == 1 and runs[0].handle
    assert slurm.show_job(runs[0].handle)["JobName"] == f"cosmos-{runs[0].batch_id}"


def test_the_job_script_passes_sigterm_to_the_model_and_keeps_its_exit_code(tmp_path) -> None:
    """The job script alone, run with sh: a SIGTERM to it reaches the model, whose exit code is written."""
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    model = "sh -c 'trap \"echo got TERM; exit 7\" TERM; echo started; while :; do sleep 0.05; done'"
    text = slurm_text.script(str(run_dir), str(tmp_path), model, {"GREETING": "it's $(touch /tmp/pwned)"})
    script = run_dir / "job.sh"
    script.write_text(text)
    job = subprocess.Popen(["sh", str(script)], stdout=subprocess.PIPE, text=True)
    assert job.stdout is not None and job.stdout.readline() == "started\n"
    job.terminate()
    out, _ = job.communicate(timeout=10)
    assert "got TERM" in out
    assert job.returncode == 7 and (run_dir / "exit_code").read_text().strip() == "7"
    assert not (tmp_path / "pwned").exists()


def test_a_pool_of_a_slurm_host_and_a_plain_host_places_runs_on_both(tmp_path: Path, slurm) -> None:
    config = slurm_config(tmp_path, slurm, speed="0.01", max_concurrent=2)
    body = config.read_text().replace('default_host = "cluster"', 'default_host = "mixed"')
    body += local_host_table("plain", tmp_path / "remote-plain", speed="0.01")
    body += '[pools.mixed]\nhosts = ["cluster", "plain"]\n'
    config.write_text(body)
    with CosmosAPI(load(config)) as api:
        prompt = api.create_prompt("anywhere", DEMO)
        run_ids = api.run_inference([prompt.prompt_id] * 6)
        assert api.execute(run_ids, timeout=240)
        runs = [api.get_run(r) for r in run_ids]
    assert [r.status for r in runs] == ["completed"] * 6, [(r.error_class, r.error_message) for r in runs]
    assert {r.host for r in runs} == {"cluster", "plain"}
    for run in runs:
        assert run.handle and (run.handle.isdigit() if run.host == "cluster" else True)


def test_a_job_is_found_again_by_its_name_when_its_id_file_is_lost(slurm_api, slurm) -> None:
    from cosmos_tui.engine.runtime import SlurmRuntime

    api = slurm_api()
    session = api.engine().hosts.get("cluster")
    runtime = SlurmRuntime(session)
    job = runtime.start("rs_findme000001", "sleep 30")
    try:
        Path(session.abs(session.run_rel("rs_findme000001")), "job_id").unlink()
        assert runtime.find("rs_findme000001") == job  # by its name, cosmos-rs_findme000001
        assert runtime.find("rs_nosuchrun0001") is None
    finally:
        slurm.run("scancel", job, check=False)
