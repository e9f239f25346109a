"""The run lifecycle's writes: claiming, conditional transitions, stage timings, hashes.

Every write is one short BEGIN IMMEDIATE transaction, so two cosmos-tui processes serialise on
the write lock instead of deadlocking, and a claim is decided by one conditional UPDATE.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from peewee import SqliteDatabase, fn

from cosmos_tui.records import RunStatus
from cosmos_tui.store.db import tuples
from cosmos_tui.store.models import InputHash, Prompt, Run, RunStage

BatchKey = Callable[[str, str, dict[str, Any]], "str | None"]  # (model type, family, config) -> key or None


def busy_slots(host: str) -> int:
    """Model processes busy on ``host``: a batch's runs share one slot."""
    return int(
        Run.select(fn.COUNT(fn.DISTINCT(fn.COALESCE(Run.batch_id, Run.id))))
        .where((Run.host == host) & Run.status.in_(RunStatus.BUSY))
        .scalar()
        or 0
    )


@dataclass(frozen=True)
class Placement:
    """What a host can take from a pool: the pools it is in, the tasks its family runs, its family,
    and its slots. ``peers`` are the other hosts the claiming process serves (and can reach) that
    a pool's run could go to instead; a run waits for a better one of them (see ``_better_peer``)."""

    pools: tuple[str, ...] = ()
    tasks: tuple[str, ...] = ()
    family: str = ""
    peers: Mapping[str, tuple[int, tuple[str, ...], tuple[str, ...]]] = field(default_factory=dict)
    defaults: Mapping[str, Any] = field(default_factory=dict)  # options a run takes from its host


def claim_group(
    db: SqliteDatabase,
    host: str,
    max_concurrent: int,
    owner: str,
    now: datetime,
    *,
    max_batch: int = 1,
    key: BatchKey | None = None,
    new_batch_id: Callable[[], str] | None = None,
    placement: Placement | None = None,
) -> tuple[list[str], str | None]:
    """Claim the oldest queued run on ``host`` if it has a free slot, and in the same transaction
    the queued runs that can share its model process: its batch if it was queued as one
    (``--batch``), else up to ``max_batch`` runs with the same ``key``. Returns the claimed IDs
    (oldest first) and the batch ID (None for a run on its own).

    With a ``placement``, runs queued to a pool the host is in (and of a task its family runs)
    are candidates too; one is placed here (host and family set in the same UPDATE) unless a peer
    is a better place for it."""
    with db.atomic():
        busy = busy_slots(host)
        if busy >= max_concurrent:
            return [], None
        mine = Run.host == host
        if placement is not None and placement.pools and placement.tasks:
            in_pool = Run.pool.in_(list(placement.pools)) & Run.model_type.in_(list(placement.tasks))
            mine = mine | ((Run.host == "") & in_pool)
        queued = Run.select().where(mine & (Run.status == RunStatus.QUEUED))
        first = None
        for candidate in queued.order_by(Run.created_at, Run.id).limit(PLACEMENT_LOOKAHEAD):
            if candidate.host or placement is None or not _better_peer(host, busy, candidate, placement):
                first = candidate
                break
        if first is None:
            return [], None
        if not first.host:
            queued = Run.select().where(
                (Run.status == RunStatus.QUEUED)
                & (Run.host == "")
                & (Run.pool == first.pool)
                & (Run.model_type == first.model_type)
            )
        group = [first]
        batch_id = first.batch_id
        if batch_id:
            mates = queued.where(Run.batch_id == batch_id)
            group = list(mates.order_by(Run.batch_index, Run.created_at, Run.id))
        elif max_batch > 1 and key is not None and new_batch_id is not None:
            if not first.host and placement is not None:
                max_batch = _pool_share(host, first, placement, queued.count(), max_batch)
            # A pool's run takes the family of the host it is placed on.
            family = first.family if first.host or placement is None else placement.family
            wanted = key(first.model_type, family, _placed_config(first, placement))
            if wanted is not None:
                others = queued.where(
                    (Run.id != first.id) & Run.batch_id.is_null() & (Run.model_type == first.model_type)
                )
                if first.host:
                    others = others.where(Run.family == first.family)
                for other in others.order_by(Run.created_at, Run.id):
                    if len(group) >= max_batch:
                        break
                    if key(other.model_type, family, _placed_config(other, placement)) == wanted:
                        group.append(other)
            if len(group) > 1:
                batch_id = new_batch_id()
        claimed = []
        for index, run in enumerate(group):
            fields: dict[str, Any] = dict(status=RunStatus.CLAIMED, claimed_by=owner, updated_at=now)
            if not run.host and placement is not None:
                fields.update(
                    host=host,
                    family=placement.family,
                    error_message=None,
                    config=_placed_config(run, placement),
                )
            if batch_id:
                fields.update(batch_id=batch_id, batch_index=index)
            done = Run.update(**fields).where((Run.id == run.id) & (Run.status == RunStatus.QUEUED)).execute()
            if done == 1:
                claimed.append(run.id)
        return claimed, (batch_id if claimed else None)


