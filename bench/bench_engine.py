"""Run engine benchmark against the real harness (sshd + dockerd + sim image) on loopback.

    .venv/bin/python bench/bench_engine.py [--runs N] [--upload-mb MB] [--flood LINES_PER_S]

Prints:
- orchestration overhead per run: wall time of a whole run minus the model's own time (the sim at
  speed 0, timed on its own), for docker over SSH (target < 0.5 s) and the local process runtime
  (target < 0.2 s), with a warm connection;
- upload of a large file: cosmos-tui (scp over a shared connection) vs `scp` (target: at least as fast;
  bench/bench_transfer.py has the whole comparison, both ways, cold and warm),
  and re-upload of unchanged inputs (target < 0.1 s);
- log streaming from a flooding sim into the spool: lines/s (target >= 50,000) and the latency
  from the container writing a line (docker's timestamp) to the spool having it (target p95 < 150 ms).
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
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from cosmos_tui.api import CosmosAPI  # noqa: E402
from cosmos_tui.config import load  # noqa: E402
from cosmos_tui.engine import log_follow, runtime  # noqa: E402
from cosmos_tui.sim import FILES  # noqa: E402
from tests.harness import Harness, local_host_table  # noqa: E402

DEMO = REPO / "inputs" / "videos" / "demo"


def config_for(folder: Path, harness: Harness, speed: str) -> Path:
    body = '[paths]\noutputs = "outputs"\ndatabase = "outputs/cosmos.db"\n'
    body += harness.host_table("docker", remote_dir=folder / "remote-docker", speed=speed)
    body += local_host_table("process", folder / "remote-process", speed=speed)
    path = folder / "config.toml"
    path.write_text(body)
    return path


def model_seconds(runs: int) -> float:
    """The sim's own time at speed 0 (shell start-up, awk, file copies), run directly."""
    samples = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name in ("color.mp4", "depth.mp4", "segmentation.mp4"):
            shutil.copy(DEMO / name, folder / name)
        (folder / "spec.json").write_text(
            '{"prompt": "x", "input_video_path": "color.mp4", "vis": {"control_weight": 0.25}, '
            '"edge": {"control_weight": 0.25}, "depth": {"control_weight": 0.25, "input_control": '
            '"depth.mp4"}, "seg": {"control_weight": 0.25, "input_control": "segmentation.mp4"}}'
        )
        for _ in range(runs):
            t0 = time.perf_counter()
            subprocess.run(
                [
                    "sh",
                    str(FILES / "bin" / "torchrun"),
                    "--nproc_per_node=1",
                    "cosmos_transfer1/diffusion/inference/transfer.py",
                    "--video_save_folder",
                    "out",
                    "--controlnet_specs",
                    "spec.json",
                    "--num_gpus",
                    "1",
                ],
                cwd=folder,
                env={**os.environ, "COSMOS_SIM_SPEED": "0", "COSMOS_SIM_STATE": tmp},
                check=True,
                capture_output=True,
            )
            samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def overhead(api: CosmosAPI, host: str, runs: int, model: float) -> None:
    prompt = api.create_prompt("benchmark", DEMO)
    [warm] = api.run_inference([prompt.prompt_id], host=host)
    api.execute([warm])  # connects, installs the simulator, uploads the inputs once
    walls = []
    for _ in range(runs):
        [run_id] = api.run_inference([prompt.prompt_id], host=host)
        t0 = time.perf_counter()
        api.execute([run_id])
        walls.append(time.perf_counter() - t0)
        assert api.get_run(run_id).status == "completed", api.get_run(run_id).error_message
    wall = statistics.median(walls)
    print(
        f"{host:>8}: run wall median {wall:6.3f} s, model alone {model:6.3f} s, "
        f"overhead {wall - model:6.3f} s (min {min(walls) - model:6.3f}, max {max(walls) - model:6.3f})"
    )


def uploads(api: CosmosAPI, harness: Harness, megabytes: int) -> None:
    session = api.engine().hosts.get("docker")
    big = Path(tempfile.mkdtemp()) / "big.mp4"
    with big.open("wb") as handle:
        for _ in range(megabytes):
            handle.write(os.urandom(1 << 20))
    # On tmpfs where there is one: the figure is about the transfer, not this VM's disk.
    shm = Path("/dev/shm")
    target = str(shm / "cosmos-bench-upload.bin") if shm.is_dir() else session.abs("bench-upload.bin")
    session.transport.run("true")
    ours, scps = [], []

    def send_ours() -> None:
        t0 = time.perf_counter()
        session.transport.upload(big, target)
        ours.append(time.perf_counter() - t0)

    def send_scp() -> None:
        t0 = time.perf_counter()
        subprocess.run(
            [
                "scp",
                "-q",
                "-P",
                str(harness.sshd.port),
                "-i",
                str(harness.sshd.client_key),
                "-o",
                f"UserKnownHostsFile={harness.sshd.known_hosts}",
                str(big),
                f"{harness.sshd.user}@127.0.0.1:{target}.scp",
            ],
            check=True,
        )
        scps.append(time.perf_counter() - t0)

    for round_ in range(6):
        # Alternate the order and flush dirty pages first: the disk's write-back of the previous
        # 500 MB otherwise lands on whichever upload comes next.
        for send in (send_ours, send_scp) if round_ % 2 == 0 else (send_scp, send_ours):
            subprocess.run(["sync"], check=True)
            send()
    mb = megabytes * 1.048576
    ours_s, scp_s = statistics.median(ours), statistics.median(scps)
    print(
        f"upload {megabytes} MiB: cosmos-tui median {ours_s:.2f} s ({mb / ours_s:.0f} MB/s), "
        f"scp median {scp_s:.2f} s ({mb / scp_s:.0f} MB/s): {scp_s / ours_s:.2f}x the speed of scp"
    )
    engine = api.engine()
    session.prepare_run("bench-first", [big], engine.hash_file)  # hashes once, uploads once
    samples = []
    for i in range(5):
        t0 = time.perf_counter()
        session.prepare_run(f"bench-{i}", [big], engine.hash_file)
        samples.append(time.perf_counter() - t0)
    for leftover in (target, f"{target}.scp"):
        Path(leftover).unlink(missing_ok=True)
    print(
        f"re-upload of an unchanged {megabytes} MiB input: median "
        f"{1000 * statistics.median(samples):.1f} ms (max {1000 * max(samples):.1f} ms)"
    )
    big.unlink()


