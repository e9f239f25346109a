"""The simulated GPU host: POSIX sh stand-ins for `torchrun` and `python` (running the inference
scripts of Cosmos Transfer1, Cosmos 3, Transfer2.5 and Predict2.5) and `nvidia-smi`, plus the tools
to install them on a host or bake them into a Docker image.

Only the model is simulated; everything around it (SSH, SFTP, Docker, the engine) is real.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

FILES = Path(__file__).resolve().parent / "files"
INSTALL_DIR = ".cosmos-sim"  # inside a host's remote_dir


def sim_files() -> list[Path]:
    """Every file of the simulator, relative to FILES, in a stable order."""
    return sorted(p.relative_to(FILES) for p in FILES.rglob("*") if p.is_file())


def sim_version() -> str:
    """A short content hash: the sim image tag changes whenever a simulator file does."""
    digest = hashlib.sha256()
    for rel in sim_files():
        digest.update(str(rel).encode() + b"\0" + (FILES / rel).read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def install_local(remote_dir: Path) -> Path:
    """Copy the simulator into ``remote_dir/.cosmos-sim`` (bin/ and lib/); return its bin folder."""
    target = remote_dir / INSTALL_DIR
    for rel in sim_files():
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(FILES / rel, dest)
        dest.chmod(0o755 if rel.parts[0] == "bin" else 0o644)
    return target / "bin"
