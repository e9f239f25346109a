"""Slurm benchmark: submit-to-running latency on the loopback cluster vs a plain process start.

    .venv/bin/python bench/bench_slurm.py [--runs 10]

Starts a one-node cluster (tests/slurm_harness.py: munged, slurmctld, slurmd on 127.0.0.1,
scheduler pass every second). For each of N rounds, measures through the runtimes cosmos-tui uses:

- process: ``ProcessRuntime.start`` of a tiny command on a local host until it is running;
- slurm:   ``SlurmRuntime.start`` (sbatch) until ``squeue`` says RUNNING.

Prints the medians and their ratio. The Slurm figure is mostly the wait for the scheduler's next
pass (``SchedulerParameters=sched_interval``) and slurmd's job launch.
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

from cosmos_tui.config import load  # noqa: E402
from cosmos_tui.engine.hosts import HostSession  # noqa: E402
from cosmos_tui.engine.runtime import ProcessRuntime, SlurmRuntime  # noqa: E402
from tests.harness import local_host_table  # noqa: E402
from tests.slurm_harness import SlurmCluster  # noqa: E402

COMMAND = "sleep 5"


def sessions(folder: Path, cluster: SlurmCluster) -> tuple[HostSession, HostSession]:
    body = '[paths]\noutputs = "outputs"\ndatabase = "outputs/cosmos.db"\n'
    body += local_host_table("plain", folder / "remote-plain")
    body += local_host_table("cluster", folder / "remote-slurm", env=cluster.env, runtime="slurm")
    path = folder / "config.toml"
    path.write_text(body)
    config = load(path)
    return HostSession(config.hosts["plain"]), HostSession(config.hosts["cluster"])


def time_process(session: HostSession, run_id: str) -> float:
    runtime = ProcessRuntime(session)
    started = time.monotonic()
    handle = runtime.start(run_id, COMMAND)
    while runtime.state(run_id, handle).status != "running":
        time.sleep(0.01)
    took = time.monotonic() - started
    runtime.stop(run_id, handle, 0)
    return took


def time_slurm(session: HostSession, run_id: str, cluster: SlurmCluster) -> float:
    runtime = SlurmRuntime(session)
    started = time.monotonic()
    job = runtime.start(run_id, COMMAND)
    while cluster.job_state(job)[0] != "RUNNING":
        time.sleep(0.02)
    took = time.monotonic() - started
    cluster.run("scancel", job, check=False)
    while cluster.job_state(job)[0] in ("RUNNING", "COMPLETING", "PENDING"):
        time.sleep(0.05)  # the node free again before the next round
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    cluster = SlurmCluster.create().start()
    process: list[float] = []
    queued: list[float] = []
    try:
        with tempfile.TemporaryDirectory(prefix="cosmos-bench-slurm-") as tmp:
            plain, slurm_host = sessions(Path(tmp), cluster)
            for index in range(args.runs):
                process.append(time_process(plain, f"rs_plain{index:06d}"))
                queued.append(time_slurm(slurm_host, f"rs_slurm{index:06d}", cluster))
                print(
                    f"round {index + 1}: process {process[-1] * 1000:.0f} ms, "
                    f"slurm {queued[-1] * 1000:.0f} ms"
                )
    finally:
        cluster.stop()
        cluster.cleanup_files()
    median_process, median_slurm = statistics.median(process), statistics.median(queued)
    print(f"{args.runs} starts each")
    print(f"process start to running:   median {median_process * 1000:.0f} ms")
    print(f"slurm submit to RUNNING:    median {median_slurm * 1000:.0f} ms")
    print(f"ratio slurm / process:      {median_slurm / median_process:.1f}x")


if __name__ == "__main__":
    main()
