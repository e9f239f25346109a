"""The docker runtime against the real sshd + dockerd: the model's output goes to run.log in its run
folder and is followed by byte offset, so a bar's unfinished line arrives as it is drawn; a
container started the older way (output to docker's log driver) is still found and followed."""

from __future__ import annotations

import shlex
import time
from pathlib import Path

import pytest

from cosmos_tui.api import CosmosAPI
from cosmos_tui.config import load
from cosmos_tui.engine.hosts import HostSession
from cosmos_tui.engine.runtime import FILE_HANDLE, ByteLines, DockerRuntime, Position
from cosmos_tui.remote import docker
from tests.harness import Harness
from tests.test_engine import make_config

pytestmark = pytest.mark.integration

# Draws a bar with \r for a while, then ends its line: what a tqdm bar does.
BAR = (
    "printf 'loading\\n'; for i in 1 2 3 4 5 6; do printf '\\rstep %s/6' $i; sleep 0.3; done; "
    "printf '\\ndone\\n'"
)


@pytest.fixture
def session(tmp_path: Path, harness: Harness):
    api = CosmosAPI(load(make_config(tmp_path, harness, host="test")))
    yield api.engine().hosts.get("test")
    api.close()


def read_all(
    runtime: DockerRuntime, run_id: str, handle: str, position: Position
) -> list[tuple[float, bytes]]:
    """Every chunk the follow stream sends, with when it came, until the stream ends."""
    stream, _ = runtime.follow(run_id, handle, position)
    chunks: list[tuple[float, bytes]] = []
    try:
        while (data := stream.read(1.0)) != b"":
            if data:
                chunks.append((time.monotonic(), data))
    finally:
        stream.close()
    return chunks


def test_a_container_s_output_arrives_as_it_is_drawn_and_resumes_by_offset(
    session: HostSession, harness: Harness
) -> None:
    run_id = "rs_filelog00001"
    runtime = DockerRuntime(session)
    session.transport.run(f"mkdir -p {shlex.quote(session.abs(session.run_rel(run_id)))}", timeout=30)
    handle = runtime.start(run_id, f"sh -c {shlex.quote(BAR)}")
    try:
        assert handle.startswith(FILE_HANDLE)
        assert runtime.find(run_id) == FILE_HANDLE + docker.container_name(run_id)  # a re-attach knows
        chunks = read_all(runtime, run_id, handle, Position())
        data = b"".join(data for _, data in chunks)
        assert data == b"loading\n" + b"".join(b"\rstep %d/6" % i for i in range(1, 7)) + b"\ndone\n"
        # The redraws came one by one, long before the line's newline.
        newline_at = next(at for at, chunk in chunks if b"\ndone" in chunk)
        early = [chunk for at, chunk in chunks if at < newline_at - 0.5 and b"\rstep" in chunk]
        assert early, chunks
        # Resuming from a byte offset sends exactly the rest.
        cut = len(b"loading\n\rstep 1/6")
        rest = b"".join(data for _, data in read_all(runtime, run_id, handle, Position(size=cut)))
        assert rest == data[cut:]
        lines = ByteLines(Position(size=cut))
        assert lines.feed(rest)[-1] == b"done\n"
        # docker's own log stays empty: everything is in the run folder.
        assert harness.dockerd.docker("logs", docker.container_name(run_id)).stdout == b""
    finally:
        runtime.cleanup(run_id, handle)


def test_a_container_started_by_an_older_cosmos_tui_is_followed_through_docker_logs(
    session: HostSession,
) -> None:
    run_id = "rs_oldstyle0001"
    runtime = DockerRuntime(session)
    argv = docker.run_argv(
        session.host.docker,
        run_id=run_id,
        image=session.host.image,
        remote_dir=session.remote_dir,
        command="exec sh -c 'printf \"one\\ntwo\\n\"' 2>&1",
        gpus="",
    )
    started = session.transport.run(" ".join(shlex.quote(word) for word in argv), timeout=60)
    assert started.ok, started.error_text
    try:
        handle = runtime.find(run_id)
        assert handle == docker.container_name(run_id)  # no file label: the log driver has it
        data = b"".join(data for _, data in read_all(runtime, run_id, handle, Position()))
        assert [line.split(b" ", 1)[1] for line in data.splitlines()] == [b"one", b"two"]
    finally:
        runtime.cleanup(run_id, handle or "")
