"""Plain, frozen dataclasses that cross layers. Peewee objects never leave ``store/``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from enum import Enum, StrEnum, nonmember
from pathlib import PurePath
from typing import Any

# The UI shows stored text (names, prompts, log lines, error messages) through this; it comes
# from here so the UI needs no core module beyond api, records and errors.
from cosmos_tui.text import escape_controls as escape_controls

MODEL_TYPES = ("transfer", "upscale", "enhance", "predict", "reason")


class RunStatus(StrEnum):
    """Where a run is in its lifecycle. The values are what the database and ``--json`` hold.

    Ask the named sets, never a literal list: ``BUSY`` holds a slot on its host, ``ACTIVE`` is not
    over yet (queued or busy), ``TERMINAL`` is over for good, ``LAUNCHED`` means the model was
    started on its host (only its own outcome may end the run).
    """

    QUEUED = "queued"
    CLAIMED = "claimed"
    UPLOADING = "uploading"
    STARTING = "starting"
    RUNNING = "running"
    COLLECTING = "collecting"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    # Inside the class body the names above are still their plain string values.
    BUSY = nonmember((CLAIMED, UPLOADING, STARTING, RUNNING, COLLECTING))
    ACTIVE = nonmember((QUEUED, CLAIMED, UPLOADING, STARTING, RUNNING, COLLECTING))
    TERMINAL = nonmember((COMPLETED, FAILED, CANCELLED))
    LAUNCHED = nonmember((RUNNING, COLLECTING))  # the model was started on its host

    @property
    def is_terminal(self) -> bool:
        return self in RunStatus.TERMINAL


STATUSES = tuple(RunStatus)  # every status, in lifecycle order


class InputKind(StrEnum):
    """What a prompt's input is; the value is what ``--json`` holds (``input_kind``)."""

    FOLDER = "folder"  # a control-video folder: color.mp4 and optional depth/seg/edge videos
    VIDEO = "video"  # one video file
    IMAGE = "image"  # one image file
    NONE = "none"  # no input: the prompt text alone


CONTROL_FILES = {
    "video": ("color.mp4",),
    "depth": ("depth.mp4",),
    "seg": ("segmentation.mp4", "seg.mp4"),
    "edge": ("edge.mp4",),
}


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, the one time format of our JSON output."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


INTERNAL = {"json": False}  # field metadata: kept out of --json (engine bookkeeping)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [_json_value(item) for item in value]
    if isinstance(value, dict):
        return {key: _json_value(item) for key, item in value.items()}
    to_json = getattr(value, "to_json", None)
    return to_json() if callable(to_json) else value


def record_json(record: Any) -> dict[str, Any]:
    """A record's ``--json`` object: its fields in declaration order, times as ISO 8601 UTC."""
    return {
        f.name: _json_value(getattr(record, f.name)) for f in fields(record) if f.metadata.get("json", True)
    }


@dataclass(frozen=True)
class PromptRecord:
    prompt_id: str
    name: str
    text: str
    negative_prompt: str
    model_type: str
    input_dir: str
    inputs: dict[str, str]
    parameters: dict[str, Any]
    parent_id: str | None
    created_at: datetime
    run_count: int = 0
    last_status: RunStatus | None = None

    @property
    def controls(self) -> list[str]:
        """The control videos present besides the color video."""
        return [name for name in ("depth", "seg", "edge") if name in self.inputs]

    @property
    def input_kind(self) -> InputKind:
        """Read from what is stored, so prompts made before files were allowed need no migration:
        a folder's ``input_dir`` is the folder (``inputs["video"]`` is its color.mp4), a single
        file's is the file itself, and a prompt without input has no inputs at all."""
        if "image" in self.inputs:
            return InputKind.IMAGE
        if "video" not in self.inputs:
            return InputKind.NONE
        return InputKind.VIDEO if self.inputs["video"] == self.input_dir else InputKind.FOLDER

    @property
    def input_label(self) -> str:
        """A few words for a list: ``demo/ (depth,seg)``, ``robot.jpg``, ``text only``."""
        kind = self.input_kind
        if kind is InputKind.NONE:
            return "text only"
        name = PurePath(self.input_dir).name
        if kind is InputKind.FOLDER:
            return f"{name}/ ({','.join(self.controls) or 'color only'})"
        return name

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for key, value in record_json(self).items():
            data[key] = value
            if key == "inputs":  # beside what it is read from
                data["input_kind"] = self.input_kind.value
        return data


