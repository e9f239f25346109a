"""The run engine against the real daemons (sshd + dockerd + sim image) and on the local host:
completion, every injected failure, cancel, cut SSH links, a killed executor, racing processes,
host keys and keys, and prompt text that must execute nothing."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from cosmos_tui.api import CosmosAPI
from cosmos_tui.config import load
from cosmos_tui.records import RunRecord
from tests.conftest import DEMO
from tests.harness import Harness, local_host_table
from tests.helpers import cut_ssh_links, race_workers
from tests.waiting import wait_until

pytestmark = pytest.mark.integration

BIN = Path(sys.executable).parent / "cosmos-tui"
NASTY = 'It\'s "quoted" $(touch /tmp/pwned) `touch /tmp/pwned2` ünïcödé 日本\nsecond line; rm -rf ~'


def make_config(
    tmp_path: Path, harness: Harness | None, *, speed: str = "0.002", host: str = "test", **extra: object
) -> Path:
    folder = tmp_path / "project"
    folder.mkdir(exist_ok=True)
    body = f'default_host = "{host}"\n[paths]\noutputs = "outputs"\ndatabase = "outputs/cosmos.db"\n'
    if harness is not None:
        body += harness.host_table("test", remote_dir=tmp_path / "remote-ssh", speed=speed, **extra)
    body += local_host_table("local", tmp_path / "remote-local", speed=speed, **extra)
    path = folder / "config.toml"
    path.write_text(body)
    return path


@pytest.fixture(params=["test", "local"])
def host_name(request) -> str:
    return request.param


@pytest.fixture
def api_for(tmp_path: Path, harness: Harness):
    made: list[CosmosAPI] = []

    def build(host: str, **kwargs: object) -> CosmosAPI:
        api = CosmosAPI(load(make_config(tmp_path, harness, host=host, **kwargs)))
        made.append(api)
        return api

    yield build
    for api in made:
        api.close()


def run_one(api: CosmosAPI, text: str = "A lighthouse in fog", **overrides: object):
    prompt = api.create_prompt(text, DEMO)
    [run_id] = api.run_inference([prompt.prompt_id], overrides or None)
    assert api.execute([run_id], timeout=120)
    return api.get_run(run_id)


def test_a_run_completes_with_outputs_times_and_stage_timings(api_for, host_name: str) -> None:
    api = api_for(host_name)
    run = run_one(api)
    assert run.status == "completed", (run.error_class, run.error_message)
    assert run.exit_code == 0 and run.error_class is None
    assert run.started_at and run.finished_at and run.duration_seconds > 0
    folder = api.run_dir(run.run_id)
    for name in ("output.mp4", "output.txt", "run.log", "spec.json"):
        assert (folder / name).is_file(), name
    assert (folder / "output.mp4").read_bytes() == (DEMO / "color.mp4").read_bytes()
    assert str(folder / "output.mp4") in run.outputs
    stages = [s.stage for s in run.stages]
    assert stages[0] == "load" and "diffusion" in stages and stages[-1] == "save"
    assert all(s.seconds is not None and s.seconds >= 0 for s in run.stages)
    assert "Saved video to" in (folder / "run.log").read_text()
    described = json.loads((folder / "run.json").read_text())  # the folder describes itself
    assert (described["run_id"], described["status"]) == (run.run_id, "completed")
    assert described["host"] == host_name
    assert described["prompt"] == "A lighthouse in fog" and described["negative_prompt"]
    assert described["options"]["num_steps"] == run.config["num_steps"] and "weights" in described["options"]
    video = next(i for i in described["inputs"] if i["role"] == "video")
    assert video["file"] == "color.mp4"
    assert video["sha256"] == hashlib.sha256((DEMO / "color.mp4").read_bytes()).hexdigest()
    assert "output.mp4" in described["outputs"] and described["duration_seconds"] > 0
    if host_name == "test":
        assert api.engine().hosts.get("test").transport.run("true").ok
        harness_containers = api.host_status("test").containers
        assert all(c.run_id != run.run_id for c in harness_containers)  # removed after collecting


@pytest.mark.parametrize(
    ("marker", "error_class", "words"),
    [
        ("[sim:oom]", "oom", "ran out of memory"),
        ("[sim:guardrail]", "guardrail", "guardrail blocked"),
        ("[sim:missing_checkpoint]", "missing_checkpoint", "checkpoint"),
    ],
)
def test_injected_failures_end_failed_with_the_right_class(
    api_for, host_name: str, marker: str, error_class: str, words: str
) -> None:
    api = api_for(host_name)
    run = run_one(api, f"a prompt {marker}")
    assert run.status == "failed"
    assert run.error_class == error_class
    assert words in run.error_message and "\n" not in run.error_message
    assert run.exit_code == 1
    assert run.stage in {s.stage for s in run.stages}  # where it stopped, not "collecting"
    log = Path(run.log_path).read_text()
    assert "ChildFailedError" in log  # the full log, to the end
    assert run.log_path in run.outputs


def test_a_silent_run_is_flagged_then_stopped_as_hung(api_for, host_name: str) -> None:
    api = api_for(host_name, hang_minutes=0.02, stop_grace=2)  # flag at 1.2 s, stop at 2.4 s
    prompt = api.create_prompt("stuck [sim:hang]", DEMO)
    [run_id] = api.run_inference([prompt.prompt_id])
    flagged = threading.Event()

    def watch() -> None:
        while not flagged.is_set():
            run = api.get_run(run_id)
            if run.status == "running" and run.error_class == "hang":
                flagged.set()
            if run.is_terminal:
                return
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    assert api.execute([run_id], timeout=60)
    watcher.join(5)
    run = api.get_run(run_id)
    assert flagged.is_set(), "the run was never flagged as a possible hang"
    assert (run.status, run.error_class) == ("failed", "hang")
    assert "no log output for 2 s, so it was stopped" in run.error_message  # not "for 0 min"


def test_cancel_mid_run_removes_the_container_and_keeps_the_partial_log(
    api_for, host_name: str, harness: Harness
) -> None:
    api = api_for(host_name, speed="0.05", stop_grace=5)
    prompt = api.create_prompt("long enough to cancel", DEMO)
    [run_id] = api.run_inference([prompt.prompt_id])
    done = threading.Thread(target=api.execute, args=([run_id],), kwargs={"timeout": 120}, daemon=True)
    done.start()
    wait_until(
        lambda: api.get_run(run_id).stage in ("load", "preprocess", "guardrail"),
        message="the run to load its model",
    )
    api.cancel_run(run_id)
    done.join(90)
    run = api.get_run(run_id)
    assert (run.status, run.error_class) == ("cancelled", "cancelled")
    log = Path(run.log_path).read_text()
    assert "Start creating base model" in log and "Saved video" not in log
    assert "got signal: 15" in log  # it was stopped gracefully first
    if host_name == "test":
        assert f"cosmos-{run_id}" not in harness.dockerd.our_containers()


def test_cancelling_a_queued_run_is_immediate(api_for) -> None:
    api = api_for("local")
    prompt = api.create_prompt("never starts", DEMO)
    [run_id] = api.run_inference([prompt.prompt_id])
    run = api.cancel_run(run_id)
    assert run.status == "cancelled"


def test_cut_ssh_links_lose_and_duplicate_no_log_line(api_for, harness: Harness, tmp_path: Path) -> None:
    api = api_for("test", speed="0.02")
    prompt = api.create_prompt("flooding [sim:flood=3000]", DEMO)
    [run_id] = api.run_inference([prompt.prompt_id])
    worker = threading.Thread(target=api.execute, args=([run_id],), kwargs={"timeout": 180}, daemon=True)
    worker.start()
    name = f"cosmos-{run_id}"
    wait_until(lambda: name in harness.dockerd.our_containers(), interval=0.02, message=f"container {name}")
    cuts = cut_ssh_links(harness.sshd, worker)  # the server side of our connection dies
    worker.join(180)
    # The whole log as the model wrote it in its run folder on the host, read over no SSH at all.
    expected = (tmp_path / "remote-ssh" / ".cosmos-tui" / "runs" / run_id / "run.log").read_bytes()
    run = api.get_run(run_id)
    assert cuts >= 3
    assert run.status == "completed", (run.error_class, run.error_message)
    local = Path(run.log_path).read_bytes()
    assert local.splitlines() == expected.splitlines()
    assert len(local.splitlines()) > 2000
    assert api.engine().hosts.get("test").transport.reconnects > 1


def test_a_killed_executor_is_replaced_and_the_run_completes(
    tmp_path: Path, harness: Harness, host_name: str
) -> None:
    config = make_config(tmp_path, harness, host=host_name, speed="0.03")
    env = {**os.environ, "COSMOS_TUI_CONFIG": str(config)}
    prompt_id = subprocess.run(
        [BIN, "prompt", "add", "survive a kill", str(DEMO)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    first = subprocess.Popen(
        [BIN, "--run", prompt_id, "--json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    with CosmosAPI(load(config)) as api:

        def started() -> list[RunRecord]:
            runs = api.list_runs()
            going = runs and runs[0].status == "running" and runs[0].stage not in (None, "starting")
            return runs if going else []

        run_id = wait_until(started, message="the run to start its model")[0].run_id
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert api.get_run(run_id).status == "running"
    second = subprocess.run(
        [BIN, "run", "wait", run_id, "--json"], env=env, capture_output=True, text=True, timeout=120
    )
    assert second.returncode == 0, second.stderr
    data = json.loads(second.stdout)
    assert data["status"] == "completed"
    log = Path(data["log_path"]).read_text()
    assert log.count("Start creating base model") == 1  # re-attached, not started again
    assert log.count("Saved video to") == 1


def test_two_processes_racing_over_twenty_runs_execute_each_once(tmp_path: Path) -> None:
    config = make_config(tmp_path, None, host="local", speed="0.003", max_concurrent=3)
    env = {**os.environ, "COSMOS_TUI_CONFIG": str(config)}
    with CosmosAPI(load(config)) as api:
        prompt = api.create_prompt("race", DEMO)
        run_ids = api.run_inference([prompt.prompt_id] * 20)
    race_workers(env)
    log = (Path(os.environ["XDG_STATE_HOME"]) / "cosmos-tui" / "log" / "cosmos-tui.log").read_text()
    with CosmosAPI(load(config)) as api:
        for run_id in run_ids:
            run = api.get_run(run_id)
            assert run.status == "completed", (run_id, run.error_message)
            assert log.count(f"claimed {run_id} ") == 1
            # Generated once (a run in a batch shares its model load, so count its saved output).
            assert Path(run.log_path).read_text().count("Saved prompt to") == 1
    # Usually both processes claim some runs; which one wins each claim is up to the scheduler.


def test_unknown_host_key_is_refused_with_its_fingerprint(tmp_path: Path, harness: Harness) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    config = make_config(tmp_path, harness, known_hosts=str(empty))
    env = {**os.environ, "COSMOS_TUI_CONFIG": str(config)}
    result = subprocess.run([BIN, "status", "--host", "test"], env=env, capture_output=True, text=True)
    assert result.returncode == 3
    assert "is not in" in result.stdout and "SHA256:" in result.stdout
    assert "cosmos-tui host trust test" in result.stdout
    trusted = subprocess.run(
        [BIN, "host", "trust", "test"], env=env, input="y\n", capture_output=True, text=True
    )
    assert trusted.returncode == 0 and "SHA256:" in trusted.stdout
    assert f"[127.0.0.1]:{harness.sshd.port} ssh-ed25519" in empty.read_text()
    assert subprocess.run([BIN, "status", "--host", "test"], env=env).returncode == 0


def test_wrong_private_key_exits_3_with_one_sentence(tmp_path: Path, harness: Harness) -> None:
    other = tmp_path / "other_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    config = make_config(tmp_path, harness, key_file=str(other))
    env = {**os.environ, "COSMOS_TUI_CONFIG": str(config)}
    prompt_id = subprocess.run(
        [BIN, "prompt", "add", "x", str(DEMO)], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    result = subprocess.run([BIN, "--run", prompt_id], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 3
    assert result.stderr.startswith("cosmos-tui: error: authentication to host test as")
    assert "Traceback" not in result.stderr
    with CosmosAPI(load(config)) as api:
        assert api.list_runs() == []  # nothing was queued


def test_prompt_text_reaches_the_spec_verbatim_and_executes_nothing(api_for, host_name: str) -> None:
    for path in ("/tmp/pwned", "/tmp/pwned2"):
        Path(path).unlink(missing_ok=True)
    api = api_for(host_name)
    run = run_one(api, NASTY)
    assert run.status == "completed", run.error_message
    folder = api.run_dir(run.run_id)
    assert json.loads((folder / "spec.json").read_text())["prompt"] == NASTY
    assert (folder / "output.txt").read_text() == NASTY + "\n"
    assert not Path("/tmp/pwned").exists() and not Path("/tmp/pwned2").exists()


def test_inputs_already_on_the_host_are_not_sent_again(api_for) -> None:
    api = api_for("test")
    first = run_one(api, "first")
    session = api.engine().hosts.get("test")
    calls = []
    original = session.transport.upload

    def counting(local, remote, progress=None):
        calls.append(Path(local).name)
        return original(local, remote, progress)

    session.transport.upload = counting
    second = run_one(api, "second")
    assert first.status == second.status == "completed"
    assert calls == ["spec.json"]


def cli(config: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COSMOS_TUI_CONFIG": str(config)}
    return subprocess.run([BIN, *args], env=env, capture_output=True, text=True, timeout=timeout)


def test_detached_runs_are_collected_by_a_later_process(
    tmp_path: Path, harness: Harness, host_name: str
) -> None:
    config = make_config(tmp_path, harness, host=host_name, speed="0.01")
    prompt_id = cli(config, "prompt", "add", "detached", str(DEMO)).stdout.strip()
    started = cli(config, "--run", prompt_id, "--detach", "--json")
    assert started.returncode == 0, started.stderr
    [run] = json.loads(started.stdout)
    assert run["status"] == "running"
    logs = cli(config, "run", "logs", run["run_id"], "--follow")  # drives it to the end
    assert logs.returncode == 0 and "Saved video to" in logs.stdout
    waited = cli(config, "run", "wait", run["run_id"], "--json")
    assert waited.returncode == 0 and json.loads(waited.stdout)["status"] == "completed"
    shown = json.loads(cli(config, "run", "show", run["run_id"], "--json").stdout)
    assert set(shown) >= {
        "run_id",
        "prompt_id",
        "status",
        "error_class",
        "error_message",
        "outputs",
        "log_path",
    }


def test_cli_cancel_and_status(tmp_path: Path, harness: Harness) -> None:
    config = make_config(tmp_path, harness, host="test", speed="0.05", stop_grace=5)
    prompt_id = cli(config, "prompt", "add", "to cancel", str(DEMO)).stdout.strip()
    [run] = json.loads(cli(config, "--run", prompt_id, "--detach", "--json").stdout)
    status = cli(config, "status", "--json")
    assert status.returncode == 0, status.stdout + status.stderr
    hosts = {h["name"]: h for h in json.loads(status.stdout)}
    assert hosts["test"]["reachable"] and hosts["test"]["label"] == "test (simulated)"
    # The daemon is shared by the session: other tests' containers may be listed too (as another
    # user's would be on a shared GPU box); ours must be there, running, under its own name.
    listed = {c["run_id"]: c for c in hosts["test"]["containers"]}
    assert run["run_id"] in listed, listed
    assert listed[run["run_id"]]["name"] == f"cosmos-{run['run_id']}"
    assert listed[run["run_id"]]["state"] == "running"
    assert hosts["test"]["gpus"] and hosts["test"]["free_disk_bytes"] > 0
    cancelled = cli(config, "run", "cancel", run["run_id"])
    assert cancelled.returncode == 0, cancelled.stdout + cancelled.stderr
    assert "cancelled" in cancelled.stdout
    assert f"cosmos-{run['run_id']}" not in harness.dockerd.our_containers()


def test_interrupting_a_headless_run_cancels_it_and_exits_130(tmp_path: Path) -> None:
    config = make_config(tmp_path, None, host="local", speed="0.05", stop_grace=5)
    env = {**os.environ, "COSMOS_TUI_CONFIG": str(config)}
    prompt_id = cli(config, "prompt", "add", "interrupted", str(DEMO)).stdout.strip()
    proc = subprocess.Popen(
        [BIN, "--run", prompt_id, "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with CosmosAPI(load(config)) as api:
        wait_until(lambda: any(r.status == "running" for r in api.list_runs()), message="a running run")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    [run] = json.loads(out)
    assert run["status"] == "cancelled"


def test_reattach_collects_an_exited_run_and_fails_a_vanished_one(tmp_path: Path, harness: Harness) -> None:
    config = make_config(tmp_path, harness, host="test", speed="0.005")
    prompt_id = cli(config, "prompt", "add", "left alone", str(DEMO)).stdout.strip()
    [exited] = json.loads(cli(config, "--run", prompt_id, "--detach", "--json").stdout)
    name = f"cosmos-{exited['run_id']}"
    inspect = ("inspect", "-f", "{{.State.Status}}", name)
    wait_until(
        lambda: harness.dockerd.docker(*inspect).stdout.strip() == b"exited",
        interval=0.2,
        message=f"container {name} to exit",
    )
    ended = harness.dockerd.docker("inspect", "-f", "{{.State.FinishedAt}}", name).stdout.decode().strip()
    time.sleep(2)  # collected well after it ended
    done = json.loads(cli(config, "run", "wait", exited["run_id"], "--json").stdout)
    assert done["status"] == "completed", (done["error_class"], done["error_message"])
    # The host's finish time, not the collection time.
    assert done["finished_at"] == ended[:19] + "Z", (done["finished_at"], ended)
    assert "Saved video to" in Path(done["log_path"]).read_text()

    [vanished] = json.loads(cli(config, "--run", prompt_id, "--detach", "--json").stdout)
    harness.dockerd.docker("rm", "-f", f"cosmos-{vanished['run_id']}")
    gone = cli(config, "run", "wait", vanished["run_id"], "--json")
    assert gone.returncode == 1
    data = json.loads(gone.stdout)
    assert (data["status"], data["error_class"]) == ("failed", "docker"), data["error_message"]
    assert "vanished" in data["error_message"]
    assert "No such container" not in Path(data["log_path"]).read_text()


def test_a_host_that_goes_away_for_long_keeps_its_run_which_completes_later(
    tmp_path: Path, harness: Harness, monkeypatch
) -> None:
    from cosmos_tui.remote import ssh as ssh_module
    from tests.harness import Sshd

    monkeypatch.setattr(ssh_module, "RECONNECT_DELAYS", (0.0, 0.2, 0.2))  # give up fast
    private = Sshd(tmp_path / "sshd").start()
    try:
        config = make_config(tmp_path, harness, host="test", speed="0.05")
        text = config.read_text().replace(f"port = {harness.sshd.port}", f"port = {private.port}")
        text = text.replace(str(harness.sshd.known_hosts), str(private.known_hosts))
        text = text.replace(str(harness.sshd.client_key), str(private.client_key))
        config.write_text(text)
        with CosmosAPI(load(config)) as api:
            prompt = api.create_prompt("outage", DEMO)
            [run_id] = api.run_inference([prompt.prompt_id])
            worker = threading.Thread(
                target=api.execute, args=([run_id],), kwargs={"timeout": 20}, daemon=True
            )
            worker.start()
            early = (None, "starting", "uploading")
            wait_until(lambda: api.get_run(run_id).stage not in early, message="the model to start")
            private.stop()  # the host vanishes: listener and sessions
            worker.join(30)
            run = api.get_run(run_id)
            assert run.status == "running", (run.status, run.error_message)  # not failed
            private.launch()  # the host is back
            assert api.execute([run_id], timeout=120)
            run = api.get_run(run_id)
            assert run.status == "completed", (run.error_class, run.error_message)
            log = Path(run.log_path).read_text()
            assert log.count("Start creating base model") == 1 and "Saved video to" in log
    finally:
        private.stop()


def test_a_full_local_disk_loses_nothing_and_the_run_completes_after(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a small tmpfs")
    small = tmp_path / "small"
    small.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(small)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    try:
        folder = tmp_path / "project"
        folder.mkdir()
        (folder / "config.toml").write_text(
            f'default_host = "local"\n[paths]\noutputs = "{small}"\ndatabase = "{folder}/cosmos.db"\n'
            + local_host_table("local", tmp_path / "remote", speed="0.01")
        )
        with CosmosAPI(load(folder / "config.toml")) as api:
            prompt = api.create_prompt("flood the disk [sim:flood=20000]", DEMO)
            [run_id] = api.run_inference([prompt.prompt_id])
            worker = threading.Thread(
                target=api.execute, args=([run_id],), kwargs={"timeout": 180}, daemon=True
            )
            worker.start()  # keeps trying while the disk stays full
            wait_until(
                lambda: "is full" in (api.get_run(run_id).error_message or ""),
                90,
                interval=0.1,
                message="the full disk to be reported",
            )
            run = api.get_run(run_id)
            assert run.status == "running"
            subprocess.run(["mount", "-o", "remount,size=64m", str(small)], check=True)
            worker.join(180)
            run = api.get_run(run_id)
            assert run.status == "completed", (run.error_class, run.error_message)
            local = Path(run.log_path).read_bytes()
            remote = (tmp_path / "remote" / ".cosmos-tui" / "runs" / run_id / "run.log").read_bytes()
            assert local == remote  # nothing lost, nothing repeated
    finally:
        subprocess.run(["umount", "-l", str(small)], check=False)


def _tree(pid: int) -> list[int]:
    """A process and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def test_a_frozen_ssh_link_never_fails_a_run_the_model_finishes(tmp_path: Path, harness: Harness) -> None:
    """sshd (listener and sessions) SIGSTOPped mid-run, then resumed: the run completes."""
    from tests.harness import Sshd

    private = Sshd(tmp_path / "sshd").start()
    try:
        config = make_config(tmp_path, harness, host="test", speed="0.05")
        text = config.read_text().replace(f"port = {harness.sshd.port}", f"port = {private.port}")
        text = text.replace(str(harness.sshd.known_hosts), str(private.known_hosts))
        text = text.replace(str(harness.sshd.client_key), str(private.client_key))
        config.write_text(text)
        env = {**os.environ, "COSMOS_TUI_CONFIG": str(config)}
        prompt_id = cli(config, "prompt", "add", "frozen link", str(DEMO)).stdout.strip()
        proc = subprocess.Popen(
            [BIN, "--run", prompt_id, "--json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        with CosmosAPI(load(config)) as api:
            wait_until(
                lambda: any(r.stage not in (None, "starting", "uploading") for r in api.list_runs()),
                message="the model to start",
            )
        frozen = _tree(private.proc.pid)
        for pid in frozen:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)
        time.sleep(25)  # the model finishes meanwhile; the watchdog drops the link, reconnects stall
        for pid in frozen:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        out, err = proc.communicate(timeout=240)
        [run] = json.loads(out)
        assert (run["status"], run["error_class"]) == ("completed", None), (run["error_message"], err)
        assert proc.returncode == 0
        assert f"cosmos-{run['run_id']}" not in harness.dockerd.our_containers()
    finally:
        private.stop()


def test_a_claim_that_fails_once_does_not_leave_execute_waiting(tmp_path: Path, monkeypatch) -> None:
    """A locked database while claiming used to end the claiming thread of ``execute`` for good:
    the run stayed queued and ``run wait`` waited for ever. Now the error is logged and retried."""
    import peewee

    from cosmos_tui.store import lifecycle

    claim_group = lifecycle.claim_group  # what the engine claims with (a run and its batch)
    calls = []

    def locked_once(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise peewee.OperationalError("database is locked")
        return claim_group(*args, **kwargs)

    monkeypatch.setattr(lifecycle, "claim_group", locked_once)
    with CosmosAPI(load(make_config(tmp_path, None, host="local"))) as api:
        prompt = api.create_prompt("A lighthouse in fog", DEMO)
        [run_id] = api.run_inference([prompt.prompt_id])
        assert api.execute([run_id], timeout=60)
        assert api.get_run(run_id).status == "completed"
    assert len(calls) > 1
