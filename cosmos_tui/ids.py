"""Record IDs: a type prefix and 12 hex digits (``ps_3fa9c0e1b2d4``, ``rs_...``, ``sw_...``).

Set ``COSMOS_TUI_ID_SEED`` (or call :func:`seed`) for repeatable IDs in tests and snapshots.
"""

from __future__ import annotations

import os
import random
import secrets
import threading

PROMPT = "ps"
RUN = "rs"
SWEEP = "sw"  # the runs queued together by one sweep of seeds or settings
BATCH = "bs"  # runs sharing one model process; the batch's folder on a host has its ID
HEX_DIGITS = 12

_lock = threading.Lock()
_rng: random.Random | None = None
_env_checked = False


def seed(value: int | None) -> None:
    """Make IDs repeatable from ``value`` (None: back to cryptographic randomness)."""
    global _rng, _env_checked
    with _lock:
        _rng = random.Random(value) if value is not None else None
        _env_checked = True


def new_id(prefix: str) -> str:
    global _env_checked
    with _lock:
        if not _env_checked:
            _env_checked = True
            env_seed = os.environ.get("COSMOS_TUI_ID_SEED")
            if env_seed:
                globals()["_rng"] = random.Random(env_seed)
        if _rng is not None:
            digits = f"{_rng.getrandbits(HEX_DIGITS * 4):0{HEX_DIGITS}x}"
        else:
            digits = secrets.token_hex(HEX_DIGITS // 2)
    return f"{prefix}_{digits}"
