"""One session per host: its transport (a reused connection), its resolved remote folder, the
simulator installation for simulated hosts, and content-addressed input uploads."""

from __future__ import annotations

import hashlib
import logging
import shlex
import threading
from collections.abc import Callable
from pathlib import Path

from cosmos_tui import sim
from cosmos_tui.config import Config, HostConfig
from cosmos_tui.engine.preflight import disk_folders
from cosmos_tui.errors import HostError
from cosmos_tui.remote.transport import Progress, Transport, sh_join

log = logging.getLogger(__name__)

STATE_DIR = ".cosmos-tui"
INPUTS_DIR = f"{STATE_DIR}/inputs"
RUNS_DIR = f"{STATE_DIR}/runs"

Hasher = Callable[[Path], str]


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def make_transport(host: HostConfig) -> Transport:
    if host.transport == "local":
        from cosmos_tui.remote.local import LocalTransport

        return LocalTransport(host.name)
    from cosmos_tui.remote.ssh import SSHTransport  # Paramiko only when a host needs it

    return SSHTransport(host)


STALE_UPLOAD_MINUTES = 24 * 60  # an upload in progress writes its part file all the time


def stale_uploads_command(inputs_dir: str, dry_run: bool = False) -> str:
    """Prints (and removes) the `.part-*` files uploads that died left in inputs/ over a day ago."""
    action = "-print" if dry_run else "-exec rm -f {} \\; -print"
    return (
        f"(cd {shlex.quote(inputs_dir)} 2>/dev/null && find . -mindepth 1 -maxdepth 1 -type f "
        f"-name '*.part-*' -mmin +{STALE_UPLOAD_MINUTES:d} {action}); true"
    )


class HostSession:
    def __init__(self, host: HostConfig, transport: Transport | None = None) -> None:
        self.host = host
        self.transport = transport or make_transport(host)
        self._remote_dir: str | None = None
        self._sim_ready = False
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.host.name

    @property
    def host_hang_seconds(self) -> float:
        return self.host.hang_minutes * 60

    @property
    def host_stop_grace(self) -> int:
        return self.host.stop_grace

    @property
    def remote_dir(self) -> str:
        """remote_dir with a leading ~ expanded on the host (looked up once)."""
        if self._remote_dir is None:
            path = self.host.remote_dir
            if path == "~" or path.startswith("~/"):
                home = self.transport.run('printf %s "$HOME"', timeout=30).text.strip()
                path = home + path[1:]
            self._remote_dir = path.rstrip("/") or "/"
        return self._remote_dir

    def abs(self, rel: str) -> str:
        return f"{self.remote_dir}/{rel}"

    def run_rel(self, run_id: str) -> str:
        return f"{RUNS_DIR}/{run_id}"

    def sim_bin(self) -> str:
        return self.abs(f"{sim.INSTALL_DIR}/bin")

    def ensure_simulator(self) -> None:
        """Install the simulator into remote_dir/.cosmos-sim once per version (simulated hosts)."""
        if not self.host.simulated or self._sim_ready:
            return
        with self._lock:
            if self._sim_ready:
                return
            base = self.abs(sim.INSTALL_DIR)
            version = sim.sim_version()
            probe = self.transport.run(f"cat {shlex.quote(base + '/VERSION')} 2>/dev/null", timeout=30)
            if probe.text.strip() != version:
                folders = sorted({str(rel.parent) for rel in sim.sim_files()})
                self.transport.run(
                    "mkdir -p " + sh_join([f"{base}/{f}" for f in folders] + [f"{base}/state"]), timeout=30
                ).ok or self._fail_mkdir(base)
                for rel in sim.sim_files():
                    self.transport.upload(sim.FILES / rel, f"{base}/{rel}")
                # The checkpoint folders a real host would have (the pre-flight check looks for them).
                stand_ins = " ".join(
                    f"mkdir -p {shlex.quote(self.abs(r))} && touch {shlex.quote(self.abs(r + '/SIMULATED'))};"
                    for r in disk_folders()
                )
                self.transport.run(
                    f"{stand_ins} chmod 755 {shlex.quote(base)}/bin/* && printf %s {shlex.quote(version)} > "
                    f"{shlex.quote(base + '/VERSION')}",
                    timeout=30,
                )
            self._sim_ready = True

    def _fail_mkdir(self, path: str) -> bool:
        raise HostError(f"cannot create {path} on host {self.name}; check remote_dir and its permissions.")

    def prepare_run(
        self, run_id: str, files: list[Path], hasher: Hasher, progress: Progress | None = None
    ) -> dict[str, str]:
        """Make the run folder and make sure every input is on the host, sending only new content.

        Returns {local path: path relative to remote_dir}. One command checks which inputs the
        host already has; the missing ones go up by SFTP to a temp name and are renamed in place.
        """
        rel_of: dict[str, str] = {}
        sizes = [path.stat().st_size for path in files if path.is_file()]
        self.transport.expect_bulk(max(sizes, default=0))  # its handshake overlaps hashing and checking
        for path in files:
            rel_of[str(path)] = f"{INPUTS_DIR}/{hasher(path)}{path.suffix.lower()}"
        run_dir = self.abs(self.run_rel(run_id))
        # Touching an input it finds marks it as in use: `host clean` keeps recently used inputs.
        checks = " ".join(
            f"[ -f {shlex.quote(self.abs(rel))} ] && {{ touch -c {shlex.quote(self.abs(rel))} 2>/dev/null; "
            f"echo {shlex.quote(rel)}; }};"
            for rel in set(rel_of.values())
        )
        result = self.transport.run(
            f"mkdir -p {shlex.quote(self.abs(INPUTS_DIR))} {shlex.quote(run_dir)}/output || exit 90; "
            f"( {stale_uploads_command(self.abs(INPUTS_DIR))} ) >/dev/null 2>&1; {checks} true",
            timeout=60,
        )
        if result.code == 90:
            raise HostError(
                f"cannot create {run_dir} on host {self.name} ({result.error_text}); check remote_dir and "
                "its permissions."
            )
        present = set(result.text.split())
        for local, rel in rel_of.items():
            if rel not in present:
                log.info("uploading %s to %s:%s", local, self.name, rel)
                self.transport.upload(Path(local), self.abs(rel), progress)
                present.add(rel)
        return rel_of

    def already_there(self, placed: dict[str, str]) -> dict[str, str]:
        """Those of these inputs ({local path: path relative to remote_dir}) the host has, non-empty,
        where an earlier run left them; one command for all."""
        if not placed:
            return {}
        checks = " ".join(
            f"[ -s {shlex.quote(self.abs(rel))} ] && echo {shlex.quote(rel)};" for rel in set(placed.values())
        )
        result = self.transport.run(f"{checks} true", timeout=60)
        present = set(result.text.split("\n"))
        return {local: rel for local, rel in placed.items() if rel in present}

    def free_disk_bytes(self) -> int | None:
        result = self.transport.run(
            f"df -Pk {shlex.quote(self.remote_dir)} 2>/dev/null | tail -1", timeout=30
        )
        parts = result.text.split()
        try:
            return int(parts[3]) * 1024
        except (IndexError, ValueError):
            return None

    def close(self) -> None:
        self.transport.close()


class HostPool:
    """Sessions by host name, created on first use and shared by every worker thread."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._sessions: dict[str, HostSession] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> HostSession:
        with self._lock:
            session = self._sessions.get(name)
            if session is None:
                session = HostSession(self.config.host(name))
                self._sessions[name] = session
            return session

    def close(self) -> None:
        with self._lock:
            for session in self._sessions.values():
                session.close()
            self._sessions.clear()
