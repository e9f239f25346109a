"""Batch benchmark: N prompts as N single runs vs one batch (one model process) on the same host.

    .venv/bin/python bench/bench_batch.py [--prompts 8] [--speed 1] [--steps 35] [--host local|docker]

Prints the total wall time of each way, the ratio, and how many times the model was loaded (the
"Start creating base model" lines in the runs' logs). At the sim's speed 1 (real Transfer1 stage
times: a 35 s load, then about 170 s per 35-step sample) 8 single runs take about half an hour.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from cosmos_tui.api import CosmosAPI  # noqa: E402
from cosmos_tui.config import load  # noqa: E402
from tests.harness import Harness, local_host_table  # noqa: E402

DEMO = REPO / "inputs" / "videos" / "demo"
LOAD = b"Start creating base model"


def config_for(folder: Path, harness: Harness | None, speed: str, max_batch: int) -> Path:
    body = '[paths]\noutputs = "outputs"\ndatabase = "outputs/cosmos.db"\n'
    if harness is not None:
        remote = folder / "remote-docker"
        body += harness.host_table("docker", remote_dir=remote, speed=speed, max_batch=max_batch)
    body += local_host_table("local", folder / "remote-local", speed=speed, max_batch=max_batch)
    path = folder / "config.toml"
    path.write_text(body)
    return path


def measure(
    folder: Path, harness: Harness | None, args: argparse.Namespace, batch: bool
) -> tuple[float, int]:
    folder.mkdir()
    with CosmosAPI(load(config_for(folder, harness, args.speed, 8 if batch else 1))) as api:
        texts = [f"prompt {i}: a street at dusk" for i in range(args.prompts)]
        prompts = [api.create_prompt(text, DEMO).prompt_id for text in texts]
        run_ids = api.run_inference(prompts, {"num_steps": args.steps}, args.host, batch=batch)
        started = time.monotonic()
        assert api.execute(run_ids, timeout=None)
        wall = time.monotonic() - started
        runs = [api.get_run(r) for r in run_ids]
        bad = [(r.run_id, r.status, r.error_message) for r in runs if r.status != "completed"]
        assert not bad, bad
        loads = sum(api.run_dir(r).joinpath("run.log").read_bytes().count(LOAD) for r in run_ids)
    return wall, loads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prompts", type=int, default=8)
    parser.add_argument("--speed", default="1")
    parser.add_argument("--steps", type=int, default=35)
    parser.add_argument("--host", choices=("local", "docker"), default="local")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        harness = Harness.create().start() if args.host == "docker" else None
        try:
            single, single_loads = measure(Path(tmp) / "single", harness, args, batch=False)
            batched, batch_loads = measure(Path(tmp) / "batch", harness, args, batch=True)
        finally:
            if harness is not None:
                harness.stop()
    print(f"{args.prompts} prompts, COSMOS_SIM_SPEED={args.speed}, {args.steps} steps, host {args.host}")
    print(f"  {args.prompts} single runs: {single:8.1f} s wall, model loaded {single_loads} times")
    print(f"  one batch:     {batched:8.1f} s wall, model loaded {batch_loads} times")
    print(f"  single / batch: {single / batched:.2f}x")


if __name__ == "__main__":
    main()
