"""One run through its lifecycle, as an explicit state machine:

    claimed -> uploading -> starting -> running -> collecting -> completed | failed | cancelled

Each step is written to the database before the next begins, so a process that dies anywhere
can be replaced by another that picks the run up where the record says it stands.
"""

from __future__ import annotations

import errno
import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import peewee
from peewee import SqliteDatabase

from cosmos_tui.applog import log_run_outcome
from cosmos_tui.cosmos.base import (
    LogEvent,
    ModelAdapter,
    RunFiles,
    adapter_for,
    clean,
    derive_outputs,
    local_name,
    output_text_file,
    placed_inputs,
    primary_output,
    sample_failure,
    step_rounds,
)
from cosmos_tui.cosmos.progress import Tracker
from cosmos_tui.engine import cleanup, followups, preflight, provenance, run_json
from cosmos_tui.engine.hosts import HostSession
from cosmos_tui.engine.log_follow import LogFollower
from cosmos_tui.engine.runtime import DockerError, Position, SlurmRuntime, State, runtime_for
from cosmos_tui.errors import AuthError, ConfigError, CosmosError, HostError, UsageError
from cosmos_tui.records import RunStatus
from cosmos_tui.remote.transport import sh_join
from cosmos_tui.store import lifecycle

log = logging.getLogger(__name__)

OUTPUT_TEXT_MAX = 256 * 1024  # bytes of a text answer kept in the database; the file has it all

COMMAND_KEY = "_command"  # in a run's config: the model's command line as it was started
TAIL_LINES = 400  # log lines kept in memory for classifying a failure
QUEUE_POLL = 1.0  # seconds between asking the scheduler about a pending job


@dataclass
class Outcome:
    status: RunStatus
    exit_code: int | None
    error_class: str | None
    error_message: str | None


class RunContext(Protocol):
    """What an executor needs from the process that runs it (the ``Engine`` is one)."""

    db: SqliteDatabase
    outputs: Path

    @property
    def stopping(self) -> bool:
        """The process is shutting down: leave unfinished runs for the next one."""

    def now(self) -> datetime: ...
    def wall(self, monotonic: float) -> datetime: ...
    def monotonic(self, wall: datetime) -> float: ...
    def host_session(self, name: str) -> HostSession:
        """The host's session; ConfigError when the config has no such host."""

    def run_dir(self, run_id: str) -> Path: ...
    def hash_file(self, path: Path) -> str: ...
    def cancel_event(self, run_id: str) -> threading.Event: ...
    def notify_finished(self, run_id: str) -> None: ...
    def host_down(self, host: str, reason: str, refused: bool = False) -> None:
        """The host could not be reached (``refused``: it refused the login): place its pools' runs
        elsewhere for a while."""


def new_tracker(adapter: ModelAdapter, row: Any, config: dict[str, Any]) -> Tracker:
    """A run's progress tracker: the adapter's stages, their learned lengths on this host, and how
    many rounds its step bar runs (the chunks of a Cosmos 3 transfer)."""
    learned = lifecycle.learned_stage_seconds(row.host, row.model_type)
    return Tracker(adapter.stages, learned, rounds=step_rounds(adapter, config))


