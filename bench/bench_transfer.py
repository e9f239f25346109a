"""Big-file transfer against the real sshd on loopback: cosmos-tui's SSH transport vs plain `scp`.

    .venv/bin/python bench/bench_transfer.py [--mb 500] [--rounds 7]

Prints, as medians over the rounds (each round runs every case once, in alternating order, so a
machine whose speed drifts hits both sides alike), with the ratio scp / ours (above 1: we are faster):
- upload, cold: a new transport (no connection open) vs plain scp;
- upload, warm: the same transport again (its connections open) vs plain scp;
- download, cold and warm, the same way;
- for reference, scp with AES-GCM (`-c aes128-gcm@openssh.com`): what the cipher alone buys.
Files go to and from /dev/shm where there is one: the figure is about the transfer, not the disk.
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
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from cosmos_tui.config import HostConfig, from_mapping  # noqa: E402
from cosmos_tui.remote.ssh import SSHTransport  # noqa: E402
from tests.harness import Sshd  # noqa: E402


def host_config(sshd: Sshd) -> HostConfig:
    table = {
        "transport": "ssh",
        "remote_dir": "/tmp",
        "runtime": "process",
        "hostname": "127.0.0.1",
        "port": sshd.port,
        "user": sshd.user,
        "key_file": str(sshd.client_key),
        "known_hosts": str(sshd.known_hosts),
    }
    return from_mapping({"hosts": {"h": table}}, base=Path("/"), source=None, how="bench").hosts["h"]


def timed(action: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    action()
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--mb", type=int, default=500, help="file size in MiB")
    parser.add_argument("--rounds", type=int, default=7, help="runs of each case (at least 5)")
    args = parser.parse_args()
    rounds = max(5, args.rounds)

    shm = "/dev/shm" if Path("/dev/shm").is_dir() else None
    scratch = Path(tempfile.mkdtemp(prefix="cosmos-bench-xfer-", dir=shm))
    sshd = Sshd(Path(tempfile.mkdtemp(prefix="cosmos-bx-", dir="/tmp"))).start()
    big = scratch / "big.mp4"
    with big.open("wb") as handle:
        for _ in range(args.mb):
            handle.write(os.urandom(1 << 20))
    remote_copy, local_copy = scratch / "up.bin", scratch / "down.bin"
    host = host_config(sshd)
    scp = [
        "scp",
        "-q",
        "-P",
        str(sshd.port),
        "-i",
        str(sshd.client_key),
        "-o",
        f"UserKnownHostsFile={sshd.known_hosts}",
        "-o",
        "StrictHostKeyChecking=yes",
    ]
    where = f"{sshd.user}@127.0.0.1"
    progress: list[int] = []

    def report(done: int, total: int) -> None:
        progress.append(done)

    def cold(action: Callable[[SSHTransport], None]) -> float:
        transport = SSHTransport(host)
        try:
            return timed(lambda: action(transport))
        finally:
            transport.close()

    warm = SSHTransport(host)
    warm.upload(big, str(remote_copy))  # opens its connections (Paramiko and the shared OpenSSH one)

    def up(t: SSHTransport) -> None:
        t.upload(big, str(remote_copy), report)

    def down(t: SSHTransport) -> None:
        t.download(str(remote_copy), local_copy, report)

    cases: dict[str, Callable[[], float]] = {
        "upload cold": lambda: cold(up),
        "upload warm": lambda: timed(lambda: up(warm)),
        "upload scp": lambda: timed(
            lambda: subprocess.run([*scp, str(big), f"{where}:{scratch}/scp-up.bin"], check=True)
        ),
        "upload scp gcm": lambda: timed(
            lambda: subprocess.run(
                [*scp, "-c", "aes128-gcm@openssh.com", str(big), f"{where}:{scratch}/scp-up.bin"], check=True
            )
        ),
        "download cold": lambda: cold(down),
        "download warm": lambda: timed(lambda: down(warm)),
        "download scp": lambda: timed(
            lambda: subprocess.run(
                [*scp, f"{where}:{remote_copy}", str(scratch / "scp-down.bin")], check=True
            )
        ),
    }
    samples: dict[str, list[float]] = {name: [] for name in cases}
    try:
        for round_ in range(rounds):
            order = list(cases.items())
            for name, case in order if round_ % 2 == 0 else reversed(order):
                samples[name].append(case())
            print(
                f"round {round_ + 1}/{rounds}: "
                + ", ".join(f"{name} {values[-1]:.2f}" for name, values in samples.items()),
                flush=True,
            )
        size = big.stat().st_size
        assert local_copy.stat().st_size == size and progress and progress[-1] == size
    finally:
        warm.close()
        sshd.stop()
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(sshd.root, ignore_errors=True)

    def median(name: str) -> float:
        return statistics.median(samples[name])

    def ratio(ours: str, theirs: str) -> str:
        pairs = statistics.median(t / o for o, t in zip(samples[ours], samples[theirs], strict=True))
        return f"{pairs:.2f}x"

    mb = args.mb * 1.048576
    print(f"\n{args.mb} MiB over loopback, medians of {rounds} rounds (ratio: scp time / ours, pair by pair)")
    for name in cases:
        print(
            f"  {name:<15} {median(name):6.2f} s  {mb / median(name):5.0f} MB/s  "
            f"(min {min(samples[name]):.2f}, max {max(samples[name]):.2f})"
        )
    print(
        f"  upload cold   vs scp: {ratio('upload cold', 'upload scp')}   "
        f"vs scp -c aes128-gcm: {ratio('upload cold', 'upload scp gcm')}"
    )
    print(
        f"  upload warm   vs scp: {ratio('upload warm', 'upload scp')}   "
        f"vs scp -c aes128-gcm: {ratio('upload warm', 'upload scp gcm')}"
    )
    print(f"  download cold vs scp: {ratio('download cold', 'download scp')}")
    print(f"  download warm vs scp: {ratio('download warm', 'download scp')}")


if __name__ == "__main__":
    main()
