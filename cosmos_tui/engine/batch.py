"""A batch: several runs served by one model process (Transfer1's ``--batch_input_path``).

One ``BatchExecutor`` owns the process; every run keeps its own record and is handled by its own
``RunExecutor`` (status, stages, progress, run.log, outputs, outcome). The process's whole log is
followed into ``outputs/batch_<id>/model.log`` from the position every busy member carries, and
a ``SampleSplitter`` routes each line to the run whose sample the model is on. Resuming cuts
model.log back to that position and splits it again, so each run.log is rebuilt exactly.

What ends how:
- a sample the model saved is completed at once, with its own outputs (``OUT/video_<i>``);
- a sample the model gave up on (guardrail, bad input) fails alone with its class;
- when the process ends, the sample it was on is judged like a single run, and samples it never
  reached go back to the queue (once; then they fail);
- a cancelled run the model has not reached is dropped (the model's work on it is discarded); a
  cancel of the sample under way stops the process and re-queues the rest.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

from cosmos_tui.cosmos.base import (
    BatchAdapter,
    RunFiles,
    SampleSplitter,
    batch_adapter_for,
    sample_dir,
    sample_patterns,
)
from cosmos_tui.cosmos.progress import Tracker
from cosmos_tui.engine import cleanup, preflight
from cosmos_tui.engine.executor import (
    COMMAND_KEY,
    Outcome,
    RunContext,
    RunExecutor,
    _Gone,
    _InputMissing,
    host_missing_message,
    new_tracker,
)
from cosmos_tui.engine.log_follow import LogFollower, Spool
from cosmos_tui.engine.runtime import Position, State, runtime_for
from cosmos_tui.errors import ConfigError, CosmosError
from cosmos_tui.records import RunStatus
from cosmos_tui.store import lifecycle

log = logging.getLogger(__name__)

JSONL = "batch.jsonl"
REQUEUE_ONCE = 1  # a run the model never reached goes back to the queue this many times


class BatchExecutor:
    def __init__(self, context: RunContext, batch_id: str, detach: bool = False) -> None:
        self.context = context
        self.batch_id = batch_id
        self.detach = detach
        self.db = context.db
        self.dir = context.outputs / f"batch_{batch_id}"
        self.members: dict[int, RunExecutor] = {}  # sample index -> the run's executor
        self.spools: dict[int, Spool] = {}
        self.trackers: dict[int, Tracker] = {}
        self.pending_ends: list[int] = []
        self.announced: set[int] = set()
        self.splitter: SampleSplitter | None = None
        self.follower: LogFollower | None = None
        self.handle = ""

    # -- the state machine -----------------------------------------------------------------------

    def execute(self) -> None:
        try:
            self.advance()
        except Exception as exc:  # judged per member, as a single run's executor would
            for member in self.busy():
                member.on_error(exc)

    def rows(self) -> list[Any]:
        return lifecycle.batch_members(self.batch_id)

    def busy(self) -> list[RunExecutor]:
        busy = {row.id for row in self.rows() if row.status in RunStatus.BUSY}
        return [m for m in self.members.values() if m.run_id in busy] or [
            RunExecutor(self.context, run_id) for run_id in sorted(busy)
        ]

    def advance(self) -> None:
        rows = [row for row in self.rows() if row.status in RunStatus.BUSY]
        if not rows:
            return
        lead = rows[0]
        try:
            self.session = self.context.host_session(lead.host)
        except ConfigError:
            for row in rows:
                RunExecutor(self.context, row.id).release(host_missing_message(lead.host))
            return
        self.runtime = runtime_for(self.session)
        adapter = batch_adapter_for(lead.model_type, lead.family)
        if adapter is None:
            raise CosmosError(f'the model type "{lead.model_type}" cannot run as a batch.')
        self.adapter: BatchAdapter = adapter
        self.files = RunFiles(self.session.run_rel(self.batch_id))
        self.lead_config = dict(lead.config or {})
        for row in self.rows():
            self.members[row.batch_index if row.batch_index is not None else -1] = self.member(row)
        statuses = {row.status for row in rows}
        if statuses & {RunStatus.CLAIMED, RunStatus.UPLOADING}:
            if not self.upload():
                return
            statuses = {RunStatus.STARTING}
        if RunStatus.STARTING in statuses:
            self.start()
        self.handle = next((r.handle for r in self.rows() if r.handle and r.status in RunStatus.BUSY), "")
        if self.detach and self.runtime.state(self.batch_id, self.handle).status == "running":
            lifecycle.update_batch(self.db, self.batch_id, claimed_by=None)
            return
        if any(r.status == RunStatus.RUNNING for r in self.rows()):
            self.stream()
        self.collect()

    def member(self, row: Any) -> RunExecutor:
        member = RunExecutor(self.context, row.id)
        member.host = row.host
        member.session = self.session
        member.runtime = self.runtime
        member.adapter = self.adapter
        member.config = dict(row.config or {})
        index = row.batch_index or 0
        member.files = RunFiles(sample_dir(self.adapter, self.files.out_rel, index))
        member.files.inputs = dict(member.config.get("_files", {}))
        return member

    # -- upload and start --------------------------------------------------------------------------

    def upload(self) -> bool:
        """Inputs of every member, the shared spec and the JSONL; False when no member is left."""
        now = self.context.now()
        waiting = (RunStatus.CLAIMED, RunStatus.UPLOADING, RunStatus.STARTING)
        members = []
        for member in [m for _, m in sorted(self.members.items())]:
            if lifecycle.row(member.run_id).status not in waiting or member.cancelled_before_start():
                continue
            member.move(waiting, RunStatus.UPLOADING, started_at=now, stage="uploading")
            members.append(member)
        self.session.ensure_simulator()
        if members:  # once per host and process: refuse what the host cannot serve before sending
            lead = lifecycle.row(members[0].run_id)
            preflight.before_run(self.session, getattr(lead, "family", None), self.lead_config)
        wanted: dict[str, list[Path]] = {}
        for member in list(members):
            local = [Path(p) for p in self.adapter.local_inputs(member.config)]
            try:
                for path in local:
                    if not path.is_file():
                        raise _InputMissing(path)
                    with path.open("rb") as handle:
                        handle.read(1)
            except _InputMissing as exc:
                member.fail("invalid_input", str(exc))  # this run alone
                members.remove(member)
            except OSError as exc:
                member.fail("invalid_input", str(_InputMissing(path, exc.strerror or str(exc))))
                members.remove(member)
            else:
                wanted[member.run_id] = local
        if not members:
            return False
        every = list(dict.fromkeys(path for paths in wanted.values() for path in paths))
        inputs = self.session.prepare_run(self.batch_id, every, self.context.hash_file)
        files = RunFiles(self.files.run_rel, inputs)
        spec = self.adapter.batch_spec(self.lead_config, files)
        lines = [self.adapter.batch_line(m.config, files, i) for i, m in enumerate(members)]
        self.dir.mkdir(parents=True, exist_ok=True)
        spec_path, jsonl_path = self.dir / "spec.json", self.dir / JSONL
        spec_path.write_text(json.dumps(spec, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        jsonl_path.write_text(
            "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8"
        )
        self.session.transport.upload(spec_path, self.session.abs(files.spec_rel))
        self.session.transport.upload(jsonl_path, self.session.abs(f"{files.run_rel}/{JSONL}"))
        self.members = {}
        for index, (member, line) in enumerate(zip(members, lines, strict=True)):
            member.run_dir.mkdir(parents=True, exist_ok=True)
            own = self.adapter.sample_spec(spec, line)
            (member.run_dir / "spec.json").write_text(
                json.dumps(own, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
            )
            member.config["_files"] = inputs
            member.config["_sha256"] = {str(p): self.context.hash_file(p) for p in wanted[member.run_id]}
            folder = sample_dir(self.adapter, files.out_rel, index)
            member.files = RunFiles(folder, inputs)
            member.move(
                (RunStatus.UPLOADING,),
                RunStatus.STARTING,
                remote_dir=self.session.abs(folder),
                config=member.config,
                batch_index=index,
            )
            member.write_run_json()
            self.members[index] = member
        return True

    def start(self) -> None:
        handle = self.runtime.find(self.batch_id)
        command: str | None = None
        made_by: dict[str, Any] | None = None
        if handle is None:
            jsonl = f"{self.files.run_rel}/{JSONL}"
            command = self.adapter.batch_command(self.lead_config, self.files, jsonl)
            for member in self.members.values():
                member.config[COMMAND_KEY] = command
            lead = next(iter(self.members.values()), None)
            made_by = lead.provenance() if lead is not None else None
            handle = self.runtime.start(self.batch_id, command)
        now = self.context.now()
        for member in self.members.values():
            fields: dict[str, Any] = {}
            if command is not None:  # exactly what ran, from remote_dir (run.json has it)
                member.config[COMMAND_KEY] = command
                fields["config"] = member.config
                fields["provenance"] = made_by
            try:
                member.move(
                    (RunStatus.STARTING,),
                    RunStatus.RUNNING,
                    handle=handle,
                    last_log_at=now,
                    stage="starting",
                    **fields,
                )
            except _Gone:
                continue
        log.info(
            "batch %s (%d runs) started on %s as %s",
            self.batch_id,
            len(self.members),
            self.session.name,
            handle,
        )

    # -- following the shared log -----------------------------------------------------------------

    def stream(self) -> None:
        busy = [r for r in self.rows() if r.status in RunStatus.BUSY]
        position = Position.loads(busy[0].log_position if busy else None)
        follower = LogFollower(
            self.runtime,
            self.batch_id,
            self.handle,
            position,
            self.dir / "model.log",
            self,
            hang_after=self.session.host_hang_seconds,
        )
        self.follower = follower
        self.resplit()
        try:
            follower.follow()
        finally:
            now = time.monotonic()
            for index, tracker in self.trackers.items():
                tracker.finish(now)
                self.members[index]._record_stages(tracker)
                self.members[index].hung = follower.stopped_for == "hang"
            follower.close()
            for spool in self.spools.values():
                spool.close()
            self.spools = {}

    def resplit(self) -> None:
        """Split model.log (already cut back to the position) into each busy member's run.log."""
        count = max(self.members) + 1 if self.members else 0
        self.splitter = SampleSplitter(self.adapter, count)
        parts: dict[int, list[bytes]] = {}
        path = self.dir / "model.log"
        if path.exists():
            with path.open("rb") as handle:
                for raw in handle:
                    index = self.splitter.feed(raw)
                    if index is not None:
                        parts.setdefault(index, []).append(raw)
        busy = {r.id for r in self.rows() if r.status in RunStatus.BUSY}
        for index, member in self.members.items():
            if member.run_id not in busy:
                continue
            lines = parts.get(index, [])
            member.run_dir.mkdir(parents=True, exist_ok=True)
            (member.run_dir / "run.log").write_bytes(b"".join(lines))
            self.spools[index] = Spool(member.run_dir / "run.log", sum(len(line) for line in lines))
            row = lifecycle.row(member.run_id)
            tracker = new_tracker(self.adapter, row, member.config)
            member._read(lines, tracker, record=False)
            self.trackers[index] = tracker
            if index in self.splitter.ended:
                self.pending_ends.append(index)
        self.announced = set(self.splitter.reached)

    # -- what the log follower reports to (LogSink) ----------------------------------------------

    def log_following(self) -> None:
        for index in self.spools:
            self.members[index].clear_note()

    def log_lines(self, lines: list[bytes]) -> None:
        assert self.splitter is not None
        routed: dict[int, list[bytes]] = {}
        for raw in lines:
            index = self.splitter.feed(raw)
            if index is None or index not in self.spools:
                continue  # after the last sample, or a run no longer in the batch
            routed.setdefault(index, []).append(raw)
            if index in self.splitter.ended and index not in self.pending_ends:
                self.pending_ends.append(index)
        for index, chunk in routed.items():
            self.spools[index].write(chunk)
            self.members[index]._read(chunk, self.trackers[index])

    def log_partial(self, update: bytes) -> None:
        assert self.splitter is not None
        current = self.splitter.current
        if current in self.spools and current in self.trackers:
            self.members[current]._read_partial(update, self.trackers[current])

    def log_position(self, position: Position, last_data: float) -> None:
        assert self.splitter is not None
        for spool in self.spools.values():
            spool.flush()
        lifecycle.update_batch(
            self.db, self.batch_id, log_position=position.dumps(), last_log_at=self.context.wall(last_data)
        )
        for index in sorted(self.splitter.reached - self.announced):
            self.announced.add(index)
            if index > 0 and index in self.spools:
                self.members[index].set(started_at=self.context.now())  # its own duration
        current = self.splitter.current
        if current in self.spools and current not in self.splitter.ended:
            self.members[current]._persist(self.trackers[current], position, last_data)
        while self.pending_ends:
            self.finish_sample(self.pending_ends.pop(0))

    def log_quiet(self, quiet: bool) -> None:
        assert self.splitter is not None
        member = self.members.get(self.splitter.current)
        if member is not None and self.splitter.current in self.spools:
            member.log_quiet(quiet)

    def cancel_requested(self) -> bool:
        """Drop cancelled runs the model has not reached; True when the process must stop (the
        sample under way was cancelled, or no run is left in the batch)."""
        assert self.splitter is not None
        current = self.splitter.current
        for index in list(self.spools):
            member = self.members[index]
            if not member.cancel_requested():
                continue
            if index in self.splitter.reached and index not in self.splitter.ended:
                return True
            if index >= current and index not in self.splitter.reached:
                self.spools.pop(index).close()
                member.finish(
                    Outcome(
                        RunStatus.CANCELLED,
                        None,
                        "cancelled",
                        "cancelled before the model reached it; the rest of its batch went on.",
                    ),
                    kept_files(member),
                )
        return not self.spools

    def stop_model(self) -> None:
        try:
            self.runtime.stop(self.batch_id, self.handle, self.session.host_stop_grace)
        except CosmosError as exc:
            log.warning("stopping batch %s failed: %s", self.batch_id, exc)

    # -- judging ----------------------------------------------------------------------------------

    def finish_sample(self, index: int, state: State | None = None) -> None:
        """Judge one sample: by its end marker while the process goes on, or by the process's end."""
        assert self.splitter is not None
        member = self.members[index]
        if lifecycle.row(member.run_id).status not in RunStatus.BUSY:
            return
        spool = self.spools.pop(index, None)
        if spool is not None:
            spool.close()
        if state is None:
            code = 0 if self.splitter.ended.get(index) == "saved" else 1
            state = State("exited", code)
        outputs = member._download_outputs(member.files.run_rel, sample_patterns(self.adapter, index))
        member.finish(member._judge(state, outputs), outputs)

    def collect(self) -> None:
        state = self.runtime.state(self.batch_id, self.handle)
        deadline = time.monotonic() + 60
        while state.status == "running" and time.monotonic() < deadline:
            time.sleep(0.5)
            state = self.runtime.state(self.batch_id, self.handle)
        if self.splitter is None:  # never followed (collected after a restart): split what there is
            self.resplit()
        splitter = self.splitter
        assert splitter is not None
        for spool in self.spools.values():
            spool.close()
        self.spools = {}
        while self.pending_ends:
            self.finish_sample(self.pending_ends.pop(0))
        stopped_for = self.follower.stopped_for if self.follower is not None else None
        busy = {r.id for r in self.rows() if r.status in RunStatus.BUSY}
        model_log = self.dir / "model.log"
        for index, member in sorted(self.members.items()):
            if member.run_id not in busy:
                continue
            if index in splitter.ended:
                self.finish_sample(index)
            elif index in splitter.reached or (not splitter.reached and stopped_for != "cancel"):
                # The sample the process was on (or the process failed before any sample: the same
                # failure would meet every run, so each fails with it).
                if not splitter.reached and model_log.exists():
                    member.tail = model_log.read_bytes().splitlines(keepends=True)[-400:]
                self.finish_sample(index, state)
            elif member.cancel_requested():
                member.finish(
                    Outcome(RunStatus.CANCELLED, None, "cancelled", "cancelled before the model reached it."),
                    kept_files(member),
                )
            elif int(member.config.get("_requeued", 0)) >= REQUEUE_ONCE and stopped_for != "cancel":
                member.finish(
                    Outcome(
                        RunStatus.FAILED,
                        None,
                        "batch",
                        "the model process of its batch ended before reaching it, again; run it on its own.",
                    ),
                )
            else:
                (member.run_dir / "run.log").unlink(missing_ok=True)
                lifecycle.requeue(
                    self.db,
                    member.run_id,
                    self.context.now(),
                    "its batch's model process ended before reaching it; queued again.",
                )
                self.context.notify_finished(member.run_id)
        if state.status != "running":
            try:
                self.runtime.cleanup(self.batch_id, self.handle)
            except CosmosError as exc:
                log.warning("cleanup of batch %s failed: %s", self.batch_id, exc)
        cleanup.after_collect(self.session, self.batch_id, self.context.now(), self.context.hash_file)


def kept_files(member: RunExecutor) -> list[str]:
    return [str(p) for p in (member.run_dir / "run.log", member.run_dir / "spec.json") if p.exists()]