class RunExecutor:
    def __init__(self, context: RunContext, run_id: str, detach: bool = False) -> None:
        self.context = context
        self.run_id = run_id
        self.detach = detach
        self.db = context.db
        self.cancel = context.cancel_event(run_id)
        self.tail: list[bytes] = []
        self.run_dir = context.run_dir(run_id)
        self.hung = False
        self.host = "?"

    # -- helpers ---------------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.context.now()

    def set(self, **fields: Any) -> None:
        lifecycle.update(self.db, self.run_id, updated_at=self.now(), **fields)

    def move(self, allowed: tuple[str, ...], status: str, **fields: Any) -> None:
        if not lifecycle.transition(
            self.db, self.run_id, allowed, status=status, updated_at=self.now(), **fields
        ):
            raise _Gone()

    def cancel_requested(self) -> bool:
        if self.cancel.is_set():
            return True
        row = lifecycle.row(self.run_id)
        if row.cancel_requested:
            self.cancel.set()
        return bool(row.cancel_requested)

    # -- the state machine -----------------------------------------------------------------------

    def execute(self) -> None:
        try:
            self.advance()
        except Exception as exc:  # every way a run can go wrong is judged in one place
            self.on_error(exc)

    def advance(self) -> None:
        """Take the run from wherever its record stands to its end (or step back from it)."""
        row = lifecycle.row(self.run_id)
        self.host = row.host
        try:
            self.session = self.context.host_session(row.host)
        except ConfigError:
            # Renamed or removed in the config: the run is not over; wait for the host.
            self.release(host_missing_message(row.host))
            return
        self.runtime = runtime_for(self.session)
        self.adapter = adapter_for(row.model_type, row.family)
        self.config = dict(row.config or {})
        self.files = RunFiles(self.session.run_rel(self.run_id))
        status = row.status
        if status in (RunStatus.CLAIMED, RunStatus.UPLOADING):
            if self.cancelled_before_start():
                return
            self.upload()
            status = RunStatus.STARTING
        if status == RunStatus.STARTING:
            if self.cancelled_before_start():
                return
            if not self.start():
                return
            status = RunStatus.RUNNING
        if self.detach and self.still_running():
            # Started (or found still going): leave it on its host for any later cosmos-tui.
            self.set(claimed_by=None)
            return
        if status == RunStatus.RUNNING:
            self.stream()
        self.collect()

    def on_error(self, exc: Exception) -> None:
        """What an error means for the run: failed, released (it goes on on its host), or nothing."""
        if isinstance(exc, _Gone):
            log.info("run %s was finished elsewhere", self.run_id)
        elif isinstance(exc, _InputMissing):
            self.fail("invalid_input", str(exc))
        elif isinstance(exc, HostError):
            if self.model_started():
                # The model goes on without us: never call it failed because the link is down.
                # Release it; this or another cosmos-tui re-attaches when the host answers again.
                self.release(
                    f"lost contact with host {self.host} ({exc}); the run goes on there and is "
                    "collected once the host answers again."
                )
            elif self.back_to_pool(exc):
                return
            else:
                self.fail("ssh", str(exc))
        elif isinstance(exc, DockerError):
            self.fail(
                "docker",
                f"docker on host {self.session.name} failed: {exc}; check the docker "
                "command and image in the config.",
            )
        elif isinstance(exc, preflight.PreflightError):
            self.fail(exc.error_class, str(exc))  # the host cannot serve the run: nothing was loaded
        elif isinstance(exc, UsageError):  # the adapter refused the run's settings or inputs
            self.fail("invalid_input", str(exc))
        elif isinstance(exc, CosmosError):
            self.fail("unknown", str(exc))
        elif isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            self.local_disk_full()
        elif isinstance(exc, OSError):
            message = local_error_message(exc, self.context.outputs)
            if self.model_started():
                self.release(message)
            else:
                self.fail("unknown", message)
        else:  # a bug, or an error type nobody expected from a library
            log.error("run %s met an unexpected error inside cosmos-tui", self.run_id, exc_info=exc)
            kind = type(exc).__name__
            message = f"cosmos-tui met an unexpected error while executing the run ({kind}: {exc})"
            if self.model_started():
                # Only the model's own outcome may end a started run: step back, keep everything.
                self.release(message + "; it is retried when a cosmos-tui next re-attaches to it.")
            else:
                self.fail("unknown", message + ".")

    def back_to_pool(self, exc: HostError) -> bool:
        """A pool's run whose host could not be reached before the model started goes back to its
        pool for another host (never failed for it); True when it did."""
        row = lifecycle.row(self.run_id)
        if not row.pool or self.cancel_requested():
            return False
        self.context.host_down(self.host, str(exc), refused=isinstance(exc, AuthError))
        message = f"host {self.host} could not be reached ({exc}); back in pool {row.pool} for another host."
        (self.run_dir / "run.log").unlink(missing_ok=True)
        if lifecycle.requeue(self.db, self.run_id, self.now(), message):
            self.context.notify_finished(self.run_id)
            return True
        return False

    def cancelled_before_start(self) -> bool:
        if not self.cancel_requested():
            return False
        self.finish(Outcome(RunStatus.CANCELLED, None, "cancelled", "cancelled before it started."))
        return True

    def clear_note(self) -> None:
        """Forget the sentence a release left (lost contact, full disk): we are back on it."""
        row = lifecycle.row(self.run_id)
        if row.error_message and not row.error_class and row.status in RunStatus.LAUNCHED:
            self.set(error_message=None)

    def model_started(self) -> bool:
        """The model was started on the host (so only its own outcome may end the run)."""
        try:
            row = lifecycle.row(self.run_id)
        except Exception:  # the database itself is the trouble: claim nothing
            return True
        # A Slurm job has its handle from submission on, while it may still be pending (starting).
        return (row.status in RunStatus.LAUNCHED or row.status == RunStatus.STARTING) and bool(row.handle)

    def release(self, message: str) -> None:
        """Step back from a run that is not over: no owner, the reason in its record, nothing lost.

        Any cosmos-tui (this one's next reconcile, `run wait`, a worker) re-attaches to it later.
        """
        log.warning("releasing %s: %s", self.run_id, message)
        try:
            self.set(claimed_by=None, error_message=message)
        except (CosmosError, peewee.DatabaseError) as exc:  # the database may be the trouble
            log.error("could not release %s: %s", self.run_id, exc)

    def still_running(self) -> bool:
        handle = lifecycle.row(self.run_id).handle or ""
        return self.runtime.state(self.run_id, handle).status == "running"

    def upload(self) -> None:
        self.move(
            (RunStatus.CLAIMED, RunStatus.UPLOADING),
            RunStatus.UPLOADING,
            started_at=self.now(),
            stage="uploading",
        )
        self.session.ensure_simulator()
        # Once per host and process: refuse a run the host cannot serve before anything is sent.
        preflight.before_run(self.session, getattr(lifecycle.row(self.run_id), "family", None), self.config)
        # An input an earlier run left on the host (an upscale's parent output) is used there.
        kept = self.session.already_there(placed_inputs(self.adapter, self.config, self.files))
        local = [Path(p) for p in self.adapter.local_inputs(self.config) if p not in kept]
        for path in local:
            if not path.is_file():  # a FIFO or a folder is not a video either
                raise _InputMissing(path)
            try:
                with path.open("rb") as handle:
                    handle.read(1)
            except OSError as exc:
                raise _InputMissing(path, exc.strerror or str(exc)) from None
        sent = self.session.prepare_run(self.run_id, local, self.context.hash_file)
        self.files.inputs = {**kept, **sent}
        spec = self.adapter.build_spec(self.config, self.files)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        spec_path = self.run_dir / "spec.json"
        spec_path.write_text(json.dumps(spec, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        self.session.transport.upload(spec_path, self.session.abs(self.files.spec_rel))
        self.config["_files"] = self.files.inputs
        self.config["_sha256"] = {str(path): self.context.hash_file(path) for path in local}
        self.move(
            (RunStatus.UPLOADING,),
            RunStatus.STARTING,
            remote_dir=self.session.abs(self.files.run_rel),
            config=self.config,
        )
        self.write_run_json()

    def start(self) -> bool:
        """Start the model (or find it started); False when the run ended or was left meanwhile."""
        self.files.inputs = dict(self.config.get("_files", {}))
        handle = self.runtime.find(self.run_id)
        fields: dict[str, Any] = {}
        if handle is None:
            command = self.adapter.command(self.config, self.files)
            self.config[COMMAND_KEY] = command  # exactly what ran, from remote_dir (run.json has it)
            fields["provenance"] = self.provenance()
            handle = self.runtime.start(self.run_id, command)
            fields["config"] = self.config
        if isinstance(self.runtime, SlurmRuntime) and not self.detach:
            self.set(handle=handle, **fields)  # known at once: a cancel or a re-attach finds the job
            fields = {}
            if not self.wait_in_queue(handle):
                return False
        now = self.now()
        self.move(
            (RunStatus.STARTING,),
            RunStatus.RUNNING,
            handle=handle,
            last_log_at=now,
            stage="starting",
            **fields,
        )
        log.info("run %s started on %s as %s", self.run_id, self.session.name, handle)
        return True

    def provenance(self) -> dict[str, Any]:
        """What is about to produce the run (image, checkpoint files, GPUs...); never fails the run."""
        spec_path = self.run_dir / "spec.json"
        try:
            spec = json.loads(spec_path.read_text(encoding="utf-8")) if spec_path.exists() else None
        except (OSError, ValueError):
            spec = None
        try:
            return provenance.collect(self.session, lifecycle.row(self.run_id).family, self.config, spec)
        except CosmosError as exc:
            log.warning("could not record the provenance of %s: %s", self.run_id, exc)
            return {"error": str(exc), "command": self.config.get(COMMAND_KEY), "spec": spec}

    def wait_in_queue(self, handle: str) -> bool:
        """While the scheduler keeps the job pending, stay `starting` with its reason as the run's
        note; a cancel meanwhile removes the job. False when the run ended or was left."""
        shown = None
        while True:
            pending = self.runtime.state(self.run_id, handle).pending
            if pending is None:
                if shown is not None:
                    self.set(error_message=None)
                return True
            if pending != shown:
                shown = pending
                self.set(stage="queued", error_message=f"waiting in Slurm's queue: {pending}.")
            if self.cancel_requested():
                self.runtime.stop(self.run_id, handle, 0)
                self.finish(
                    Outcome(
                        RunStatus.CANCELLED, None, "cancelled", "cancelled while it waited in Slurm's queue."
                    )
                )
                return False
            if self.context.stopping:
                self.release(f"waiting in Slurm's queue: {pending}; any cosmos-tui follows it from there.")
                return False
            self.cancel.wait(QUEUE_POLL)

    def stream(self) -> None:
        """Follow the model's log into run.log until the model is over (see ``LogFollower``)."""
        row = lifecycle.row(self.run_id)
        self.handle = row.handle or ""
        follower = LogFollower(
            self.runtime,
            self.run_id,
            self.handle,
            Position.loads(row.log_position),
            self.run_dir / "run.log",
            self,
            hang_after=self.session.host_hang_seconds,
            quiet=row.error_class == "hang",
        )
        self.tracker = new_tracker(self.adapter, row, self.config)
        self._replay(self.tracker)  # after the follower cut run.log back to its position
        try:
            follower.follow()
        finally:
            self.hung = follower.stopped_for == "hang"
            self.tracker.finish(time.monotonic())
            self._record_stages(self.tracker)
            follower.close()

    # -- what the log follower reports to (LogSink) ----------------------------------------------

    def log_following(self) -> None:
        self.clear_note()

    def log_lines(self, lines: list[bytes]) -> None:
        self._read(lines, self.tracker)

    def log_partial(self, update: bytes) -> None:
        self._read_partial(update, self.tracker)

    def log_position(self, position: Position, last_data: float) -> None:
        self._persist(self.tracker, position, last_data)

    def log_quiet(self, quiet: bool) -> None:
        if quiet:
            message = hang_message(self.session.host_hang_seconds / 60, self.run_id)
            self.set(error_class="hang", error_message=message)
        else:
            self.set(error_class=None, error_message=None)

    def stop_model(self) -> None:
        try:
            self.runtime.stop(self.run_id, self.handle, self.session.host_stop_grace)
        except CosmosError as exc:
            log.warning("stopping %s failed: %s", self.run_id, exc)

    def _replay(self, tracker: Tracker) -> None:
        """Rebuild stage state from the spool when resuming a run, with the stage times recorded
        so far (they give the run's pace, hence its ETA)."""
        path = self.run_dir / "run.log"
        if path.exists():
            with path.open("rb") as handle:
                self._read(handle.readlines(), tracker, record=False)
        recorded = lifecycle.stage_times(self.run_id)
        for span in tracker.spans:
            if span.seq in recorded:
                started, finished = recorded[span.seq]
                span.started = self.context.monotonic(started)
                span.finished = self.context.monotonic(finished) if finished else None
        spans = tracker.spans
        if len(spans) > 1 and spans[-1].seq not in recorded and spans[-2].finished is not None:
            spans[-1].started = spans[-2].finished  # the current stage began when the last ended

    def _read(self, lines: list[bytes], tracker: Tracker, record: bool = True) -> None:
        """Feed new log lines to the stage tracker and the failure tail.

        Only lines the adapter could care about are decoded (a cheap byte test first), so a log
        flood of debug lines costs little more than writing it to the spool.
        """
        self.tail.extend(lines[-TAIL_LINES:])
        if len(self.tail) > TAIL_LINES * 2:
            del self.tail[:-TAIL_LINES]
        now = time.monotonic()
        interesting = self.adapter.interesting
        for raw in lines:
            if not interesting(raw):
                continue
            event = self.adapter.read_line(clean(raw.decode("utf-8", errors="replace").rstrip("\n")))
            if event is not None and tracker.feed(event, now) and record and len(tracker.spans) > 1:
                self._record_span(tracker, tracker.spans[-2])

    def _read_partial(self, update: bytes, tracker: Tracker) -> None:
        """Step progress from a bar's latest redraw (never a stage change: that needs a whole line)."""
        if not self.adapter.interesting(update):
            return
        event = self.adapter.read_line(clean(update.decode("utf-8", errors="replace")))
        if event is not None and event.steps_total:
            tracker.feed(
                LogEvent(steps_done=event.steps_done, steps_total=event.steps_total), time.monotonic()
            )

    def tail_text(self) -> list[str]:
        return [clean(raw.decode("utf-8", errors="replace").rstrip("\n")) for raw in self.tail[-TAIL_LINES:]]

    def _record_span(self, tracker: Tracker, span: Any) -> None:
        started = self.context.wall(span.started)
        finished = self.context.wall(span.finished) if span.finished is not None else None
        lifecycle.record_stage(self.db, self.run_id, span.stage, span.seq, started, finished)

    def _record_stages(self, tracker: Tracker) -> None:
        if tracker.spans and tracker.spans[-1].finished is not None:
            self._record_span(tracker, tracker.spans[-1])

    def _persist(self, tracker: Tracker, position: Position, last_data: float) -> None:
        now = time.monotonic()
        current = tracker.current
        self.set(
            log_position=position.dumps(),
            stage=current.stage if current else "starting",
            progress=round(tracker.progress(now), 1),
            eta_seconds=tracker.eta_seconds(now),
            last_log_at=self.context.wall(last_data),
        )

    def collect(self) -> None:
        row = lifecycle.row(self.run_id)
        if row.status == RunStatus.RUNNING:
            # The stage stays where the model stopped: a failed run shows where it failed.
            self.move((RunStatus.RUNNING,), RunStatus.COLLECTING)
        handle = row.handle or ""
        state = self.runtime.state(self.run_id, handle)
        deadline = time.monotonic() + 60
        while state.status == "running" and time.monotonic() < deadline:
            time.sleep(0.5)
            state = self.runtime.state(self.run_id, handle)
        outputs = self._download_outputs()
        outcome = self._judge(state, outputs)
        # Record the outcome before removing the container: a crash in between must not turn a
        # finished run into a "vanished" one when another process picks it up.
        self.finish(outcome, outputs, ended_at=state.finished_at)
        if state.status != "running":
            try:
                self.runtime.cleanup(self.run_id, handle)
            except CosmosError as exc:
                log.warning("cleanup of %s failed: %s", self.run_id, exc)
        cleanup.after_collect(self.session, self.run_id, self.now(), self.context.hash_file)  # never raises

    def _download_outputs(
        self, out_rel: str | None = None, globs: tuple[str, ...] | None = None
    ) -> list[str]:
        """Fetch the outputs (of a batch: one sample's folder and its patterns)."""
        out_dir = self.session.abs(out_rel or self.files.out_rel)
        patterns = " ".join(globs or self.adapter.output_patterns())
        listing = self.session.transport.run(
            f"cd {sh_join([out_dir])} 2>/dev/null && "
            f'for f in {patterns}; do [ -f "$f" ] && echo "$(($(wc -c < "$f"))) $f"; done; true',
            timeout=60,
        )
        fetched = []
        for line in listing.text.split("\n"):
            size_text, _, name = line.partition(" ")
            if not name or "/" in name or not size_text.isdigit():
                continue
            target = self.run_dir / local_name(self.adapter, name)
            self.session.transport.download(f"{out_dir}/{name}", target)
            got = target.stat().st_size
            if got != int(size_text):
                # Never accept a file that differs from the host's (a full disk writes short files).
                target.unlink(missing_ok=True)
                raise OSError(errno.EIO, f"it arrived with {got} of {size_text} bytes", str(target))
            fetched.append(str(target))
        for extra in ("run.log", "spec.json"):
            path = self.run_dir / extra
            if path.exists():
                fetched.append(str(path))
        fetched += [str(path) for path in derive_outputs(self.adapter, self.run_dir)]
        return fetched

    def _judge(self, state: State, outputs: list[str]) -> Outcome:
        row = lifecycle.row(self.run_id)
        code = state.exit_code
        primary, missing = primary_output(self.adapter)
        has_output = any(Path(p).name == primary and Path(p).stat().st_size > 0 for p in outputs)
        reported = sample_failure(self.adapter, self.run_dir)
        if reported is not None and state.status == "exited":
            # The model's own per-sample status (it may exit 0 with --keep-going).
            return Outcome(RunStatus.FAILED, code, reported.error_class, reported.message)
        if code == 0 and has_output and state.status == "exited":
            # The model finished its work: a cancel or a hang flag that came later changes nothing.
            return Outcome(RunStatus.COMPLETED, 0, None, None)
        if row.cancel_requested or self.cancel.is_set():
            if row.error_class == "hang":
                return Outcome(RunStatus.CANCELLED, code, "hang", row.error_message)
            return Outcome(
                RunStatus.CANCELLED, code, "cancelled", "cancelled by the user; the partial log is kept."
            )
        if self.hung:
            quiet = quiet_span(2 * self.session.host_hang_seconds / 60)
            return Outcome(
                RunStatus.FAILED,
                code,
                "hang",
                f"no log output for {quiet}, so it was stopped "
                "as hung (multi-GPU NCCL hangs look like this); try again, "
                "or with fewer GPUs.",
            )
        if state.cause is not None:  # the scheduler ended it: time limit, node failure, ...
            return Outcome(RunStatus.FAILED, code, *state.cause)
        if state.status == "gone":
            return Outcome(
                RunStatus.FAILED,
                None,
                "docker" if self.session.host.runtime == "docker" else "unknown",
                "the model's container or process vanished before it finished; its log up to then is kept.",
            )
        if state.oom_killed:
            return Outcome(
                RunStatus.FAILED,
                code,
                "oom",
                "the container was killed for using too much memory; give it more RAM or use smaller inputs.",
            )
        failure = self.adapter.classify(self.tail_text(), code)
        if code == 0:
            return Outcome(RunStatus.FAILED, 0, "unknown", missing)
        return Outcome(RunStatus.FAILED, code, failure.error_class, failure.message)

    def finish(
        self, outcome: Outcome, outputs: list[str] | None = None, ended_at: datetime | None = None
    ) -> None:
        """Record the outcome. ``ended_at`` is when the model ended by the host's clock: a run
        collected long after it ended keeps its true finish time and duration."""
        row = lifecycle.row(self.run_id)
        now = self.now()
        finished = now
        if ended_at is not None:
            finished = min(now, max(ended_at, row.started_at or ended_at))  # a skewed host clock
        duration = (finished - row.started_at).total_seconds() if row.started_at else None
        fields: dict[str, Any] = dict(
            status=outcome.status,
            finished_at=finished,
            exit_code=outcome.exit_code,
            error_class=outcome.error_class,
            error_message=outcome.error_message,
            claimed_by=None,
            duration_seconds=duration,
        )
        if outputs is not None:
            fields["outputs"] = outputs
            answer = self._output_text(outputs)
            if answer is not None:
                fields["output_text"] = answer
        fields["eta_seconds"] = None
        if outcome.status == RunStatus.COMPLETED:
            fields.update(progress=100.0, stage="done")
        if not lifecycle.transition(self.db, self.run_id, RunStatus.BUSY, updated_at=now, **fields):
            return
        log_run_outcome(self.run_id, row.host, outcome.status, outcome.error_class, outcome.error_message)
        if self.run_dir.exists():
            try:
                self.write_run_json()
            except OSError as exc:  # a full disk: the database has it all
                log.warning("could not write run.json for %s: %s", self.run_id, exc)
        if outcome.status == RunStatus.COMPLETED:
            followups.after_completed(self.run_id, now)
        self.context.notify_finished(self.run_id)

    def _output_text(self, outputs: list[str]) -> str | None:
        """The run's text answer (a reasoner's), read from its fetched file; None without one."""
        adapter = getattr(self, "adapter", None)  # unset when the run ended before it began
        name = output_text_file(adapter) if adapter is not None else None
        path = next((Path(p) for p in outputs if name and Path(p).name == name), None)
        if path is None:
            return None
        try:
            with path.open("rb") as handle:
                raw = handle.read(OUTPUT_TEXT_MAX + 1)
        except OSError as exc:
            log.warning("could not read the answer of %s: %s", self.run_id, exc)
            return None
        text = raw[:OUTPUT_TEXT_MAX].decode("utf-8", errors="replace").strip()
        return text + (" [...]" if len(raw) > OUTPUT_TEXT_MAX else "")

    def write_run_json(self) -> None:
        row = lifecycle.row(self.run_id)
        run_json.write(self.run_dir, run_json.describe(row, lifecycle.prompt_name(row.prompt_id)))

    def local_disk_full(self) -> None:
        """This machine's disk is full: the run goes on on its host, so say so and step back.

        Nothing is lost: the spool keeps what it had and the position recorded with it, and the
        next attempt (any cosmos-tui, once there is space) resumes the log from there.
        """
        outputs = self.context.outputs
        log.error("disk full under %s while collecting %s", outputs, self.run_id)
        self.release(
            f"the disk holding {outputs} is full; the run goes on on its host. Free some space: "
            "cosmos-tui then resumes its log and collects it."
        )

    def fail(self, error_class: str, message: str) -> None:
        """Our own failure (not the model's): note it in the run log, keep what exists."""
        if self.context.stopping:
            log.info("leaving %s for the next cosmos-tui to re-attach (%s)", self.run_id, message)
            return
        try:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            with (self.run_dir / "run.log").open("a", encoding="utf-8") as handle:
                handle.write(f"cosmos-tui: {message}\n")
        except OSError:
            pass
        outputs = [str(p) for p in (self.run_dir / "run.log", self.run_dir / "spec.json") if p.exists()]
        cancelled = self.cancel.is_set()
        self.finish(
            Outcome(
                RunStatus.CANCELLED if cancelled else RunStatus.FAILED,
                None,
                "cancelled" if cancelled else error_class,
                message,
            ),
            outputs,
        )


def host_missing_message(host: str) -> str:
    return (
        f"the host {host} is no longer in the configuration; add it back (same name) and the run is "
        "collected."
    )


def local_error_message(exc: OSError, outputs: Path) -> str:
    """One sentence for a local file error (outputs folder, input files) that is not a full disk."""
    where = exc.filename or outputs
    reason = exc.strerror or type(exc).__name__
    return (
        f"cosmos-tui cannot use {where} on this machine ({reason}); check [paths] outputs in the config "
        "and that folder's permissions."
    )


def quiet_span(minutes: float) -> str:
    """How long a log stayed quiet, as people say it: "30 s", "1.5 min", "45 min"."""
    if round(minutes * 60) < 60:
        return f"{max(1, round(minutes * 60))} s"
    tenths = round(float(minutes), 1)
    if tenths < 10 and not tenths.is_integer():
        return f"{tenths:.1f} min"
    return f"{minutes:.0f} min"


def hang_message(minutes: float, run_id: str) -> str:
    from cosmos_tui.command import hint

    return (
        f"no log output for {quiet_span(minutes)}: possibly hung (multi-GPU NCCL hangs look like this); "
        f"cancel it with `{hint('run cancel ' + run_id)}`."
    )


class _Gone(Exception):
    """The run left the expected state (finished or taken over elsewhere)."""


class _InputMissing(CosmosError):
    def __init__(self, path: Path, reason: str | None = None) -> None:
        if reason:
            super().__init__(
                f"the input video {path} cannot be read ({reason}); fix it or create the prompt again."
            )
        else:
            super().__init__(f"the input video {path} is missing; restore it or create the prompt again.")
