"""The harness itself, against the real daemons: ssh exec, `docker run -d` of the sim image over
ssh, `docker logs --timestamps --since`, `docker inspect` exit code, and clean shutdown."""

from __future__ import annotations

import shlex
import time
from pathlib import Path

import paramiko
import pytest

from cosmos_tui.sim.image import image_tag
from tests.conftest import DEMO
from tests.harness import Harness, pid_alive
from tests.waiting import wait_until

pytestmark = pytest.mark.integration

SPEC = """{
  "prompt": "A robot arm stacks cubes",
  "input_video_path": "inputs/color.mp4",
  "sigma_max": 70.0,
  "vis": {"control_weight": 0.5},
  "depth": {"control_weight": 0.5, "input_control": "inputs/depth.mp4"}
}
"""


def connect(harness: Harness, known_hosts: bool = True) -> paramiko.SSHClient:
    client = paramiko.SSHClient()
    if known_hosts:
        client.load_host_keys(str(harness.sshd.known_hosts))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect(
        "127.0.0.1",
        port=harness.sshd.port,
        username=harness.sshd.user,
        key_filename=str(harness.sshd.client_key),
        look_for_keys=False,
        allow_agent=False,
    )
    return client


@pytest.fixture
def ssh(harness: Harness):
    client = connect(harness)
    yield client
    client.close()


def run(client: paramiko.SSHClient, command: str) -> tuple[int, str, str]:
    _, stdout, stderr = client.exec_command(command, timeout=60)
    code = stdout.channel.recv_exit_status()
    return code, stdout.read().decode(), stderr.read().decode()


def test_ssh_exec_with_a_checked_host_key(ssh: paramiko.SSHClient) -> None:
    assert run(ssh, "echo hello; exit 3") == (3, "hello\n", "")


def test_unknown_host_key_is_rejected(harness: Harness) -> None:
    with pytest.raises(paramiko.SSHException, match="not found in known_hosts"):
        connect(harness, known_hosts=False)


def test_sim_image_runs_detached_over_ssh_and_reports_its_exit_code(
    harness: Harness, ssh: paramiko.SSHClient, tmp_path: Path
) -> None:
    remote = tmp_path / "remote"
    (remote / "inputs").mkdir(parents=True)
    for name in ("color.mp4", "depth.mp4"):
        (remote / "inputs" / name).write_bytes((DEMO / name).read_bytes())
    (remote / "spec.json").write_text(SPEC)
    assert harness.image == image_tag()
    docker = harness.dockerd.docker_command
    name = f"cosmos-test-{int(time.time() * 1000)}"
    inner = (
        "exec torchrun --nproc_per_node=1 --nnodes=1 --node_rank=0 "
        "cosmos_transfer1/diffusion/inference/transfer.py --checkpoint_dir checkpoints "
        "--video_save_folder out --controlnet_specs spec.json --num_gpus 1"
    )
    command = (
        f"{docker} run -d --name {name} --label cosmos-tui.run_id={name} "
        f"-e COSMOS_SIM_SPEED=0.001 -v {shlex.quote(str(remote))}:/workspace -w /workspace "
        f"{harness.image} bash -lc {shlex.quote(inner)}"
    )
    code, out, err = run(ssh, command)
    assert code == 0, err
    assert len(out.strip()) == 64  # the container id
    assert name in harness.dockerd.our_containers()

    def exited() -> bool:
        _, status, _ = run(ssh, f"{docker} inspect -f '{{{{.State.Status}}}}' {name}")
        return status.strip() == "exited"

    wait_until(exited, 30, interval=0.2, message=f"container {name} to exit")
    code, exit_code, _ = run(ssh, f"{docker} inspect -f '{{{{.State.ExitCode}}}}' {name}")
    assert exit_code.strip() == "0"

    code, logs, _ = run(ssh, f"{docker} logs --timestamps {name}")
    lines = logs.splitlines()
    assert lines[0][:4].isdigit() and "T" in lines[0].split(" ", 1)[0]  # RFC 3339 stamp first
    assert any(line.endswith("Saved video to out/output.mp4") for line in lines)
    middle = lines[len(lines) // 2].split(" ", 1)[0]
    code, later, _ = run(ssh, f"{docker} logs --timestamps --since {middle} {name}")
    assert 0 < len(later.splitlines()) < len(lines)
    assert (remote / "out" / "output.mp4").read_bytes() == (DEMO / "color.mp4").read_bytes()

    run(ssh, f"{docker} rm -f {name}")
    assert name not in harness.dockerd.our_containers()


def test_a_harness_shuts_down_leaving_nothing_behind() -> None:
    own = Harness.create()
    own.dockerd.external_host = None  # always a private daemon for this check
    own.start()
    daemons = [own.sshd.proc.pid, own.dockerd.proc.pid]
    own.dockerd.docker("run", "-d", "--label", "cosmos-tui.run_id=leak", own.image, "sleep", "600")
    assert own.dockerd.our_containers()
    own.stop()
    assert own.leftovers() == []
    assert not any(pid_alive(pid) for pid in daemons)
    own.cleanup_files()
    assert not own.root.exists()


def test_the_ready_host_configurations_validate(hosts_config: Path) -> None:
    from cosmos_tui.config import load

    config = load(hosts_config)
    ssh_host, local = config.hosts["test"], config.hosts["local"]
    assert (ssh_host.transport, ssh_host.runtime, ssh_host.simulated) == ("ssh", "docker", True)
    assert ssh_host.known_hosts is not None and ssh_host.key_file is not None
    assert (local.transport, local.runtime, local.env["COSMOS_SIM_SPEED"]) == ("local", "process", "0.001")
