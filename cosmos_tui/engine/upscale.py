"""A 4K upscale of a completed transfer run: a run of model type ``upscale`` whose parent is that
run and whose input is the parent's output.mp4 (used where it is on the host when the host still
has it; see ``cosmos/upscale.py``). Queued on request (``CosmosAPI.upscale``) or, for runs queued
with the wish in their config (``--run ... --upscale``), by the follow-up step when the run
completes (``followups.STEPS``), in whichever process collected it."""

from __future__ import annotations

import logging
import math
from datetime import datetime
from pathlib import Path
from typing import Any

import peewee

from cosmos_tui import ids
from cosmos_tui.cosmos.upscale import NUM_STEPS
from cosmos_tui.errors import NotFoundError, OperationError, UsageError
from cosmos_tui.records import RunStatus
from cosmos_tui.store import lifecycle, links

log = logging.getLogger(__name__)

MODEL_TYPE = "upscale"
DEFAULT_WEIGHT = 0.5
WISH = "upscale_after"  # in a transfer run's config: {"weight": W}, upscale it once it completes


def check_weight(weight: Any) -> float:
    """The upscale control weight, from above 0 to 1 (the model's range; 0 would turn it off)."""
    try:
        value = float(weight)
    except (TypeError, ValueError):
        value = math.nan
    if isinstance(weight, bool) or not (math.isfinite(value) and 0 < value <= 1):
        raise UsageError(
            f"the upscale weight must be a number above 0 and at most 1 (0.5 is usual), not {weight!r}.",
            field="weight",
        )
    return value


def upscale_config(parent: Any, weight: float, num_gpu: int) -> dict[str, Any]:
    """The options of an upscale run of ``parent`` (a store Run row, read by attribute)."""
    video = next((p for p in parent.outputs or [] if Path(p).name == "output.mp4"), None)
    if video is None:
        raise OperationError(f"run {parent.id} has no output.mp4 to upscale; its outputs were removed.")
    return {
        "parent_run": parent.id,
        "inputs": {"video": video},
        "control_weight": weight,
        "num_steps": NUM_STEPS,
        "num_gpu": int(num_gpu),
        "prompt_id": parent.prompt_id,
    }


def check_parent(parent_id: str) -> Any:
    """The run to upscale (a store Run row); a run that is not completed, or that is itself an
    upscale (or not a transfer run), is refused with one sentence."""
    try:
        parent = lifecycle.row(parent_id)
    except peewee.DoesNotExist as exc:
        raise NotFoundError(f"no run has the ID {parent_id}.") from exc
    if parent.model_type == MODEL_TYPE:
        raise UsageError(
            f"run {parent_id} is itself a 4K upscale (of {parent.parent_id or 'a deleted run'}); "
            "only a transfer run can be upscaled."
        )
    if parent.model_type != "transfer":
        raise UsageError(
            f"run {parent_id} is a {parent.model_type} run; only a transfer run can be upscaled."
        )
    if parent.status != RunStatus.COMPLETED:
        raise UsageError(
            f"run {parent_id} is {parent.status}, not completed; only a completed run can be upscaled."
        )
    return parent


def queue(
    parent_id: str, *, weight: float, host: str, num_gpu: int, now: datetime, family: str | None = None
) -> str:
    """Queue the upscale of a completed transfer run on ``host``; its ID (refusals: ``check_parent``)."""
    weight = check_weight(weight)
    parent = check_parent(parent_id)
    run_id = ids.new_id(ids.RUN)
    queued = links.queue_child(
        parent_id,
        id=run_id,
        created_at=now,
        prompt=parent.prompt_id,
        model_type=MODEL_TYPE,
        family=family or parent.family,
        host=host,
        config=upscale_config(parent, weight, num_gpu),
    )
    if not queued:
        raise UsageError(f"run {parent_id} is no longer completed; only a completed run can be upscaled.")
    log.info("queued %s on %s: 4K upscale of %s (weight %s)", run_id, host, parent_id, weight)
    return run_id


def upscale_after(run_id: str, now: datetime) -> None:
    """Follow-up step: a transfer run queued with the upscale wish queues its upscale (once)."""
    row = lifecycle.row(run_id)
    wish = (row.config or {}).get(WISH)
    if not isinstance(wish, dict) or row.model_type != "transfer":
        return
    if links.children(run_id, MODEL_TYPE):
        return  # already queued (collected twice, or upscaled by hand meanwhile)
    queue(
        run_id,
        weight=wish.get("weight", DEFAULT_WEIGHT),
        host=row.host,
        num_gpu=int((row.config or {}).get("num_gpu", 1)),
        now=now,
    )
