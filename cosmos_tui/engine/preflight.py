"""The pre-flight check of a host: can a run of its model family work there at all?

Items, each ``ok``, ``failed`` or ``skipped`` with one sentence: ``reachable`` (the transport
connects), ``runtime`` (docker answers / a shell runs), ``image`` (on the host, with its digest),
``gpus`` (nvidia-smi sees the GPUs the run will use), ``gpu_memory`` (they have the memory the
family's checkpoint needs), ``weights`` (checkpoints in remote_dir, or a Hugging Face token or cached
weights) and ``disk`` (free space in remote_dir). Everything but the connection is one shell
command, so a check costs one round trip.

`host check` runs it on demand; the engine runs it before a run uploads anything, once per host
and process while it passes (``before_run``), and fails the run with the error class
``preflight`` when an item makes the run impossible, instead of loading the model for minutes and
dying of an OOM or a missing checkpoint.
"""

from __future__ import annotations

import logging
import shlex
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cosmos_tui.errors import HostError, OperationError
from cosmos_tui.families import Family, family
from cosmos_tui.records import CheckItem, GpuStatus, HostCheck
from cosmos_tui.remote import docker, gpus, slurm

if TYPE_CHECKING:
    from cosmos_tui.engine.hosts import HostSession

log = logging.getLogger(__name__)

FORCE_KEY = "_preflight_force"  # in a run's config: skip the GPU memory item (--force)
GIB = 1 << 30
# Free disk wanted, GiB. In remote_dir, for every family: a run's inputs, outputs and intermediate
# files (a simulated host: its few small files). Transfer1 reads checkpoints already on disk; the
# Hugging Face families download their weights into the Hugging Face cache on a first run, so that
# disk wants DOWNLOAD_GIB more while they are not cached (Cosmos 3: some 90 GiB).
OUTPUTS_GIB = 20.0
SIMULATED_GIB = 1.0
DOWNLOAD_GIB = {"transfer2.5": 60.0, "predict2.5": 60.0, "cosmos3": 90.0}
MARK = "@@cosmos-preflight"
IMAGE_FORMAT = "{{.Id}} {{range .RepoDigests}}{{.}},{{end}}"


class PreflightError(OperationError):
    """A pre-flight item makes the run impossible on its host (the run fails with this class)."""

    error_class = "preflight"


@dataclass(frozen=True)
class Target:
    """What the run needs: its family, checkpoint and GPU count."""

    family: Family
    checkpoint: str
    num_gpu: int

    @classmethod
    def of(
        cls,
        host: Any,
        family_name: str | None = None,
        checkpoint: str | None = None,
        num_gpu: int | None = None,
    ) -> Target:
        found = family(family_name or host.model)
        return cls(
            found, checkpoint or host.checkpoint or found.default_checkpoint, max(1, num_gpu or host.num_gpu)
        )


@dataclass
class Facts:
    """What the one probe command found on the host."""

    sections: dict[str, tuple[int, str]] = field(default_factory=dict)  # name -> (exit code, output)

    def get(self, name: str) -> tuple[int, str]:
        return self.sections.get(name, (127, ""))


def checkpoint_rel(fam: Family, checkpoint: str) -> str:
    """Where a family that reads weights from disk keeps a checkpoint, relative to remote_dir
    (Transfer1: ``checkpoints/nvidia/Cosmos-Transfer1-7B``, as its download script lays them out)."""
    name = checkpoint if "/" in checkpoint else f"nvidia/{checkpoint}"
    return f"{fam.checkpoint_dir}/{name}"


def hf_repo(fam: Family, checkpoint: str) -> str:
    """The Hugging Face repository a checkpoint downloads from (``nvidia/Cosmos3-Nano``)."""
    if fam.name == "predict2.5":  # "2B/post-trained" lives in nvidia/Cosmos-Predict2.5-2B
        return f"nvidia/Cosmos-Predict2.5-{checkpoint.split('/')[0]}"
    return checkpoint if "/" in checkpoint else f"nvidia/{checkpoint}"


def hf_cache_dir(repo: str) -> str:
    """The folder the Hugging Face cache keeps a model in, under HF_HOME."""
    return "hub/models--" + repo.replace("/", "--")


