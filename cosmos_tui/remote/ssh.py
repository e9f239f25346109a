"""SSH with Paramiko: one reused connection per host, checked host keys, keepalive and a watchdog,
reconnect with backoff, SFTP with progress.

Honours ~/.ssh/config (Host aliases, HostName, Port, User, IdentityFile, ProxyJump,
UserKnownHostsFile) and ssh-agent. Host keys are checked against the host's known_hosts file (the
config's, else ~/.ssh/known_hosts): an unknown or changed key is refused with its fingerprint;
``cosmos-tui host trust NAME`` records it after the user confirms.
"""

from __future__ import annotations

import base64
import errno
import getpass
import hashlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import paramiko

from cosmos_tui.command import hint
from cosmos_tui.config import HostConfig
from cosmos_tui.errors import AuthError, HostError
from cosmos_tui.remote.openssh import BulkCopier
from cosmos_tui.remote.transport import CommandResult, Progress, Stream, Transport, sh_join

log = logging.getLogger(__name__)

CHUNK = 64 * 1024
BULK_MIN = 16 * 1024 * 1024  # bytes; smaller files go over Paramiko's SFTP channel, bigger by scp
CONNECT_TIMEOUT = 10.0
KEEPALIVE_EVERY = 5.0  # seconds between watchdog probes
KEEPALIVE_ANSWER = 8.0  # a probe unanswered this long means the link is dead (noticed within 15 s)
RECONNECT_DELAYS = (0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
# AES-GCM first: with Paramiko it moves bulk data about 1.5x faster than the CTR+HMAC default.
PREFERRED_CIPHERS = (
    "aes128-gcm@openssh.com",
    "aes256-gcm@openssh.com",
    "aes128-ctr",
    "aes256-ctr",
    "aes192-ctr",
)


def _out_of_space(exc: OSError) -> bool:
    """A full disk on the host. Local writes say so by errno; Paramiko's SFTP errors carry only the
    server's words ("No space left on device")."""
    return exc.errno == errno.ENOSPC or "no space" in str(exc).lower()


class LinkLost(HostError):
    """The SSH connection dropped in the middle of an operation; reconnecting may help."""


class UnknownHostKey(HostError):
    def __init__(self, message: str, key: paramiko.PKey) -> None:
        super().__init__(message)
        self.key = key


class ChangedHostKey(HostError):
    pass


def fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH's form: SHA256:<base64 without padding>."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


@dataclass
class Target:
    """Where and how to connect, after ~/.ssh/config is applied."""

    alias: str
    hostname: str
    port: int
    user: str
    key_files: list[str] = field(default_factory=list)
    known_hosts: Path = field(default_factory=lambda: Path("~/.ssh/known_hosts").expanduser())
    proxy_jump: str | None = None
    ciphers_configured: bool = False  # ~/.ssh/config names the ciphers: scp keeps to them

    @property
    def host_key_name(self) -> str:
        return self.hostname if self.port == 22 else f"[{self.hostname}]:{self.port}"

    @property
    def label(self) -> str:
        return f"{self.user}@{self.hostname}:{self.port}"


def _ssh_config() -> paramiko.SSHConfig:
    path = Path("~/.ssh/config").expanduser()
    if path.is_file():
        try:
            return paramiko.SSHConfig.from_path(str(path))
        except (OSError, paramiko.SSHException) as exc:
            log.warning("ignoring unreadable %s: %s", path, exc)
    return paramiko.SSHConfig()


def resolve_target(
    alias: str,
    port: int = 22,
    user: str = "",
    key_file: Path | None = None,
    known_hosts: Path | None = None,
) -> Target:
    """Apply ~/.ssh/config to a host alias; explicit cosmos-tui settings win over it."""
    entry = _ssh_config().lookup(alias)
    keys = [str(key_file)] if key_file else [str(Path(p).expanduser()) for p in entry.get("identityfile", [])]
    known = known_hosts
    if known is None and entry.get("userknownhostsfile"):
        known = Path(entry["userknownhostsfile"].split()[0]).expanduser()
    return Target(
        alias=alias,
        hostname=entry.get("hostname", alias),
        port=port if port != 22 else int(entry.get("port", 22)),
        user=user or entry.get("user") or getpass.getuser(),
        key_files=keys,
        known_hosts=known or Path("~/.ssh/known_hosts").expanduser(),
        proxy_jump=entry.get("proxyjump"),
        ciphers_configured="ciphers" in entry,
    )


def target_for(host: HostConfig) -> Target:
    return resolve_target(host.hostname, host.port, host.user, host.key_file, host.known_hosts)


def _load_known_hosts(path: Path) -> paramiko.HostKeys:
    keys = paramiko.HostKeys()
    if path.is_file():
        try:
            keys.load(str(path))
        except (OSError, paramiko.SSHException) as exc:
            raise HostError(f"cannot read known_hosts file {path} ({exc}); fix or remove it.") from exc
    return keys


def _open_socket(target: Target, host_name: str) -> socket.socket | paramiko.Channel:
    if target.proxy_jump and target.proxy_jump.lower() != "none":
        first = target.proxy_jump.split(",")[0]
        jump_user, _, jump_host = first.rpartition("@")
        jump_host, _, jump_port = jump_host.partition(":")
        jump = resolve_target(jump_host, int(jump_port or 22), jump_user)
        jump_transport = connect(jump, host_name=f"{host_name} (jump host {jump.alias})")
        try:
            return jump_transport.open_channel(
                "direct-tcpip",
                (target.hostname, target.port),
                ("127.0.0.1", 0),
                timeout=CONNECT_TIMEOUT,
            )
        except (paramiko.SSHException, OSError) as exc:
            raise HostError(
                f"the jump host {jump.alias} could not reach {target.hostname}:{target.port} ({exc}); "
                "check ProxyJump in ~/.ssh/config."
            ) from exc
    try:
        sock = socket.create_connection((target.hostname, target.port), timeout=CONNECT_TIMEOUT)
        # Small request/answer packets must not wait for Nagle + delayed ACK (~40 ms each way).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    except socket.gaierror as exc:
        raise HostError(
            f"cannot resolve the host name {target.hostname} for host {host_name}; check hostname in "
            "the config or ~/.ssh/config."
        ) from exc
    except TimeoutError as exc:
        raise HostError(
            f"host {host_name} ({target.hostname}:{target.port}) did not answer within "
            f"{CONNECT_TIMEOUT:.0f} s; check that it is up and the port is right."
        ) from exc
    except OSError as exc:
        raise HostError(
            f"cannot connect to host {host_name} ({target.hostname}:{target.port}): "
            f"{exc.strerror or exc}; check that sshd runs there and the port is right."
        ) from exc


def connect(target: Target, host_name: str | None = None, *, verify: bool = True) -> paramiko.Transport:
    """An authenticated Paramiko transport whose host key was checked against known_hosts."""
    host_name = host_name or target.alias
    sock = _open_socket(target, host_name)
    transport = paramiko.Transport(sock)
    options = transport.get_security_options()
    available = set(options.ciphers)
    options.ciphers = tuple(c for c in PREFERRED_CIPHERS if c in available) + tuple(
        c for c in options.ciphers if c not in PREFERRED_CIPHERS
    )
    known = _load_known_hosts(target.known_hosts)
    recorded: Mapping[str, paramiko.PKey] = known.lookup(target.host_key_name) or {}
    if recorded:
        # Ask for the key types we already know, so a host with several keys matches ours.
        mine = [t for t in options.key_types if t in recorded]
        options.key_types = tuple(mine) + tuple(t for t in options.key_types if t not in mine)
    try:
        transport.start_client(timeout=CONNECT_TIMEOUT)
    except (paramiko.SSHException, OSError, EOFError) as exc:
        transport.close()
        raise HostError(
            f"SSH handshake with host {host_name} ({target.hostname}:{target.port}) failed ({exc}); "
            "check that it is an SSH server."
        ) from exc
    try:
        server_key = transport.get_remote_server_key()
        if verify:
            _check_host_key(transport, target, host_name, server_key, recorded)
        else:
            return transport
        _authenticate(transport, target, host_name)
        transport.set_keepalive(int(KEEPALIVE_EVERY))
    except (paramiko.SSHException, OSError, EOFError) as exc:
        # The link died between the handshake and here (a frozen or dropped host).
        transport.close()
        raise HostError(f"the connection to host {host_name} dropped while connecting ({exc}).") from exc
    return transport


def _check_host_key(
    transport: paramiko.Transport,
    target: Target,
    host_name: str,
    key: paramiko.PKey,
    recorded: Mapping[str, paramiko.PKey],
) -> None:
    shown = f"{key.get_name()} {fingerprint(key)}"
    if not recorded:
        transport.close()
        raise UnknownHostKey(
            f"the host key of {host_name} ({target.host_key_name}) is not in {target.known_hosts}: "
            f"{shown}. If that is the host's key, run `{hint('host trust ' + host_name)}`.",
            key,
        )
    expected = recorded.get(key.get_name())
    if expected is None or expected.asbytes() != key.asbytes():
        old = ", ".join(f"{k.get_name()} {fingerprint(k)}" for k in recorded.values())
        transport.close()
        raise ChangedHostKey(
            f"the host key of {host_name} ({target.host_key_name}) has CHANGED: it is now {shown}, "
            f"but {target.known_hosts} has {old}. Someone may be intercepting the connection; if the "
            f"host was reinstalled, delete its old line there and run `{hint('host trust ' + host_name)}`."
        )


def _load_key(path: str) -> paramiko.PKey | None:
    try:
        return paramiko.PKey.from_path(path)
    except paramiko.PasswordRequiredException as exc:
        raise AuthError(
            f"the key {path} is protected by a passphrase; load it into ssh-agent (`ssh-add {path}`) "
            "and try again."
        ) from exc
    except FileNotFoundError as exc:
        raise AuthError(f"the key file {path} does not exist; fix key_file in the config.") from exc
    except (OSError, paramiko.SSHException, ValueError) as exc:
        raise AuthError(f"cannot use the key file {path} ({exc}); check key_file in the config.") from exc


def _authenticate(transport: paramiko.Transport, target: Target, host_name: str) -> None:
    tried: list[str] = []
    keys: list[paramiko.PKey] = []
    for path in target.key_files:
        key = _load_key(path)
        if key is not None:
            keys.append(key)
            tried.append(path)
    if not target.key_files:
        try:
            agent_keys = paramiko.Agent().get_keys()
        except paramiko.SSHException:
            agent_keys = ()
        keys.extend(agent_keys)
        tried += [f"agent key {fingerprint(k)}" for k in agent_keys]
        for default in ("id_ed25519", "id_ecdsa", "id_rsa"):
            default_path = Path("~/.ssh").expanduser() / default
            if default_path.is_file():
                try:
                    keys.append(paramiko.PKey.from_path(str(default_path)))
                    tried.append(str(default_path))
                except (paramiko.SSHException, OSError, ValueError):
                    continue
    for key in keys:
        try:
            transport.auth_publickey(target.user, key)
        except paramiko.AuthenticationException:
            continue
        except (paramiko.SSHException, OSError, EOFError) as exc:
            transport.close()
            raise HostError(
                f"SSH authentication with host {host_name} broke off ({exc}); try again."
            ) from exc
        if transport.is_authenticated():
            return
    transport.close()
    what = ", ".join(tried) if tried else "no keys (none configured, no agent, no ~/.ssh/id_*)"
    raise AuthError(
        f"authentication to host {host_name} as {target.user} failed (tried {what}); check user and "
        "key_file in the config, or load the right key into ssh-agent."
    )


def fetch_host_key(target: Target) -> paramiko.PKey:
    """The host's key, without checking or authenticating (for `host trust`)."""
    transport = connect(target, verify=False)
    try:
        return transport.get_remote_server_key()
    finally:
        transport.close()


def recorded_host_keys(target: Target) -> dict[str, paramiko.PKey]:
    """The keys known_hosts holds for this target, by key type."""
    return dict(_load_known_hosts(target.known_hosts).lookup(target.host_key_name) or {})


def _names_host(line: str, name: str) -> bool:
    """Whether a known_hosts line is about ``name`` (plain or hashed host names)."""
    fields = line.split()
    if not fields or fields[0].startswith("#"):
        return False
    hosts = fields[1] if fields[0].startswith("@") and len(fields) > 1 else fields[0]
    for entry in hosts.split(","):
        if entry.startswith("|1|"):
            if paramiko.HostKeys.hash_host(name, entry) == entry:
                return True
        elif entry == name:
            return True
    return False


def record_host_key(target: Target, key: paramiko.PKey, *, replace: bool = False) -> Path:
    """Record the key in the target's known_hosts (created with safe permissions).

    A key already recorded adds nothing. With ``replace``, every line about this host goes first
    (a reinstalled host has new keys of every type); other hosts' lines are kept as they are.
    """
    path = target.known_hosts
    name = target.host_key_name
    recorded = recorded_host_keys(target)
    if any(k.asbytes() == key.asbytes() for k in recorded.values()) and not replace:
        return path
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    line = f"{name} {key.get_name()} {key.get_base64()}\n"
    if replace and path.is_file():
        kept = [
            old
            for old in path.read_text(encoding="utf-8").splitlines(keepends=True)
            if not _names_host(old, name)
        ]
        if kept and not kept[-1].endswith("\n"):
            kept[-1] += "\n"
        temp = path.with_name(f".{path.name}.tmp")
        temp.write_text("".join(kept) + line, encoding="utf-8")
        temp.chmod(0o600)
        temp.replace(path)
        return path
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line)
    path.chmod(0o600)
    return path


