"""Big files go through OpenSSH's scp, which spends about half the CPU per byte that Paramiko does.

Where the time went (bench/bench_transfer.py, 500 MiB on loopback, 2 cores): the copy is
CPU-bound on both ends, and plain `scp` spends it on ChaCha20-Poly1305 plus a fresh handshake
(about 0.2 s). So:

- AES-GCM first (``Ciphers=^aes128-gcm@...``) where the CPU has AES instructions: about a quarter
  less time than the ChaCha20 default. A cipher list the user set in ~/.ssh/config is left alone.
- One shared OpenSSH connection per host (ControlMaster=auto): the first copy opens it and leaves
  it running in the background for ``PERSIST_SECONDS`` after the last copy, later copies skip the
  handshake. Its socket lives in a private (0700) folder of this process.
- Host keys are checked as for every other connection: StrictHostKeyChecking=yes against the
  host's known_hosts file, never asking; BatchMode, so nothing ever prompts.
"""

from __future__ import annotations

import functools
import logging
import re
import shlex
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from cosmos_tui.remote.transport import Progress

if TYPE_CHECKING:
    from cosmos_tui.remote.ssh import Target

log = logging.getLogger(__name__)

PERSIST_SECONDS = 60  # an idle shared connection closes itself this long after its last copy
PROGRESS_EVERY = 0.25  # seconds between progress reports while scp runs
GCM_CIPHERS = ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com")
ALIVE_EVERY = 5  # seconds; the shared connection notices a dead link within 3 of these, as ours does


