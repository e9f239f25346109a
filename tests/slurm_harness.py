"""A real one-node Slurm cluster for integration tests: munged, slurmctld and slurmd on 127.0.0.1,
everything (key, socket, config, ports, state, spool, logs) under one temp folder.

It never reads or touches a system Slurm or munge: the config sets every path, the ports are
picked free at start, and client commands find the cluster only through ``SLURM_CONF`` (see
``SlurmCluster.env``). Needs root (slurmd runs jobs as root, `SlurmUser=root`).

What works in this setup (Slurm 22.05, Debian 12), for whoever builds a backend on it:

* ``squeue -h -t all -j ID -o '%i|%T|%r'`` gives ``ID|STATE|REASON`` for pending, running and
  finished jobs until ``MinJobAge`` (300 s here) has passed; then it fails with
  "Invalid job id specified" (exit 1). Without ``-t all`` finished jobs are not listed.
* ``scontrol -o show job ID`` gives one line of ``Key=Value`` pairs, among them
  ``JobState=COMPLETED`` and ``ExitCode=143:0`` (exit status : signal), for the same time span.
* ``sacct`` does NOT work: there is no slurmdbd (``AccountingStorageType=accounting_storage/none``)
  and it says "Slurm accounting storage is disabled". Instead ``JobCompType=jobcomp/filetxt``
  appends one line per finished job to ``jobcomp_path`` (same Key=Value form, kept forever).
* A pending job's REASON is ``None`` until a scheduler pass has looked at it (``sched_interval=1``
  here, default 60 s), then e.g. ``Resources``; a cancelled pending job keeps that reason.
  sbatch to RUNNING takes 1-2 s on this cluster (the job waits for the next scheduler pass).
* ``scancel --full --signal=TERM ID`` delivers SIGTERM to the batch script itself; a plain
  ``scancel --signal=TERM`` reaches only job steps (srun), not the batch shell.
* Time limits are whole minutes and are checked every 30 s by slurmctld: lowering a running
  job's limit with ``scontrol update JobId=ID TimeLimit=0`` ends it as TIMEOUT within ~30 s.
* GPUs are faked for GRES tests: ``GresTypes=gpu``, ``Gres=gpu:N`` on the node and a gres.conf
  with ``File=/dev/null``-like lines; ``--gres=gpu:1`` is then scheduled and counted like a real
  GPU and the job gets ``CUDA_VISIBLE_DEVICES``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.harness import MissingInfrastructure, free_port, pid_alive, stop_process, wait_for

INSTALL_HINT = (
    "install it with: apt-get install -y --no-install-recommends slurmctld slurmd munge slurm-client "
    "(./scripts/test does this when run as root)"
)
# Character devices that stand in for GPUs in gres.conf (slurmd only checks that they exist).
FAKE_GPU_FILES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")


def require_slurm_binary(name: str, package: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin:/bin")
    if path is None:
        raise MissingInfrastructure(f"{name} is not installed (Debian package {package}); {INSTALL_HINT}")
    return path


def node_hardware(slurmd: str) -> dict[str, int]:
    """CPUs, sockets, cores, threads and RealMemory (MB) as slurmd itself sees this machine."""
    out = subprocess.run([slurmd, "-C"], capture_output=True, text=True, timeout=30).stdout
    pairs = dict(item.split("=", 1) for item in out.split("\n", 1)[0].split() if "=" in item)
    keys = ("CPUs", "Boards", "SocketsPerBoard", "CoresPerSocket", "ThreadsPerCore", "RealMemory")
    try:
        return {key: int(pairs[key]) for key in keys}
    except (KeyError, ValueError) as exc:
        raise MissingInfrastructure(f"could not read the hardware from `slurmd -C`: {out!r}") from exc


@dataclass
class SlurmCluster:
    """munged + slurmctld + slurmd for one node on 127.0.0.1, configured and kept under ``root``."""

    root: Path
    node: str = "cosmos1"
    partition: str = "debug"
    gpus: int = 2  # fake GPUs (GRES) on the node; 0 for none
    memory_margin_mb: int = 1024  # left out of RealMemory so slurmd never finds less than configured
    extra_conf: list[str] = field(default_factory=list)  # more slurm.conf lines, before the node
    ctld_port: int = 0
    node_port: int = 0
    hardware: dict[str, int] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    startup_seconds: float = 0.0

    @classmethod
    def create(cls, root: Path | None = None, **kwargs: object) -> SlurmCluster:
        # munged wants every folder above its socket searchable by all; socket paths < 108 bytes.
        root = root or Path(tempfile.mkdtemp(prefix="cosmos-sl-", dir="/tmp"))
        return cls(root=root, **kwargs)  # type: ignore[arg-type]

    # -- paths ---------------------------------------------------------------------------------

    @property
    def conf_path(self) -> Path:
        return self.root / "slurm.conf"

    @property
    def munge_socket(self) -> Path:
        return self.root / "munge" / "munge.sock"

    @property
    def jobcomp_path(self) -> Path:
        """One line per finished job, written by slurmctld (jobcomp/filetxt)."""
        return self.root / "jobcomp.txt"

    def log(self, daemon: str) -> Path:
        return self.root / "log" / f"{daemon}.log"

    @property
    def env(self) -> dict[str, str]:
        """What a client command (sbatch, squeue, scontrol, scancel, sinfo) needs in its environment.

        The munge socket is named in slurm.conf (AuthInfo), so SLURM_CONF is all it takes.
        """
        return {"SLURM_CONF": str(self.conf_path)}

    def run(
        self, *argv: str, check: bool = True, timeout: float = 30, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run a Slurm client command against this cluster; text output."""
        return subprocess.run(
            list(argv),
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            check=check,
            timeout=timeout,
            input=input,
        )

    # -- start -----------------------------------------------------------------------------------

    def start(self) -> SlurmCluster:
        munged = require_slurm_binary("munged", "munge")
        slurmctld = require_slurm_binary("slurmctld", "slurmctld")
        slurmd = require_slurm_binary("slurmd", "slurmd")
        for client in ("sbatch", "squeue", "scontrol", "scancel", "sinfo"):
            require_slurm_binary(client, "slurm-client")
        if os.geteuid() != 0:
            raise MissingInfrastructure("the Slurm test cluster needs root (slurmd runs the jobs as root)")
        t0 = time.perf_counter()
        try:
            self._write_files(slurmd)
            self._spawn(
                "munged",
                [
                    munged,
                    "--foreground",
                    "--force",
                    f"--socket={self.munge_socket}",
                    f"--key-file={self.root / 'munge' / 'munge.key'}",
                    f"--pid-file={self.root / 'munge' / 'munged.pid'}",
                    f"--log-file={self.log('munged')}",
                    f"--seed-file={self.root / 'munge' / 'munged.seed'}",
                ],
            )
            wait_for(
                lambda: self._alive("munged") and self.munge_socket.exists(), 10, "munged", self.log("munged")
            )
            self._spawn("slurmctld", [slurmctld, "-D", "-i", "-f", str(self.conf_path)])
            self._spawn("slurmd", [slurmd, "-D", "-f", str(self.conf_path), "-N", self.node])
            wait_for(self._node_idle, 30, "slurmctld + slurmd (node idle in sinfo)", self.log("slurmctld"))
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.perf_counter() - t0
        return self

    def _write_files(self, slurmd: str) -> None:
        for sub in ("munge", "state", "spool", "log", "run"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        # munged refuses a socket folder that others cannot search.
        for folder in (self.root, self.root / "munge"):
            folder.chmod(0o755)
        key = self.root / "munge" / "munge.key"
        fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400)
        with os.fdopen(fd, "wb") as handle:
            handle.write(os.urandom(1024))
        self.hardware = self.hardware or node_hardware(slurmd)
        hw = self.hardware
        memory = max(hw["RealMemory"] - self.memory_margin_mb, hw["RealMemory"] // 2, 1)
        self.ctld_port = self.ctld_port or free_port()
        self.node_port = self.node_port or free_port()
        while self.node_port == self.ctld_port:
            self.node_port = free_port()
        hostname = socket.gethostname()
        r = self.root
        gres = f" Gres=gpu:{self.gpus}" if self.gpus else ""
        lines = [
            "ClusterName=cosmostest",
            f"SlurmctldHost={hostname}(127.0.0.1)",
            f"SlurmctldPort={self.ctld_port}",
            f"SlurmdPort={self.node_port}",
            "AuthType=auth/munge",
            f"AuthInfo=socket={self.munge_socket}",
            "CredType=cred/munge",
            "SlurmUser=root",
            "SlurmdUser=root",
            f"StateSaveLocation={r / 'state'}",
            f"SlurmdSpoolDir={r / 'spool'}",
            f"SlurmctldPidFile={r / 'run' / 'slurmctld.pid'}",
            f"SlurmdPidFile={r / 'run' / 'slurmd.pid'}",
            f"SlurmctldLogFile={self.log('slurmctld')}",
            f"SlurmdLogFile={self.log('slurmd')}",
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_Core",
            # Pending jobs are looked at again every second (not 60), so their Reason is set at once.
            "SchedulerParameters=sched_interval=1",
            "MpiDefault=none",
            "JobAcctGatherType=jobacct_gather/none",
            "AccountingStorageType=accounting_storage/none",
            "JobCompType=jobcomp/filetxt",
            f"JobCompLoc={self.jobcomp_path}",
            "ReturnToService=2",
            "MinJobAge=300",  # finished jobs stay visible to squeue/scontrol for 5 minutes
            "KillWait=5",  # seconds between SIGTERM and SIGKILL when a job is cancelled or times out
            "OverTimeLimit=0",
            "SlurmctldTimeout=30",
            "SlurmdTimeout=60",
            *(["GresTypes=gpu"] if self.gpus else []),
            *self.extra_conf,
            f"NodeName={self.node} NodeAddr=127.0.0.1 NodeHostname={hostname}"
            f" CPUs={hw['CPUs']} Boards={hw['Boards']} SocketsPerBoard={hw['SocketsPerBoard']}"
            f" CoresPerSocket={hw['CoresPerSocket']} ThreadsPerCore={hw['ThreadsPerCore']}"
            f" RealMemory={memory}{gres} State=UNKNOWN",
            f"PartitionName={self.partition} Nodes={self.node} Default=YES MaxTime=INFINITE State=UP",
        ]
        self.conf_path.write_text("\n".join(lines) + "\n")
        # slurmd reads gres.conf next to slurm.conf; without GPUs an empty file keeps it from
        # looking elsewhere.
        files = FAKE_GPU_FILES[: self.gpus]
        if len(files) < self.gpus:
            raise ValueError(f"at most {len(FAKE_GPU_FILES)} fake GPUs")
        (r / "gres.conf").write_text(
            "".join(f"NodeName={self.node} Name=gpu File={f}\n" for f in files) or "\n"
        )

    def _spawn(self, name: str, argv: list[str]) -> None:
        # COSMOS_SLURM_ROOT marks the daemons and the slurmstepd they fork, for leftovers().
        self.procs[name] = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self.log(f"{name}.stderr").open("ab"),
            env={**os.environ, "COSMOS_SLURM_ROOT": str(self.root)},
            start_new_session=True,
        )

    def _alive(self, name: str) -> bool:
        proc = self.procs.get(name)
        if proc is not None and proc.poll() is not None:
            stderr = self.log(f"{name}.stderr")
            tail = stderr.read_text(errors="replace")[-2000:] if stderr.exists() else ""
            raise MissingInfrastructure(f"{name} exited at start (code {proc.returncode}): {tail}")
        return proc is not None

    def _node_idle(self) -> bool:
        for name in ("slurmctld", "slurmd"):
            self._alive(name)
        out = self.run("sinfo", "-h", "-n", self.node, "-o", "%t", check=False, timeout=10)
        return out.returncode == 0 and out.stdout.strip() == "idle"

    # -- queries used by tests ---------------------------------------------------------------------

    def job_state(self, job_id: str) -> tuple[str, str]:
        """(STATE, REASON) from squeue, e.g. ("PENDING", "Resources"); ("", "") once forgotten."""
        out = self.run("squeue", "-h", "-t", "all", "-j", job_id, "-o", "%T|%r", check=False)
        if out.returncode != 0 or not out.stdout.strip():
            return ("", "")
        state, reason = out.stdout.strip().split("|", 1)
        return state, reason

    def show_job(self, job_id: str) -> dict[str, str]:
        """`scontrol -o show job ID` as a dict (JobState, ExitCode, Reason, StdOut, ...)."""
        out = self.run("scontrol", "-o", "show", "job", job_id).stdout
        return dict(item.split("=", 1) for item in out.split() if "=" in item)

    def job_ids(self) -> list[str]:
        """Jobs still pending or running."""
        out = self.run("squeue", "-h", "-o", "%i", check=False)
        return out.stdout.split() if out.returncode == 0 else []

    # -- stop ------------------------------------------------------------------------------------

    def stop(self) -> None:
        """Cancel what is still queued, then stop slurmd, slurmctld and munged (in that order)."""
        if self.procs.get("slurmctld") is not None and self.procs["slurmctld"].poll() is None:
            with contextlib.suppress(Exception):
                jobs = self.job_ids()
                if jobs:
                    self.run("scancel", "--full", *jobs, check=False)
                    deadline = time.monotonic() + 15
                    while self.job_ids() and time.monotonic() < deadline:
                        time.sleep(0.2)
        for name in ("slurmd", "slurmctld", "munged"):
            proc = self.procs.get(name)
            if proc is not None:
                stop_process(proc, grace=15)
        # A slurmstepd (and its job) outlives slurmd; end whatever still carries our marker.
        for pid in self.marked_pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def marked_pids(self) -> list[int]:
        """Live processes started by this cluster: daemons, slurmstepd and jobs submitted with env."""
        needles = (f"COSMOS_SLURM_ROOT={self.root}".encode(), f"SLURM_CONF={self.conf_path}".encode())
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                environ = (entry / "environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if any(n in environ for n in needles) and pid_alive(int(entry.name)):
                found.append(int(entry.name))
        return found

    def leftovers(self) -> list[str]:
        """What is still alive after stop(): should be nothing."""
        found = [f"{n} (pid {p.pid})" for n, p in self.procs.items() if pid_alive(p.pid)]
        daemons = {p.pid for p in self.procs.values()}
        return found + [f"pid {pid}" for pid in self.marked_pids() if pid not in daemons]

    def cleanup_files(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
