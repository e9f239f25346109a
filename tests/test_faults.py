"""Faults on our side never cost a finished video and never hang a command: a host that left the
config, an outputs folder that cannot hold runs, local file errors, short downloads, a full disk
under an interrupted `--run`. Driven through the installed binary or the API, on the local host."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import threading
from pathlib import Path

import pytest

from cosmos_tui.api import CosmosAPI
from cosmos_tui.config import load
from cosmos_tui.remote.local import LocalTransport
from tests.conftest import DEMO
from tests.harness import local_host_table
from tests.test_engine import BIN, cli, make_config
from tests.waiting import wait_until

pytestmark = pytest.mark.integration


def host_file(tmp_path: Path, run_id: str, name: str, remote: str = "remote-local") -> Path:
    return tmp_path / remote / ".cosmos-tui" / "runs" / run_id / name


def test_a_host_gone_from_the_config_keeps_its_run_which_is_collected_once_it_is_back(
    tmp_path: Path,
) -> None:
    config = make_config(tmp_path, None, host="local", speed="0.005")
    original = config.read_text()
    prompt = cli(config, "prompt", "add", "renamed host", str(DEMO)).stdout.strip()
    [run] = json.loads(cli(config, "--run", prompt, "--detach", "--json").stdout)
    wait_until(host_file(tmp_path, run["run_id"], "exit_code").exists, message="the model to end")
    config.write_text(
        original.replace("hosts.local", "hosts.renamed").replace(
            'default_host = "local"', 'default_host = "renamed"'
        )
    )

    waited = cli(config, "run", "wait", run["run_id"])
    assert waited.returncode == 2, waited.stderr
    assert "no longer in the configuration" in waited.stderr and waited.stderr.count("\n") == 1
    shown = json.loads(cli(config, "run", "show", run["run_id"], "--json").stdout)
    assert shown["status"] == "running" and "add it back" in shown["error_message"]

    config.write_text(original)  # the host is back
    done = cli(config, "run", "wait", run["run_id"], "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["status"], data["error_message"]) == ("completed", None)


@pytest.mark.parametrize(
    "outputs", ["/dev/null", "/sys/cosmos-out", pytest.param("/tmp/" + "x" * 5000, id="longer-than-PATH_MAX")]
)
def test_an_outputs_folder_that_cannot_hold_runs_is_one_sentence_and_exit_2(
    tmp_path: Path, outputs: str
) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    config = folder / "config.toml"
    config.write_text(
        f'default_host = "local"\n[paths]\noutputs = "{outputs}"\ndatabase = "{folder}/cosmos.db"\n'
        + local_host_table("local", tmp_path / "remote-local")
    )
    prompt = cli(config, "prompt", "add", "nowhere to go", str(DEMO)).stdout.strip()
    result = cli(config, "--run", prompt, timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("cosmos-tui: error:") and result.stderr.count("\n") == 1
    assert "outputs" in result.stderr and "Traceback" not in result.stderr
    listed = cli(config, "run", "list", "--json")  # a path the config refuses outright lists nothing
    assert listed.returncode == 2 or json.loads(listed.stdout) == []  # nothing queued


def test_a_local_file_error_fails_the_run_with_one_sentence_and_the_command_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cosmos_tui.engine.engine import Engine

    def unreadable(self: Engine, path: Path) -> str:
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(Engine, "hash_file", unreadable)
    with CosmosAPI(load(make_config(tmp_path, None, host="local"))) as api:
        prompt = api.create_prompt("unreadable input", DEMO)
        [run_id] = api.run_inference([prompt.prompt_id])
        assert api.execute([run_id], timeout=30), "the run never ended"
        run = api.get_run(run_id)
    assert run.status == "failed"
    assert "Permission denied" in run.error_message and "\n" not in run.error_message


def test_an_output_that_differs_from_the_hosts_is_never_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = LocalTransport.download
    short = {"left": 1}

    def short_once(self: LocalTransport, remote: str, local: Path, progress=None) -> None:
        real(self, remote, local, progress)
        if local.name == "output.mp4" and short["left"]:
            short["left"] -= 1
            local.write_bytes(b"")  # what a full disk leaves behind

    monkeypatch.setattr(LocalTransport, "download", short_once)
    with CosmosAPI(load(make_config(tmp_path, None, host="local"))) as api:
        prompt = api.create_prompt("short download", DEMO)
        [run_id] = api.run_inference([prompt.prompt_id])
        worker = threading.Thread(target=api.execute, args=([run_id],), kwargs={"timeout": 60}, daemon=True)
        worker.start()
        worker.join(90)  # the first collection is refused; the next re-attach gets it whole
        run = api.get_run(run_id)
    assert run.status == "completed", (run.error_class, run.error_message)
    video = Path(next(p for p in run.outputs if p.endswith("output.mp4")))
    assert video.read_bytes() == (DEMO / "color.mp4").read_bytes()


def test_a_full_disk_is_told_on_the_terminal_ctrl_c_ends_and_the_finished_run_completes_later(
    tmp_path: Path,
) -> None:
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
        config = folder / "config.toml"
        config.write_text(
            f'default_host = "local"\n[paths]\noutputs = "{small}"\ndatabase = "{folder}/cosmos.db"\n'
            + local_host_table("local", tmp_path / "remote-local", speed="0.01", stop_grace=5)
        )
        prompt = cli(config, "prompt", "add", "flood [sim:flood=20000]", str(DEMO)).stdout.strip()
        env = {**os.environ, "COSMOS_TUI_CONFIG": str(config)}
        proc = subprocess.Popen(
            [BIN, "--run", prompt], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        said: list[str] = []
        reader = threading.Thread(target=lambda: said.extend(proc.stderr), daemon=True)
        reader.start()
        wait_until(lambda: any("is full" in line for line in said), 90, message="the full disk to be told")
        with CosmosAPI(load(config)) as api:
            [run] = api.list_runs()
        wait_until(host_file(tmp_path, run.run_id, "exit_code").exists, 90, message="the model to end")
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)  # within stop_grace + 15 s, whatever the run thread is doing
        assert proc.returncode == 130, "".join(said)

        subprocess.run(["mount", "-o", "remount,size=64m", str(small)], check=True)
        done = cli(config, "run", "wait", run.run_id, "--json", timeout=180)
        data = json.loads(done.stdout)
        assert (data["status"], data["exit_code"]) == ("completed", 0), data["error_message"]
        local = Path(data["log_path"]).read_bytes()
        assert local == host_file(tmp_path, run.run_id, "run.log").read_bytes()
    finally:
        subprocess.run(["umount", "-l", str(small)], check=False)


def test_the_log_file_on_a_full_disk_never_writes_to_the_terminal(tmp_path: Path) -> None:
    state = tmp_path / "state"
    (state / "cosmos-tui" / "log").mkdir(parents=True)
    (state / "cosmos-tui" / "log" / "cosmos-tui.log").symlink_to("/dev/full")  # every write: ENOSPC
    config = make_config(tmp_path, None, host="local")
    env = {**os.environ, "COSMOS_TUI_CONFIG": str(config), "XDG_STATE_HOME": str(state)}
    result = subprocess.run([BIN, "-vv", "prompt", "show", "nope"], env=env, capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.startswith("cosmos-tui: error:") and result.stderr.count("\n") == 1, result.stderr


@pytest.mark.parametrize("redirect", ["stdout", "stdin"])
def test_the_tui_refuses_to_start_without_a_terminal(tmp_path: Path, redirect: str) -> None:
    import pty

    config = make_config(tmp_path, None, host="local")
    env = {**os.environ, "COSMOS_TUI_CONFIG": str(config), "TERM": "xterm-256color"}
    primary, secondary = pty.openpty()
    out = tmp_path / "out.txt"
    try:
        with out.open("wb") as sink:
            streams = (
                {"stdin": secondary, "stdout": sink}
                if redirect == "stdout"
                else {"stdin": subprocess.DEVNULL, "stdout": secondary}
            )
            result = subprocess.run([BIN], env=env, stderr=subprocess.PIPE, text=True, timeout=30, **streams)
    finally:
        os.close(primary)
        os.close(secondary)
    assert result.returncode == 2
    assert "needs a terminal" in result.stderr and result.stderr.count("\n") == 1
    assert b"\x1b" not in out.read_bytes()
