"""Gallery benchmark: time to open the gallery with N completed runs (default 1,000).

    .venv/bin/python bench/bench_gallery.py [--runs 1000] [--rounds 7]

N completed runs, each with a real output.mp4 (a copy of the demo scene's color.mp4) and a third of
them rated, in a fresh database. Measured in one process with Textual's Pilot:

- gallery open: from pressing `5` until the list shows every run and the first run's details
  (target < 300 ms), each round on a freshly started app;
- the same with every thumbnail already made (its frames are then read, not decoded);
- the query alone (`api.gallery()`), as the baseline.

Prints the medians, and the first thumbnail's cost when it is not made yet (one ffmpeg run per frame).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from cosmos_tui.api import CosmosAPI  # noqa: E402
from cosmos_tui.config import load  # noqa: E402
from cosmos_tui.store.models import Run  # noqa: E402
from cosmos_tui.tui.app import CosmosApp  # noqa: E402
from tests.harness import local_host_table  # noqa: E402
from tests.helpers import add_run  # noqa: E402

DEMO = REPO / "inputs" / "videos" / "demo"


def build(folder: Path, runs: int) -> Path:
    body = '[paths]\noutputs = "outputs"\ndatabase = "outputs/cosmos.db"\n'
    body += local_host_table("sim", folder / "remote")
    path = folder / "config.toml"
    path.write_text(body)
    with CosmosAPI(load(path)) as api:
        prompt = api.create_prompt("a harbour at dusk", DEMO)
        start = datetime(2026, 1, 1, tzinfo=UTC)
        with api.store.db.atomic():
            for index in range(runs):
                run = add_run(
                    api, prompt.prompt_id, "completed", host="sim", created=start + timedelta(minutes=index),
                    seconds=90, rating=(index % 5) + 1 if index % 3 == 0 else None,
                )  # fmt: skip
                folder_run = api.run_dir(run.run_id)
                folder_run.mkdir(parents=True, exist_ok=True)
                shutil.copy(DEMO / "color.mp4", folder_run / "output.mp4")
                Run.update(outputs=[str(folder_run / "output.mp4")]).where(Run.id == run.run_id).execute()
    return path


async def open_gallery(config: Path, runs: int) -> float:
    with CosmosAPI(load(config)) as api:
        app = CosmosApp(api, start_engine=False)
        async with app.run_test(size=(160, 48)) as pilot:
            await pilot.pause()
            started = time.perf_counter()
            await pilot.press("5")
            while True:
                screen = app.screen
                tables = screen.query("#gallery")
                if tables and len(tables.first().rows) == runs:
                    details = str(screen.query_one("#gallery-details").render())
                    if "harbour" in details:
                        return time.perf_counter() - started
                await asyncio.sleep(0.002)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cosmos-bench-gallery-") as tmp:
        config = build(Path(tmp), args.runs)
        with CosmosAPI(load(config)) as api:
            query = []
            for _ in range(args.rounds):
                started = time.perf_counter()
                assert len(api.gallery()) == args.runs
                query.append(time.perf_counter() - started)
            newest = api.gallery()[0].run_id
            started = time.perf_counter()
            api.thumbnails(newest)
            first_thumbs = time.perf_counter() - started
        opened = [asyncio.run(open_gallery(config, args.runs)) for _ in range(args.rounds)]
    print(f"{args.runs} completed runs with a video, {args.rounds} rounds")
    print(f"query alone (api.gallery):      median {statistics.median(query) * 1000:.0f} ms")
    print(
        f"gallery open (key 5 to shown):  median {statistics.median(opened) * 1000:.0f} ms (target < 300 ms)"
    )
    print(f"first run's 3 thumbnails made:  {first_thumbs * 1000:.0f} ms (once per run, in a worker)")


if __name__ == "__main__":
    main()
