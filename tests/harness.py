"""Real daemons for integration tests and benchmarks: an OpenSSH sshd on 127.0.0.1 and a dockerd
with its own socket, data-root and exec-root, both in temp folders, both shut down cleanly.

Used by the session fixtures in conftest.py and by scripts under bench/. Nothing here is a mock:
the product talks to these daemons exactly as it talks to a real GPU host.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.waiting import poll

INSTALL_HINT = (
    "install it with: apt-get install -y openssh-server docker.io busybox-static dash tmux "
    "(./scripts/test does this when run as root)"
)


class MissingInfrastructure(RuntimeError):
    """A binary or daemon the integration tests need is not available."""


def require_binary(name: str, package: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin:/bin")
    if path is None:
        raise MissingInfrastructure(f"{name} is not installed (Debian package {package}); {INSTALL_HINT}")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check, timeout: float, what: str, log: Path | None = None) -> None:  # type: ignore[no-untyped-def]
    if poll(check, timeout):
        return
    tail = ""
    if log is not None and log.exists():
        tail = "\n" + "\n".join(log.read_text(errors="replace").splitlines()[-20:])
    raise MissingInfrastructure(f"{what} did not come up within {timeout:.0f} s{tail}")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); look at its state.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def stop_process(proc: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@dataclass
class Sshd:
    """A real OpenSSH server on 127.0.0.1 with a temp host key and a temp client key."""

    root: Path
    port: int = 0
    user: str = field(default_factory=lambda: os.environ.get("USER") or "root")
    proc: subprocess.Popen[bytes] | None = None

    @property
    def client_key(self) -> Path:
        return self.root / "id_ed25519"

    @property
    def known_hosts(self) -> Path:
        return self.root / "known_hosts"

    @property
    def host_key(self) -> Path:
        return self.root / "ssh_host_ed25519_key"

    @property
    def log(self) -> Path:
        return self.root / "sshd.log"

    def start(self) -> Sshd:
        require_binary("sshd", "openssh-server")  # fail early, before making keys
        keygen = require_binary("ssh-keygen", "openssh-client")
        self.root.mkdir(parents=True, exist_ok=True)
        for key in (self.host_key, self.client_key):
            subprocess.run([keygen, "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
        (self.root / "authorized_keys").write_text(self.client_key.with_suffix(".pub").read_text())
        self.port = self.port or free_port()
        host_pub = self.host_key.with_suffix(".pub").read_text().split()
        self.known_hosts.write_text(f"[127.0.0.1]:{self.port} {host_pub[0]} {host_pub[1]}\n")
        config = self.root / "sshd_config"
        config.write_text(
            "\n".join(
                [
                    f"Port {self.port}",
                    "ListenAddress 127.0.0.1",
                    f"HostKey {self.host_key}",
                    f"PidFile {self.root / 'sshd.pid'}",
                    f"AuthorizedKeysFile {self.root / 'authorized_keys'}",
                    "PubkeyAuthentication yes",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "PermitRootLogin prohibit-password",
                    "StrictModes no",
                    "UsePAM no",
                    "MaxStartups 100",
                    "MaxSessions 100",
                    "Subsystem sftp internal-sftp",
                    "LogLevel VERBOSE",
                ]
            )
            + "\n"
        )
        return self.launch()

    def launch(self) -> Sshd:
        """Start (or restart, after stop()) the daemon with the keys and port already made."""
        Path("/run/sshd").mkdir(parents=True, exist_ok=True)  # privilege separation folder
        self.proc = subprocess.Popen(
            [require_binary("sshd", "openssh-server"), "-D", "-e", "-f", str(self.root / "sshd_config")],
            stdout=subprocess.DEVNULL,
            stderr=self.log.open("ab"),
            start_new_session=True,
        )
        wait_for(self._listening, 10, "sshd", self.log)
        return self

    def _listening(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise MissingInfrastructure(f"sshd exited at start: {self.log.read_text()[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 0.2):
            return True
        return False

    def session_pids(self) -> list[int]:
        """PIDs of the per-connection sshd processes (children of the listener)."""
        if self.proc is None:
            return []
        out = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(self.proc.pid)], capture_output=True, text=True
        ).stdout
        return [int(p) for p in out.split()]

    def stop(self) -> None:
        if self.proc is not None:
            for pid in self.session_pids():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
            stop_process(self.proc)


@dataclass
class Dockerd:
    """A real dockerd with its own socket, data-root and exec-root; or an existing daemon."""

    root: Path
    external_host: str | None = None  # e.g. unix:///var/run/docker.sock from $COSMOS_TEST_DOCKER_HOST
    proc: subprocess.Popen[bytes] | None = None

    @property
    def host(self) -> str:
        return self.external_host or f"unix://{self.root / 'docker.sock'}"

    @property
    def docker_command(self) -> str:
        """The value for a host's `docker` config key."""
        return f"docker -H {self.host}"

    @property
    def log(self) -> Path:
        return self.root / "dockerd.log"

    def docker(
        self, *args: str, input: bytes | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            ["docker", "-H", self.host, *args], input=input, capture_output=True, check=check, timeout=120
        )

    def start(self) -> Dockerd:
        require_binary("docker", "docker.io")
        if self.external_host:
            wait_for(self._answers, 10, f"docker at {self.external_host}")
            return self
        dockerd = require_binary("dockerd", "docker.io")
        self.root.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [
                dockerd,
                "--iptables=false",
                "--ip-masq=false",
                "--bridge=none",
                "--host",
                self.host,
                "--data-root",
                str(self.root / "data"),
                "--exec-root",
                str(self.root / "exec"),
                "--pidfile",
                str(self.root / "docker.pid"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=self.log.open("wb"),
            start_new_session=True,
        )
        wait_for(self._answers, 30, "dockerd", self.log)
        return self

    def _answers(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise MissingInfrastructure(f"dockerd exited at start: {self.log.read_text()[-3000:]}")
        return self.docker("version", check=False).returncode == 0

    def our_containers(self) -> list[str]:
        out = self.docker(
            "ps", "-a", "--filter", "label=cosmos-tui.run_id", "--format", "{{.Names}}", check=False
        )
        return out.stdout.decode().split()

    def remove_our_containers(self) -> None:
        ids = self.our_containers()
        if ids:
            self.docker("rm", "-f", *ids, check=False)

    def stop(self) -> None:
        self.remove_our_containers()
        if self.proc is not None:
            stop_process(self.proc, grace=20)


@dataclass
class Harness:
    """sshd + dockerd + the sim image, started together and stopped together."""

    root: Path
    sshd: Sshd
    dockerd: Dockerd
    image: str = ""
    startup_seconds: dict[str, float] = field(default_factory=dict)

    @classmethod
    def create(cls, root: Path | None = None) -> Harness:
        # Unix socket paths must stay under 108 bytes: keep the folder short.
        root = root or Path(tempfile.mkdtemp(prefix="cosmos-h-", dir="/tmp"))
        external = os.environ.get("COSMOS_TEST_DOCKER_HOST") or None
        return cls(root=root, sshd=Sshd(root / "ssh"), dockerd=Dockerd(root / "dk", external))

    def start(self) -> Harness:
        from cosmos_tui.sim.image import build_image

        try:
            t0 = time.perf_counter()
            self.sshd.start()
            t1 = time.perf_counter()
            self.dockerd.start()
            t2 = time.perf_counter()
            self.image = build_image(shlex.split(self.dockerd.docker_command))
            t3 = time.perf_counter()
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = {"sshd": t1 - t0, "dockerd": t2 - t1, "image": t3 - t2}
        return self

    def leftovers(self) -> list[str]:
        """What is still alive after stop(): should be nothing."""
        found = []
        for name, proc in (("sshd", self.sshd.proc), ("dockerd", self.dockerd.proc)):
            if proc is not None and pid_alive(proc.pid):
                found.append(f"{name} (pid {proc.pid})")
        if self.dockerd.external_host:
            found += [f"container {c}" for c in self.dockerd.our_containers()]
        return found

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.dockerd.stop()
        with contextlib.suppress(Exception):
            self.sshd.stop()

    def cleanup_files(self) -> None:
        if not self.dockerd.external_host or self.root.exists():
            shutil.rmtree(self.root, ignore_errors=True)

    def host_table(
        self,
        name: str = "test",
        remote_dir: Path | None = None,
        speed: str | None = None,
        env: dict[str, str] | None = None,
        **extra: object,
    ) -> str:
        """A [hosts.NAME] TOML table for an SSH + Docker host backed by this harness."""
        remote = remote_dir or (self.root / "remote")
        values: dict[str, object] = {
            "transport": "ssh",
            "hostname": "127.0.0.1",
            "port": self.sshd.port,
            "user": self.sshd.user,
            "key_file": str(self.sshd.client_key),
            "known_hosts": str(self.sshd.known_hosts),
            "remote_dir": str(remote),
            "runtime": "docker",
            "docker": self.dockerd.docker_command,
            "image": self.image,
            "gpus": "",
            "num_gpu": 1,
            "simulated": True,
            **extra,
        }
        table = toml_table(f"hosts.{name}", values)
        variables = {**({"COSMOS_SIM_SPEED": speed} if speed is not None else {}), **(env or {})}
        if variables:
            table += toml_table(f"hosts.{name}.env", variables)
        return table


def toml_table(header: str, values: dict[str, object]) -> str:
    from cosmos_tui.config import toml_value

    lines = [f"[{header}]"] + [f"{k} = {toml_value(v)}" for k, v in values.items()]
    return "\n".join(lines) + "\n"


def local_host_table(
    name: str, remote_dir: Path, speed: str = "0.001", env: dict[str, str] | None = None, **extra: object
) -> str:
    """A [hosts.NAME] table for a simulated host on this machine (local transport, process runtime)."""
    values: dict[str, object] = {
        "transport": "local",
        "remote_dir": str(remote_dir),
        "runtime": "process",
        "gpus": "",
        "simulated": True,
        **extra,
    }
    variables = {"COSMOS_SIM_SPEED": speed, **(env or {})}
    return toml_table(f"hosts.{name}", values) + toml_table(f"hosts.{name}.env", variables)
