"""The engine: workers that claim queued runs and execute them, start-up reconciliation of runs
left mid-flight by a dead process, and cancel requests.

A worker claims with one conditional UPDATE inside a write transaction that also counts the
host's busy runs, so two processes never execute the same run and a host never runs more than
its ``max_concurrent``.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from peewee import SqliteDatabase

from cosmos_tui import families, ids
from cosmos_tui.config import ANY, Config
from cosmos_tui.cosmos.base import batch_adapter_for
from cosmos_tui.engine.batch import BatchExecutor
from cosmos_tui.engine.executor import RunExecutor, host_missing_message
from cosmos_tui.engine.hosts import HostPool, HostSession, sha256_file
from cosmos_tui.errors import AuthError, CosmosError
from cosmos_tui.records import RunStatus
from cosmos_tui.store import lifecycle

log = logging.getLogger(__name__)

IDLE_POLL = 0.5  # seconds a background worker waits when nothing is queued
EXECUTE_POLL = 0.25  # the same while ``execute`` waits for its runs (it also adopts orphans)
DOWN_RETRY = 10.0  # seconds before a host that could not be reached is tried again for a pool


def _process_start(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return "?"


def owner_id() -> str:
    """This process, in a form another process on the same machine can check for liveness."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_process_start(pid)}"


def owner_alive(owner: str | None) -> bool:
    if not owner:
        return False
    try:
        hostname, pid_text, started = owner.rsplit(":", 2)
        pid = int(pid_text)
    except ValueError:
        return False
    if hostname != socket.gethostname():
        return True  # another machine sharing the database: assume it is alive
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return _process_start(pid) == started


def batch_key(model_type: str, family: str, config: dict[str, Any]) -> str | None:
    """What runs must share to share one model process (None: this run cannot batch)."""
    adapter = batch_adapter_for(model_type, family)
    return adapter.batch_key(config) if adapter is not None else None


