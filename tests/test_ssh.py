"""The SSH transport against the real sshd: ~/.ssh/config, ProxyJump, ssh-agent, the watchdog,
the command shell and file transfer."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from cosmos_tui.config import from_mapping
from cosmos_tui.errors import HostError
from cosmos_tui.remote import ssh
from tests.harness import Harness
from tests.waiting import poll

pytestmark = pytest.mark.integration


def host(harness: Harness, **values: object):
    table = {"transport": "ssh", "remote_dir": "/tmp", "runtime": "process", **values}
    config = from_mapping({"hosts": {"h": table}}, base=Path("/"), source=None, how="test")
    return config.hosts["h"]


def write_ssh_config(harness: Harness, extra: str = "") -> None:
    folder = Path.home() / ".ssh"
    folder.mkdir(mode=0o700, exist_ok=True)
    (folder / "config").write_text(
        f"Host cosmos-alias\n  HostName 127.0.0.1\n  Port {harness.sshd.port}\n  User {harness.sshd.user}\n"
        f"  IdentityFile {harness.sshd.client_key}\n  UserKnownHostsFile {harness.sshd.known_hosts}\n" + extra
    )


def test_ssh_config_alias_supplies_hostname_port_user_key_and_known_hosts(harness: Harness) -> None:
    write_ssh_config(harness)
    transport = ssh.SSHTransport(host(harness, hostname="cosmos-alias"))
    try:
        assert transport.run("echo $((6*7))").text == "42\n"
        assert transport.target.port == harness.sshd.port
    finally:
        transport.close()


def test_proxy_jump(harness: Harness) -> None:
    write_ssh_config(
        harness,
        f"Host jump-box\n  HostName 127.0.0.1\n  Port {harness.sshd.port}\n  User {harness.sshd.user}\n"
        f"  IdentityFile {harness.sshd.client_key}\n  UserKnownHostsFile {harness.sshd.known_hosts}\n"
        f"Host behind\n  HostName 127.0.0.1\n  Port {harness.sshd.port}\n  User {harness.sshd.user}\n"
        f"  IdentityFile {harness.sshd.client_key}\n  UserKnownHostsFile {harness.sshd.known_hosts}\n"
        f"  ProxyJump jump-box\n",
    )
    transport = ssh.SSHTransport(host(harness, hostname="behind"))
    try:
        assert transport.run("echo through").text == "through\n"
        assert transport._transport is not None
        assert not isinstance(transport._transport.sock, __import__("socket").socket)  # a channel
    finally:
        transport.close()


def test_ssh_agent_keys_are_used(harness: Harness, tmp_path: Path, monkeypatch) -> None:
    sock = tmp_path / "agent.sock"
    agent = subprocess.run(["ssh-agent", "-a", str(sock)], capture_output=True, text=True, check=True)
    pid = int(agent.stdout.split("SSH_AGENT_PID=")[1].split(";")[0])
    try:
        env = {**os.environ, "SSH_AUTH_SOCK": str(sock)}
        subprocess.run(["ssh-add", str(harness.sshd.client_key)], env=env, check=True, capture_output=True)
        monkeypatch.setenv("SSH_AUTH_SOCK", str(sock))
        transport = ssh.SSHTransport(
            host(
                harness,
                hostname="127.0.0.1",
                port=harness.sshd.port,
                user=harness.sshd.user,
                known_hosts=str(harness.sshd.known_hosts),
            )
        )
        try:
            assert transport.run("echo agent").ok
        finally:
            transport.close()
    finally:
        os.kill(pid, signal.SIGTERM)


def test_unreachable_port_is_one_clear_sentence(harness: Harness) -> None:
    transport = ssh.SSHTransport(
        host(harness, hostname="127.0.0.1", port=1, user="x", known_hosts=str(harness.sshd.known_hosts))
    )
    with pytest.raises(HostError, match=r"cannot connect to host h \(127\.0\.0\.1:1\).*sshd runs"):
        transport.run("true")


def test_watchdog_drops_a_silent_link_within_15_seconds(harness: Harness) -> None:
    transport = ssh.SSHTransport(
        host(
            harness,
            hostname="127.0.0.1",
            port=harness.sshd.port,
            user=harness.sshd.user,
            key_file=str(harness.sshd.client_key),
            known_hosts=str(harness.sshd.known_hosts),
        )
    )
    try:
        before = set(harness.sshd.session_pids())
        transport.run("true")
        ours = [pid for pid in harness.sshd.session_pids() if pid not in before]
        assert ours
        for pid in ours:
            os.kill(pid, signal.SIGSTOP)  # the link goes silent: no reset, no answers
        t0 = time.monotonic()
        poll(lambda: not transport._transport.is_active(), timeout=20, interval=0.1)
        noticed = time.monotonic() - t0
        for pid in ours:
            with contextlib.suppress(ProcessLookupError):  # gone already (reaped after the kill)
                os.kill(pid, signal.SIGKILL)
                os.kill(pid, signal.SIGCONT)
        assert noticed <= 15, f"took {noticed:.1f} s"
        assert transport.run("echo back").text == "back\n"  # and it reconnects
    finally:
        transport.close()


def test_command_shell_keeps_stdout_stderr_and_exit_codes_apart(harness: Harness) -> None:
    transport = ssh.SSHTransport(
        host(
            harness,
            hostname="127.0.0.1",
            port=harness.sshd.port,
            user=harness.sshd.user,
            key_file=str(harness.sshd.client_key),
            known_hosts=str(harness.sshd.known_hosts),
        )
    )
    try:
        result = transport.run("printf 'no newline'; echo oops >&2; exit 7")
        assert (result.code, result.stdout, result.stderr) == (7, b"no newline", b"oops\n")
        assert transport.run("cat", stdin=b"via stdin").stdout == b"via stdin"
    finally:
        transport.close()


def test_upload_with_progress_is_exact_and_atomic(harness: Harness, tmp_path: Path) -> None:
    transport = ssh.SSHTransport(
        host(
            harness,
            hostname="127.0.0.1",
            port=harness.sshd.port,
            user=harness.sshd.user,
            key_file=str(harness.sshd.client_key),
            known_hosts=str(harness.sshd.known_hosts),
        )
    )
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(20 * 1024 * 1024 + 123))  # over the parallel threshold
    seen: list[int] = []
    try:
        transport.upload(big, str(tmp_path / "copy.bin"), progress=lambda done, total: seen.append(done))
        assert (tmp_path / "copy.bin").read_bytes() == big.read_bytes()
        assert seen[-1] == big.stat().st_size
        assert not list(tmp_path.glob("copy.bin.part-*"))
        transport.download(str(tmp_path / "copy.bin"), tmp_path / "back.bin")
        assert (tmp_path / "back.bin").read_bytes() == big.read_bytes()
    finally:
        transport.close()