def disk_folders() -> list[str]:
    """Checkpoint folders (relative to remote_dir) of every family that reads weights from disk:
    the simulator creates them on a simulated host, so its runs pass the check."""
    from cosmos_tui.families import FAMILIES

    return [
        checkpoint_rel(fam, name)
        for fam in FAMILIES.values()
        if fam.weights_from == "disk"
        for name in {fam.default_checkpoint, *fam.memory_gib}
    ]


# -- the probe: one command ---------------------------------------------------------------------------


def _section(name: str, command: str) -> str:
    return f"echo {MARK}:{name}; ( {command} ) 2>&1; echo {MARK}:rc:$?"


def _df(path_expr: str) -> str:
    """Shell: df of the nearest existing folder of a path (remote_dir may not exist before a first run)."""
    return f'd={path_expr}; while [ ! -d "$d" ]; do d=$(dirname "$d"); done; df -Pk "$d" | tail -n 1'


def probe_command(session: HostSession, target: Target) -> str:
    host = session.host
    q = shlex.quote
    parts = []
    if host.runtime == "docker":
        prefix = " ".join(q(word) for word in docker.prefix(host.docker))
        parts.append(_section("runtime", f"{prefix} version --format '{{{{.Server.Version}}}}'"))
        parts.append(
            _section(
                "image",
                f"{prefix} image inspect --format {q(IMAGE_FORMAT)} {q(host.image)}",
            )
        )
    elif host.runtime == "slurm":
        where = f"-p {q(host.slurm_partition)} " if host.slurm_partition else ""
        parts.append(_section("runtime", f"{slurm.client_env(host.env)}sinfo -h {where}-o '%P %a %D'"))
        parts.append(_section("gpus", slurm.nodes_command(host.slurm_partition, host.env)))
    else:
        parts.append(_section("runtime", 'printf "%s\\n" "${SHELL:-sh}"'))
    if host.runtime == "slurm":
        pass  # the GPUs are the partition's nodes', asked above (not nvidia-smi on the login node)
    elif host.simulated:
        env = " ".join(f"{k}={q(v)}" for k, v in host.env.items() if k.startswith("COSMOS_SIM_"))
        smi = f"{env} {q(session.sim_bin() + '/nvidia-smi')}" + gpus.QUERY.removeprefix("nvidia-smi")
    else:
        smi = gpus.QUERY
    if host.runtime != "slurm":
        parts.append(_section("gpus", smi))
    fam = target.family
    if fam.weights_from == "disk":
        folder = q(session.abs(checkpoint_rel(fam, target.checkpoint)))
        parts.append(
            _section(
                "weights",
                f'if [ -d {folder} ]; then if [ -n "$(ls -A {folder} 2>/dev/null | head -n 1)" ]; '
                "then echo present; else echo empty; fi; else echo missing; fi",
            )
        )
    else:
        home = host.env.get("HF_HOME")
        if home and not home.startswith(("/", "~", "$")):
            home = session.abs(home)  # the model starts in remote_dir, so a relative one is under it
        home_expr = q(home) if home else '"${HF_HOME:-$HOME/.cache/huggingface}"'
        cache = hf_cache_dir(hf_repo(fam, target.checkpoint))
        parts.append(
            _section(
                "weights",
                f'h={home_expr}; echo "home $h"; [ -d "$h"/{q(cache)} ] && echo cached; '
                '[ -n "${HF_TOKEN:-}${HUGGING_FACE_HUB_TOKEN:-}" ] && echo env-token; '
                '[ -s "$h/token" ] && echo token-file; '
                'd="$h"; while [ ! -d "$d" ]; do d=$(dirname "$d"); done; '
                'echo "df $(df -Pk "$d" | tail -n 1)"',
            )
        )
    parts.append(_section("disk", _df(q(session.remote_dir))))
    return "; ".join(parts)


def parse_probe(text: str) -> Facts:
    facts = Facts()
    name: str | None = None
    lines: list[str] = []
    for line in text.splitlines():
        if line.startswith(f"{MARK}:rc:") and name is not None:
            code = line.rsplit(":", 1)[1]
            facts.sections[name] = (int(code) if code.isdigit() else 1, "\n".join(lines).strip())
            name, lines = None, []
        elif line.startswith(f"{MARK}:"):
            name, lines = line.split(":", 1)[1], []
        elif name is not None:
            lines.append(line)
    return facts


