"""Typed errors: callers decide by class and attributes, never by the words of a message."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cosmos_tui.errors import (
    EXIT_HOST,
    EXIT_USAGE,
    AmbiguousIdError,
    AuthError,
    ConfigError,
    CosmosError,
    HostError,
    NotFoundError,
    UsageError,
    cause_chain,
)
from cosmos_tui.files import path_problem
from cosmos_tui.remote import docker, ssh


def test_an_auth_error_is_still_a_host_error_with_its_exit_code() -> None:
    refused = AuthError("authentication to host h as me failed; check user and key_file.")
    assert isinstance(refused, HostError) and refused.exit_code == EXIT_HOST
    with pytest.raises(HostError):  # every old `except HostError` still catches it
        raise refused


def test_usage_errors_name_their_field_or_none() -> None:
    assert UsageError("bad").field is None
    assert UsageError("too long", field="negative_prompt").field == "negative_prompt"
    missing = NotFoundError("video folder x not found.", field="video_dir")
    assert isinstance(missing, UsageError) and missing.exit_code == EXIT_USAGE
    assert missing.field == "video_dir"
    assert ConfigError("bad config").field is None
    ambiguous = AmbiguousIdError("two match", ["rs_1", "rs_2"])
    assert ambiguous.candidates == ["rs_1", "rs_2"] and ambiguous.field is None
    assert str(missing) == "video folder x not found."


def test_cause_chain_keeps_the_technical_cause_for_the_log() -> None:
    def connect() -> None:
        try:
            raise ConnectionRefusedError(111, "Connection refused")
        except OSError as exc:
            raise HostError("cannot connect to host h; check that sshd runs there.") from exc

    with pytest.raises(HostError) as caught:
        connect()
    assert str(caught.value) == "cannot connect to host h; check that sshd runs there."  # what users see
    assert cause_chain(caught.value) == (
        "HostError: cannot connect to host h; check that sshd runs there. "
        "<- ConnectionRefusedError: [Errno 111] Connection refused"
    )
    assert cause_chain(CosmosError("alone")) == "CosmosError: alone"


class FakeLink:
    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.calls = 0

    def __call__(self, target: object, name: str) -> object:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return self

    def is_active(self) -> bool:
        return True


@pytest.fixture
def transport(monkeypatch: pytest.MonkeyPatch) -> ssh.SSHTransport:
    monkeypatch.setattr(ssh, "target_for", lambda host: ssh.Target("h", "127.0.0.1", 22, "me"))
    monkeypatch.setattr(ssh, "RECONNECT_DELAYS", (0.0, 0.0, 0.0))
    monkeypatch.setattr(ssh.SSHTransport, "_start_watchdog", lambda self: None)
    link = ssh.SSHTransport.__new__(ssh.SSHTransport)
    ssh.SSHTransport.__init__(link, type("Host", (), {"name": "h"})())  # type: ignore[arg-type]
    link.reconnects = 1  # it was connected before: reconnecting retries
    return link


def test_a_refused_login_is_not_retried(transport: ssh.SSHTransport, monkeypatch: pytest.MonkeyPatch) -> None:
    # It used to look for the word "authentication" in the message.
    fake = FakeLink(AuthError("authentication to host h as me failed (tried k); check user and key_file."))
    monkeypatch.setattr(ssh, "connect", fake)
    with pytest.raises(AuthError):
        transport._live()
    assert fake.calls == 1


def test_a_link_lost_while_logging_in_is_retried(
    transport: ssh.SSHTransport, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "SSH authentication ... broke off" holds the word but is a dropped link, not a refusal.
    fake = FakeLink(HostError("SSH authentication with host h broke off (EOF); try again."))
    monkeypatch.setattr(ssh, "connect", fake)
    assert transport._live() is fake
    assert fake.calls == 2


@pytest.mark.parametrize(
    ("stderr", "gone"),
    [
        ("Error: No such object: cosmos-rs_0123456789ab", True),
        ("Error response from daemon: No such container: cosmos-rs_0123456789ab", True),
        ("Error: no such container cosmos-rs_0123456789ab", True),  # podman
        (
            "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. "
            "Is the docker daemon running?",
            False,
        ),
        ("permission denied while trying to connect to the Docker daemon socket", False),
    ],
)
def test_docker_saying_the_container_is_gone(stderr: str, gone: bool) -> None:
    assert docker.no_such_container(stderr) is gone


def test_path_problems_carry_a_kind(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (tmp_path / "link").symlink_to(tmp_path / "gone")
    (tmp_path / "file").write_text("x")
    kinds = {
        name: getattr(path_problem(tmp_path / name), "kind", None)
        for name in ("pipe", "link", "gone", "file", "file/inside", ".")
    }
    assert kinds == {
        "pipe": "fifo",
        "link": "broken_link",
        "gone": "missing",
        "file": None,
        "file/inside": "not_a_folder",
        ".": "folder",
    }
    problem = path_problem(fifo)
    assert problem == "is a FIFO (named pipe), not a regular file" and f"{fifo} {problem}".endswith("file")
