"""What a run that just completed asks for next, done by whichever process collected it (so it
also happens for detached runs): e.g. an upscale queued after a transfer, or the enhanced prompt an
``enhance`` run produced. Each step is a function of the run's ID and the time; a step that fails
is logged and never changes the run's own outcome."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from cosmos_tui.engine import upscale
from cosmos_tui.engine.enhanced import make_enhanced_prompt

log = logging.getLogger(__name__)

Step = Callable[[str, datetime], None]

# Model-specific steps register here (one entry per kind of follow-up).
STEPS: list[Step] = [upscale.upscale_after, make_enhanced_prompt]


def after_completed(run_id: str, now: datetime) -> None:
    """Run every follow-up step for a run that has just completed."""
    for step in STEPS:
        try:
            step(run_id, now)
        except Exception:
            log.exception("follow-up %s after %s failed", getattr(step, "__name__", step), run_id)
