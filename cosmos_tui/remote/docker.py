"""The docker runtime: pure functions that build docker command lines (argv lists).

The host's `docker` setting is used verbatim as the prefix (`docker`, `sudo docker`,
`docker -H unix:///...`). Every container we start has our label and a name derived from the
run ID, so it can be found again after a crash and nothing else is ever touched.

The model's output goes to run.log in its run folder (which the container mounts), not to docker's
log driver: the driver passes a line on only at its newline, so a progress bar redrawn with ``\r``
would arrive whole when its stage is over. The file is followed by byte offset, as the process
runtime's is, and such containers carry the LOG_LABEL so a re-attach knows which way to follow.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence

LABEL = "cosmos-tui.run_id"
LOG_LABEL = "cosmos-tui.log"  # "file": the model writes run.log in its run folder
LOG_FILE = "run.log"
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
    labels: Mapping[str, str] | None = None,
) -> list[str]:
    """`docker run -d` of the model; ``command`` runs under `bash -lc` in /workspace."""
    argv = [*prefix(docker), "run", "-d", "--name", container_name(run_id), "--label", f"{LABEL}={run_id}"]
    for key, val in (labels or {}).items():
        argv += ["--label", f"{key}={val}"]
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


def log_label_argv(docker: str, run_id: str) -> list[str]:
    """Prints the container's LOG_LABEL ("file", or nothing for a container that logs to docker)."""
    label = '{{index .Config.Labels "' + LOG_LABEL + '"}}'
    return [*prefix(docker), "inspect", "-f", label, container_name(run_id)]


def follow_file_command(docker: str, run_id: str, log_path: str, offset: int, alive: str) -> str:
    """Stream a container's log file from a byte offset until the container has ended and every
    byte is out.

    `docker wait` in the background tells when the container is over (it returns at once for a
    container that is already gone); ``alive`` defines the shell function that asks whether it is
    still waiting. The file's size is polled every 50 ms and only what is new is sent, so a bar's
    unfinished line arrives as it is drawn. A write that fails (the link was cut) ends the loop.
    """
    q = shlex.quote
    wait = " ".join(q(word) for word in [*prefix(docker), "wait", container_name(run_id)])
    log = q(log_path)
    return (
        alive + f"{wait} > /dev/null 2>&1 & w=$!; trap 'kill $w 2>/dev/null' EXIT; off={offset:d}; "
        f"while :; do "
        f"if alive $w; then fin=0; else fin=1; fi; "
        f"size=$(wc -c < {log} 2>/dev/null || echo 0); size=$((size+0)); "
        f'if [ "$size" -gt "$off" ]; then tail -c +$((off+1)) {log} | head -c $((size-off)) || exit 1; '
        f"off=$size; fi; "
        f'[ "$fin" = 1 ] && break; sleep 0.05; done'
    )


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
