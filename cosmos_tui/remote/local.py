"""The local transport: this machine, through subprocesses and plain file copies."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import uuid
from pathlib import Path

from cosmos_tui.errors import HostError
from cosmos_tui.remote.transport import CommandResult, Progress, Stream, Transport

CHUNK = 64 * 1024


class LocalStream(Stream):
    def __init__(self, command: str, merge_stderr: bool = True) -> None:
        self.proc = subprocess.Popen(
            ["sh", "-c", command],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if merge_stderr else subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        assert self.proc.stdout is not None
        self.fd = self.proc.stdout.fileno()

    def read(self, timeout: float) -> bytes | None:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return None
        return os.read(self.fd, CHUNK)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


class LocalTransport(Transport):
    def __init__(self, name: str = "local") -> None:
        self.name = name

    def run(self, command: str, *, timeout: float | None = 120, stdin: bytes | None = None) -> CommandResult:
        try:
            done = subprocess.run(
                ["sh", "-c", command],
                input=stdin,
                capture_output=True,
                timeout=timeout,
                stdin=None if stdin is not None else subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as exc:
            raise HostError(f"a command on {self.name} took longer than {timeout:.0f} s.") from exc
        return CommandResult(done.returncode, done.stdout, done.stderr)

    def open_stream(self, command: str, merge_stderr: bool = True) -> Stream:
        return LocalStream(command, merge_stderr)

    def upload(self, local: Path, remote: str, progress: Progress | None = None) -> None:
        _copy(Path(local), Path(remote), progress)

    def download(self, remote: str, local: Path, progress: Progress | None = None) -> None:
        _copy(Path(remote), Path(local), progress)


def _copy(source: Path, target: Path, progress: Progress | None) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    # Unique per call: two threads may copy the same content-addressed input at once.
    temp = target.with_name(f".{target.name}.part-{uuid.uuid4().hex[:12]}")
    total = source.stat().st_size
    done = 0
    try:
        with source.open("rb") as src, temp.open("wb") as dst:
            while block := src.read(1 << 20):
                dst.write(block)
                done += len(block)
                if progress:
                    progress(done, total)
        shutil.copymode(source, temp)
        temp.replace(target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