def probe(session: HostSession, target: Target) -> Facts:
    """One round of commands on the host (HostError when it cannot be reached)."""
    session.ensure_simulator()
    result = session.transport.run(probe_command(session, target), timeout=90)
    return parse_probe(result.text)


# -- judging the facts ---------------------------------------------------------------------------------


def _item(
    name: str, state: str, message: str, *, blocks: bool = False, detail: dict[str, Any] | None = None
) -> CheckItem:
    return CheckItem(name, state, message, blocks and state == "failed", dict(detail or {}))


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def allowed_gpus(host: Any, visible: list[GpuStatus]) -> list[GpuStatus]:
    """The GPUs a run on this host may use: those its ``gpus`` names (a device list or a count), or
    CUDA_VISIBLE_DEVICES in its env for the process runtime; else all it has."""
    devices = host.gpus.strip()
    wanted: list[int] | None = None
    if devices and devices != "all" and not devices.isdigit():
        wanted = _indices(devices)
    elif host.runtime == "process" and "CUDA_VISIBLE_DEVICES" in host.env:
        wanted = _indices(host.env["CUDA_VISIBLE_DEVICES"])
    pool = visible if wanted is None else [g for i in wanted for g in visible if g.index == i]
    return pool[: int(devices)] if devices.isdigit() else pool


def _indices(text: str) -> list[int] | None:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    return [int(p) for p in parts] if parts and all(p.isdigit() for p in parts) else None


