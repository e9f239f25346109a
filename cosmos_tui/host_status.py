"""What a host looks like right now: reachable or why not, its GPUs, our containers, free disk."""

from __future__ import annotations

import logging
import shlex

from cosmos_tui.config import Config
from cosmos_tui.engine.hosts import RUNS_DIR, HostSession
from cosmos_tui.errors import CosmosError, cause_chain
from cosmos_tui.records import ContainerStatus, HostStatus, NodeStatus
from cosmos_tui.remote import docker, gpus, process, slurm
from cosmos_tui.remote.transport import sh_join

log = logging.getLogger(__name__)
# The last problem logged per host: the GPU screen probes every few seconds, so a host that stays
# down is logged when it goes down (or its reason changes), not at every probe.
_last_problem: dict[str, str] = {}


def probe(session: HostSession, config: Config) -> HostStatus:
    host = session.host
    label = config.host_label(host.name)
    try:
        session.transport.check()
        if host.runtime == "slurm":
            return _slurm_status(session, label)
        if host.simulated:
            session.ensure_simulator()
            env = " ".join(
                f"{k}={shlex.quote(v)}" for k, v in host.env.items() if k.startswith("COSMOS_SIM_")
            )
            smi = f"{env} {shlex.quote(session.sim_bin() + '/nvidia-smi')}"
            command = smi + gpus.QUERY.removeprefix("nvidia-smi")
        else:
            command = gpus.QUERY
        result = session.transport.run(command, timeout=30)
        gpu_list = gpus.parse(result.text) if result.ok else []
        containers: list[ContainerStatus] = []
        if host.runtime == "process":
            containers = process_runs(session)
        if host.runtime == "docker":
            listing = session.transport.run(sh_join(docker.ps_argv(host.docker)), timeout=60)
            for line in listing.text.splitlines():
                parts = line.split("\t")
                if len(parts) == 4:
                    containers.append(ContainerStatus(*parts))
        reason = None if result.ok else f"nvidia-smi failed: {result.error_text}"
        if _last_problem.pop(host.name, None) is not None:
            log.warning("host %s is reachable again", host.name)
        return HostStatus(host.name, label, True, reason, gpu_list, containers, session.free_disk_bytes())
    except CosmosError as exc:
        if _last_problem.get(host.name) != str(exc):
            _last_problem[host.name] = str(exc)
            log.warning("host %s is unreachable: %s", host.name, cause_chain(exc))
        return HostStatus(host.name, label, False, str(exc))


def _slurm_status(session: HostSession, label: str) -> HostStatus:
    """A Slurm host: its partition's nodes and their GPU allocation (sinfo/scontrol), and our jobs
    (squeue), not nvidia-smi on the login node."""
    host = session.host
    result = session.transport.run(slurm.nodes_command(host.slurm_partition, host.env), timeout=30)
    nodes = [
        NodeStatus(n.name, n.state, n.gpus_total, n.gpus_used, n.cpus) for n in slurm.parse_nodes(result.text)
    ]
    listing = session.transport.run(f"{slurm.client_env(host.env)}squeue -h -o '%i|%j|%T|%M'", timeout=30)
    jobs = []
    for line in listing.text.splitlines():
        parts = line.split("|")
        if len(parts) == 4 and parts[1].startswith(slurm.PREFIX):
            jobs.append(
                ContainerStatus(f"job {parts[0]}", parts[1][len(slurm.PREFIX) :], parts[2].lower(), parts[3])
            )
    reason = None if result.ok else f"Slurm did not answer: {result.error_text}"
    if _last_problem.pop(host.name, None) is not None:
        log.warning("host %s is reachable again", host.name)
    return HostStatus(host.name, label, True, reason, [], jobs, session.free_disk_bytes(), nodes=nodes)


def process_runs(session: HostSession) -> list[ContainerStatus]:
    """The runs of a `process` host whose model is still running (no exit-code file yet and the
    wrapper alive), as (``pid N``, run ID, ``running``, age), like docker's list of containers."""
    q = shlex.quote
    script = (
        f"cd {q(session.abs(RUNS_DIR))} 2>/dev/null || exit 0; now=$(date +%s); "
        f'for d in rs_*; do [ -f "$d/{process.WRAPPER}" ] && [ ! -f "$d/{process.EXIT}" ] || continue; '
        f'p=$(cat "$d/{process.WRAPPER}"); kill -0 "$p" 2>/dev/null || continue; '
        f't=$(stat -c %Y "$d/{process.WRAPPER}" 2>/dev/null || echo "$now"); '
        'printf "%s\\t%s\\t%s\\n" "$p" "$d" $((now-t)); done'
    )
    result = session.transport.run(script, timeout=60)
    found = []
    for line in result.text.splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and parts[0].isdigit() and parts[2].lstrip("-").isdigit():
            found.append(ContainerStatus(f"pid {parts[0]}", parts[1], "running", ago(int(parts[2]))))
    return found


def ago(seconds: int) -> str:
    """Like docker's RunningFor: ``5 seconds ago``, ``3 minutes ago``, ``2 hours ago``."""
    seconds = max(0, seconds)
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count > 1 else ''} ago"
    return f"{seconds} seconds ago"