@functools.cache
def aes_in_hardware() -> bool:
    """Whether AES-GCM is the fast cipher here (AES instructions); without them ChaCha20 is.
    Unknown (no /proc/cpuinfo, e.g. macOS, whose CPUs all have them): yes."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return True
    flags: set[str] = set()
    for line in text.splitlines():
        if line.startswith(("flags", "Features")):
            flags.update(line.partition(":")[2].split())
    return not flags or "aes" in flags


@functools.cache
def scp_speaks_sftp() -> bool | None:
    """None: no scp here. True: scp has -s (OpenSSH 8.7+), paths are the SFTP protocol's: an upload
    target is literal, a download source is a glob. False: the old protocol, where the remote shell
    reads both."""
    if shutil.which("scp") is None:
        return None
    usage = subprocess.run(["scp"], capture_output=True, text=True, stdin=subprocess.DEVNULL).stderr
    flags = re.search(r"\[-([0-9A-Za-z]+)\]", usage)
    return bool(flags and "s" in flags.group(1))


def glob_escaped(path: str) -> str:
    return re.sub(r"([\\*?\[])", r"\\\1", path)


def config_value(path: str | Path) -> str:
    """A path as an ssh -o value: % is a token there and the value is split at spaces."""
    text = str(path).replace("%", "%%").replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


class BulkCopier:
    """scp to and from one host over a shared OpenSSH connection."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self._folder: Path | None = None
        self._lock = threading.Lock()
        self._opener: threading.Thread | None = None

    @property
    def available(self) -> bool:
        return scp_speaks_sftp() is not None

    @property
    def destination(self) -> str:
        host = self.target.hostname
        return f"{self.target.user}@{f'[{host}]' if ':' in host else host}"

    def _control_path(self) -> Path:
        with self._lock:
            if self._folder is None:
                # Short, private, under /tmp: a Unix socket path must stay under ~100 bytes.
                base = "/tmp" if Path("/tmp").is_dir() else None
                self._folder = Path(tempfile.mkdtemp(prefix="cosmos-ssh-", dir=base))
            return self._folder / "mux"

    def options(self) -> list[str]:
        """ssh options shared by scp and the control commands (no secrets: key paths only)."""
        target = self.target
        argv = [
            "-o",
            f"UserKnownHostsFile={config_value(target.known_hosts)}",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            "ConnectTimeout=10",
            "-o",
            f"ServerAliveInterval={ALIVE_EVERY}",
            "-o",
            "ServerAliveCountMax=3",
            "-o",
            "ControlMaster=auto",
            "-o",
            f"ControlPath={config_value(self._control_path())}",
            "-o",
            f"ControlPersist={PERSIST_SECONDS}",
        ]
        if not target.ciphers_configured and aes_in_hardware():
            argv += ["-o", "Ciphers=^" + ",".join(GCM_CIPHERS)]
        for key in target.key_files:
            argv += ["-i", key]
        if target.proxy_jump and target.proxy_jump.lower() != "none":
            argv += ["-J", target.proxy_jump]
        return argv

    def remote(self, path: str, *, source: bool) -> str:
        """host:path for scp, the path written so that scp's protocol reads it literally."""
        if scp_speaks_sftp():
            return f"{self.destination}:{glob_escaped(path) if source else path}"
        return f"{self.destination}:{shlex.quote(path)}"

    def open_in_background(self) -> None:
        """Start the shared connection now, so that its handshake overlaps other work (hashing, the
        host's checks) instead of delaying the copy that follows."""
        if not self.available:
            return
        with self._lock:
            if self._opener is not None and self._opener.is_alive():
                return
            self._opener = threading.Thread(target=self._open, name="ssh-shared-open", daemon=True)
            self._opener.start()

    def _open(self) -> None:
        control = self._control_path()
        if control.exists():
            return
        with tempfile.TemporaryFile() as errors:
            try:
                # -f: back once authenticated, the connection itself then runs in the background.
                result = subprocess.run(
                    ["ssh", "-f", "-N", "-p", str(self.target.port), *self.options(), self.destination],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=errors,
                    timeout=60,
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                log.info("opening a shared ssh connection to %s failed: %s", self.target.hostname, exc)
                return
            if result.returncode != 0:  # the copy then connects on its own, and says what is wrong
                errors.seek(0)
                log.info(
                    "opening a shared ssh connection to %s failed: %s",
                    self.target.hostname,
                    errors.read().decode("utf-8", errors="replace").strip(),
                )

    def _wait_opening(self) -> None:
        """Two connections racing to be the shared one would leave the loser running."""
        opener = self._opener
        if opener is not None:
            opener.join()

    def copy(
        self,
        source: str,
        target: str,
        size: int,
        progress: Progress | None,
        measure: Callable[[], int],
        meanwhile: Callable[[], object] | None = None,
    ) -> str | None:
        """Run scp; None when it worked, else its last line of complaint.

        ``meanwhile`` runs while the bytes move (connecting Paramiko for the checks after).
        ``measure`` says how far the copy got, for progress.
        """
        self._wait_opening()
        argv = ["scp", "-q", "-B", "-P", str(self.target.port)]
        if scp_speaks_sftp():
            argv.append("-s")
        argv += [*self.options(), source, target]
        with tempfile.TemporaryFile() as errors:
            # stderr to a file, not a pipe: the background master must never hold our pipe open.
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors)
            try:
                if meanwhile is not None:
                    meanwhile()
                while True:
                    try:
                        code = proc.wait(PROGRESS_EVERY if progress else None)
                        break
                    except subprocess.TimeoutExpired:
                        if progress:
                            try:
                                done = measure()
                            except Exception:  # a probe that fails (a file not there yet) skips a report
                                log.debug("progress probe failed", exc_info=True)
                                continue
                            progress(done, size)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            if code == 0:
                if progress:
                    progress(size, size)
                return None
            errors.seek(0)
            lines = errors.read().decode("utf-8", errors="replace").strip().splitlines()
            return lines[-1] if lines else f"scp exit code {code}"

    def close(self) -> None:
        """Ask the shared connection, if one runs, to end, and remove its folder."""
        self._wait_opening()
        with self._lock:
            folder, self._folder = self._folder, None
        if folder is None:
            return
        if (folder / "mux").exists():
            try:
                control = f"ControlPath={config_value(folder / 'mux')}"
                subprocess.run(
                    ["ssh", "-o", control, "-O", "exit", self.destination],
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    timeout=10,
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                log.info("could not stop the shared ssh connection to %s: %s", self.target.hostname, exc)
        shutil.rmtree(folder, ignore_errors=True)
