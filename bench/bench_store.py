"""Store benchmark: query times over 100,000 prompts and 1,000,000 runs, and the cost of a whole
`cosmos-tui prompt list --json` process.

    .venv/bin/python bench/bench_store.py [--prompts N] [--runs N] [--keep DIR]

Prints one line per figure (median and worst of the repetitions). Targets (issue 2): each query
under 20 ms; the whole `prompt list --json` process under 300 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from cosmos_tui.api import CosmosAPI  # noqa: E402
from cosmos_tui.config import load  # noqa: E402
from cosmos_tui.store import Store  # noqa: E402

WORDS = (
    "robot arm picks red cube table kitchen warehouse forklift street rain neon night dawn fog "
    "harbour ship car truck pedestrian crossing snow desert road forest river bridge drone aerial "
    "factory conveyor box worker helmet light shadow sunset camera pans slowly tracking shot close "
    "wide lens cinematic realistic photoreal rainy wet asphalt reflections city skyline mountain"
).split()
STATUSES = ["completed"] * 70 + ["failed"] * 15 + ["cancelled"] * 10 + ["running"] * 5
ERRORS = ["oom", "guardrail", "missing_checkpoint", "hang", "ssh", "docker", "unknown"]


def build(db_path: Path, prompts: int, runs: int) -> None:
    Store(db_path).close()  # the real, migrated schema with its indexes and FTS triggers
    rng = random.Random(1)
    con = sqlite3.connect(db_path)
    con.execute("PRAGMA synchronous = off")
    # Runs every 30 s up to now, so the dashboard's 30-day window holds ~86,000 of them.
    start = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=30 * runs)
    prompt_ids = [f"ps_{rng.getrandbits(48):012x}" for _ in range(prompts)]
    with con:
        con.executemany(
            "INSERT INTO prompt (id, name, text, negative_prompt, model_type, input_dir, inputs, "
            "parameters, created_at) VALUES (?, ?, ?, '', 'transfer', ?, ?, '{}', ?)",
            (
                (
                    pid,
                    f"prompt-{i}",
                    " ".join(rng.choices(WORDS, k=rng.randint(12, 40))),
                    f"/inputs/videos/scene{i % 500}",
                    json.dumps({"video": f"/inputs/videos/scene{i % 500}/color.mp4"}),
                    (start + timedelta(seconds=30 * runs * i / prompts)).isoformat(sep=" "),
                )
                for i, pid in enumerate(prompt_ids)
            ),
        )
    with con:
        con.executemany(
            "INSERT INTO run (id, prompt_id, model_type, host, status, config, created_at, progress, "
            "outputs, error_class, duration_seconds, cancel_requested) "
            "VALUES (?, ?, ?, ?, ?, '{}', ?, 100, '[]', ?, ?, 0)",
            (
                (
                    f"rs_{rng.getrandbits(48):012x}",
                    prompt_ids[rng.randrange(prompts)],
                    "upscale" if i % 10 == 0 else "transfer",
                    f"gpu{i % 4}",
                    status,
                    (start + timedelta(seconds=30 * i)).isoformat(sep=" "),
                    rng.choice(ERRORS) if status == "failed" else None,
                    rng.uniform(300, 3000) if status == "completed" else None,
                )
                for i in range(runs)
                for status in (rng.choice(STATUSES),)
            ),
        )
    con.execute("ANALYZE")
    con.close()


def timed(label: str, fn: Callable[[], object], repeat: int = 30) -> None:
    fn()  # warm the page cache
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - t0) * 1000)
    rows = len(result) if isinstance(result, list) else ""
    print(
        f"{label:<44} median {statistics.median(samples):7.2f} ms   max {max(samples):7.2f} ms   rows {rows}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--prompts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the database in this folder")
    args = parser.parse_args()

    folder = args.keep or Path(tempfile.mkdtemp(prefix="cosmos-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    db_path = folder / "bench.db"
    config = folder / "config.toml"
    config.write_text(f'[paths]\ndatabase = "{db_path}"\noutputs = "{folder}/outputs"\n')
    if not db_path.exists():
        t0 = time.perf_counter()
        build(db_path, args.prompts, args.runs)
        print(f"built {args.prompts:,} prompts and {args.runs:,} runs in {time.perf_counter() - t0:.1f} s")

    api = CosmosAPI(load(config))
    some_prompt = api.list_prompts(limit=1, offset=1234)[0].prompt_id
    print(f"database: {db_path} ({db_path.stat().st_size / 1e6:.0f} MB)")
    timed("prompt list page (50, with run summaries)", lambda: api.list_prompts(limit=50))
    timed("prompt list page at offset 50,000", lambda: api.list_prompts(limit=50, offset=50_000))
    timed("run list --status failed (50)", lambda: api.list_runs(status="failed", limit=50))
    timed("run list --status running --host gpu1", lambda: api.list_runs(status="running", host="gpu1"))
    timed("run list --prompt ID", lambda: api.list_runs(prompt=some_prompt))
    timed("FTS search, rare word pair", lambda: api.search_prompts("forklift skyline"))
    timed("FTS search, common word (newest 50)", lambda: api.search_prompts("robot"))
    timed("FTS search, word prefix", lambda: api.search_prompts("ware"))
    timed("get prompt by an 8-digit prefix", lambda: api.get_prompt(some_prompt[:11]))
    timed("dashboard (30 days)", lambda: api.dashboard(days=30), repeat=3)
    api.close()

    env = dict(os.environ, COSMOS_TUI_CONFIG=str(config))
    binary = Path(sys.executable).parent / "cosmos-tui"
    samples = []
    for _ in range(10):
        t0 = time.perf_counter()
        subprocess.run(
            [str(binary), "prompt", "list", "--json"], env=env, check=True, stdout=subprocess.DEVNULL
        )
        samples.append((time.perf_counter() - t0) * 1000)
    print(
        f"{'process: cosmos-tui prompt list --json':<44} median {statistics.median(samples):7.2f} ms   "
        f"max {max(samples):7.2f} ms"
    )


if __name__ == "__main__":
    main()