@dataclass(frozen=True)
class StageTiming:
    stage: str
    seq: int
    started_at: datetime
    finished_at: datetime | None
    seconds: float | None

    def to_json(self) -> dict[str, Any]:
        return record_json(self)


def rating_text(mean: float | None, count: int) -> str:
    """A mean rating and how many runs it is over (``4.2 ★ (5)``); "-" with none."""
    return f"{mean:.1f} ★ ({count})" if mean is not None and count else "-"


def stars(rating: int | None) -> str:
    """A 1-5 rating as stars (``★★★☆☆``); "" when not rated."""
    return "★" * rating + "☆" * (5 - rating) if rating else ""


@dataclass(frozen=True, kw_only=True)
class RunRecord:
    # Declared in the order of the --json object (README "JSON output"); keyword-only.
    run_id: str
    prompt_id: str | None
    model_type: str  # the task: transfer, predict, reason, upscale, enhance
    family: str = "transfer1"  # the model family that runs it (cosmos_tui/families.py)
    host: str  # "" while a run queued to a pool waits to be placed
    pool: str | None = None  # the pool it was queued to ("any" or a [pools.*] name), else None
    status: RunStatus
    error_class: str | None = None
    error_message: str | None = None
    exit_code: int | None = None
    outputs: list[str] = field(default_factory=list)
    output_text: str | None = None  # a reasoner's answer
    log_path: str | None = None
    stage: str | None = None
    progress: float = 0.0
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_seconds: float | None = None
    eta_seconds: float | None = None
    parent_id: str | None = None
    batch_id: str | None = None
    batch_index: int | None = None
    sweep_id: str | None = None
    remote_dir: str | None = None
    handle: str | None = None
    config: dict[str, Any]
    stages: list[StageTiming] = field(default_factory=list)
    rating: int | None = None  # the user's rating of the result, 1 to 5
    provenance: dict[str, Any] | None = None  # what produced it (image, checkpoints, GPUs, inputs)
    log_position: str | None = field(default=None, metadata=INTERNAL)
    last_log_at: datetime | None = field(default=None, metadata=INTERNAL)

    @property
    def is_terminal(self) -> bool:
        return self.status in RunStatus.TERMINAL

    @property
    def note(self) -> str | None:
        """Why a run that is not over waits or stepped back (a pool no host of which answers, a
        lost link, a full disk); None when it does not."""
        return (
            self.error_message
            if self.error_message and not self.error_class and not self.is_terminal
            else None
        )

    def where(self, host_label: Callable[[str], str] = str) -> str:
        """Where the run is: its host (``box1 · lab`` when a pool placed it there), or its pool
        while it waits to be placed (``lab (pool)``)."""
        if not self.host:
            return f"{self.pool} (pool)" if self.pool else "-"
        shown = host_label(self.host)
        return f"{shown} · {self.pool}" if self.pool else shown

    def to_json(self) -> dict[str, Any]:
        return record_json(self)


@dataclass(frozen=True)
class DayCount:
    day: str
    total: int
    completed: int
    failed: int
    cancelled: int


@dataclass(frozen=True)
class ModelStats:
    model_type: str
    finished: int
    completed: int
    success_rate: float | None
    mean_seconds: float | None
    median_seconds: float | None
    rated: int = 0  # completed runs with a rating
    mean_rating: float | None = None


@dataclass(frozen=True)
class InputUsage:
    input_dir: str
    runs: int


@dataclass(frozen=True)
class ErrorCount:
    error_class: str
    count: int


@dataclass(frozen=True)
class Dashboard:
    runs_per_day: list[DayCount]
    by_model: list[ModelStats]
    top_inputs: list[InputUsage]
    failures: list[ErrorCount]


@dataclass(frozen=True)
class DeleteResult:
    prompt_id: str
    deleted_runs: list[str]
    removed_dirs: list[str]
    kept_dirs: list[str]


@dataclass(frozen=True)
class GpuStatus:
    index: int
    name: str
    memory_total_mib: float
    memory_used_mib: float
    utilization: float
    temperature_c: float
    power_w: float | None
    power_limit_w: float | None


@dataclass(frozen=True)
class ContainerStatus:
    name: str
    run_id: str
    state: str
    running_for: str


