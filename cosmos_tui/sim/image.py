"""Building the `cosmos-sim:<version>` Docker image with `docker import`: no registry, no
Dockerfile, no network. The rootfs is a static busybox, `bash` as a two-line script that execs
busybox sh, the simulator under /opt/cosmos-sim on PATH, and an empty /workspace.

    python -m cosmos_tui.sim.image [--docker "sudo docker"] [--output cosmos-sim.tar]
"""

from __future__ import annotations

import argparse
import io
import shlex
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Literal

from cosmos_tui.errors import OperationError
from cosmos_tui.sim import FILES, sim_files, sim_version

IMAGE = "cosmos-sim"
PREFIX = "opt/cosmos-sim"
PATH = f"/{PREFIX}/bin:/usr/local/bin:/usr/bin:/bin"
BASH = b'#!/bin/busybox sh\nexec /bin/busybox sh "$@"\n'
PASSWD = b"root:x:0:0:root:/root:/bin/sh\n"
GROUP = b"root:x:0:\n"


def image_tag() -> str:
    return f"{IMAGE}:{sim_version()}"


def find_static_busybox() -> Path:
    for candidate in (shutil.which("busybox"), "/bin/busybox", "/usr/bin/busybox"):
        if candidate and Path(candidate).is_file() and _is_static_elf(Path(candidate)):
            return Path(candidate)
    raise OperationError(
        "no static busybox found; install it (apt-get install busybox-static) and try again."
    )


def _is_static_elf(path: Path) -> bool:
    """True for an ELF executable without a program interpreter (PT_INTERP)."""
    data = path.read_bytes()[:65536]
    if data[:4] != b"\x7fELF" or data[4] != 2:  # 64-bit only
        return False
    order: Literal["little", "big"] = "little" if data[5] == 1 else "big"
    phoff = int.from_bytes(data[32:40], order)
    phentsize = int.from_bytes(data[54:56], order)
    phnum = int.from_bytes(data[56:58], order)
    for i in range(phnum):
        start = phoff + i * phentsize
        if int.from_bytes(data[start : start + 4], order) == 3:  # PT_INTERP
            return False
    return True


def _add(
    tar: tarfile.TarFile, name: str, data: bytes | None = None, mode: int = 0o644, link: str | None = None
) -> None:
    info = tarfile.TarInfo(name)
    info.mtime = 0
    if link is not None:
        info.type, info.linkname, info.mode = tarfile.SYMTYPE, link, 0o777
        tar.addfile(info)
    elif data is None:
        info.type, info.mode = tarfile.DIRTYPE, mode
        tar.addfile(info)
    else:
        info.size, info.mode = len(data), mode
        tar.addfile(info, io.BytesIO(data))


def rootfs_tar() -> bytes:
    """The image's root filesystem as an uncompressed tar."""
    busybox = find_static_busybox()
    applets = subprocess.run(
        [str(busybox), "--list"], capture_output=True, text=True, check=True
    ).stdout.split()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for folder in (
            "bin",
            "etc",
            "root",
            "usr",
            "usr/bin",
            "usr/local",
            "usr/local/bin",
            "opt",
            PREFIX,
            "workspace",
        ):
            _add(tar, folder, mode=0o755)
        _add(tar, "tmp", mode=0o1777)
        _add(tar, "bin/busybox", busybox.read_bytes(), 0o755)
        for applet in applets:
            if applet not in ("busybox", "bash"):
                _add(tar, f"bin/{applet}", link="busybox")
        _add(tar, "bin/bash", BASH, 0o755)
        _add(tar, "etc/passwd", PASSWD)
        _add(tar, "etc/group", GROUP)
        folders = sorted({rel.parent for rel in sim_files()} - {Path()})
        for sub in folders:
            _add(tar, f"{PREFIX}/{sub}", mode=0o755)
        for rel in sim_files():
            mode = 0o755 if rel.parts[0] == "bin" else 0o644
            _add(tar, f"{PREFIX}/{rel}", (FILES / rel).read_bytes(), mode)
    return buffer.getvalue()


def build_image(docker: list[str], tag: str | None = None, force: bool = False) -> str:
    """Import the sim image with the given docker command (argv list); reuse it if present."""
    tag = tag or image_tag()
    if not force:
        probe = subprocess.run([*docker, "image", "inspect", tag], capture_output=True)
        if probe.returncode == 0:
            return tag
    result = subprocess.run(
        [
            *docker,
            "import",
            "--change",
            f"ENV PATH={PATH}",
            "--change",
            "WORKDIR /workspace",
            "--change",
            'CMD ["/bin/sh"]',
            "-",
            tag,
        ],
        input=rootfs_tar(),
        capture_output=True,
    )
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip().splitlines()
        raise OperationError(
            f"docker import of {tag} failed ({message[-1] if message else 'no message'}); "
            "check that the docker command works."
        )
    return tag


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cosmos_tui.sim.image",
        description="Build the cosmos-sim Docker image (a GPU-free stand-in for Cosmos Transfer1).",
    )
    parser.add_argument("--docker", default="docker", help='docker command, e.g. "sudo docker"')
    parser.add_argument("--output", type=Path, help="write the rootfs tar here instead of importing")
    args = parser.parse_args(argv)
    try:
        if args.output:
            args.output.write_bytes(rootfs_tar())
            print(f"wrote {args.output}; import it with: docker import {args.output} {image_tag()}")
        else:
            print(build_image(shlex.split(args.docker), force=True))
    except OperationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
