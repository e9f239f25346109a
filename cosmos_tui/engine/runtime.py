"""Starting, following, inspecting and stopping the model on a host, for each runtime.

Both runtimes have the model write its output to run.log in its run folder on the host and follow
that file by byte offset, so a progress bar's unfinished line arrives as it is drawn and a resume
is exact. (Containers started by an older cosmos-tui log through docker's log driver instead; they
are resumed by the last timestamp seen and how many lines carried it.) The local spool file is
truncated back to the size recorded with the position, so a crash between writing and recording
never duplicates lines.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from cosmos_tui.engine.hosts import HostSession
from cosmos_tui.errors import HostError, OperationError
from cosmos_tui.remote import docker, process, slurm
from cosmos_tui.remote.transport import Stream, sh_join


class DockerError(OperationError):
    """docker on the host failed (daemon down, image missing, bad arguments)."""


@dataclass
class Position:
    """Where the local spool stands: its size, and the runtime's resume point."""

    size: int = 0
    since: str | None = None  # docker: timestamp of the last line written
    same: int = 0  # docker: lines written that carry exactly that timestamp

    def dumps(self) -> str:
        return json.dumps({"size": self.size, "since": self.since, "same": self.same})

    @classmethod
    def loads(cls, text: str | None) -> Position:
        if not text:
            return cls()
        data = json.loads(text)
        return cls(int(data.get("size", 0)), data.get("since"), int(data.get("same", 0)))


@dataclass(frozen=True)
class State:
    status: str  # running | exited | gone
    exit_code: int | None = None
    oom_killed: bool = False
    finished_at: datetime | None = None  # when the model ended, by the host's clock (naive UTC)
    pending: str | None = None  # waiting in a scheduler's queue (Slurm), and why
    cause: tuple[str, str] | None = None  # the scheduler ended it: (error class, sentence)


def parse_docker_time(text: str | None) -> datetime | None:
    """Docker's RFC 3339 nanosecond time as naive UTC (None when absent or unreadable)."""
    if not text:
        return None
    head, _, frac = text.rstrip("Z").partition(".")
    try:
        stamp = datetime.fromisoformat(head + (f".{frac[:6]}" if frac else ""))
    except ValueError:
        return None
    return stamp.astimezone(UTC).replace(tzinfo=None) if stamp.tzinfo else stamp


def parse_epoch(text: str | None) -> datetime | None:
    """Seconds since the epoch (``%s.%N``, or whole seconds where %N is not known) as naive UTC."""
    head, _, frac = (text or "").partition(".")
    seconds = f"{head}.{frac}" if frac.isdigit() else head
    try:
        return datetime.fromtimestamp(float(seconds), UTC).replace(tzinfo=None)
    except (ValueError, OverflowError, OSError):
        return None


class LineDecoder(Protocol):
    def feed(self, data: bytes) -> list[bytes]:
        """Complete log lines (with their newline) ready for the spool, position updated."""


class Runtime(Protocol):
    def start(self, run_id: str, command: str) -> str: ...
    def find(self, run_id: str) -> str | None: ...
    def follow(self, run_id: str, handle: str, position: Position) -> tuple[Stream, LineDecoder]: ...
    def state(self, run_id: str, handle: str) -> State: ...
    def stop(self, run_id: str, handle: str, grace: int) -> None: ...
    def cleanup(self, run_id: str, handle: str) -> None: ...


def model_env(session: HostSession, workdir: str) -> dict[str, str]:
    env = dict(session.host.env)
    env.setdefault("PYTHONPATH", workdir)
    return env


def ts_key(stamp: str | None) -> str:
    """Docker trims trailing zeros from nanoseconds; pad them so stamps compare as text."""
    if not stamp:
        return ""
    head, dot, frac = stamp.rstrip("Z").partition(".")
    return f"{head}.{frac.ljust(9, '0')}Z" if dot else f"{head}.000000000Z"


