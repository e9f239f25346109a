"""The follow-up of a completed `enhance` run: the enhanced prompt becomes a child of the original
(same inputs and settings), and the run asked for after it (``--run ID --enhance``) is queued."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from cosmos_tui.cosmos.enhance import RESULT_FILE
from cosmos_tui.store import enhanced, lifecycle

log = logging.getLogger(__name__)


def make_enhanced_prompt(run_id: str, now: datetime) -> None:
    row = lifecycle.row(run_id)
    if row.model_type != "enhance":
        return
    found = [Path(p) for p in (row.outputs or []) if Path(p).name == RESULT_FILE]
    if not found:
        log.warning("enhance run %s completed without %s", run_id, RESULT_FILE)
        return
    text = found[0].read_text(encoding="utf-8").strip()
    made = enhanced.record_enhanced(run_id, text, now)
    if made is not None:
        prompt_id, queued = made
        log.info("enhance run %s made prompt %s%s", run_id, prompt_id, f", queued {queued}" if queued else "")
