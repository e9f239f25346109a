"""TUI benchmark.

    .venv/bin/python bench/bench_tui.py [--lines N] [--runs N] [--only cold|stream|idle]

Prints:
- idle cost per screen with N runs in the database (default 200,000): the `cosmos-tui` process's
  CPU time (all its threads, and children it reaped) as % of one core over 5 s windows while
  nothing happens, median of 5 windows, on the prompts, runs, GPU, dashboard and log screens
  (target < 2 %);
- cold start to first screen: `cosmos-tui` started in tmux until the prompts screen is drawn
  (target < 600 ms);
- log view ingest while a writer appends to a running run's log as fast as it can: lines/s on
  screen (target >= 50,000) and how long key presses take to be handled meanwhile (target < 50 ms);
- RSS after streaming N lines (default 1,000,000; target < 200 MB);
- opening a finished run's N-line log (target < 1 s).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from cosmos_tui.api import CosmosAPI  # noqa: E402
from cosmos_tui.config import load  # noqa: E402
from cosmos_tui.store import Store  # noqa: E402
from cosmos_tui.tui.app import CosmosApp  # noqa: E402
from cosmos_tui.tui.screens.log import LogScreen  # noqa: E402
from tests.harness import local_host_table  # noqa: E402
from tests.helpers import add_run  # noqa: E402

DEMO = REPO / "inputs" / "videos" / "demo"
BIN = Path(sys.executable).parent / "cosmos-tui"
LINE = (
    "[11-21 10:00:00|DEBUG|cosmos_transfer1/diffusion/inference/world_generation_pipeline.py:601:"
    "_run_model] sampler tick {i} sigma=0.12345\n"
)


def project() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="cosmos-bench-tui-"))
    (folder / "config.toml").write_text(
        'default_host = "sim"\n[paths]\noutputs = "outputs"\ndatabase = "outputs/cosmos.db"\n'
        + local_host_table("sim", folder / "remote")
    )
    return folder


def cold_start(folder: Path, rounds: int = 5) -> None:
    if shutil.which("tmux") is None:
        print("cold start: tmux missing, skipped")
        return
    samples = []
    for round_ in range(rounds):
        socket = folder / f"tmux-{round_}.sock"
        t0 = time.perf_counter()
        subprocess.run(
            [
                "tmux",
                "-S",
                str(socket),
                "new-session",
                "-d",
                "-s",
                "b",
                "-x",
                "120",
                "-y",
                "36",
                "-c",
                str(folder),
                str(BIN),
            ],
            check=True,
        )
        while True:
            shown = subprocess.run(
                ["tmux", "-S", str(socket), "capture-pane", "-p", "-t", "b"], capture_output=True, text=True
            ).stdout
            if "prompt(s)" in shown:
                samples.append(time.perf_counter() - t0)
                break
            if time.perf_counter() - t0 > 10:
                raise SystemExit("the app did not draw its first screen within 10 s")
            time.sleep(0.005)
        subprocess.run(["tmux", "-S", str(socket), "kill-server"], capture_output=True)
    print(
        f"cold start to first screen: median {1000 * statistics.median(samples):.0f} ms, "
        f"min {1000 * min(samples):.0f} ms, max {1000 * max(samples):.0f} ms ({rounds} starts, via tmux)"
    )


def fill_runs(database: Path, runs: int, prompts: int = 2_000) -> None:
    """``runs`` finished runs (one every 30 s up to now) over ``prompts`` prompts, written straight
    into the real, migrated schema."""
    Store(database).close()
    rng = random.Random(1)
    start = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=30 * runs)
    prompt_ids = [f"ps_{rng.getrandbits(48):012x}" for _ in range(prompts)]
    con = sqlite3.connect(database)
    con.execute("PRAGMA synchronous = off")
    with con:
        con.executemany(
            "INSERT INTO prompt (id, name, text, negative_prompt, model_type, input_dir, inputs, parameters, "
            "created_at) VALUES (?, ?, 'a robot arm picks a red cube', '', 'transfer', ?, '{}', '{}', ?)",
            ((pid, f"prompt-{i}", str(DEMO), start.isoformat(sep=" ")) for i, pid in enumerate(prompt_ids)),
        )
        con.executemany(
            "INSERT INTO run (id, prompt_id, model_type, host, status, config, created_at, started_at, "
            "finished_at, progress, outputs, error_class, duration_seconds, cancel_requested) "
            "VALUES (?, ?, 'transfer', 'sim', ?, '{}', ?, ?, ?, 100, '[]', ?, 600, 0)",
            (
                (
                    f"rs_{rng.getrandbits(48):012x}",
                    prompt_ids[rng.randrange(prompts)],
                    status,
                    at.isoformat(sep=" "),
                    at.isoformat(sep=" "),
                    (at + timedelta(seconds=600)).isoformat(sep=" "),
                    "oom" if status == "failed" else None,
                )
                for i in range(runs)
                for status in (rng.choice(["completed"] * 8 + ["failed", "cancelled"]),)
                for at in (start + timedelta(seconds=30 * i),)
            ),
        )
    con.execute("ANALYZE")
    con.close()


def cpu_seconds(pid: int) -> float:
    """CPU time of a process: its threads, and the children it waited for."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def split_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return [int(v) / os.sysconf("SC_CLK_TCK") for v in fields[11:15]]


