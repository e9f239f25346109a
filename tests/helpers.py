"""Small helpers shared by tests: inserting runs the engine would normally create, racing worker
processes, cutting SSH links under a running executor."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cosmos_tui import ids
from cosmos_tui.api import CosmosAPI
from cosmos_tui.records import RunRecord
from cosmos_tui.store import runs as run_queries


def add_run(
    api: CosmosAPI,
    prompt_id: str | None,
    status: str = "completed",
    *,
    host: str = "gpu",
    model_type: str = "transfer",
    created: datetime | None = None,
    seconds: float | None = None,
    **fields: Any,
) -> RunRecord:
    created = created or datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    naive = created.astimezone(UTC).replace(tzinfo=None)
    if seconds is not None:
        fields.setdefault("started_at", naive)
        fields.setdefault("finished_at", naive + timedelta(seconds=seconds))
        fields.setdefault("duration_seconds", seconds)
    return run_queries.insert(
        api.store.db,
        api.config.paths.outputs,
        id=ids.new_id(ids.RUN),
        prompt=prompt_id,
        model_type=model_type,
        host=host,
        status=status,
        config={"num_steps": 35},
        created_at=naive,
        **fields,
    )


BIN = Path(sys.executable).parent / "cosmos-tui"


def race_workers(env: Mapping[str, str], count: int = 2, timeout: float = 240) -> None:
    """``count`` `cosmos-tui worker --until-idle` processes at once, until each is idle; each must exit 0."""
    workers = [
        subprocess.Popen([BIN, "-v", "worker", "--until-idle"], env=dict(env), stderr=subprocess.PIPE)
        for _ in range(count)
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=timeout)
        assert worker.returncode == 0, err.decode()


def cut_ssh_links(sshd: Any, worker: threading.Thread, times: int = 4, every: float = 0.7) -> int:
    """Kill the server side of every SSH session (sshd's session processes) every ``every`` seconds
    while ``worker`` runs, ``times`` times at most; how many sessions were cut."""
    cuts = 0
    while worker.is_alive() and cuts < times:
        time.sleep(every)
        for pid in sshd.session_pids():
            os.kill(pid, signal.SIGKILL)
            cuts += 1
    return cuts
