"""Harness and simulator benchmark.

    .venv/bin/python bench/bench_harness.py [--rounds N] [--skip-demo]

Prints: harness start-up (sshd, dockerd, sim image build; target under 10 s together) over N fresh
starts, one sim container run over SSH, and how long a demo run takes at the repo config's
COSMOS_SIM_SPEED (target 20-40 s) and what that implies at speed 1.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from cosmos_tui.config import load  # noqa: E402
from cosmos_tui.sim import FILES  # noqa: E402
from tests.harness import Harness  # noqa: E402

DEMO = REPO / "inputs" / "videos" / "demo"
TRANSFER = "cosmos_transfer1/diffusion/inference/transfer.py"


def demo_spec(folder: Path) -> None:
    for name in ("color.mp4", "depth.mp4", "segmentation.mp4"):
        shutil.copy(DEMO / name, folder / name)
    spec = {
        "prompt": "A robot arm stacks red cubes on a wooden table",
        "input_video_path": "color.mp4",
        "vis": {"control_weight": 0.25},
        "edge": {"control_weight": 0.25},
        "depth": {"control_weight": 0.25, "input_control": "depth.mp4"},
        "seg": {"control_weight": 0.25, "input_control": "segmentation.mp4"},
    }
    (folder / "spec.json").write_text(json.dumps(spec, indent=2))


def time_demo_run(speed: str) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        demo_spec(folder)
        t0 = time.perf_counter()
        subprocess.run(
            [
                "sh",
                str(FILES / "bin" / "torchrun"),
                "--nproc_per_node=1",
                TRANSFER,
                "--video_save_folder",
                "out",
                "--controlnet_specs",
                "spec.json",
                "--num_gpus",
                "1",
            ],
            cwd=folder,
            env={**os.environ, "COSMOS_SIM_SPEED": speed, "COSMOS_SIM_STATE": tmp},
            check=True,
            capture_output=True,
        )
        return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-demo", action="store_true", help="skip the ~35 s demo-speed run")
    args = parser.parse_args()

    totals = []
    for i in range(args.rounds):
        t0 = time.perf_counter()
        harness = Harness.create()
        harness.start()
        total = time.perf_counter() - t0
        totals.append(total)
        parts = "  ".join(f"{k} {v:5.2f} s" for k, v in harness.startup_seconds.items())
        print(f"harness start-up #{i + 1}: {parts}  total {total:5.2f} s")
        if i == 0:
            remote = harness.root / "remote"
            remote.mkdir()
            demo_spec(remote)
            t1 = time.perf_counter()
            subprocess.run(
                [
                    *harness.dockerd.docker_command.split(),
                    "run",
                    "--rm",
                    "-e",
                    "COSMOS_SIM_SPEED=0.001",
                    "-v",
                    f"{remote}:/workspace",
                    "-w",
                    "/workspace",
                    harness.image,
                    "bash",
                    "-lc",
                    f"exec torchrun --nproc_per_node=1 {TRANSFER} --video_save_folder out "
                    "--controlnet_specs spec.json --num_gpus 1",
                ],
                check=True,
                capture_output=True,
            )
            print(f"one sim container run (speed 0.001), start to exit: {time.perf_counter() - t1:5.2f} s")
        t2 = time.perf_counter()
        harness.stop()
        left = harness.leftovers()
        harness.cleanup_files()
        print(f"harness shutdown: {time.perf_counter() - t2:5.2f} s, left behind: {left or 'nothing'}")
    print(f"harness start-up median {statistics.median(totals):.2f} s, max {max(totals):.2f} s")

    speed = load(REPO / "config.toml").hosts["sim"].env["COSMOS_SIM_SPEED"]
    if not args.skip_demo:
        wall = time_demo_run(speed)
        print(
            f"demo run at COSMOS_SIM_SPEED={speed}: {wall:5.1f} s  "
            f"(about {wall / float(speed) / 60:.1f} min at speed 1)"
        )


if __name__ == "__main__":
    main()