def _gib(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def judge(host: Any, label: str, target: Target, facts: Facts, *, force: bool = False) -> HostCheck:
    """The check's items from what the probe found (pure: unit-testable without a host)."""
    name = host.name
    fam = target.family
    items = [_item("reachable", "ok", f"host {label} answers.")]
    code, text = facts.get("runtime")
    runtime_ok = code == 0
    if host.runtime == "docker":
        items.append(
            _item(
                "runtime",
                "ok",
                f"docker {text.strip()} answers on host {name}.",
                detail={"version": text.strip()},
            )
            if runtime_ok
            else _item(
                "runtime",
                "failed",
                f"docker on host {name} does not work ({_last_line(text)}); start the docker daemon or fix "
                f"the host's docker command ({host.docker!r}).",
                blocks=True,
            )
        )
        items.append(_image_item(host, facts, runtime_ok))
    elif host.runtime == "slurm":
        items += _slurm_items(host, facts, runtime_ok, text)
        items += _weights_item(host, target, facts), _disk_item(host, target, facts)
        return HostCheck(name, label, fam.name, target.checkpoint, items)
    else:
        items.append(
            _item("runtime", "ok", f"a shell runs on host {name} (process runtime).")
            if runtime_ok
            else _item(
                "runtime",
                "failed",
                f"a shell does not run on host {name} ({_last_line(text)}); check the host's login shell.",
                blocks=True,
            )
        )
        items.append(_item("image", "skipped", "the process runtime uses no image."))
    items += _gpu_items(host, target, facts, force)
    items.append(_weights_item(host, target, facts))
    items.append(_disk_item(host, target, facts))
    return HostCheck(name, label, fam.name, target.checkpoint, items)


def _slurm_items(host: Any, facts: Facts, runtime_ok: bool, text: str) -> list[CheckItem]:
    """A Slurm host: sinfo answers and the partition exists; its nodes have GPUs; the image is the
    container plugin's to fetch (never pulled here)."""
    partition = host.slurm_partition or "the default partition"
    lines = [line for line in text.splitlines() if line.strip()]
    if not runtime_ok:
        runtime = _item(
            "runtime",
            "failed",
            f"Slurm does not answer on host {host.name} ({_last_line(text)}); check that sinfo and sbatch "
            "are on the PATH of non-interactive logins and that slurmctld runs (SLURM_CONF in the host's "
            "env if its slurm.conf is not in the default place).",
            blocks=True,
        )
    elif not lines:
        runtime = _item(
            "runtime",
            "failed",
            f"Slurm on host {host.name} has no partition {host.slurm_partition!r}; set slurm_partition "
            "to one that `sinfo` lists.",
            blocks=True,
        )
    else:
        runtime = _item("runtime", "ok", f"Slurm answers on host {host.name}: {partition} ({lines[0]}).")
    if host.slurm_container == "none":
        image = _item(
            "image", "skipped", "the jobs run the model's programs on the nodes (slurm_container = none)."
        )
    else:
        image = _item(
            "image",
            "skipped",
            f"{host.slurm_container} fetches {host.image} on the node when the job starts; not checked here.",
        )
    code, node_text = facts.get("gpus")
    nodes = slurm.parse_nodes(node_text) if code == 0 else []
    total = sum(n.gpus_total for n in nodes)
    used = sum(n.gpus_used for n in nodes)
    if not nodes:
        gpu = _item("gpus", "failed", f"Slurm lists no nodes in {partition} on host {host.name}.")
    elif host.slurm_gres and not total:
        gpu = _item(
            "gpus",
            "failed",
            f"no node in {partition} has GPUs (Gres) but slurm_gres = {host.slurm_gres!r}; the job would "
            "never start.",
            blocks=True,
        )
    else:
        gpu = _item(
            "gpus",
            "ok",
            f"{len(nodes)} node(s) in {partition}, {used} of {total} GPU(s) allocated.",
            detail={"nodes": len(nodes), "gpus": total, "allocated": used},
        )
    memory = _item(
        "gpu_memory",
        "skipped",
        "Slurm gives the job whole GPUs of its nodes; not checked from the login node.",
    )
    return [runtime, image, gpu, memory]


def _image_item(host: Any, facts: Facts, runtime_ok: bool) -> CheckItem:
    if not runtime_ok:
        return _item("image", "skipped", "not checked: docker does not work.")
    code, text = facts.get("image")
    if code == 0:
        words = text.split()
        image_id = words[0] if words else ""
        digests = [d for d in (words[1] if len(words) > 1 else "").split(",") if d]
        digest = digests[0].split("@", 1)[-1] if digests else image_id
        return _item(
            "image",
            "ok",
            f"image {host.image} is on host {host.name} ({digest}).",
            detail={"id": image_id, "digest": digest},
        )
    if docker.no_such_container(text) or "not known" in text.lower() or "not found" in text.lower():
        return _item(
            "image",
            "failed",
            f"image {host.image} is not on host {host.name}; pull or build it there (`docker pull "
            f"{host.image}`), or fix the host's image in the config.",
            blocks=True,
        )
    return _item(
        "image",
        "failed",
        f"docker could not inspect image {host.image} on host {host.name} ({_last_line(text)}); check "
        "the image name in the config.",
        blocks=True,
    )


def _gpu_items(host: Any, target: Target, facts: Facts, force: bool) -> list[CheckItem]:
    code, text = facts.get("gpus")
    visible = gpus.parse(text) if code == 0 else []
    if code != 0:
        return [
            _item(
                "gpus",
                "failed",
                f"nvidia-smi failed on host {host.name} ({_last_line(text)}); install the NVIDIA driver "
                "or put nvidia-smi on the PATH of non-interactive logins.",
            ),
            _item("gpu_memory", "skipped", "not checked: nvidia-smi did not answer."),
        ]
    allowed = allowed_gpus(host, visible)
    used = allowed[: target.num_gpu]  # the model's ranks take the first GPUs it sees
    if not visible or len(used) < target.num_gpu:
        return [
            _item(
                "gpus",
                "failed",
                f"a run needs {target.num_gpu} GPU(s) but host {host.name} lets it use "
                f"{len(allowed)} of {len(visible)} (gpus = {host.gpus!r}); lower "
                "num_gpu or change the host's gpus setting.",
                blocks=True,
                detail={"visible": len(visible)},
            ),
            _item("gpu_memory", "skipped", "not checked: not enough GPUs."),
        ]
    names = sorted({g.name for g in used})
    gpu_item = _item(
        "gpus",
        "ok",
        f"{len(visible)} GPU(s) visible; the run uses {', '.join(f'GPU {g.index}' for g in used)} "
        f"({', '.join(names)}).",
        detail={"visible": len(visible), "used": [g.index for g in used]},
    )
    need = target.family.memory_needed(target.checkpoint, target.num_gpu)
    if need is None:
        return [
            gpu_item,
            _item("gpu_memory", "skipped", f"no memory figure is known for {target.checkpoint}."),
        ]
    free = {g.index: (g.memory_total_mib - g.memory_used_mib) / 1024 for g in used}
    detail = {"need_gib": need, "free_gib": {str(i): round(v, 1) for i, v in free.items()}}
    short = [i for i, v in free.items() if v < need]
    per_gpu = " per GPU" if target.num_gpu > 1 else ""
    if not short:
        low = min(free.values())
        return [
            gpu_item,
            _item(
                "gpu_memory",
                "ok",
                f"{target.checkpoint} needs {_gib(need)} GiB{per_gpu}; the run's GPUs have at least "
                f"{_gib(low)} GiB free.",
                detail=detail,
            ),
        ]
    worst = min(short, key=lambda i: free[i])
    if force:
        return [
            gpu_item,
            _item(
                "gpu_memory",
                "skipped",
                f"not enforced (--force): GPU {worst} has {_gib(free[worst])} GiB free and "
                f"{target.checkpoint} needs {_gib(need)} GiB{per_gpu}.",
                detail=detail,
            ),
        ]
    fix = "free that GPU (see `status`), use a smaller checkpoint"
    if target.family.shards:
        fix += ", spread it over more GPUs (num_gpu)"
    return [
        gpu_item,
        _item(
            "gpu_memory",
            "failed",
            f"GPU {worst} on host {host.name} has {_gib(free[worst])} GiB free but {target.checkpoint} "
            f"needs {_gib(need)} GiB{per_gpu}, so the run would die of out-of-memory; {fix}, or pass "
            "--force to try anyway.",
            blocks=True,
            detail=detail,
        ),
    ]


def _weights_item(host: Any, target: Target, facts: Facts) -> CheckItem:
    fam = target.family
    _code, text = facts.get("weights")
    if fam.weights_from == "disk":
        rel = checkpoint_rel(fam, target.checkpoint)
        state = text.strip().splitlines()[-1] if text.strip() else "unknown"
        if state == "present":
            return _item(
                "weights",
                "ok",
                f"checkpoint {target.checkpoint} is in remote_dir/{rel}.",
                detail={"path": rel},
            )
        what = "is empty" if state == "empty" else "is missing"
        return _item(
            "weights",
            "failed",
            f"the checkpoint folder remote_dir/{rel} {what} on host {host.name}; download the "
            f"{fam.label} checkpoints into remote_dir/{fam.checkpoint_dir} (the model's "
            "download_checkpoints script), or fix the host's checkpoint setting.",
            blocks=True,
            detail={"path": rel},
        )
    repo = hf_repo(fam, target.checkpoint)
    found = set(text.split())
    if "cached" in found:
        return _item(
            "weights",
            "ok",
            f"{repo} is already in the Hugging Face cache on host {host.name}.",
            detail={"repo": repo},
        )
    table = any(host.env.get(key) for key in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"))
    where = (
        "the host's env table has HF_TOKEN"
        if table
        else "HF_TOKEN is set in the host's environment"
        if "env-token" in found
        else "a Hugging Face token file is on the host"
        if "token-file" in found
        else None
    )
    if where:
        return _item(
            "weights",
            "ok",
            f"{where}; {repo} downloads on the first run (accept its licence on huggingface.co first).",
            detail={"repo": repo},
        )
    return _item(
        "weights",
        "failed",
        f"{repo} is not in the Hugging Face cache on host {host.name} and no Hugging Face token is "
        f"available to download it; add HF_TOKEN to [hosts.{host.name}.env] (or run `hf auth login` on "
        "the host) after accepting the model's licence on huggingface.co.",
        blocks=True,
        detail={"repo": repo},
    )


def _free_kib(line: str) -> int | None:
    parts = line.split()
    try:
        return int(parts[3]) * 1024
    except (IndexError, ValueError):
        return None


def _disk_item(host: Any, target: Target, facts: Facts) -> CheckItem:
    code, text = facts.get("disk")
    free = _free_kib(_last_line(text)) if code == 0 else None
    if free is None:
        return _item(
            "disk", "skipped", f"could not read the free disk space in remote_dir ({_last_line(text)})."
        )
    # A simulated host writes a few small files and downloads nothing.
    outputs = SIMULATED_GIB if host.simulated else OUTPUTS_GIB
    detail: dict[str, Any] = {"free_bytes": free, "wanted_gib": outputs}
    label = target.family.label
    if free < outputs * GIB:
        return _item(
            "disk",
            "failed",
            f"only {_gib(free / GIB)} GiB are free in remote_dir on host {host.name} and {label} runs want "
            f"{_gib(outputs)} GiB for inputs and outputs; free some space (`host clean {host.name}` removes "
            "finished runs' folders).",
            detail=detail,
        )
    download = 0.0 if host.simulated else DOWNLOAD_GIB.get(target.family.name, 0.0)
    _, weights = facts.get("weights")
    if download and "cached" not in weights.split():
        cache_line = next((line for line in weights.splitlines() if line.startswith("df ")), "")
        cache_free = _free_kib(cache_line.removeprefix("df "))
        detail["cache_free_bytes"] = cache_free
        if cache_free is not None and cache_free < download * GIB:
            return _item(
                "disk",
                "failed",
                f"only {_gib(cache_free / GIB)} GiB are free for the Hugging Face cache on host {host.name} "
                f"and {target.checkpoint} downloads about {_gib(download)} GiB on its first run; free some "
                "space there or point HF_HOME at a bigger disk.",
                detail=detail,
            )
    return _item("disk", "ok", f"{_gib(free / GIB)} GiB free in remote_dir.", detail=detail)


# -- the API and the engine's hook ---------------------------------------------------------------------


def unreachable(host: Any, label: str, target: Target, exc: HostError) -> HostCheck:
    items = [_item("reachable", "failed", str(exc), blocks=True)]
    for name in ("runtime", "image", "gpus", "gpu_memory", "weights", "disk"):
        items.append(_item(name, "skipped", "not checked: the host is not reachable."))
    return HostCheck(host.name, label, target.family.name, target.checkpoint, items)


def check(session: HostSession, label: str, target: Target, *, force: bool = False) -> HostCheck:
    """Every item, fresh (`host check`)."""
    try:
        facts = probe(session, target)
    except HostError as exc:
        return unreachable(session.host, label, target, exc)
    return judge(session.host, label, target, facts, force=force)


# Per process: the facts of a host that passed, by session (one round per host, family and
# checkpoint); a host that failed is probed again by its next run (the user may have fixed it).
_passed: weakref.WeakKeyDictionary[HostSession, dict[tuple[str, str], Facts]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()
_locks: weakref.WeakKeyDictionary[HostSession, threading.Lock] = weakref.WeakKeyDictionary()


def before_run(session: HostSession, family_name: str | None, config: Mapping[str, Any]) -> None:
    """Refuse a run its host cannot serve (PreflightError with the item's sentence), before any
    upload; HostError when the host cannot be reached (the engine's usual handling)."""
    host = session.host
    target = Target.of(host, family_name, config.get("checkpoint") or None, config.get("num_gpu"))
    key = (target.family.name, target.checkpoint)
    with _lock:
        host_lock = _locks.setdefault(session, threading.Lock())
    with host_lock:  # runs starting together on one host wait for one probe
        facts = _passed.get(session, {}).get(key)
        fresh = facts is None
        if facts is None:
            facts = probe(session, target)
        result = judge(host, host.name, target, facts, force=bool(config.get(FORCE_KEY)))
        for item in result.items:
            if item.state == "failed" and not item.blocks_run:
                log.warning("pre-flight on %s: %s", host.name, item.message)
        if result.blocking:
            raise PreflightError(result.blocking[0].message)
        if fresh:
            log.info("pre-flight on %s passed for %s %s", host.name, target.family.name, target.checkpoint)
            with _lock:
                _passed.setdefault(session, {})[key] = facts