class SSHStream(Stream):
    def __init__(self, channel: paramiko.Channel, name: str) -> None:
        self.channel = channel
        self.name = name

    def read(self, timeout: float) -> bytes | None:
        self.channel.settimeout(timeout)
        try:
            data = self.channel.recv(CHUNK)
        except TimeoutError:
            return None
        except (OSError, paramiko.SSHException, EOFError) as exc:
            raise LinkLost(f"the connection to host {self.name} dropped ({exc}).") from exc
        if data:
            return data
        # EOF: a finished command sends its exit status; a dead link sends nothing.
        transport = self.channel.get_transport()
        if not self.channel.exit_status_ready() and not (transport and transport.is_active()):
            raise LinkLost(f"the connection to host {self.name} dropped.")
        return b""

    def close(self) -> None:
        self.channel.close()


class ShellSession:
    """A long-lived `sh` on the host that runs commands one after another.

    Starting an SSH exec session costs the host a fork and a login-shell start-up (over 100 ms
    here, where root's ~/.bashrc runs `pyenv init`). Short commands instead go to this shell: each
    runs in a subshell, then a line with a random marker carries its exit status back.
    """

    def __init__(self, transport: paramiko.Transport) -> None:
        self.channel = transport.open_session(timeout=CONNECT_TIMEOUT)
        self.channel.exec_command("exec sh")
        self.marker = uuid.uuid4().hex
        self.out = bytearray()
        self.err = bytearray()

    @property
    def usable(self) -> bool:
        transport = self.channel.get_transport()
        return not self.channel.closed and bool(transport and transport.is_active())

    def run(self, command: str, timeout: float | None) -> CommandResult:
        end_out = f"\n{self.marker} ".encode()
        end_err = f"{self.marker}\n".encode()
        script = (
            f"( {command}\n) </dev/null; printf '\\n%s %d\\n' {self.marker} $?; "
            f"printf '%s\\n' {self.marker} >&2\n"
        )
        self.channel.sendall(script.encode())
        deadline = None if timeout is None else time.monotonic() + timeout
        # Short waits: the stderr marker may arrive while we wait on stdout.
        self.channel.settimeout(0.01)
        while True:
            found = self.out.find(end_out)
            if found >= 0 and self.out.find(b"\n", found + len(end_out)) >= 0 and end_err in self.err:
                break
            if self.channel.recv_stderr_ready():
                self.err += self.channel.recv_stderr(CHUNK)
                continue
            try:
                data = self.channel.recv(CHUNK)
            except TimeoutError:
                data = None
            if data == b"":
                raise LinkLost("the command shell on the host ended.")
            if data:
                self.out += data
            if deadline is not None and time.monotonic() > deadline:
                self.channel.close()
                raise TimeoutError
        stop = self.out.find(b"\n", found + len(end_out))
        code = int(self.out[found + len(end_out) : stop])
        stdout = bytes(self.out[:found])
        del self.out[: stop + 1]
        split = self.err.find(end_err)
        stderr = bytes(self.err[:split])
        del self.err[: split + len(end_err)]
        return CommandResult(code, stdout, stderr)

    def close(self) -> None:
        self.channel.close()