def streaming(api: CosmosAPI, host: str, flood: int) -> None:
    """Flood the log and measure what reaches the spool, and how late."""
    latencies: list[float] = []
    stamps: dict[int, list[str]] = {}
    original_feed = runtime.DockerLines.feed
    original_write = log_follow.Spool.write

    def feed(self, data):
        lines = original_feed(self, data)
        # remember each line's docker timestamp (the moment the container wrote it)
        stamps.setdefault(id(self), []).extend([self.position.since] * len(lines))
        return lines

    def write(self, lines):
        original_write(self, lines)
        self.handle.flush()
        now = time.time()
        for key in list(stamps):
            pending = stamps.pop(key)
            for stamp in pending[-len(lines) :] if pending else []:
                if stamp:
                    when = datetime.fromisoformat(stamp.replace("Z", "")[:26]).timestamp()
                    latencies.append(now - when - _utc_offset())

    runtime.DockerLines.feed = feed
    log_follow.Spool.write = write
    try:
        prompt = api.create_prompt(f"flood [sim:flood={flood}]", DEMO)
        [run_id] = api.run_inference([prompt.prompt_id], host=host)
        t0 = time.perf_counter()
        api.execute([run_id])
        wall = time.perf_counter() - t0
    finally:
        runtime.DockerLines.feed = original_feed
        log_follow.Spool.write = original_write
    run = api.get_run(run_id)
    with Path(run.log_path).open("rb") as handle:
        lines = sum(1 for _ in handle)
    diffusion = next((s.seconds for s in run.stages if s.stage == "diffusion"), None) or wall
    print(
        f"{host:>8}: {lines:,} lines spooled; during the flood {lines / diffusion:,.0f} lines/s "
        f"(diffusion stage {diffusion:.2f} s, run {wall:.2f} s); status {run.status}"
    )
    if latencies:
        latencies.sort()
        p50 = latencies[len(latencies) // 2] * 1000
        p95 = latencies[int(len(latencies) * 0.95)] * 1000
        print(
            f"{host:>8}: write-to-spool latency p50 {p50:.0f} ms, p95 {p95:.0f} ms "
            f"({len(latencies):,} lines timed)"
        )


def catch_up(api: CosmosAPI, harness: Harness, lines: int = 300_000) -> None:
    """Our docker pipeline alone: stream a finished container's whole log into a spool."""
    session = api.engine().hosts.get("docker")
    rt = runtime.DockerRuntime(session)
    name = "cosmos-rs_benchcatchup"
    harness.dockerd.docker("rm", "-f", name, check=False)
    harness.dockerd.docker(
        "run",
        "--name",
        name,
        "--label",
        "cosmos-tui.run_id=rs_benchcatchup",
        harness.image,
        "sh",
        "-c",
        "awk 'BEGIN { for (i = 0; i < @LINES@; i++) "
        'printf "[11-21 10:00:00|DEBUG|x.py:1:f] line %d\\n", i }\''.replace("@LINES@", str(lines)),
    )
    spool_dir = Path(tempfile.mkdtemp())
    spool = log_follow.Spool(spool_dir / "run.log", 0)
    position = runtime.Position()
    t0 = time.perf_counter()
    stream, decoder = rt.follow("rs_benchcatchup", name, position)
    count = 0
    while (data := stream.read(1.0)) != b"":
        if data:
            out = decoder.feed(data)
            spool.write(out)
            count += len(out)
    spool.close()
    took = time.perf_counter() - t0
    harness.dockerd.docker("rm", "-f", name, check=False)
    print(f"  docker: catching up on a written {count:,}-line log over SSH: {count / took:,.0f} lines/s")
    shutil.rmtree(spool_dir, ignore_errors=True)


def _utc_offset() -> float:
    return -time.timezone if time.localtime().tm_isdst == 0 else -time.altzone


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--upload-mb", type=int, default=500)
    parser.add_argument("--flood", type=int, default=100_000, help="lines per second the sim prints")
    args = parser.parse_args()

    harness = Harness.create().start()
    folder = Path(tempfile.mkdtemp(prefix="cosmos-bench-engine-"))
    try:
        model = model_seconds(5)
        api = CosmosAPI(load(config_for(folder, harness, speed="0")))
        print("orchestration overhead per run (warm connection, sim at speed 0):")
        overhead(api, "docker", args.runs, model)
        overhead(api, "process", args.runs, model)
        uploads(api, harness, args.upload_mb)
        api.close()
        # ~3 s of diffusion (35 steps x 4 s x 0.02) at the given flood rate
        (folder / "flood").mkdir()
        api = CosmosAPI(load(config_for(folder / "flood", harness, speed="0.02")))
        print(f"log streaming at {args.flood:,} lines/s from the sim:")
        streaming(api, "docker", args.flood)
        streaming(api, "process", args.flood)
        catch_up(api, harness)
        print("log streaming at 10,000 lines/s (below dockerd's own logging limit):")
        streaming(api, "docker", 10_000)
        api.close()
    finally:
        harness.stop()
        harness.cleanup_files()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