PLACEMENT_LOOKAHEAD = 50  # queued runs looked at for one that no better peer should take
PLACED_KEY = "_placed"  # in a pool run's config: the options it took from its host


def _placed_config(run: Run, placement: Placement | None) -> dict[str, Any]:
    """A run's options as they are where it runs: a pool's run takes its host's (GPUs, checkpoint)
    for what it was not given itself."""
    config = dict(run.config or {})
    if not run.host and placement is not None:
        taken = [name for name in placement.defaults if name not in config]
        config.update({name: placement.defaults[name] for name in taken})
        if taken:
            config[PLACED_KEY] = taken  # so a step back to the pool can take them off again
    return config


def _pool_share(host: str, run: Run, placement: Placement, waiting: int, max_batch: int) -> int:
    """How many of a pool's ``waiting`` runs one host may batch: its share with the peers that have
    a free slot for them now, so an idle host is not left idle while another batches everything."""
    free = 0
    for peer, (slots, pools, tasks) in placement.peers.items():
        if peer != host and run.pool in pools and run.model_type in tasks and busy_slots(peer) < slots:
            free += 1
    return max(1, min(max_batch, -(-waiting // (free + 1))))


def note_pool(db: SqliteDatabase, pool: str, message: str | None) -> int:
    """Put a sentence on (or, None, take it off) the runs that wait in a pool for a host. Workers
    call this at every idle poll: the write lock is taken only when a run needs the change."""
    waiting = (Run.host == "") & (Run.pool == pool) & (Run.status == RunStatus.QUEUED)
    if message is None:
        stale = waiting & Run.error_message.is_null(False)
    else:
        stale = waiting & (Run.error_message.is_null() | (Run.error_message != message))
    if not Run.select(Run.id).where(stale).exists():
        return 0
    with db.atomic():
        return Run.update(error_message=message).where(stale).execute()


def _has_prompt(host: str, prompt_id: str | None) -> bool:
    """Whether ``host`` ran this prompt before, so it most likely holds its inputs already."""
    if prompt_id is None:
        return False
    return Run.select(Run.id).where((Run.host == host) & (Run.prompt == prompt_id)).exists()


def _better_peer(host: str, busy: int, run: Run, placement: Placement) -> bool:
    """Whether another host could take this pool run with a free slot and is a better place: it
    has the inputs and this host has not, or (both alike) it has fewer busy slots."""
    here = (0 if _has_prompt(host, run.prompt_id) else 1, busy)
    for peer, (slots, pools, tasks) in placement.peers.items():
        if peer == host or run.pool not in pools or run.model_type not in tasks:
            continue
        peer_busy = busy_slots(peer)
        if peer_busy >= slots:
            continue
        if (0 if _has_prompt(peer, run.prompt_id) else 1, peer_busy) < here:
            return True
    return False


def claim_next(db: SqliteDatabase, host: str, max_concurrent: int, owner: str, now: datetime) -> str | None:
    """Claim the oldest queued run on ``host`` if the host has a free slot; return its ID."""
    with db.atomic():
        busy = busy_slots(host)
        if busy >= max_concurrent:
            return None
        row = (
            Run.select(Run.id)
            .where((Run.host == host) & (Run.status == RunStatus.QUEUED))
            .order_by(Run.created_at, Run.id)
            .first()
        )
        if row is None:
            return None
        claimed = (
            Run.update(status=RunStatus.CLAIMED, claimed_by=owner, updated_at=now)
            .where((Run.id == row.id) & (Run.status == RunStatus.QUEUED))
            .execute()
        )
        return row.id if claimed == 1 else None


def adopt(db: SqliteDatabase, run_id: str, previous_owner: str | None, owner: str, now: datetime) -> bool:
    """Take over a mid-flight run whose owner is gone; False if someone else got there first."""
    with db.atomic():
        query = Run.update(claimed_by=owner, updated_at=now)
        query = query.where((Run.id == run_id) & Run.status.in_(RunStatus.BUSY))
        if previous_owner is None:
            query = query.where(Run.claimed_by.is_null())
        else:
            query = query.where(Run.claimed_by == previous_owner)
        return query.execute() == 1


def update(db: SqliteDatabase, run_id: str, **fields: Any) -> None:
    with db.atomic():
        Run.update(**fields).where(Run.id == run_id).execute()


def transition(db: SqliteDatabase, run_id: str, allowed_from: Iterable[str], **fields: Any) -> bool:
    """Update only while the run is in one of ``allowed_from``; True when it was."""
    with db.atomic():
        return (
            Run.update(**fields).where((Run.id == run_id) & Run.status.in_(list(allowed_from))).execute() == 1
        )


def note(db: SqliteDatabase, run_id: str, message: str) -> bool:
    """Put a sentence on a run that waits for something (written only when it changes)."""
    with db.atomic():
        query = Run.update(error_message=message).where(
            (Run.id == run_id) & (Run.error_message.is_null() | (Run.error_message != message))
        )
        return query.execute() == 1


def row(run_id: str) -> Run:
    return Run.get_by_id(run_id)


def prompt_name(prompt_id: str | None) -> str | None:
    found = Prompt.get_or_none(Prompt.id == prompt_id) if prompt_id else None
    return found.name if found is not None else None


def mid_flight() -> list[tuple[str, str, str | None]]:
    """(run ID, host, owner) of every run between claimed and collecting."""
    return list(tuples(Run.select(Run.id, Run.host, Run.claimed_by).where(Run.status.in_(RunStatus.BUSY))))


def record_stage(
    db: SqliteDatabase, run_id: str, stage: str, seq: int, started: datetime, finished: datetime | None
) -> None:
    seconds = (finished - started).total_seconds() if finished else None
    with db.atomic():
        RunStage.insert(
            run=run_id, stage=stage, seq=seq, started_at=started, finished_at=finished, seconds=seconds
        ).execute()


def stage_times(run_id: str) -> dict[int, tuple[datetime, datetime | None]]:
    """{seq: (started, finished)} of the stages recorded for a run."""
    rows = RunStage.select(RunStage.seq, RunStage.started_at, RunStage.finished_at)
    rows = rows.where(RunStage.run == run_id)
    return {seq: (started, finished) for seq, started, finished in tuples(rows)}


def learned_stage_seconds(host: str, model_type: str, runs: int = 20) -> dict[str, float]:
    """Median seconds per stage occurrence over the last completed runs on this host and model."""
    recent = (
        Run.select(Run.id)
        .where((Run.host == host) & (Run.model_type == model_type) & (Run.status == RunStatus.COMPLETED))
        .order_by(Run.finished_at.desc())
        .limit(runs)
    )
    samples: dict[str, list[float]] = {}
    for stage, seconds in tuples(
        RunStage.select(RunStage.stage, RunStage.seconds).where(
            RunStage.run.in_(recent) & RunStage.seconds.is_null(False)
        )
    ):
        samples.setdefault(stage, []).append(seconds)
    return {stage: statistics.median(values) for stage, values in samples.items()}


def cancel_if_waiting(db: SqliteDatabase, run_id: str, now: datetime) -> bool:
    """Cancel a run that has not reached a host yet."""
    return transition(
        db,
        run_id,
        (RunStatus.QUEUED,),
        status=RunStatus.CANCELLED,
        finished_at=now,
        error_class="cancelled",
        error_message="cancelled before it started.",
        updated_at=now,
    )


def request_cancel(db: SqliteDatabase, run_id: str, now: datetime) -> bool:
    return transition(db, run_id, RunStatus.ACTIVE, cancel_requested=1, updated_at=now)


def cached_hash(path: str, size: int, mtime_ns: int) -> str | None:
    found = InputHash.get_or_none(InputHash.path == path)
    if found is not None and found.size == size and found.mtime_ns == mtime_ns:
        return found.sha256
    return None


def store_hash(db: SqliteDatabase, path: str, size: int, mtime_ns: int, sha256: str) -> None:
    with db.atomic():
        InputHash.replace(path=path, size=size, mtime_ns=mtime_ns, sha256=sha256).execute()


# -- batches: runs that share one model process -----------------------------------------------------


def batch_members(batch_id: str) -> list[Run]:
    """The runs of a batch, in sample order."""
    return list(Run.select().where(Run.batch_id == batch_id).order_by(Run.batch_index, Run.id))


def batch_of(run_id: str) -> str | None:
    found = Run.get_or_none(Run.id == run_id)
    return found.batch_id if found is not None else None


def update_batch(db: SqliteDatabase, batch_id: str, **fields: Any) -> None:
    """Write the same fields on every run of the batch that is still busy (its shared position)."""
    with db.atomic():
        Run.update(**fields).where((Run.batch_id == batch_id) & Run.status.in_(RunStatus.BUSY)).execute()


def requeue(db: SqliteDatabase, run_id: str, now: datetime, message: str) -> bool:
    """Put a busy run the model never reached back in the queue, out of its batch, with a note."""
    with db.atomic():
        found = Run.get_or_none(Run.id == run_id)
        if found is None or found.status not in RunStatus.BUSY:
            return False
        config = dict(found.config or {})
        config["_requeued"] = int(config.get("_requeued", 0)) + 1
        placed: dict[str, Any] = {}
        if found.pool:  # back to its pool, for any of its hosts to take
            placed["host"] = ""
            for name in config.pop(PLACED_KEY, []):
                config.pop(name, None)
        RunStage.delete().where(RunStage.run == run_id).execute()
        return (
            Run.update(
                **placed,
                status=RunStatus.QUEUED,
                claimed_by=None,
                batch_id=None,
                batch_index=None,
                handle=None,
                log_position=None,
                stage=None,
                progress=0.0,
                eta_seconds=None,
                started_at=None,
                remote_dir=None,
                error_class=None,
                error_message=message,
                updated_at=now,
                config=config,
            )
            .where((Run.id == run_id) & Run.status.in_(RunStatus.BUSY))
            .execute()
            == 1
        )