class SSHTransport(Transport):
    """One reused, watched SSH connection to a host."""

    def __init__(self, host: HostConfig) -> None:
        self.name = host.name
        self.target = target_for(host)
        self._lock = threading.Lock()
        self._transport: paramiko.Transport | None = None
        self._sftp: paramiko.SFTPClient | None = None
        self._closed = False
        self._stop = threading.Event()
        self._watchdog: threading.Thread | None = None
        self._shells: list[ShellSession] = []
        self._shells_lock = threading.Lock()
        self.reconnects = 0
        self.bulk = BulkCopier(self.target)

    # -- connection --------------------------------------------------------------------------

    def _live(self) -> paramiko.Transport:
        """The connection, reconnecting with backoff when it is gone."""
        with self._lock:
            if self._closed:
                raise HostError(f"the connection to host {self.name} was closed.")
            if self._transport is not None and self._transport.is_active():
                return self._transport
            last: HostError | None = None
            for delay in RECONNECT_DELAYS:
                if delay:
                    time.sleep(delay)
                try:
                    self._transport = connect(self.target, self.name)
                    self._sftp = None
                    if last is not None or self.reconnects:
                        log.info("reconnected to %s", self.name)
                    self.reconnects += 1
                    self._start_watchdog()
                    return self._transport
                except (UnknownHostKey, ChangedHostKey):
                    raise
                except (paramiko.SSHException, OSError, EOFError) as exc:  # never past this loop
                    last = HostError(f"connecting to host {self.name} failed ({exc}).")
                    last.__cause__ = exc
                    log.info("connecting to %s failed, will retry: %s", self.name, exc)
                    if self.reconnects == 0:
                        raise last from exc
                except AuthError:
                    raise  # a refusal: retrying cannot help
                except HostError as exc:
                    last = exc
                    log.info("connecting to %s failed, will retry: %s", self.name, exc)
                    if self.reconnects == 0:
                        raise  # never connected: say so at once
            assert last is not None
            raise last

    def _start_watchdog(self) -> None:
        if self._watchdog is None or not self._watchdog.is_alive():
            self._watchdog = threading.Thread(
                target=self._watch, name=f"ssh-watchdog-{self.name}", daemon=True
            )
            self._watchdog.start()

    def _watch(self) -> None:
        """Probe the link; close it when a probe goes unanswered so blocked reads fail fast."""
        while not self._stop.wait(KEEPALIVE_EVERY):
            transport = self._transport
            if transport is None or not transport.is_active():
                continue
            answered = threading.Event()

            def probe(t: paramiko.Transport = transport, done: threading.Event = answered) -> None:
                try:
                    t.global_request("keepalive@openssh.com", wait=True)
                finally:
                    done.set()

            threading.Thread(target=probe, daemon=True, name=f"ssh-probe-{self.name}").start()
            if not answered.wait(KEEPALIVE_ANSWER):
                log.warning(
                    "no keepalive answer from %s in %.0f s; dropping the link", self.name, KEEPALIVE_ANSWER
                )
                transport.close()

    def close(self) -> None:
        self._closed = True
        self._stop.set()
        if self._sftp is not None:
            self._sftp.close()
        if self._transport is not None:
            self._transport.close()
        self.bulk.close()

    # -- commands ----------------------------------------------------------------------------

    def _session(self) -> paramiko.Channel:
        transport = self._live()
        try:
            return transport.open_session(timeout=CONNECT_TIMEOUT)
        except (paramiko.SSHException, OSError, EOFError):
            transport.close()
            return self._live().open_session(timeout=CONNECT_TIMEOUT)

    def run(self, command: str, *, timeout: float | None = 120, stdin: bytes | None = None) -> CommandResult:
        if stdin is None:
            return self._run_in_shell(command, timeout)
        return self._run_exec(command, timeout, stdin)

    def _run_in_shell(self, command: str, timeout: float | None) -> CommandResult:
        transport = self._live()
        with self._shells_lock:
            shell = None
            while self._shells:
                candidate = self._shells.pop()
                if candidate.usable and candidate.channel.get_transport() is transport:
                    shell = candidate
                    break
                candidate.close()
        try:
            if shell is None:
                shell = ShellSession(transport)
            result = shell.run(command, timeout)
        except TimeoutError as exc:
            raise HostError(f"a command on host {self.name} took longer than {timeout:.0f} s.") from exc
        except (OSError, paramiko.SSHException, EOFError) as exc:
            raise LinkLost(f"the connection to host {self.name} dropped ({exc}).") from exc
        with self._shells_lock:
            self._shells.append(shell)
        return result

    def _run_exec(self, command: str, timeout: float | None, stdin: bytes | None) -> CommandResult:
        channel = self._session()
        try:
            channel.exec_command(command)
            if stdin is not None:
                channel.sendall(stdin)
            channel.shutdown_write()
            deadline = None if timeout is None else time.monotonic() + timeout
            out, err = bytearray(), bytearray()
            channel.settimeout(0.5)
            while True:
                if channel.recv_ready():
                    out += channel.recv(CHUNK)
                    continue
                if channel.recv_stderr_ready():
                    err += channel.recv_stderr(CHUNK)
                    continue
                if (
                    channel.exit_status_ready()
                    and not channel.recv_ready()
                    and not channel.recv_stderr_ready()
                ):
                    break
                transport = channel.get_transport()
                if channel.closed or not (transport and transport.is_active()):
                    if channel.exit_status_ready():
                        break
                    raise LinkLost(f"the connection to host {self.name} dropped during a command.")
                if deadline is not None and time.monotonic() > deadline:
                    raise HostError(f"a command on host {self.name} took longer than {timeout:.0f} s.")
                channel.status_event.wait(0.05)
            return CommandResult(channel.recv_exit_status(), bytes(out), bytes(err))
        except (OSError, paramiko.SSHException, EOFError) as exc:
            raise LinkLost(f"the connection to host {self.name} dropped ({exc}).") from exc
        finally:
            channel.close()

    def open_stream(self, command: str, merge_stderr: bool = True) -> Stream:
        channel = self._session()
        channel.set_combine_stderr(merge_stderr)
        if not merge_stderr:
            command = f"{command} 2>/dev/null"
        channel.exec_command(command)
        return SSHStream(channel, self.name)

    # -- files -------------------------------------------------------------------------------

    def _sftp_client(self) -> paramiko.SFTPClient:
        transport = self._live()
        channel = self._sftp.get_channel() if self._sftp is not None else None
        if channel is None or channel.get_transport() is not transport:
            try:
                self._sftp = paramiko.SFTPClient.from_transport(transport)
            except paramiko.SSHException as exc:
                raise HostError(
                    f"host {self.name} refused SFTP ({exc}); enable the sftp subsystem in its sshd_config."
                ) from exc
        assert self._sftp is not None
        return self._sftp

    def expect_bulk(self, size: int) -> None:
        if size >= BULK_MIN:
            self.bulk.open_in_background()

    def upload(self, local: Path, remote: str, progress: Progress | None = None) -> None:
        temp = f"{remote}.part-{uuid.uuid4().hex[:8]}"
        try:
            size = local.stat().st_size
            if size < BULK_MIN:
                self._sftp_client().put(str(local), temp, callback=progress, confirm=True)
            elif not self._scp_put(local, temp, size, progress):
                self._parallel_put(local, temp, size, progress)
            sftp = self._sftp_client()
            if sftp.stat(temp).st_size != size:
                raise OSError(f"{temp} has the wrong size after the upload")
            sftp.posix_rename(temp, remote)
        except OSError as exc:
            self.run(f"rm -f {sh_join([temp])}", timeout=30)
            if _out_of_space(exc):
                raise HostError(
                    f"host {self.name} is out of disk space while receiving {local.name}; free space "
                    "in its remote_dir."
                ) from exc
            raise HostError(f"uploading {local.name} to host {self.name} failed ({exc}).") from exc
        except (paramiko.SSHException, EOFError) as exc:
            raise LinkLost(f"the connection to host {self.name} dropped during an upload ({exc}).") from exc

    def _scp_put(self, local: Path, temp: str, size: int, progress: Progress | None) -> bool:
        """Send a big file with OpenSSH's scp (cosmos_tui/remote/openssh.py says why and how);
        False when scp is missing or failed. Progress comes from watching the file grow on the host."""
        if not self.bulk.available:
            return False
        complaint = self.bulk.copy(
            str(local),
            self.bulk.remote(temp, source=False),
            size,
            progress,
            measure=lambda: self._sftp_client().stat(temp).st_size or 0,
            meanwhile=self._sftp_client,  # Paramiko's handshake, for the checks after, overlaps the copy
        )
        if complaint is not None:
            log.info("scp upload to %s failed (%s); sending over Paramiko instead", self.name, complaint)
            return False
        return True

    def _parallel_put(self, local: Path, temp: str, size: int, progress: Progress | None) -> None:
        """Write byte ranges of the file over several SFTP channels at once.

        One Paramiko SFTP stream is bound by Python's per-request work (about 0.75x scp here);
        two or more channels, each in its own thread, beat scp (measured in bench/bench_engine.py).
        """
        transport = self._live()
        parts = max(2, min(4, os.cpu_count() or 2))
        span = -(-size // parts)
        first = self._sftp_client()
        with first.open(temp, "wb") as handle:
            handle.truncate(size)
        done = [0]
        lock = threading.Lock()
        errors: list[BaseException] = []

        def send(index: int) -> None:
            start = index * span
            left = min(span, size - start)
            try:
                client = paramiko.SFTPClient.from_transport(transport)
                assert client is not None
                with client, local.open("rb") as source, client.open(temp, "r+b") as target:
                    target.set_pipelined(True)
                    source.seek(start)
                    target.seek(start)
                    while left > 0:
                        block = source.read(min(1 << 20, left))
                        if not block:
                            raise OSError(f"{local} shrank during the upload")
                        target.write(block)
                        left -= len(block)
                        if progress:
                            with lock:
                                done[0] += len(block)
                                progress(done[0], size)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=send, args=(i,), daemon=True) for i in range(parts)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]

    def download(self, remote: str, local: Path, progress: Progress | None = None) -> None:
        local.parent.mkdir(parents=True, exist_ok=True)
        temp = local.with_name(f".{local.name}.part-{uuid.uuid4().hex[:12]}")
        try:
            sftp = self._sftp_client()
            size = sftp.stat(remote).st_size or 0
            if size < BULK_MIN or not self._scp_get(remote, temp, size, progress):
                sftp.get(remote, str(temp), callback=progress)
            got = temp.stat().st_size
            if got != size:
                raise OSError(errno.EIO, f"it arrived with {got} of {size} bytes")
            temp.replace(local)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            raise HostError(f"downloading {remote} from host {self.name} failed ({exc}).") from exc
        except (paramiko.SSHException, EOFError) as exc:
            temp.unlink(missing_ok=True)
            raise LinkLost(f"the connection to host {self.name} dropped during a download ({exc}).") from exc

    def _scp_get(self, remote: str, temp: Path, size: int, progress: Progress | None) -> bool:
        """Fetch a big file with OpenSSH's scp, progress from the local file growing; False when
        scp is missing or failed (the caller then fetches over Paramiko)."""
        if not self.bulk.available:
            return False

        def measure() -> int:
            return temp.stat().st_size if temp.exists() else 0

        complaint = self.bulk.copy(self.bulk.remote(remote, source=True), str(temp), size, progress, measure)
        if complaint is not None:
            log.info("scp download from %s failed (%s); fetching over Paramiko instead", self.name, complaint)
            temp.unlink(missing_ok=True)
            return False
        return True