class DockerLines:
    """`docker logs --timestamps` output -> spool lines; skips what the spool already has."""

    def __init__(self, position: Position) -> None:
        self.position = position
        self.skip_ts = ts_key(position.since) if position.since else None
        self.skip_left = position.same
        self.buffer = b""

    def feed(self, data: bytes) -> list[bytes]:
        self.buffer += data
        *complete, self.buffer = self.buffer.split(b"\n")
        if not complete:
            return []
        if self.skip_ts is not None:
            complete = self._skip_seen(complete)
            if not complete:
                return []
        split = [raw.split(b" ", 1) for raw in complete]
        out = [(pair[1] if len(pair) > 1 else b"") + b"\n" for pair in split]
        # Where we stand: the last timestamp, and how many of the lines written carry it.
        last = split[-1][0]
        same = 0
        for pair in reversed(split):
            if pair[0] != last:
                break
            same += 1
        last_text = last.decode("ascii", errors="replace")
        if last_text == self.position.since and same == len(split):
            self.position.same += same
        else:
            self.position.since, self.position.same = last_text, same
        self.position.size += sum(len(line) for line in out)
        return out

    def _skip_seen(self, complete: list[bytes]) -> list[bytes]:
        """After a resume, drop the lines the spool already holds (--since is inclusive)."""
        since = self.skip_ts
        if since is None:
            return complete
        for index, raw in enumerate(complete):
            key = ts_key(raw.split(b" ", 1)[0].decode("ascii", errors="replace"))
            if key < since:
                continue
            if key == since and self.skip_left > 0:
                self.skip_left -= 1
                continue
            self.skip_ts = None
            return complete[index:]
        return []


class ByteLines:
    """A byte stream from an offset -> spool lines (a partial last line waits for its newline)."""

    def __init__(self, position: Position) -> None:
        self.position = position
        self.buffer = b""

    def feed(self, data: bytes) -> list[bytes]:
        self.buffer += data
        cut = self.buffer.rfind(b"\n")
        if cut < 0:
            return []
        ready, self.buffer = self.buffer[: cut + 1], self.buffer[cut + 1 :]
        lines = ready.splitlines(keepends=True)
        self.position.size += len(ready)
        return lines

    def flush(self) -> list[bytes]:
        if not self.buffer:
            return []
        tail, self.buffer = self.buffer, b""
        self.position.size += len(tail)
        return [tail]


FILE_HANDLE = "log:"  # a docker handle with this prefix: the model's output is in run.log


class DockerRuntime:
    def __init__(self, session: HostSession) -> None:
        self.session = session
        self.docker = session.host.docker

    def _run(self, argv: list[str], timeout: float = 120) -> str:
        result = self.session.transport.run(sh_join(argv), timeout=timeout)
        if not result.ok:
            raise DockerError(result.error_text)
        return result.text

    def start(self, run_id: str, command: str) -> str:
        host = self.session.host
        in_container = f"{docker.WORKSPACE}/{self.session.run_rel(run_id)}/{docker.LOG_FILE}"
        argv = docker.run_argv(
            self.docker,
            run_id=run_id,
            image=host.image,
            remote_dir=self.session.remote_dir,
            # stdout and stderr into one file keeps their lines in their real order.
            command=f"exec {command} > {shlex.quote(in_container)} 2>&1",
            gpus=host.gpus,
            docker_args=host.docker_args,
            env=model_env(self.session, docker.WORKSPACE),
            labels={docker.LOG_LABEL: "file"},
        )
        return FILE_HANDLE + self._run(argv).strip()

    def find(self, run_id: str) -> str | None:
        result = self.session.transport.run(sh_join(docker.log_label_argv(self.docker, run_id)), timeout=60)
        if not result.ok:
            return None
        name = docker.container_name(run_id)
        return FILE_HANDLE + name if result.text.strip() == "file" else name

    def follow(self, run_id: str, handle: str, position: Position) -> tuple[Stream, LineDecoder]:
        if handle.startswith(FILE_HANDLE):
            log_path = f"{self.session.abs(self.session.run_rel(run_id))}/{docker.LOG_FILE}"
            command = docker.follow_file_command(
                self.docker, run_id, log_path, position.size, process.alive_function()
            )
            return self.session.transport.open_stream(command), ByteLines(position)
        # A container started before its output went to a file (an older cosmos-tui) is followed
        # through docker's log driver. The model's stderr is already in stdout (2>&1 in the
        # container); docker's own stderr ("No such container") must never reach the spool.
        argv = docker.logs_argv(self.docker, run_id, since=position.since)
        stream = self.session.transport.open_stream(sh_join(argv), merge_stderr=False)
        return stream, DockerLines(position)

    def state(self, run_id: str, handle: str) -> State:
        result = self.session.transport.run(sh_join(docker.inspect_argv(self.docker, run_id)), timeout=60)
        if not result.ok:
            if docker.no_such_container(result.error_text):
                return State("gone")
            raise DockerError(result.error_text)
        parsed = docker.parse_inspect(result.text)
        if parsed is None:
            raise DockerError(f"unexpected docker inspect output: {result.text.strip()[:200]}")
        status, code, oom, finished = parsed
        if status in ("exited", "dead"):
            return State("exited", code, oom, parse_docker_time(finished))
        return State("running")

    def stop(self, run_id: str, handle: str, grace: int) -> None:
        self.session.transport.run(sh_join(docker.stop_argv(self.docker, run_id, grace)), timeout=grace + 60)

    def cleanup(self, run_id: str, handle: str) -> None:
        self.session.transport.run(sh_join(docker.rm_argv(self.docker, run_id)), timeout=60)


