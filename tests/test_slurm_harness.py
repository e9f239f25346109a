"""The one-node Slurm cluster of the harness, against the real daemons: sbatch with an output file,
squeue states and reasons, final state and exit code from scontrol and the jobcomp file, SIGTERM to
the batch script, cancel of a pending job, a time-limit kill, and fake GPUs (GRES).

These pin the client-command formats a `runtime = "slurm"` backend will parse."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.slurm_harness import SlurmCluster
from tests.waiting import wait_until

pytestmark = pytest.mark.integration

TIMINGS: dict[str, float] = {}

TRAPPING = """#!/bin/sh
trap 'echo TERM > {mark}; exit 143' TERM
echo started
i=0
while [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done
"""


@pytest.fixture
def cluster(slurm: SlurmCluster) -> Iterator[SlurmCluster]:
    """The session cluster, emptied of this test's jobs afterwards so the next test finds it idle."""
    yield slurm
    jobs = slurm.job_ids()
    if jobs:
        slurm.run("scancel", "--full", *jobs, check=False)
    wait_until(lambda: not slurm.job_ids(), 30, message="the queue to empty after the test")
    wait_until(
        lambda: slurm.run("sinfo", "-h", "-o", "%t").stdout.strip() == "idle", 30, message="the node idle"
    )


def sbatch(cluster: SlurmCluster, *argv: str) -> str:
    """Submit and return the job id (`sbatch --parsable` prints `ID` or `ID;cluster`)."""
    return cluster.run("sbatch", "--parsable", *argv).stdout.strip().split(";")[0]


def script(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(body)
    path.chmod(0o755)
    return path


def wait_state(cluster: SlurmCluster, job: str, *states: str, timeout: float = 60) -> tuple[str, str]:
    return wait_until(
        lambda: (s := cluster.job_state(job))[0] in states and s,
        timeout,
        interval=0.02,
        message=lambda: f"job {job} in {states}; it is {cluster.job_state(job)}",
    )


def jobcomp_line(cluster: SlurmCluster, job: str) -> dict[str, str]:
    for line in cluster.jobcomp_path.read_text().splitlines():
        fields = dict(item.split("=", 1) for item in line.split() if "=" in item)
        if fields.get("JobId") == job:
            return fields
    return {}


def test_started_quickly_in_its_own_folder(slurm: SlurmCluster) -> None:
    assert slurm.startup_seconds < 30
    assert slurm.conf_path.is_relative_to(slurm.root) and slurm.env == {"SLURM_CONF": str(slurm.conf_path)}
    info = slurm.run("sinfo", "-h", "-o", "%P|%a|%D|%t|%N").stdout.split()
    assert info == [f"{slurm.partition}*|up|1|idle|{slurm.node}"]


def test_job_runs_to_completion_with_its_output(cluster: SlurmCluster, tmp_path: Path) -> None:
    body = '#!/bin/sh\necho "job $SLURM_JOB_ID"\nfor i in 1 2 3 4 5; do echo "line $i"; sleep 0.4; done\n'
    out = tmp_path / "job.out"
    t0 = time.perf_counter()
    job = sbatch(cluster, "--job-name=cosmos-test", f"--output={out}", str(script(tmp_path, "job.sh", body)))
    first = cluster.job_state(job)[0]
    assert first in {"PENDING", "RUNNING"}
    wait_state(cluster, job, "RUNNING")
    TIMINGS["sbatch to RUNNING"] = time.perf_counter() - t0
    # The output file grows while the job runs.
    wait_until(lambda: "line 1" in (out.read_text() if out.exists() else ""), 30, message="the first line")
    assert cluster.job_state(job)[0] == "RUNNING"
    assert wait_state(cluster, job, "COMPLETED") == ("COMPLETED", "None")
    TIMINGS["sbatch to COMPLETED (2 s job)"] = time.perf_counter() - t0
    assert out.read_text().splitlines() == [f"job {job}"] + [f"line {i}" for i in range(1, 6)]
    shown = cluster.show_job(job)
    assert (shown["JobState"], shown["ExitCode"], shown["StdOut"]) == ("COMPLETED", "0:0", str(out))
    # jobcomp/filetxt: the lasting record once the job has left slurmctld's memory (MinJobAge).
    line = wait_until(lambda: jobcomp_line(cluster, job), 10, message="the jobcomp line")
    assert (line["JobState"], line["ExitCode"], line["Name"]) == ("COMPLETED", "0:0", "cosmos-test")
    # No slurmdbd: sacct cannot answer here.
    sacct = cluster.run("sacct", "-n", "-j", job, check=False)
    assert sacct.returncode != 0 or not sacct.stdout.strip()


def test_failed_job_keeps_its_exit_code(cluster: SlurmCluster, tmp_path: Path) -> None:
    job = sbatch(cluster, "--output=/dev/null", "--wrap", "exit 3")
    assert wait_state(cluster, job, "FAILED") == ("FAILED", "NonZeroExitCode")
    assert cluster.show_job(job)["ExitCode"] == "3:0"
    assert wait_until(lambda: jobcomp_line(cluster, job), 10)["ExitCode"] == "3:0"


def test_scancel_signal_reaches_the_batch_script(cluster: SlurmCluster, tmp_path: Path) -> None:
    mark = tmp_path / "term"
    out = tmp_path / "t.out"
    job = sbatch(cluster, f"--output={out}", str(script(tmp_path, "t.sh", TRAPPING.format(mark=mark))))
    wait_state(cluster, job, "RUNNING")
    wait_until(lambda: out.exists() and "started" in out.read_text(), 30, message="the script to start")
    # Without --full (or --batch) the signal goes to job steps only, never to the batch shell.
    cluster.run("scancel", "--signal=TERM", job)
    time.sleep(1)
    assert not mark.exists() and cluster.job_state(job)[0] == "RUNNING"
    cluster.run("scancel", "--full", "--signal=TERM", job)
    wait_until(mark.exists, 10, message="the trap to write its file")
    assert mark.read_text() == "TERM\n"
    assert wait_state(cluster, job, "FAILED") == ("FAILED", "NonZeroExitCode")
    assert cluster.show_job(job)["ExitCode"] == "143:0"


def test_plain_scancel_of_a_running_job(cluster: SlurmCluster, tmp_path: Path) -> None:
    mark = tmp_path / "term"
    job = sbatch(cluster, "--output=/dev/null", str(script(tmp_path, "t.sh", TRAPPING.format(mark=mark))))
    wait_state(cluster, job, "RUNNING")
    time.sleep(0.5)  # let the shell set its trap
    cluster.run("scancel", job)
    assert wait_state(cluster, job, "CANCELLED")[0] == "CANCELLED"
    wait_until(mark.exists, 10, message="SIGTERM from a plain scancel")
    assert wait_until(lambda: jobcomp_line(cluster, job), 10)["JobState"] == "CANCELLED"


def test_busy_node_leaves_a_job_pending_then_cancel_it(cluster: SlurmCluster, tmp_path: Path) -> None:
    cpus = cluster.hardware["CPUs"]
    big = sbatch(cluster, f"--cpus-per-task={cpus}", "--output=/dev/null", "--wrap", "sleep 60")
    wait_state(cluster, big, "RUNNING")
    waiting = sbatch(cluster, "--output=/dev/null", "--wrap", "true")
    # Reason is None until the next scheduler pass (sched_interval=1) has looked at the job.
    assert wait_state(cluster, waiting, "PENDING") in {("PENDING", "None"), ("PENDING", "Resources")}
    wait_until(lambda: cluster.job_state(waiting) == ("PENDING", "Resources"), 30, message="reason Resources")
    line = cluster.run("squeue", "-h", "-j", waiting, "-o", "%i|%T|%r|%C|%N").stdout.strip()
    assert line == f"{waiting}|PENDING|Resources|1|"
    cluster.run("scancel", waiting)
    # A pending job cancelled keeps the reason it was waiting for.
    assert wait_state(cluster, waiting, "CANCELLED") == ("CANCELLED", "Resources")
    assert cluster.show_job(waiting)["JobState"] == "CANCELLED"
    cluster.run("scancel", big)
    wait_state(cluster, big, "CANCELLED")


def test_pending_job_starts_when_the_node_frees(cluster: SlurmCluster, tmp_path: Path) -> None:
    cpus = cluster.hardware["CPUs"]
    big = sbatch(cluster, f"--cpus-per-task={cpus}", "--output=/dev/null", "--wrap", "sleep 2")
    wait_state(cluster, big, "RUNNING")
    after = sbatch(cluster, "--output=/dev/null", "--wrap", "true")
    assert wait_state(cluster, after, "PENDING")[1] in {"Resources", "Priority", "None"}
    assert wait_state(cluster, after, "COMPLETED")[0] == "COMPLETED"
    assert cluster.job_state(big)[0] == "COMPLETED"


def test_time_limit_kills_the_job(cluster: SlurmCluster, tmp_path: Path) -> None:
    """Limits are whole minutes, checked every 30 s: lower a running job's limit to 0 instead."""
    mark = tmp_path / "term"
    job = sbatch(
        cluster, "--time=10", "--output=/dev/null", str(script(tmp_path, "t.sh", TRAPPING.format(mark=mark)))
    )
    wait_state(cluster, job, "RUNNING")
    assert cluster.show_job(job)["TimeLimit"] == "00:10:00"
    t0 = time.perf_counter()
    cluster.run("scontrol", "update", f"JobId={job}", "TimeLimit=0")
    assert wait_state(cluster, job, "TIMEOUT", timeout=90) == ("TIMEOUT", "TimeLimit")
    TIMINGS["TimeLimit=0 to TIMEOUT"] = time.perf_counter() - t0
    assert mark.read_text() == "TERM\n"  # SIGTERM first, SIGKILL after KillWait
    shown = cluster.show_job(job)
    assert (shown["JobState"], shown["ExitCode"]) == ("TIMEOUT", "143:0")


def test_fake_gpus_are_scheduled_as_gres(cluster: SlurmCluster, tmp_path: Path) -> None:
    assert cluster.gpus == 2
    node = cluster.run("scontrol", "-o", "show", "node", cluster.node).stdout
    assert "Gres=gpu:2" in node
    out = tmp_path / "gpu.out"
    both = sbatch(
        cluster, "--gres=gpu:2", f"--output={out}", "--wrap", 'echo "$CUDA_VISIBLE_DEVICES"; sleep 30'
    )
    wait_state(cluster, both, "RUNNING")
    wait_until(lambda: out.exists() and out.read_text().strip(), 30, message="the gpu job's output")
    assert out.read_text().strip() == "0,1"
    # A CPU is free, but no GPU: the one-GPU job waits for Resources.
    one = sbatch(cluster, "--gres=gpu:1", "--output=/dev/null", "--wrap", "true")
    wait_until(lambda: cluster.job_state(one) == ("PENDING", "Resources"), 30, message="reason Resources")
    cluster.run("scancel", both)
    assert wait_state(cluster, one, "COMPLETED")[0] == "COMPLETED"


def test_report_timings(slurm: SlurmCluster) -> None:
    """Not a check: prints start-up and latency numbers for the report (`-s` to see them)."""
    latencies = []
    for _ in range(3):
        t0 = time.perf_counter()
        job = sbatch(slurm, "--output=/dev/null", "--wrap", "true")
        wait_state(slurm, job, "RUNNING", "COMPLETING", "COMPLETED")
        latencies.append(time.perf_counter() - t0)
    shown = ", ".join(f"{x:.2f}" for x in latencies)
    print(f"\nslurm start-up {slurm.startup_seconds:.2f} s; sbatch to RUNNING {shown} s")
    for key, value in TIMINGS.items():
        print(f"{key}: {value:.2f} s")
