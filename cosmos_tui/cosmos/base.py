"""What every model adapter provides, and the log-reading pieces they share.

An adapter knows its model's spec format, command line, log stages, outputs and failure
wording. The engine never branches on the model type; adding a model is one module in this
package that defines ``ADAPTER`` (see ``adapter_for``).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, cast

from cosmos_tui.families import adapter_module
from cosmos_tui.text import escape_controls, strip_csi

# Searched, not matched at the start: tqdm's bar on stderr has no newline until a clip ends, so
# the next loguru line can follow it on the same line of the merged log. Cosmos 3 puts a
# ``job=<name>|`` field between the time and the level (``[08-21 10:00:00|job=|INFO|...]``).
LOGURU = re.compile(
    r"\[(\d\d-\d\d \d\d:\d\d:\d\d)\|(?:job=[^|\]]*\|)?"
    r"(DEBUG|INFO|SUCCESS|WARNING|ERROR|CRITICAL)\|([^\]]*)\] (.*)$"
)
TQDM = re.compile(r"(\d+)%\|.*?\| (\d+)/(\d+) \[")
# A Python exception's last line, as torchrun's ranks print it too (``[rank0]: ValueError: ...``).
PY_ERROR = re.compile(r"^(?:\[rank\d+\]: )?((?:\w+\.)*\w*(?:Error|Exception)): (.*)$")
SIGNAL = re.compile(r"SignalException: Process \d+ got signal: (\d+)")
# Exceptions that mean the model was given something it cannot use (the user can fix the input).
INPUT_ERRORS = frozenset(
    ("ValueError", "FileNotFoundError", "KeyError", "JSONDecodeError", "AssertionError", "ValidationError")
)


@dataclass(frozen=True)
class Stage:
    key: str
    label: str
    default_seconds: float
    per_clip: bool = False


@dataclass(frozen=True)
class LogEvent:
    """What a log line tells us: a stage began, the clip count/progress, or nothing."""

    stage: str | None = None
    clips_total: int | None = None
    clips_done: int | None = None
    # A per-step bar (Cosmos 3 ``Sampling: 40%|...| 14/35``): progress within the current stage.
    steps_done: int | None = None
    steps_total: int | None = None


@dataclass(frozen=True)
class Failure:
    error_class: str
    message: str


@dataclass
class RunFiles:
    """Paths relative to the host's remote_dir (the container's /workspace)."""

    run_rel: str
    inputs: dict[str, str] = field(default_factory=dict)  # local path -> remote relative path

    @property
    def spec_rel(self) -> str:
        return f"{self.run_rel}/spec.json"

    @property
    def out_rel(self) -> str:
        return f"{self.run_rel}/output"


class ModelAdapter(Protocol):
    model_type: str
    stages: tuple[Stage, ...]

    def local_inputs(self, config: dict[str, Any]) -> list[str]:
        """Local files the run needs on the host."""

    def build_spec(self, config: dict[str, Any], files: RunFiles) -> dict[str, Any]:
        """The spec JSON the model reads."""

    def command(self, config: dict[str, Any], files: RunFiles) -> str:
        """The shell command that runs the model from remote_dir (output on stdout+stderr)."""

    def output_patterns(self) -> tuple[str, ...]:
        """Globs, relative to the output folder, of the files to fetch."""

    def interesting(self, raw: bytes) -> bool:
        """A cheap test on the raw bytes: could read_line find anything in this line?"""

    def read_line(self, line: str) -> LogEvent | None:
        """Stage and progress information in one log line."""

    def classify(self, lines: list[str], exit_code: int | None) -> Failure:
        """Why a run failed, from the end of its log and its exit code."""


def placed_inputs(adapter: ModelAdapter, config: dict[str, Any], files: RunFiles) -> dict[str, str]:
    """Inputs that may already be on the host where an earlier run left them: {local path: path
    relative to remote_dir}. The executor uses such a file where it is when the host has it and
    uploads the local copy only when it does not. An adapter without inputs of this kind leaves
    ``placed_inputs(config, files)`` out."""
    method = getattr(adapter, "placed_inputs", None)
    return dict(method(config, files)) if method is not None else {}


class BatchAdapter(ModelAdapter, Protocol):
    """A model that runs many samples in one process (Transfer1's ``--batch_input_path``)."""

    def batch_key(self, config: dict[str, Any]) -> str | None:
        """Equal for runs that can share one model process; None when this run cannot."""

    def batch_spec(self, config: dict[str, Any], files: RunFiles) -> dict[str, Any]: ...
    def batch_line(self, config: dict[str, Any], files: RunFiles, index: int) -> dict[str, Any]: ...
    def sample_spec(self, spec: dict[str, Any], line: dict[str, Any]) -> dict[str, Any]: ...
    def batch_command(self, config: dict[str, Any], files: RunFiles, jsonl_rel: str) -> str: ...
    def sample_folder(self, index: int) -> str: ...
    def sample_output_patterns(self) -> tuple[str, ...]: ...
    def sample_marker(self, raw: bytes) -> bool: ...
    def sample_event(self, line: str) -> tuple[str, int | None] | None: ...


def batch_adapter_for(model_type: str, family: str | None = None) -> BatchAdapter | None:
    """The model's adapter when it can batch, else None."""
    try:
        adapter = adapter_for(model_type, family)
    except (NotImplementedError, ValueError):
        return None
    return cast(BatchAdapter, adapter) if hasattr(adapter, "batch_key") else None


class SampleSplitter:
    """Which sample of a batch each line of the model process's log belongs to.

    Lines before the first sample (the model load) belong to sample 0; a sample's lines run up to
    its end marker (saved, or blocked by the guardrail); the lines after the last sample belong
    to none. ``reached`` holds the samples the model took up, ``ended`` how each one ended.
    """

    def __init__(self, adapter: BatchAdapter, count: int) -> None:
        self.adapter = adapter
        self.count = count
        self.current = 0
        self.reached: set[int] = set()
        self.ended: dict[int, str] = {}  # index -> "saved" | "blocked" | "abandoned"

    def feed(self, raw: bytes) -> int | None:
        if self.current >= self.count:
            return None
        event = None
        if self.adapter.sample_marker(raw):
            event = self.adapter.sample_event(clean(raw.decode("utf-8", errors="replace").rstrip("\n")))
        index = self.current
        if event is None:
            return index
        kind, number = event
        if kind == "start":
            if index in self.reached:  # a new sample without an end to the last one
                self.ended[index] = "abandoned"
                self.current = index = index + 1
                if index >= self.count:
                    return None
            self.reached.add(index)
        elif kind == "saved" and number is not None and number < self.count:
            index = number
            self.reached.add(index)
            self.ended[index] = "saved"
            self.current = max(self.current, index + 1)
        elif kind == "blocked":
            self.ended[index] = "blocked"
            self.current = index + 1
        return index


def adapter_for(model_type: str, family: str | None = None) -> ModelAdapter:
    """The adapter serving the task ``model_type`` in the model family (Transfer1 when not given).

    The family names a module ``cosmos_tui.cosmos.<module>`` (see ``families.py``); a module serving
    several tasks defines ``ADAPTERS`` (task -> adapter), one serving a single task ``ADAPTER``.
    """
    if not re.fullmatch(r"[a-z_]+", model_type):
        raise ValueError(model_type)
    name = adapter_module(model_type, family)
    try:
        module = importlib.import_module(f"cosmos_tui.cosmos.{name}")
    except ModuleNotFoundError:
        raise NotImplementedError(f"no adapter for the model type {model_type}") from None
    adapters = getattr(module, "ADAPTERS", None)
    if adapters is not None:
        return cast(ModelAdapter, adapters[model_type])
    return cast(ModelAdapter, module.ADAPTER)


def clean(line: str) -> str:
    """A log line as shown and stored for reading: CSI codes (colours) stripped, `\\r` updates
    folded, every other control character escaped (a model's log cannot act on the terminal)."""
    line = strip_csi(line)
    if "\r" in line:
        parts = [p for p in line.split("\r") if p.strip()]
        line = parts[-1] if parts else ""
    return escape_controls(line)


LOG_PREFIXES = ("compact", "full", "none")


def show_prefix(line: str, prefix: str = "compact") -> str:
    """A log line with its loguru prefix kept whole (``full``), dropped (``none``), or shortened to
    time, level and file name (``compact``): ``[11-22 02:01:31|INFO|pkg/inference/transfer.py:398:demo]``
    becomes ``02:01:31 INFO transfer.py:398``. Lines without a prefix are returned as they are."""
    if prefix == "full":
        return line
    found = LOGURU.search(line)
    if found is None:
        return line
    stamp, level, where, message = found.groups()
    head = line[: found.start()]
    if prefix == "none":
        return head + message
    path, _, rest = where.partition(":")
    number = rest.partition(":")[0]
    name = path.rsplit("/", 1)[-1]
    place = f"{name}:{number}" if number else name
    return f"{head}{stamp.partition(' ')[2]} {level} {place} {message}"


# -- what a run must leave to count as completed ------------------------------------------------
# Optional adapter attributes, read through these helpers so an adapter without them needs nothing:
# ``primary_output`` (the file in the run folder that proves the model did its work, default
# output.mp4), ``missing_output`` (the sentence when it is absent) and ``derive_outputs(run_dir)``
# (files the adapter makes on this machine from the fetched log, e.g. the enhanced prompt).
# Two more for families whose files are named otherwise on the host: ``local_names`` (a dict, the
# host's file name -> the name users expect locally, e.g. Cosmos 3 ``vision.mp4`` -> ``output.mp4``)
# and ``sample_failure(run_dir)`` (a Failure read from the fetched files, e.g. Cosmos 3's
# ``sample_outputs.json`` with ``"status": "error"``, or None when they say nothing went wrong).
# A run whose model writes a text answer (a reasoner) names it ``output_text`` (a local file
# name); the engine stores its text with the run.

DEFAULT_OUTPUT = "output.mp4"


def primary_output(adapter: ModelAdapter) -> tuple[str, str]:
    """The file a completed run has in its folder, and the sentence for a run that exited 0 without it."""
    name = str(getattr(adapter, "primary_output", DEFAULT_OUTPUT))
    missing = getattr(adapter, "missing_output", None)
    default = f"the model exited normally but wrote no {name} (or an empty one); see the run log."
    return name, str(missing or default)


def derive_outputs(adapter: ModelAdapter, run_dir: Path) -> list[Path]:
    """Files the adapter derives locally after the outputs and the full log were fetched."""
    method = getattr(adapter, "derive_outputs", None)
    return list(method(run_dir)) if method is not None else []


def local_name(adapter: ModelAdapter, name: str) -> str:
    """What a file fetched from the host is called in the run's local folder. Besides the fixed
    ``local_names``, an adapter may rename by pattern with ``local_name_for(name)`` (a Transfer2.5
    batch sample's ``s3.mp4`` is ``output.mp4`` in its run's folder)."""
    rename = getattr(adapter, "local_name_for", None)
    if rename is not None:
        name = str(rename(name))
    names = getattr(adapter, "local_names", None) or {}
    return str(names.get(name, name))


def sample_patterns(adapter: BatchAdapter, index: int) -> tuple[str, ...]:
    """Globs of sample ``index``'s files in its folder. A family whose samples all write into one
    folder (Transfer2.5 and Predict2.5: ``OUT/<name>.mp4``) names them per sample with the
    optional ``sample_outputs(index)``; the others' patterns are the same for every sample."""
    method = getattr(adapter, "sample_outputs", None)
    return tuple(method(index)) if method is not None else adapter.sample_output_patterns()


def sample_dir(adapter: BatchAdapter, out_rel: str, index: int) -> str:
    """Where sample ``index`` writes: its ``sample_folder`` under the output folder, or the output
    folder itself for a family that writes every sample there (``sample_folder`` is "")."""
    folder = adapter.sample_folder(index)
    return f"{out_rel}/{folder}" if folder else out_rel


def sample_failure(adapter: ModelAdapter, run_dir: Path) -> Failure | None:
    """A failure the fetched files report (a per-sample status), or None."""
    method = getattr(adapter, "sample_failure", None)
    return method(run_dir) if method is not None else None


def step_rounds(adapter: ModelAdapter, config: dict[str, Any]) -> int:
    """How many times the model's per-step bar runs in its stage (adapter hook; 1 by default)."""
    method = getattr(adapter, "step_rounds", None)
    return max(1, int(method(config))) if method is not None else 1


def output_text_file(adapter: ModelAdapter) -> str | None:
    """The local file holding the run's text answer (a reasoner), or None."""
    name = getattr(adapter, "output_text", None)
    return str(name) if name else None


# -- failures every family words the same way -------------------------------------------------------


def python_failure(
    lines: list[str], skip: Callable[[str], bool] | None = None, detail: Callable[[str], str] = str.strip
) -> Failure | None:
    """The last Python exception in the log as a failure, or None (torchrun's ChildFailedError
    report is not one, nor a line ``skip`` rejects); ``detail`` shortens the exception's text."""
    for line in reversed(lines):
        match = PY_ERROR.match(line)
        if match is None or match.group(1).endswith("ChildFailedError") or (skip is not None and skip(line)):
            continue
        kind = match.group(1).split(".")[-1]
        klass = "invalid_input" if kind in INPUT_ERRORS else "unknown"
        return Failure(klass, f"the model failed: {kind}: {detail(match.group(2))}")
    return None


def exit_failure(exit_code: int | None) -> Failure:
    """What is left to say from the exit code alone."""
    if exit_code == 137:
        return Failure(
            "unknown",
            "the model was killed (exit code 137), often by the host's out-of-memory killer; "
            "check the host's RAM.",
        )
    return Failure("unknown", f"the model exited with code {exit_code}; see the run log for details.")


def check_options(adapter: ModelAdapter, config: dict[str, Any]) -> None:
    """Refuse, before a run is queued, settings its model would reject only after loading for
    minutes: the adapter's optional ``check(config)`` raises UsageError naming the field."""
    method = getattr(adapter, "check", None)
    if method is not None:
        method(config)