class ProcessRuntime:
    def __init__(self, session: HostSession) -> None:
        self.session = session

    def _run_dir(self, run_id: str) -> str:
        return self.session.abs(self.session.run_rel(run_id))

    def start(self, run_id: str, command: str) -> str:
        env = model_env(self.session, self.session.remote_dir)
        if self.session.host.simulated:
            env["PATH"] = f"{self.session.sim_bin()}:" + env.get("PATH", "/usr/local/bin:/usr/bin:/bin")
        script = process.start_command(self._run_dir(run_id), self.session.remote_dir, command, env)
        result = self.session.transport.run(script, timeout=60)
        pid = result.text.strip().splitlines()[-1] if result.text.strip() else ""
        if not result.ok or not pid.isdigit():
            raise HostError(f"could not start the model on host {self.session.name} ({result.error_text}).")
        return pid

    def find(self, run_id: str) -> str | None:
        result = self.session.transport.run(process.find_command(self._run_dir(run_id)), timeout=60)
        pid = result.text.strip()
        return pid if pid.isdigit() else None

    def follow(self, run_id: str, handle: str, position: Position) -> tuple[Stream, LineDecoder]:
        command = process.follow_command(self._run_dir(run_id), position.size, handle)
        return self.session.transport.open_stream(command), ByteLines(position)

    def state(self, run_id: str, handle: str) -> State:
        result = self.session.transport.run(process.state_command(self._run_dir(run_id), handle), timeout=60)
        words = result.text.split()
        if words[:1] == ["exited"] and len(words) > 1 and words[1].lstrip("-").isdigit():
            ended = parse_epoch(words[2] if len(words) > 2 else None)
            return State("exited", int(words[1]), finished_at=ended)
        if words[:1] == ["running"]:
            return State("running")
        return State("gone")

    def stop(self, run_id: str, handle: str, grace: int) -> None:
        self.session.transport.run(
            process.stop_command(self._run_dir(run_id), handle, grace), timeout=grace + 60
        )

    def cleanup(self, run_id: str, handle: str) -> None:
        return None  # the run folder keeps the log and outputs; nothing else to remove