class Engine:
    def __init__(
        self,
        config: Config,
        db: SqliteDatabase,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.config = config
        self.db = db
        self.outputs = config.paths.outputs
        self._clock = clock or (lambda: datetime.now(UTC))
        self.owner = owner_id()
        self.hosts = HostPool(config)
        self._cancel: dict[str, threading.Event] = {}
        self._finished = threading.Condition()
        self._threads: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._workers: list[threading.Thread] = []
        self._mono0 = time.monotonic()
        self._wall0 = self.now()
        # Hosts that could not be reached: (when to try again, monotonic; why). They take no pool
        # runs until they answer again; their pools' runs go to the others, or wait.
        self._down: dict[str, tuple[float, str]] = {}

    # -- time ----------------------------------------------------------------------------------

    def now(self) -> datetime:
        return self._clock().astimezone(UTC).replace(tzinfo=None)

    def wall(self, monotonic: float) -> datetime:
        """A time.monotonic() reading as naive UTC wall time."""
        return self._wall0 + timedelta(seconds=monotonic - self._mono0)

    def monotonic(self, wall: datetime) -> float:
        """The inverse of ``wall``: a naive UTC time on this process's monotonic clock."""
        return self._mono0 + (wall - self._wall0).total_seconds()

    # -- plumbing for executors ------------------------------------------------------------------

    def host_session(self, name: str) -> HostSession:
        return self.hosts.get(name)

    def run_dir(self, run_id: str) -> Path:
        return self.outputs / f"run_{run_id}"

    def hash_file(self, path: Path) -> str:
        """sha256 of an input file, cached by path, size and mtime."""
        info = path.stat()
        key = str(path.resolve())
        cached = lifecycle.cached_hash(key, info.st_size, info.st_mtime_ns)
        if cached:
            return cached
        digest = sha256_file(path)
        lifecycle.store_hash(self.db, key, info.st_size, info.st_mtime_ns, digest)
        return digest

    def cancel_event(self, run_id: str) -> threading.Event:
        with self._lock:
            return self._cancel.setdefault(run_id, threading.Event())

    @property
    def stopping(self) -> bool:
        """This process is shutting down: leave unfinished runs for the next one to re-attach."""
        return self._stop.is_set()

    def notify_finished(self, run_id: str) -> None:
        with self._finished:
            self._finished.notify_all()

    # -- executing -------------------------------------------------------------------------------

    def submit(self, run_id: str, detach: bool = False) -> threading.Thread:
        """Execute a run this process has claimed (or adopted), in its own thread."""

        def target() -> None:
            try:
                RunExecutor(self, run_id, detach=detach).execute()
            finally:
                with self._lock:
                    self._threads.pop(run_id, None)
                self.notify_finished(run_id)

        thread = threading.Thread(target=target, name=f"run-{run_id}", daemon=True)
        with self._lock:
            self._threads[run_id] = thread
        thread.start()
        return thread

    def submit_batch(self, batch_id: str, run_ids: list[str], detach: bool = False) -> threading.Thread:
        """Execute a batch (runs sharing one model process) in one thread, known by each run's ID."""

        def target() -> None:
            try:
                BatchExecutor(self, batch_id, detach=detach).execute()
            finally:
                with self._lock:
                    for run_id in run_ids:
                        if self._threads.get(run_id) is thread:
                            self._threads.pop(run_id, None)
                for run_id in run_ids:
                    self.notify_finished(run_id)

        thread = threading.Thread(target=target, name=f"batch-{batch_id}", daemon=True)
        with self._lock:
            for run_id in run_ids:
                self._threads[run_id] = thread
        thread.start()
        return thread

    def executing(self) -> list[str]:
        with self._lock:
            return list(self._threads)

    # -- pools: hosts that cannot be reached are passed over ------------------------------------

    def host_down(self, host: str, reason: str, refused: bool = False) -> None:
        """``host`` could not be reached: give its pools' runs to the others for a while (longer
        when it refused the login: trying again soon would not help, and may lock the account)."""
        if host not in self._down:
            log.warning("host %s cannot be reached; its pools' runs go to other hosts: %s", host, reason)
        retry = DOWN_RETRY * (6 if refused else 1)
        self._down[host] = (time.monotonic() + retry, reason)

    def host_usable(self, host: str) -> bool:
        """Whether ``host`` may take pool runs: not known to be down, or it answers again now."""
        down = self._down.get(host)
        if down is None:
            return True
        if time.monotonic() < down[0]:
            return False
        try:
            self.hosts.get(host).transport.check()
        except AuthError as exc:
            self.host_down(host, str(exc), refused=True)
            return False
        except CosmosError as exc:
            self.host_down(host, str(exc))
            return False
        log.warning("host %s answers again", host)
        self._down.pop(host, None)
        return True

    def down_reason(self, host: str) -> str | None:
        down = self._down.get(host)
        return down[1] if down is not None else None

    def placement(self, host: str, serving: Iterable[str] = ()) -> lifecycle.Placement | None:
        """What ``host`` may take from its pools; None when it cannot be reached (it then takes only
        the runs queued to it by name). ``serving``: the other hosts this worker claims for."""
        known = self.config.hosts.get(host)
        if known is None or not self.host_usable(host):
            return None
        peers = {}
        for other in serving:
            peer = self.config.hosts.get(other)
            if other == host or peer is None or other in self._down:
                continue
            peer_tasks = tuple(families.family(peer.model).tasks)
            peers[other] = (peer.max_concurrent, self.config.pools_of(other), peer_tasks)
        return lifecycle.Placement(
            pools=self.config.pools_of(host),
            tasks=tuple(families.family(known.model).tasks),
            family=known.model,
            peers=peers,
            defaults=known.run_options(),
        )

    def note_waiting_pools(self, hosts: Iterable[str]) -> None:
        """Say on the runs of a pool none of whose hosts can be reached why they wait (and take
        the sentence off once one answers)."""
        served = set(hosts)
        for pool in (*self.config.pools, ANY):
            members = [h for h in self.config.pool_hosts(pool) if h in served]
            if not members:
                continue
            if all(h in self._down for h in members):
                reasons = "; ".join(f"{h}: {self._down[h][1]}" for h in members)
                message = (
                    f"waiting: no host of pool {pool} can be reached ({reasons}); the run starts "
                    "when one answers again."
                )
                lifecycle.note_pool(self.db, pool, message)
            else:
                lifecycle.note_pool(self.db, pool, None)

    def claim_and_submit(self, host: str, detach: bool = False, serving: Iterable[str] = ()) -> str | None:
        known = self.config.hosts.get(host)
        max_concurrent = known.max_concurrent if known is not None else 1
        run_ids, batch_id = lifecycle.claim_group(
            self.db,
            host,
            max_concurrent,
            self.owner,
            self.now(),
            max_batch=known.max_batch if known is not None else 1,
            key=batch_key,
            new_batch_id=lambda: ids.new_id(ids.BATCH),
            placement=self.placement(host, serving),
        )
        if not run_ids:
            return None
        if batch_id is not None:
            for run_id in run_ids:
                log.info("claimed %s on %s in batch %s", run_id, host, batch_id)
            self.submit_batch(batch_id, run_ids, detach=detach)
        else:
            log.info("claimed %s on %s", run_ids[0], host)
            self.submit(run_ids[0], detach=detach)
        return run_ids[0]

    def reconcile(
        self, only: Iterable[str] | None = None, hosts: Iterable[str] | None = None, detach: bool = False
    ) -> list[str]:
        """Adopt runs left mid-flight by a process that is gone (or detached runs); resume them.

        ``only`` limits this to some runs, ``hosts`` to the runs on some hosts. With ``detach``
        only runs already over on their host are collected; the others are left where they are.
        """
        wanted = set(only) if only is not None else None
        on_hosts = set(hosts) if hosts is not None else None
        adopted = []
        batches: set[str] = set()
        for run_id, host, owner in lifecycle.mid_flight():
            if wanted is not None and run_id not in wanted:
                continue
            if on_hosts is not None and host not in on_hosts:
                continue
            if owner == self.owner or owner_alive(owner):
                continue
            if host not in self.config.hosts:
                # Renamed or removed in the config: keep the run as it is, say why it waits.
                lifecycle.note(self.db, run_id, host_missing_message(host))
                continue
            batch_id = lifecycle.batch_of(run_id)
            if batch_id is not None:
                if batch_id not in batches:
                    batches.add(batch_id)
                    adopted.extend(self._adopt_batch(batch_id, detach))
                continue
            if lifecycle.adopt(self.db, run_id, owner, self.owner, self.now()):
                log.info("re-attaching to %s (previous owner %s)", run_id, owner or "none")
                adopted.append(run_id)
                self.submit(run_id, detach=detach)
        return adopted

    def _adopt_batch(self, batch_id: str, detach: bool) -> list[str]:
        """Take over every busy run of a batch whose owner is gone, and resume the batch."""
        taken: list[str] = []
        for row in lifecycle.batch_members(batch_id):
            if row.status not in RunStatus.BUSY:
                continue
            if row.claimed_by != self.owner and owner_alive(row.claimed_by):
                return taken  # a live process still serves the batch
            if row.claimed_by == self.owner or lifecycle.adopt(
                self.db, row.id, row.claimed_by, self.owner, self.now()
            ):
                taken.append(row.id)
        if taken:
            log.info("re-attaching to batch %s (%s)", batch_id, ", ".join(taken))
            self.submit_batch(batch_id, taken, detach=detach)
        return taken

    def start_detached(
        self, run_ids: Iterable[str], hosts: Iterable[str], timeout: float | None = None
    ) -> None:
        """Start what fits on these hosts now and return: never wait for a slot.

        Runs already over on their host are collected first (they hold slots until then); queued
        runs are claimed while the hosts have free slots and left running on them; the rest stay
        queued for any later cosmos-tui (``worker``, ``run wait``, the TUI).
        """
        names = list(hosts)
        self.join(self.reconcile(hosts=names, detach=True), timeout)
        wanted = set(run_ids)
        started: list[str] = []
        for host in names:
            while not wanted.issubset(started):
                run_id = self.claim_and_submit(host, detach=True, serving=names)
                if run_id is None:
                    break
                started.append(run_id)
        self.join(started, timeout)

    def join(self, run_ids: Iterable[str], timeout: float | None = None) -> None:
        """Wait for this process's executor threads of these runs to end."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            threads = [self._threads[r] for r in run_ids if r in self._threads]
        for thread in threads:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            thread.join(left)

    def start_workers(self, hosts: Iterable[str] | None = None, detach: bool = False) -> None:
        """Background workers that keep claiming queued runs for these hosts (default: all)."""
        names = list(hosts) if hosts is not None else list(self.config.hosts)
        for name in names:
            thread = threading.Thread(
                target=self._work,
                args=([name], self._stop),
                kwargs={"detach": detach, "serving": names},
                name=f"worker-{name}",
                daemon=True,
            )
            self._workers.append(thread)
            thread.start()

    def execute(self, run_ids: Iterable[str], hosts: Iterable[str], timeout: float | None = None) -> bool:
        """Execute these runs here until they end; False on timeout.

        Queued runs on their hosts are claimed as slots free up, and runs those hosts' slots are
        held by (left by a process that is gone) are adopted, now and while waiting.
        """
        names = list(hosts)
        self.reconcile(hosts=names)
        done = threading.Event()
        worker = threading.Thread(
            target=self._work,
            args=(names, done),
            kwargs={"adopt": True, "poll": EXECUTE_POLL},
            name="execute",
            daemon=True,
        )
        worker.start()
        try:
            return self.wait(run_ids, timeout)
        finally:
            done.set()
            worker.join(timeout=5)

    def _work(
        self,
        hosts: list[str],
        until: threading.Event,
        *,
        detach: bool = False,
        adopt: bool = False,
        poll: float = IDLE_POLL,
        serving: list[str] | None = None,
    ) -> None:
        """Claim queued runs on these hosts until ``until`` is set or the engine stops; when none
        was claimed, wait ``poll`` seconds (then, with ``adopt``, re-attach to orphaned runs).
        ``serving``: every host this process claims for (default ``hosts``), a pool run's peers."""
        serving = serving or hosts
        while not (until.is_set() or self._stop.is_set()):
            claimed = False
            for host in hosts:
                try:
                    claimed = (
                        self.claim_and_submit(host, detach=detach, serving=serving) is not None or claimed
                    )
                except Exception:
                    log.exception("claiming on %s failed", host)
            if claimed:
                continue
            try:
                self.note_waiting_pools(serving)
            except Exception:
                log.exception("noting the runs that wait for a pool failed")
            until.wait(poll)
            if adopt and not until.is_set():
                try:
                    self.reconcile(hosts=hosts)
                except Exception:
                    log.exception("re-attaching to runs on %s failed", ", ".join(hosts))

    def wait(
        self, run_ids: Iterable[str], timeout: float | None = None, done: Callable[[str], bool] | None = None
    ) -> bool:
        """Block until every run is terminal (or ``done`` says so); False on timeout."""
        ids = list(run_ids)
        deadline = None if timeout is None else time.monotonic() + timeout
        check = done or (lambda rid: lifecycle.row(rid).status not in RunStatus.ACTIVE)
        while True:
            if all(check(rid) for rid in ids):
                if done is None:
                    # Let the executors finish their cleanup (removing the container) too.
                    with self._lock:
                        threads = [self._threads[r] for r in ids if r in self._threads]
                    for thread in threads:
                        if thread is not threading.current_thread():
                            thread.join(timeout=60)
                return True
            if deadline is not None and time.monotonic() > deadline:
                return False
            with self._finished:
                self._finished.wait(0.25)

    def stop(self, wait: bool = True) -> None:
        self._stop.set()
        for thread in self._workers:
            thread.join(timeout=5)
        if wait:
            with self._lock:
                threads = list(self._threads.values())
            for thread in threads:
                thread.join(timeout=30)
        self.hosts.close()
