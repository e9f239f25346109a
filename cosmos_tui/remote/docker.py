"""The docker runtime: pure functions that build docker command lines (argv lists).

The host's `docker` setting is used verbatim as the prefix (`docker`, `sudo docker`,
`docker -H unix:///...`). Every container we start has our label and a name derived from the
run ID, so it can be found again after a crash and nothing else is ever touched.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence

LABEL = "cosmos-tui.run_id"
WORKSPACE = "/workspace"
INSPECT_FORMAT = "{{.State.Status}} {{.State.ExitCode}} {{.State.OOMKilled}} {{.State.FinishedAt}}"


def prefix(docker: str) -> list[str]:
    return shlex.split(docker)


def container_name(run_id: str) -> str:
    return f"cosmos-{run_id}"


def gpus_value(gpus: str) -> str | None:
    """`all`, a count, or a device list (which docker wants quoted inside the value)."""
    gpus = gpus.strip()
    if not gpus:
        return None
    if gpus == "all" or gpus.isdigit():
        return gpus
    return f'"device={gpus}"'


def run_argv(
    docker: str,
    *,
    run_id: str,
    image: str,
    remote_dir: str,
    command: str,
    gpus: str = "all",
    docker_args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> list[str]:
    """`docker run -d` of the model; ``command`` runs under `bash -lc` in /workspace."""
    argv = [*prefix(docker), "run", "-d", "--name", container_name(run_id), "--label", f"{LABEL}={run_id}"]
    value = gpus_value(gpus)
    if value:
        argv += ["--gpus", value]
    argv += ["--ipc=host", *docker_args, "-v", f"{remote_dir}:{WORKSPACE}", "-w", WORKSPACE]
    for key, val in (env or {}).items():
        argv += ["-e", f"{key}={val}"]
    argv += [image, "bash", "-lc", command]
    return argv


def logs_argv(docker: str, run_id: str, since: str | None = None, follow: bool = True) -> list[str]:
    argv = [*prefix(docker), "logs", "--timestamps"]
    if follow:
        argv.append("-f")
    if since:
        argv += ["--since", since]
    return [*argv, container_name(run_id)]


def inspect_argv(docker: str, run_id: str) -> list[str]:
    return [*prefix(docker), "inspect", "-f", INSPECT_FORMAT, container_name(run_id)]


def stop_argv(docker: str, run_id: str, grace: int) -> list[str]:
    return [*prefix(docker), "stop", "-t", str(grace), container_name(run_id)]


def rm_argv(docker: str, run_id: str) -> list[str]:
    return [*prefix(docker), "rm", "-f", container_name(run_id)]


def remove_stopped_argv(docker: str, run_ids: Sequence[str]) -> list[str]:
    """`docker rm` (no -f: a container still running is never killed) of these runs' containers."""
    return [*prefix(docker), "rm", *(container_name(r) for r in run_ids)]


WIPE_MOUNT = "/cosmos-tui-clean"


def wipe_argv(docker: str, image: str, run_dir: str) -> list[str]:
    """Empty a run folder from inside a throw-away container, as the container's (root) user.

    For files the model wrote as root inside its container, which the host's user may not be
    allowed to delete. Only ``run_dir`` is mounted; rm -rf removes a symlink, never its target
    (busybox find has no -delete).
    """
    return [
        *prefix(docker),
        "run",
        "--rm",
        "--network",
        "none",
        "--label",
        "cosmos-tui.clean=1",
        "-v",
        f"{run_dir}:{WIPE_MOUNT}",
        "--entrypoint",
        "find",
        image,
        WIPE_MOUNT,
        "-mindepth",
        "1",
        "-maxdepth",
        "1",
        "-exec",
        "rm",
        "-rf",
        "{}",
        "+",
    ]


def ps_argv(docker: str) -> list[str]:
    """Our containers only: name, run ID, state, and how long ago each was created."""
    return [
        *prefix(docker),
        "ps",
        "-a",
        "--filter",
        f"label={LABEL}",
        "--format",
        '{{.Names}}\t{{.Label "' + LABEL + '"}}\t{{.State}}\t{{.RunningFor}}',
    ]


def parse_inspect(text: str) -> tuple[str, int, bool, str | None] | None:
    """(status, exit code, OOM-killed, FinishedAt) from INSPECT_FORMAT output; None if unreadable.

    FinishedAt is docker's RFC 3339 time on the host's clock, None while it never finished.
    """
    parts = text.split()
    if len(parts) not in (3, 4):
        return None
    finished = parts[3] if len(parts) == 4 and not parts[3].startswith("0001-") else None
    try:
        return parts[0], int(parts[1]), parts[2] == "true", finished
    except ValueError:
        return None


def no_such_container(error_text: str) -> bool:
    """Whether docker's error output says the container does not exist. The CLI exits 1 for
    every failure, so its words are the only sign: "Error: No such object: cosmos-rs_..." (inspect),
    "Error response from daemon: No such container: ..." (others), lower case from podman."""
    return "no such" in error_text.lower()