@dataclass(frozen=True)
class GalleryItem:
    """A completed run with a video, as the gallery lists it."""

    run_id: str
    prompt_id: str | None
    prompt_name: str
    prompt_text: str
    model_type: str
    family: str
    host: str
    finished_at: datetime | None
    duration_seconds: float | None
    rating: int | None
    video: str  # the local output.mp4
    parent_id: str | None = None


@dataclass(frozen=True)
class NodeStatus:
    """A node of a Slurm host's partition: its state and how many of its GPUs jobs hold."""

    name: str
    state: str
    gpus_total: int
    gpus_allocated: int
    cpus: str = ""  # allocated/total


@dataclass(frozen=True)
class HostStatus:
    name: str
    label: str
    reachable: bool
    reason: str | None = None
    gpus: list[GpuStatus] = field(default_factory=list)
    containers: list[ContainerStatus] = field(default_factory=list)
    free_disk_bytes: int | None = None
    pools: list[str] = field(default_factory=list)  # the [pools.*] it is in ("any" left out)
    nodes: list[NodeStatus] = field(default_factory=list)  # a Slurm host: its partition's nodes

    def to_json(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


@dataclass(frozen=True)
class CleanReport:
    """What `host clean` removed (or, with dry_run, would remove) under remote_dir/.cosmos-tui/."""

    host: str
    dry_run: bool
    older_than_days: float
    runs_removed: list[str] = field(default_factory=list)
    runs_removed_bytes: int = 0
    inputs_removed: list[str] = field(default_factory=list)
    inputs_removed_bytes: int = 0
    kept_unfinished: list[str] = field(default_factory=list)  # the database says still going
    kept_recent: list[str] = field(default_factory=list)  # finished less than older_than_days ago
    kept_running: list[str] = field(default_factory=list)  # its container or process still lives
    kept_unknown: list[str] = field(default_factory=list)  # no record and no collected marker
    inputs_kept: int = 0
    errors: list[str] = field(default_factory=list)
    stale_uploads_removed: int = 0  # `.part-*` files an upload left more than a day ago

    @property
    def freed_bytes(self) -> int:
        return self.runs_removed_bytes + self.inputs_removed_bytes

    def to_json(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "dry_run": self.dry_run,
            "older_than_days": self.older_than_days,
            "freed_bytes": self.freed_bytes,
            "runs_removed": list(self.runs_removed),
            "runs_removed_bytes": self.runs_removed_bytes,
            "inputs_removed": list(self.inputs_removed),
            "inputs_removed_bytes": self.inputs_removed_bytes,
            "runs_kept": {
                "unfinished": list(self.kept_unfinished),
                "recent": list(self.kept_recent),
                "running": list(self.kept_running),
                "unknown": list(self.kept_unknown),
            },
            "inputs_kept": self.inputs_kept,
            "stale_uploads_removed": self.stale_uploads_removed,
            "errors": list(self.errors),
        }


@dataclass(frozen=True)
class HostKeyCheck:
    """The key a host presents, and whether known_hosts already has it (``new``, ``trusted``)
    or holds a different one (``changed``)."""

    host: str
    shown: str  # "ssh-ed25519 SHA256:..."
    state: str
    recorded: tuple[str, ...]
    known_hosts: str
    key: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class CheckItem:
    """One item of a host's pre-flight check: ``ok``, ``failed`` or ``skipped``, with one sentence
    (for a failed item: what is wrong and what to do). ``blocks_run``: a run there cannot work."""

    name: str  # reachable | runtime | image | gpus | gpu_memory | weights | disk
    state: str
    message: str
    blocks_run: bool = False
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class HostCheck:
    """The pre-flight check of a host (`host check`, and before the first run on it)."""

    host: str
    label: str
    family: str
    checkpoint: str
    items: list[CheckItem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(item.state != "failed" for item in self.items)

    @property
    def blocking(self) -> list[CheckItem]:
        """The failed items that make a run on this host impossible."""
        return [item for item in self.items if item.state == "failed" and item.blocks_run]

    def item(self, name: str) -> CheckItem:
        return next(item for item in self.items if item.name == name)

    def to_json(self) -> dict[str, Any]:
        from dataclasses import asdict

        return {**asdict(self), "ok": self.ok}


@dataclass(frozen=True)
class RunChanges:
    """A page of runs as it stands at change ``version``: the IDs in order (None when nothing
    changed since the version asked about) and the runs on it written since then."""

    version: int
    ids: list[str] | None
    runs: list[RunRecord] = field(default_factory=list)