def idle_cpu(folder: Path, runs: int, window: float = 5.0, windows: int = 5) -> None:
    """% of one core the app uses while nothing happens, per screen, with ``runs`` runs."""
    if shutil.which("tmux") is None:
        print("idle cost: tmux missing, skipped")
        return
    t0 = time.perf_counter()
    fill_runs(folder / "outputs" / "idle.db", runs)
    config = folder / "idle.toml"
    config.write_text((folder / "config.toml").read_text().replace("outputs/cosmos.db", "outputs/idle.db"))
    print(f"idle cost: {runs:,} runs written in {time.perf_counter() - t0:.1f} s")
    socket = folder / "tmux-idle.sock"

    def tmux(*args: str) -> str:
        return subprocess.run(
            ["tmux", "-S", str(socket), *args], capture_output=True, text=True, check=True
        ).stdout

    def wait_for(text: str) -> None:
        deadline = time.monotonic() + 30
        while text not in tmux("capture-pane", "-p", "-t", "b"):
            if time.monotonic() > deadline:
                raise SystemExit(f"idle cost: the app never showed {text!r}")
            time.sleep(0.1)

    tmux(
        "new-session", "-d", "-s", "b", "-x", "160", "-y", "45", "-c", str(folder), f"{BIN} --config {config}"
    )
    try:
        pid = int(tmux("display", "-p", "-t", "b", "#{pane_pid}").strip())
        wait_for("prompt(s)")
        results = []
        for name, keys, shown in (
            ("prompts", ["1"], "prompt(s)"),
            ("runs", ["2"], "run(s), showing"),
            ("GPUs", ["3"], "runs executing on the hosts"),
            ("dashboard", ["4"], "runs per day"),
            ("log", ["2", "Enter"], "Follow"),
        ):
            for key in keys:
                tmux("send-keys", "-t", "b", key)
                time.sleep(0.5)
            wait_for(shown)
            time.sleep(3)  # let start-up work (first loads, the engine's reconcile) settle
            samples = []
            for _ in range(windows):
                before, t = cpu_seconds(pid), time.perf_counter()
                time.sleep(window)
                samples.append(100 * (cpu_seconds(pid) - before) / (time.perf_counter() - t))
            results.append((name, statistics.median(samples), max(samples)))
            if name == "log":
                tmux("send-keys", "-t", "b", "Escape")
        print(f"idle cost at {runs:,} runs (% of one core, median of {windows} x {window:g} s; max):")
        for name, median, worst in results:
            print(f"  {name:<10} {median:5.1f} %  (max {worst:.1f} %)")
    finally:
        subprocess.run(["tmux", "-S", str(socket), "kill-server"], capture_output=True)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def stream_and_press(api: CosmosAPI, total: int) -> None:
    prompt = api.create_prompt("bench", DEMO)
    run = add_run(api, prompt.prompt_id, "running", host="sim")
    path = Path(run.log_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("")
    app = CosmosApp(api, start_engine=False, open_log=run.run_id)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.3)
        screen = app.screen
        assert isinstance(screen, LogScreen)
        handled: list[float] = []
        original = screen.action_follow

        def follow() -> None:
            handled.append(time.perf_counter())
            original()

        screen.action_follow = follow  # type: ignore[method-assign]

        def writer() -> None:
            chunk = 20_000
            with path.open("a") as handle:
                for start in range(0, total, chunk):
                    handle.write("".join(LINE.format(i=i) for i in range(start, min(total, start + chunk))))
                    handle.flush()

        t0 = time.perf_counter()
        thread = threading.Thread(target=writer, daemon=True)
        thread.start()
        latencies = []
        while True:
            before = time.perf_counter()
            await pilot.press("f")
            if handled:
                latencies.append(handled[-1] - before)
            await pilot.pause(0.05)
            done = screen.reader is not None and screen.reader.total >= total and screen.queue.empty()
            if done and not thread.is_alive():
                break
            if time.perf_counter() - t0 > 300:
                raise SystemExit("ingest did not finish within 300 s")
        took = time.perf_counter() - t0
        print(f"log view ingest: {total:,} lines in {took:.2f} s = {total / took:,.0f} lines/s on screen")
        latencies.sort()
        print(
            f"key press handled during the stream: median {1000 * statistics.median(latencies):.1f} ms, "
            f"p95 {1000 * latencies[int(len(latencies) * 0.95)]:.1f} ms, max {1000 * latencies[-1]:.1f} ms "
            f"({len(latencies)} presses)"
        )
        print(
            f"RSS after streaming {total:,} lines: {rss_mb():.0f} MB "
            f"(lines kept in memory: {len(screen.lines):,})"
        )

        # Key presses while a steady 100,000 lines/s arrive for 6 s.
        stop = threading.Event()

        def paced() -> None:
            with path.open("a") as handle:
                i = 0
                while not stop.is_set():
                    handle.write("".join(LINE.format(i=n) for n in range(i, i + 5_000)))
                    handle.flush()
                    i += 5_000
                    time.sleep(0.05)

        thread = threading.Thread(target=paced, daemon=True)
        thread.start()
        handled.clear()
        latencies = []
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < 6:
            before = time.perf_counter()
            await pilot.press("f")
            if handled:
                latencies.append(handled[-1] - before)
                handled.clear()
        stop.set()
        latencies.sort()
        p95 = latencies[int(len(latencies) * 0.95)]
        print(
            f"key press handled while 100,000 lines/s stream in: median "
            f"{1000 * statistics.median(latencies):.1f} ms, p95 {1000 * p95:.1f} ms, "
            f"max {1000 * latencies[-1]:.1f} ms ({len(latencies)} presses); RSS {rss_mb():.0f} MB"
        )
    api.store.db.execute_sql("UPDATE run SET status = 'completed' WHERE id = ?", (run.run_id,))

    # A finished run's whole log, opened cold.
    app = CosmosApp(api, start_engine=False, open_log=run.run_id)
    async with app.run_test(size=(120, 40)) as pilot:
        t0 = time.perf_counter()
        screen = app.screen
        while True:
            await pilot.pause(0.01)
            log = screen.query_one("#log")
            if getattr(log, "line_count", 0) >= min(total, 10_000):
                break
        print(
            f"open a finished {total:,}-line log ({path.stat().st_size / 1e6:.0f} MB): "
            f"{1000 * (time.perf_counter() - t0):.0f} ms to show its last {log.line_count:,} lines"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=200_000, help="runs in the database for the idle cost")
    parser.add_argument("--only", choices=("cold", "stream", "idle"), help="measure only this")
    args = parser.parse_args()
    folder = project()
    try:
        subprocess.run(
            [str(BIN), "--config", str(folder / "config.toml"), "prompt", "list"],
            check=True,
            capture_output=True,
        )  # create the database outside the timing
        if args.only in (None, "cold"):
            cold_start(folder)
        if args.only in (None, "idle"):
            idle_cpu(folder, args.runs)
        if args.only in (None, "stream"):
            with CosmosAPI(load(folder / "config.toml")) as api:
                asyncio.run(stream_and_press(api, args.lines))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
