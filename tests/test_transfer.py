"""Big files over the real sshd: both directions take OpenSSH's scp over one shared connection,
with progress, size checks, temp names, odd paths, and nothing left running after close()."""

from __future__ import annotations

import os
from pathlib import Path

import paramiko
import pytest

from cosmos_tui.config import from_mapping
from cosmos_tui.remote import openssh, ssh
from tests.harness import Harness
from tests.waiting import poll

pytestmark = pytest.mark.integration

BIG = ssh.BULK_MIN + 123


def transport_for(harness: Harness) -> ssh.SSHTransport:
    table = {
        "transport": "ssh",
        "remote_dir": "/tmp",
        "runtime": "process",
        "hostname": "127.0.0.1",
        "port": harness.sshd.port,
        "user": harness.sshd.user,
        "key_file": str(harness.sshd.client_key),
        "known_hosts": str(harness.sshd.known_hosts),
    }
    config = from_mapping({"hosts": {"h": table}}, base=Path("/"), source=None, how="test")
    return ssh.SSHTransport(config.hosts["h"])


@pytest.fixture
def no_paramiko_bulk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Big files must not go over Paramiko's SFTP (about half scp's speed)."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a big file went over Paramiko's SFTP")

    monkeypatch.setattr(paramiko.SFTPClient, "get", refuse)
    monkeypatch.setattr(ssh.SSHTransport, "_parallel_put", refuse)


def test_big_download_takes_scp_with_progress_and_exact_size(
    harness: Harness, tmp_path: Path, no_paramiko_bulk: None
) -> None:
    # Odd characters in the folder: scp must read the paths literally (no glob, no shell).
    folder = tmp_path / "out put [1] *x* $HOME 'q'"
    folder.mkdir()
    remote = folder / "output.mp4"
    remote.write_bytes(os.urandom(BIG))
    decoy = tmp_path / "out put 1 axb $HOME 'q'"  # what the folder's name matches as a glob
    decoy.mkdir()
    (decoy / "output.mp4").write_bytes(b"wrong")
    seen: list[tuple[int, int]] = []
    transport = transport_for(harness)
    try:
        transport.download(str(remote), tmp_path / "got" / "output.mp4", lambda d, t: seen.append((d, t)))
        assert (tmp_path / "got" / "output.mp4").read_bytes() == remote.read_bytes()
        assert seen[-1] == (BIG, BIG)
        assert [d for d, _ in seen] == sorted(d for d, _ in seen)
        assert not [p.name for p in (tmp_path / "got").iterdir() if p.name != "output.mp4"]  # no temp left
    finally:
        transport.close()


def test_big_upload_takes_scp_to_an_odd_path_and_renames(
    harness: Harness, tmp_path: Path, no_paramiko_bulk: None
) -> None:
    folder = tmp_path / "in put [1] *x* $HOME 'q'"
    folder.mkdir()
    local = tmp_path / "big.mp4"
    local.write_bytes(os.urandom(BIG))
    seen: list[int] = []
    transport = transport_for(harness)
    try:
        transport.upload(local, str(folder / "big.mp4"), lambda d, t: seen.append(d))
        assert (folder / "big.mp4").read_bytes() == local.read_bytes()
        assert seen[-1] == BIG
        assert [p.name for p in folder.iterdir()] == ["big.mp4"]
    finally:
        transport.close()


def test_the_shared_connection_is_reused_and_ends_with_close(harness: Harness, tmp_path: Path) -> None:
    local = tmp_path / "big.bin"
    local.write_bytes(os.urandom(BIG))
    before = set(harness.sshd.session_pids())
    transport = transport_for(harness)
    try:
        transport.upload(local, str(tmp_path / "one.bin"))
        after_first = set(harness.sshd.session_pids()) - before
        transport.download(str(tmp_path / "one.bin"), tmp_path / "two.bin")
        transport.upload(local, str(tmp_path / "three.bin"))
        # Paramiko's connection and the one shared OpenSSH connection: no new handshake per file.
        assert set(harness.sshd.session_pids()) - before == after_first
        assert len(after_first) == 2
    finally:
        transport.close()
    assert (tmp_path / "two.bin").read_bytes() == local.read_bytes()
    poll(lambda: not (set(harness.sshd.session_pids()) - before), timeout=10, interval=0.05)


def test_without_scp_big_files_still_move_over_paramiko(
    harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(openssh, "scp_speaks_sftp", lambda: None)
    local = tmp_path / "big.bin"
    local.write_bytes(os.urandom(BIG))
    seen: list[int] = []
    transport = transport_for(harness)
    try:
        transport.upload(local, str(tmp_path / "up.bin"), lambda d, t: seen.append(d))
        transport.download(str(tmp_path / "up.bin"), tmp_path / "down.bin", lambda d, t: seen.append(d))
        assert (tmp_path / "down.bin").read_bytes() == local.read_bytes()
        assert seen[-1] == BIG
    finally:
        transport.close()


def test_a_download_that_arrives_short_is_refused(
    harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    remote = tmp_path / "out.mp4"
    remote.write_bytes(os.urandom(BIG))
    original = openssh.BulkCopier.copy

    def short(self: openssh.BulkCopier, source: str, target: str, *args: object, **kwargs: object) -> None:
        original(self, source, target, *args, **kwargs)
        os.truncate(target, BIG - 1)  # as a full local disk would leave it

    monkeypatch.setattr(openssh.BulkCopier, "copy", short)
    transport = transport_for(harness)
    try:
        with pytest.raises(ssh.HostError, match="arrived with"):
            transport.download(str(remote), tmp_path / "got" / "out.mp4")
        assert not list((tmp_path / "got").iterdir())  # neither the file nor its temp
    finally:
        transport.close()


def test_expecting_a_big_file_opens_the_shared_connection_ahead(harness: Harness, tmp_path: Path) -> None:
    before = set(harness.sshd.session_pids())
    transport = transport_for(harness)
    try:
        transport.expect_bulk(1000)  # small files go over Paramiko: nothing to open
        transport.expect_bulk(BIG)
        poll(lambda: len(set(harness.sshd.session_pids()) - before) == 1, timeout=10, interval=0.05)
        opened = set(harness.sshd.session_pids()) - before
        local = tmp_path / "big.bin"
        local.write_bytes(os.urandom(BIG))
        transport.upload(local, str(tmp_path / "up.bin"))
        assert opened < set(harness.sshd.session_pids()) - before  # used it: only Paramiko's is new
        assert len(set(harness.sshd.session_pids()) - before) == 2
    finally:
        transport.close()
    poll(lambda: not (set(harness.sshd.session_pids()) - before), timeout=10, interval=0.05)
