"""Pool benchmark: N short runs queued to a pool of 2 hosts vs the same N queued to one of them.

    .venv/bin/python bench/bench_pool.py [--runs 20] [--speed 0.01] [--rounds 3]

Both hosts are simulated hosts on this machine (local transport, process runtime, one slot each,
no batching), so the pool has twice the slots. Each round measures both ways (one host first, then
the pool) from queueing to the last run completed, in one process (``api.execute``). Prints each
round, the medians and the ratio (one host / pool: 2.0 would be perfect).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from cosmos_tui.api import CosmosAPI  # noqa: E402
from cosmos_tui.config import load  # noqa: E402
from tests.harness import local_host_table, toml_table  # noqa: E402

DEMO = REPO / "inputs" / "videos" / "demo"


def config_for(folder: Path, speed: str) -> Path:
    body = '[paths]\noutputs = "outputs"\ndatabase = "outputs/cosmos.db"\n'
    for name in ("box1", "box2"):
        body += local_host_table(name, folder / f"remote-{name}", speed=speed, max_concurrent=1, max_batch=1)
    body += toml_table("pools.lab", {"hosts": ["box1", "box2"]})
    path = folder / "config.toml"
    path.write_text(body)
    return path


def measure(folder: Path, runs: int, speed: str, target: str) -> tuple[float, dict[str, int]]:
    folder.mkdir()
    with CosmosAPI(load(config_for(folder, speed))) as api:
        prompt = api.create_prompt("a street at dusk", DEMO).prompt_id
        started = time.monotonic()
        run_ids = api.run_inference([prompt] * runs, host=target)
        assert api.execute(run_ids, timeout=None)
        wall = time.monotonic() - started
        done = [api.get_run(r) for r in run_ids]
        bad = [(r.run_id, r.status, r.error_message) for r in done if r.status != "completed"]
        assert not bad, bad
        placed: dict[str, int] = {}
        for run in done:
            placed[run.host] = placed.get(run.host, 0) + 1
    return wall, placed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--speed", default="0.01", help="sim speed (1 = real Transfer1 stage times)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    one: list[float] = []
    pool: list[float] = []
    with tempfile.TemporaryDirectory(prefix="cosmos-bench-pool-") as tmp:
        for index in range(args.rounds):
            wall_one, placed_one = measure(Path(tmp) / f"one-{index}", args.runs, args.speed, "box1")
            wall_pool, placed_pool = measure(Path(tmp) / f"pool-{index}", args.runs, args.speed, "lab")
            one.append(wall_one)
            pool.append(wall_pool)
            print(
                f"round {index + 1}: one host {wall_one:.1f} s {placed_one}, "
                f"pool of 2 {wall_pool:.1f} s {placed_pool}",
                flush=True,
            )
    median_one, median_pool = statistics.median(one), statistics.median(pool)
    print(f"{args.runs} runs at sim speed {args.speed}, {args.rounds} rounds")
    print(f"one host (box1):      median {median_one:.1f} s")
    print(f"pool of 2 (box1+box2): median {median_pool:.1f} s")
    print(f"ratio one host / pool: {median_one / median_pool:.2f}x")


if __name__ == "__main__":
    main()
