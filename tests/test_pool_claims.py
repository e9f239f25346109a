"""Claim-time placement of runs queued to a pool (the store's transaction, a real SQLite file)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cosmos_tui.records import RunStatus
from cosmos_tui.store import lifecycle
from cosmos_tui.store.models import Prompt, Run
from cosmos_tui.store.store import Store

T0 = datetime(2026, 11, 22, tzinfo=UTC)
TASKS = ("transfer", "upscale")


@pytest.fixture
def store(tmp_path: Path):
    opened = Store(tmp_path / "cosmos.db")
    yield opened
    opened.close()


def queue(n: int, pool: str = "lab", prompt: str | None = None, task: str = "transfer") -> list[str]:
    made = []
    for _ in range(n):
        run_id = f"rs_{Run.select().count():012d}"
        Run.create(
            id=run_id, prompt=prompt, model_type=task, host="", pool=pool, status=RunStatus.QUEUED,
            created_at=T0 + timedelta(seconds=Run.select().count()), family="transfer1",
        )  # fmt: skip
        made.append(run_id)
    return made


def placement(peers: dict[str, int] | None = None, family: str = "transfer1") -> lifecycle.Placement:
    return lifecycle.Placement(
        pools=("any", "lab"),
        tasks=TASKS,
        family=family,
        peers={name: (slots, ("any", "lab"), TASKS) for name, slots in (peers or {}).items()},
    )


def claim(store: Store, host: str, slots: int = 2, peers: dict[str, int] | None = None) -> list[str]:
    claimed, _ = lifecycle.claim_group(store.db, host, slots, "me", T0, placement=placement(peers))
    return claimed


def test_a_pool_run_is_placed_on_the_host_that_claims_it(store: Store) -> None:
    [run_id] = queue(1)
    assert claim(store, "box1") == [run_id]
    row = Run.get_by_id(run_id)
    assert (row.host, row.pool, row.status, row.family) == ("box1", "lab", RunStatus.CLAIMED, "transfer1")


def test_a_host_never_takes_more_than_its_slots_nor_runs_of_other_pools(store: Store) -> None:
    queue(3)
    other = queue(1, pool="elsewhere")
    assert len(claim(store, "box1", slots=2)) == 1
    assert len(claim(store, "box1", slots=2)) == 1
    assert claim(store, "box1", slots=2) == []  # both slots busy
    assert Run.get_by_id(other[0]).host == ""


def test_a_run_of_a_task_the_host_s_family_cannot_run_waits_for_one_that_can(store: Store) -> None:
    [run_id] = queue(1, task="reason")
    assert claim(store, "box1") == []
    assert Run.get_by_id(run_id).status == RunStatus.QUEUED


def test_the_host_with_fewer_busy_runs_gets_the_run(store: Store) -> None:
    queue(3)
    assert len(claim(store, "box1", peers={"box2": 2})) == 1  # alike: the claimer takes it
    # box1 has one busy, box2 none: box1 leaves the next run to box2.
    assert claim(store, "box1", peers={"box2": 2}) == []
    assert len(claim(store, "box2", peers={"box1": 2})) == 1


def test_the_host_that_ran_the_prompt_before_gets_its_next_run(store: Store) -> None:
    Prompt.create(id="ps_1", name="p", text="x", negative_prompt="", input_dir="", created_at=T0)
    Run.create(
        id="rs_old000000001", prompt="ps_1", model_type="transfer", host="box2", status=RunStatus.COMPLETED,
        created_at=T0 - timedelta(days=1),
    )  # fmt: skip
    [run_id] = queue(1, prompt="ps_1")
    assert claim(store, "box1", peers={"box2": 2}) == []  # box2 holds its inputs
    assert claim(store, "box2", peers={"box1": 2}) == [run_id]


def test_a_full_peer_is_no_better_place(store: Store) -> None:
    Prompt.create(id="ps_1", name="p", text="x", negative_prompt="", input_dir="", created_at=T0)
    Run.create(
        id="rs_old000000001", prompt="ps_1", model_type="transfer", host="box2", status=RunStatus.RUNNING,
        created_at=T0 - timedelta(days=1),
    )  # fmt: skip
    [run_id] = queue(1, prompt="ps_1")
    assert claim(store, "box1", peers={"box2": 1}) == [run_id]  # box2's one slot is busy


def test_a_pool_batch_leaves_an_idle_peer_its_share(store: Store) -> None:
    """Six runs that could share one process: the first host batches three, not all six, when
    another host of the pool has a free slot for the rest."""
    queue(6)
    batches = iter(["bs_1", "bs_2"])

    def grab(host: str, peers: dict[str, int]) -> list[str]:
        claimed, _ = lifecycle.claim_group(
            store.db, host, 1, "me", T0, max_batch=8, key=lambda *_: "same",
            new_batch_id=lambda: next(batches), placement=placement(peers),
        )  # fmt: skip
        return claimed

    assert len(grab("box1", {"box2": 1})) == 3
    assert len(grab("box2", {"box1": 1})) == 3  # box1 is busy now: box2 takes the rest
    assert not Run.select().where(Run.status == RunStatus.QUEUED).exists()
