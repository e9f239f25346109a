"""What produced a run, recorded when its model starts: the spec and exact command, the image's
digest (docker) or the model program's path and version (process, Slurm), the model family and
checkpoint with a manifest of the checkpoint folder, the GPUs and driver, the names (never the
values) of the environment variables passed, cosmos-tui's version and every input's sha256.

The checkpoint manifest lists each file's name, size and a cheap content hash (sha256 of its
first 64 KiB, with the size), computed on the host. It is cached per host: a listing of names,
sizes and mtimes is compared first, and the hashes are computed again only when it changed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shlex
import threading
from pathlib import Path
from typing import Any

from cosmos_tui import __version__, families
from cosmos_tui.engine import preflight
from cosmos_tui.engine.hosts import HostSession
from cosmos_tui.remote import docker

log = logging.getLogger(__name__)

HEAD_BYTES = 65536  # the part of each checkpoint file hashed (with its size): cheap, and changes with it
SEP = "@@cosmos-tui@@"
_cache: dict[tuple[str, str], tuple[str, list[list[Any]]]] = {}  # (host, folder) -> (listing key, files)
_lock = threading.Lock()


def checkpoint_folder(session: HostSession, family: str, checkpoint: str) -> str:
    """The host's folder of a family's checkpoint (absolute): under remote_dir for Transfer1, in
    the Hugging Face cache (HF_HOME) for the others."""
    fam = families.family(family)
    if fam.weights_from == "disk":
        return session.abs(preflight.checkpoint_rel(fam, checkpoint))
    home = session.host.env.get("HF_HOME", "")
    if home and not home.startswith(("/", "~", "$")):
        home = session.abs(home)
    base = home or "$HOME/.cache/huggingface"
    return f"{base}/{preflight.hf_cache_dir(preflight.hf_repo(fam, checkpoint))}"


def _folder_expr(folder: str) -> str:
    return folder.replace("$HOME", '"$HOME"') if folder.startswith("$HOME") else shlex.quote(folder)


def probe_command(session: HostSession, folder: str) -> str:
    """One command: the runtime's facts, the GPUs and driver, and the checkpoint folder's listing."""
    host = session.host
    q = shlex.quote
    parts = []
    if host.runtime == "docker":
        prefix = " ".join(q(word) for word in docker.prefix(host.docker))
        parts.append(f"{prefix} image inspect --format {q(preflight.IMAGE_FORMAT)} {q(host.image)} 2>&1")
    else:
        path = f"{session.sim_bin()}:$PATH" if host.simulated else "$PATH"
        parts.append(
            f"PATH={path}; for p in torchrun python python3; do w=$(command -v $p) && "
            'echo "$p $w $($w --version 2>&1 | head -n 1)"; done; true'
        )
    smi = f"{q(session.sim_bin() + '/nvidia-smi')}" if host.simulated else "nvidia-smi"
    env = " ".join(
        f"{k}={q(v)}" for k, v in host.env.items() if k.startswith("COSMOS_SIM_") and host.simulated
    )
    parts.append(f"{env} {smi} --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null; true")
    where = _folder_expr(folder)
    parts.append(f"cd {where} 2>/dev/null && find -L . -type f -printf '%P\\t%s\\t%T@\\n' | sort; true")
    return f"; echo {SEP}; ".join(parts)


def hash_command(folder: str) -> str:
    """Each file's name, size and sha256 of its first HEAD_BYTES, under the checkpoint folder."""
    return (
        f"cd {_folder_expr(folder)} 2>/dev/null && find -L . -type f -printf '%P\\n' | sort | "
        'while IFS= read -r f; do printf "%s\\t%s\\t%s\\n" "$f" "$(wc -c < "$f")" '
        f'"$(head -c {HEAD_BYTES} "$f" | sha256sum | cut -d" " -f1)"; done; true'
    )


def _manifest(session: HostSession, folder: str, listing: str) -> dict[str, Any]:
    key = hashlib.sha256(listing.encode()).hexdigest()
    cache_key = (session.name, folder)
    with _lock:
        cached = _cache.get(cache_key)
    if cached is not None and cached[0] == key:
        files = cached[1]
    else:
        result = session.transport.run(hash_command(folder), timeout=600)
        files = []
        for line in result.text.splitlines():
            name, _, rest = line.partition("\t")
            size, _, digest = rest.partition("\t")
            if name and size.strip().isdigit():
                files.append([name, int(size), digest.strip()])
        with _lock:
            _cache[cache_key] = (key, files)
    digest = hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()
    return {"folder": folder, "files": files, "digest": digest}


def collect(
    session: HostSession, family: str, config: dict[str, Any], spec: dict[str, Any] | None
) -> dict[str, Any]:
    """The provenance of a run about to start (one or two commands on the host)."""
    host = session.host
    fam = families.family(family)
    checkpoint = str(config.get("checkpoint") or fam.default_checkpoint)
    folder = checkpoint_folder(session, family, checkpoint)
    result = session.transport.run(probe_command(session, folder), timeout=120)
    runtime_text, gpu_text, listing = ([*result.text.split(SEP), "", "", ""])[:3]
    runtime: dict[str, Any] = {"kind": host.runtime}
    if host.runtime == "docker":
        image_id, _, digests = runtime_text.strip().partition(" ")
        runtime.update(image=host.image, image_id=image_id if image_id.startswith("sha256:") else None)
        runtime["repo_digests"] = [d for d in digests.split(",") if d]
    else:
        programs = {}
        for line in runtime_text.strip().splitlines():
            name, _, rest = line.partition(" ")
            path, _, version = rest.partition(" ")
            programs[name] = {"path": path, "version": version.strip()}
        runtime["programs"] = programs
        if host.runtime == "slurm":
            runtime.update(container=host.slurm_container, image=host.image or None)
    gpus = []
    driver = None
    for line in gpu_text.strip().splitlines():
        name, _, version = line.partition(",")
        if name.strip():
            gpus.append(name.strip())
            driver = version.strip() or driver
    hashes = dict(config.get("_sha256") or {})
    inputs = {Path(local).name: digest for local, digest in hashes.items()}
    for role, remote in dict(config.get("_files") or {}).items():  # content-addressed on the host
        stem = Path(str(remote)).stem
        if len(stem) == 64 and role not in inputs:
            inputs[role] = stem
    return {
        "cosmos_tui": __version__,
        "family": family,
        "checkpoint": checkpoint,
        "command": config.get("_command"),
        "spec": spec,
        "runtime": runtime,
        "checkpoint_manifest": _manifest(session, folder, listing.strip()),
        "gpus": gpus,
        "driver": driver,
        "env_keys": sorted(host.env),
        "inputs": inputs,
    }


def fingerprint(provenance: dict[str, Any]) -> dict[str, Any]:
    """What an exact re-run must find the same on its host: the image and the checkpoint files."""
    runtime = provenance.get("runtime") or {}
    return {
        "image": runtime.get("image_id")
        or {k: v.get("path") for k, v in (runtime.get("programs") or {}).items()},
        "checkpoint": (provenance.get("checkpoint_manifest") or {}).get("digest"),
    }