class SlurmRuntime:
    """Each run is a Slurm batch job (see remote/slurm.py); the handle is its job ID."""

    def __init__(self, session: HostSession) -> None:
        self.session = session
        self.host = session.host

    def _run_dir(self, run_id: str) -> str:
        return self.session.abs(self.session.run_rel(run_id))

    def start(self, run_id: str, command: str) -> str:
        host = self.host
        contained = host.slurm_container != "none"
        env = model_env(self.session, slurm.WORKSPACE if contained else self.session.remote_dir)
        if host.simulated and not contained:
            env["PATH"] = f"{self.session.sim_bin()}:" + env.get("PATH", "/usr/local/bin:/usr/bin:/bin")
        wrapped = slurm.wrap(command, host.slurm_container, host.image, self.session.remote_dir)
        run_dir = self._run_dir(run_id)
        text = slurm.script(run_dir, self.session.remote_dir, wrapped, env)
        options = slurm.Submit(
            host.slurm_partition, host.slurm_account, host.slurm_gres, host.slurm_time, host.slurm_args
        )
        result = self.session.transport.run(
            slurm.submit_command(run_id, run_dir, options, host.env), timeout=120, stdin=text.encode()
        )
        job = result.text.strip().splitlines()[-1] if result.text.strip() else ""
        if not result.ok or not job.isdigit():
            raise HostError(
                f"Slurm on host {self.session.name} refused the job ({result.error_text}); check "
                "slurm_partition, slurm_account, slurm_gres, slurm_time and slurm_args."
            )
        return job

    def find(self, run_id: str) -> str | None:
        command = slurm.find_command(run_id, self._run_dir(run_id), self.host.env)
        job = self.session.transport.run(command, timeout=60).text.strip()
        return job if job.isdigit() else None

    def follow(self, run_id: str, handle: str, position: Position) -> tuple[Stream, LineDecoder]:
        command = slurm.follow_command(self._run_dir(run_id), position.size, handle, self.host.env)
        return self.session.transport.open_stream(command), ByteLines(position)

    def state(self, run_id: str, handle: str) -> State:
        command = slurm.state_command(self._run_dir(run_id), handle, self.host.env)
        result = self.session.transport.run(command, timeout=60)
        if not result.ok:
            raise HostError(
                f"could not ask Slurm on host {self.session.name} about job {handle} ({result.error_text})."
            )
        exited: State | None = None
        job_state, reason, code_text = "?", "", ""
        for line in result.text.splitlines():
            words = line.split()
            if words[:1] == ["exit"] and len(words) > 1 and words[1].lstrip("-").isdigit():
                exited = State(
                    "exited", int(words[1]), finished_at=parse_epoch(words[2] if len(words) > 2 else None)
                )
            elif words[:1] == ["slurm"] and len(words) > 1:
                job_state, _, rest = words[1].partition("|")
                reason, _, code_text = rest.partition("|")
        base = job_state.split("+")[0]  # "CANCELLED+" (by a user) is still CANCELLED
        if exited is not None:
            if exited.exit_code == 0 or base == "?":
                return exited
            if base in slurm.ACTIVE:
                # The model ended on a signal Slurm sent (a time limit warns with SIGTERM first):
                # wait until Slurm says why the job ended.
                return State("running")
        if base == "PENDING":
            return State("running", pending=reason if reason and reason != "None" else "waiting")
        if base in slurm.ACTIVE:
            return State("running")
        if base == "?":
            return State("gone")
        status, _, signal_text = code_text.partition(":")
        code = int(status) if status.isdigit() else None
        if signal_text.isdigit() and int(signal_text):
            code = 128 + int(signal_text)
        ending = slurm.ENDINGS.get(base)
        cause = None
        if ending is not None:
            limit = f" (slurm_time = {self.host.slurm_time})" if self.host.slurm_time else ""
            cause = (ending[0], ending[1].format(limit=limit, host=self.session.name))
        if exited is not None:
            return State("exited", exited.exit_code, finished_at=exited.finished_at, cause=cause)
        return State("exited", code, oom_killed=base == "OUT_OF_MEMORY", cause=cause)

    def stop(self, run_id: str, handle: str, grace: int) -> None:
        self.session.transport.run(slurm.cancel_command(handle, grace, self.host.env), timeout=grace + 60)

    def cleanup(self, run_id: str, handle: str) -> None:
        return None  # the run folder keeps the log and outputs; Slurm forgets the job itself


def runtime_for(session: HostSession) -> Runtime:
    if session.host.runtime == "slurm":
        return SlurmRuntime(session)
    return DockerRuntime(session) if session.host.runtime == "docker" else ProcessRuntime(session)
