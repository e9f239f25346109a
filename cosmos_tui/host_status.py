"""What a host looks like right now: reachable or why not, its GPUs, our containers, free disk."""

from __future__ import annotations

import logging
import shlex

from cosmos_tui.config import Config
from cosmos_tui.engine.hosts import HostSession
from cosmos_tui.errors import CosmosError
from cosmos_tui.records import ContainerStatus, HostStatus
from cosmos_tui.remote import docker, gpus
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
            log.warning("host %s is unreachable: %s", host.name, exc)
        return HostStatus(host.name, label, False, str(exc))
