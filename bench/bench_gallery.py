"""Gallery benchmark: time to open the gallery with N completed runs (default 1,000).

    .venv/bin/python bench/bench_gallery.py [--runs 1000] [--rounds 7]

N completed runs, each with a real output.mp4 (a copy of the demo scene's color.mp4) and a third of
them rated, in a fresh database. Measured as a user sees it: `cosmos-tui` running in tmux, from
sending the key until the pane shows the screen (tmux's own polling included):

- gallery open: `5` until the list's status line ("N of M results, newest first") is drawn; the
  list shows the newest 200, the status line counts them all (target < 300 ms);
- dashboard open: `4` until its figures are drawn, the baseline of a screen switch;
- the key is sent 2 s after the first screen is drawn (a person reads it first); the app builds
  the gallery screen in that time (CosmosApp.prepare_gallery). `--settle 0.2` presses it before
  the screen is built (only the first page is read ahead: CosmosApp.read_gallery_ahead);
- the query alone (`api.gallery()`, all N).

Prints the medians, and the first thumbnail's cost when it is not made yet (one ffmpeg run per frame).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
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
from tests.harness import local_host_table  # noqa: E402
from tests.helpers import add_run  # noqa: E402

DEMO = REPO / "inputs" / "videos" / "demo"
BIN = Path(sys.executable).parent / "cosmos-tui"


def build(folder: Path, runs: int) -> Path:
    body = '[paths]\noutputs = "outputs"\ndatabase = "outputs/cosmos.db"\n'
    body += local_host_table("sim", folder / "remote")
    path = folder / "config.toml"
    path.write_text(body)
    with CosmosAPI(load(path)) as api:
        prompt = api.create_prompt("a harbour at dusk", DEMO)
        start = datetime.now(UTC) - timedelta(days=2)
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


def open_in_tmux(config: Path, key: str, shown: str, rounds: int, settle: float) -> list[float]:
    """From pressing ``key`` in a running `cosmos-tui` (in tmux) until the pane shows ``shown``."""
    samples = []
    env = {**os.environ, "COSMOS_TUI_CONFIG": str(config)}
    for index in range(rounds):
        socket = config.parent / f"tmux-{key}-{index}.sock"

        def tmux(*args: str, socket: Path = socket) -> str:
            done = subprocess.run(["tmux", "-S", str(socket), *args], capture_output=True, text=True, env=env)
            return done.stdout

        tmux(
            "new-session",
            "-d",
            "-s",
            "b",
            "-x",
            "160",
            "-y",
            "45",
            "-e",
            f"COSMOS_TUI_CONFIG={config}",
            str(BIN),
        )
        deadline = time.perf_counter() + 20
        while "prompt(s)" not in tmux("capture-pane", "-p", "-t", "b"):
            if time.perf_counter() > deadline:
                raise SystemExit("the app did not draw its first screen within 20 s")
            time.sleep(0.01)
        time.sleep(settle)
        started = time.perf_counter()
        tmux("send-keys", "-t", "b", key)
        while shown not in tmux("capture-pane", "-p", "-t", "b"):
            if time.perf_counter() - started > 20:
                raise SystemExit(f"{shown!r} did not appear within 20 s of pressing {key}")
            time.sleep(0.003)
        samples.append(time.perf_counter() - started)
        tmux("kill-server")
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument(
        "--settle", type=float, default=2.0,
        help="seconds from the first screen to the key (2; below 0.5 the gallery is not built yet)",
    )  # fmt: skip
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        raise SystemExit("tmux is not installed; install it (apt-get install tmux) to run this bench.")
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
        dashboard = open_in_tmux(config, "4", "by model type", args.rounds, args.settle)
        gallery = open_in_tmux(config, "5", ", newest first", args.rounds, args.settle)
    med_d, med_g = statistics.median(dashboard), statistics.median(gallery)
    print(
        f"{args.runs} completed runs with a video, {args.rounds} rounds, in tmux (160x45), "
        f"key {args.settle:g} s after the first screen"
    )
    print(f"query alone (api.gallery, all):     median {statistics.median(query) * 1000:.0f} ms")
    print(f"dashboard open (key 4), baseline:   median {med_d * 1000:.0f} ms")
    print(
        f"gallery open (key 5 to list shown): median {med_g * 1000:.0f} ms (target < 300 ms); "
        f"{med_g / med_d:.2f}x the dashboard"
    )
    print(f"first run's 3 thumbnails made:      {first_thumbs * 1000:.0f} ms (once per run, in a worker)")


if __name__ == "__main__":
    main()
