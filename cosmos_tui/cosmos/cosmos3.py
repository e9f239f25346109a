"""NVIDIA Cosmos 3 (repository NVIDIA/cosmos-framework): one omni model for transfer, predict, reason.

Facts honoured (read in the repository: ``cosmos_framework/scripts/inference.py``, ``inference/args.py``,
``inference/common/{args,inference,init}.py``, ``inference/inference.py``, ``inference/transfer.py``):

- ``python -m cosmos_framework.scripts.inference -i SPEC -o OUT --checkpoint-path CKPT`` (tyro); under
  torchrun for several GPUs. Sample fields given on the command line override every sample's own
  (``--seed`` would overwrite each JSONL line's seed), so everything per sample stays in the spec.
- A sample is written to ``OUT/<name>/``: ``vision.mp4``, ``sample_args.json``, ``sample_outputs.json``,
  ``control_<hint>.mp4`` (transfer), ``reasoner_text.txt`` (reasoner); ``OUT/console.log`` too. A single
  run names its sample ``output`` and passes the run folder as OUT, so the files land in the run's
  output folder, flat, as every adapter has them.
- Relative paths in a spec resolve against the spec file's folder (``contextlib.chdir(path.parent)``).
- Transfer is ``video2video`` with control blocks ``edge blur depth seg`` (``weight``, ``control_path``,
  ``preset_edge_threshold`` / ``preset_blur_strength``); edge and blur are computed from ``vision_path``
  when no file is given, depth and seg are not (``Missing pre-computed control input``). Video-conditioned
  prediction is ``video2video`` without a control block (``inputs/omni/v2v.json``).
- Without ``--keep-going`` the first failing sample raises ``ValueError: Error generating sample '<name>':
  ...`` and ends the process; with it the error is logged and the next sample runs (exit 0).
- The prompt guardrail runs after sampling and decoding for generation, before and after answering for
  the reasoner, and not at all in the transfer path of this release.
"""

from __future__ import annotations

import json
import posixpath
import re
import shlex
from pathlib import Path
from typing import Any

from cosmos_tui.cosmos.base import (
    LOGURU,
    SIGNAL,
    Failure,
    LogEvent,
    RunFiles,
    Stage,
    clean,
    exit_failure,
    python_failure,
)
from cosmos_tui.errors import UsageError
from cosmos_tui.families import family
from cosmos_tui.media import frame_count

MODULE = "cosmos_framework.scripts.inference"
SINGLE_NAME = "output"  # a single run's sample: OUT is the run folder, so its files land in out_rel
MAX_GUIDANCE = 7.0  # OmniSampleOverrides: guidance in [0, 7]
# A transfer's chunking defaults (SampleDataOverrides._TRANSFER_SAMPLE_DEFAULTS)
CHUNK_FRAMES, CONDITIONAL_FRAMES, MAX_FRAMES = 93, 1, 5000
MAX_NEW_TOKENS = 1024  # the reasoner's default (defaults/reasoner/sample_args.json)
# Our control weights -> Cosmos 3's hints. Transfer1's "vis" is a blurred copy of the input video.
HINT_OF = {"vis": "blur", "edge": "edge", "depth": "depth", "seg": "seg"}
FILE_OF = {"edge": "edge", "depth": "depth", "seg": "seg"}  # control -> inputs key of its video
NEEDS_FILE = ("depth", "seg")  # Cosmos 3 computes only edge and blur itself
PRESETS = {  # hint -> (its preset field, our config key of the same levels)
    "edge": ("preset_edge_threshold", "canny_threshold"),
    "blur": ("preset_blur_strength", "blur_strength"),
}
LOCAL_NAMES = {"vision.mp4": "output.mp4", "vision.jpg": "output.jpg", "reasoner_text.txt": "output.txt"}

# Message starts (loguru lines of rank 0) that begin a stage, in the order the model prints them.
LOAD = (r"Console log saved to ", r"Loaded \d+ samples?\b", r"Reasoner-only inputs detected")
# The uv/hf command line of the checkpoint download (the guardrail's own download,
# nvidia/Cosmos-Guardrail1, comes first and belongs to "load").
DOWNLOAD_START = r".*\bhf download\b.*\bnvidia/Cosmos3-"
SAVE = r"Saved (?:sample|transfer|reasoner) outputs to "


def starts(*pairs: tuple[str | tuple[str, ...], str]) -> tuple[tuple[re.Pattern[str], str], ...]:
    found = []
    for patterns, stage in pairs:
        for pattern in (patterns,) if isinstance(patterns, str) else patterns:
            found.append((re.compile(pattern), stage))
    return tuple(found)


SAMPLING = re.compile(r"Sampling:\s*(\d+)%\|.*?\| (\d+)/(\d+)")

GUARDRAIL = re.compile(r"GUARDRAIL BLOCKED: (.*)")
GUARDRAIL_ERROR = re.compile(r"Guardrail blocked (prompt|video) ")
OOM = re.compile(r"torch\.(?:cuda\.)?OutOfMemoryError|CUDA out of memory")
CKPT_DIR = re.compile(r"Checkpoint directory does not exist: (\S+)")
NO_UV = re.compile(r"No such file or directory: 'uv'")
DOWNLOAD = re.compile(
    r"Rank 0 download failed|CalledProcessError: Command .*'hf', 'download'|GatedRepoError"
    r"|Cannot access gated repo|401 Client Error|403 Client Error"
)
REPO = re.compile(r"'download', '--format=json', '([^']+)'|huggingface\.co/(?:api/models/)?(nvidia/[\w.-]+)")
MISSING_CONTROL = re.compile(r"Missing pre-computed control input for '(\w+)'")
INVALID_SPEC = re.compile(r"Error validating parameters from '[^']*' at sample (\d+)")
PYDANTIC_HEAD = re.compile(r"\d+ validation errors? for \w+")
SAMPLE_ERROR = re.compile(r"Error generating sample '([^']*)': (.*)")
OTHER_RANK = "A different GPU rank failed"
DETAIL = 200  # characters of a model's own wording kept in a message

# Batch mode: one line per sample in a JSONL, named by its index; the log says where each sample
# starts (generation and transfer) and ends (saved, or an error logged under --keep-going).
SAMPLE_PREFIX = "sample_"
SAMPLE_START = re.compile(r"Saved sample args to '(?:.*/)?sample_(\d+)/sample_args\.json'")
SAMPLE_SAVED = re.compile(
    r"Saved (?:sample|transfer) outputs to '(?:.*/)?sample_(\d+)/sample_outputs\.json'"
    r"|Saved reasoner outputs to '(?:.*/)?sample_(\d+)/?'"
)
SAMPLE_FAILED = re.compile(r"Error generating sample 'sample_(\d+)'")


def checkpoint(config: dict[str, Any]) -> str:
    return str(config.get("checkpoint") or family("cosmos3").default_checkpoint)


def short(text: str, limit: int = DETAIL) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def sentence(text: str) -> str:
    text = text.rstrip()
    return text if text.endswith(".") else text + "."


class Cosmos3Adapter:
    """What the three tasks share: command line, log reading, failures, outputs and batches."""

    model_type = ""
    stages: tuple[Stage, ...] = ()
    stage_starts: tuple[tuple[re.Pattern[str], str], ...] = ()
    patterns: tuple[str, ...] = ()
    local_names = LOCAL_NAMES
    guardrail_what = "this prompt"

    # -- the spec -------------------------------------------------------------------------------

    def local_inputs(self, config: dict[str, Any]) -> list[str]:
        inputs = config.get("inputs", {})
        return [inputs[key] for key in ("video", "image") if key in inputs][:1]

    def sample(self, config: dict[str, Any], files: RunFiles, name: str) -> dict[str, Any]:
        raise NotImplementedError

    def build_spec(self, config: dict[str, Any], files: RunFiles) -> dict[str, Any]:
        return self.sample(config, files, SINGLE_NAME)

    def command(self, config: dict[str, Any], files: RunFiles) -> str:
        return self._command(config, files.spec_rel, files.run_rel)

    def _command(self, config: dict[str, Any], spec_rel: str, out_rel: str, *extra: str) -> str:
        gpus = int(config.get("num_gpu", 1))
        if gpus > 1:
            # The throughput preset shards the weights over every GPU (FSDP): any checkpoint fits.
            # --standalone: a free port for the ranks, never a clash with another run's.
            head = [
                "torchrun",
                "--standalone",
                f"--nproc-per-node={gpus}",
                "-m",
                MODULE,
                "--parallelism-preset=throughput",
            ]
        else:
            head = ["python", "-m", MODULE, "--parallelism-preset=latency"]
        argv = [*head, "-i", spec_rel, "-o", out_rel, "--checkpoint-path", checkpoint(config), *extra]
        return " ".join(shlex.quote(a) for a in argv)

    def output_patterns(self) -> tuple[str, ...]:
        return self.patterns

    # -- the log --------------------------------------------------------------------------------

    def interesting(self, raw: bytes) -> bool:
        return b"Sampling:" in raw or b"|INFO|" in raw or b"|SUCCESS|" in raw or b"|CRITICAL|" in raw

    def read_line(self, line: str) -> LogEvent | None:
        match = LOGURU.search(line)
        stage = None
        if match is not None and (message := rank0(match.group(4))) is not None:
            stage = next((key for start, key in self.stage_starts if start.match(message)), None)
        # tqdm's bar has no newline of its own until it ends: a loguru line may follow it.
        bar = line[: match.start()] if match else line
        done = total = None
        if "Sampling:" in bar and (bars := SAMPLING.findall(bar)):
            done, total = int(bars[-1][1]), int(bars[-1][2])
        if stage is None and total is None:
            return None
        return LogEvent(stage=stage, steps_done=done, steps_total=total)

    def classify(self, lines: list[str], exit_code: int | None) -> Failure:
        text = "\n".join(lines)
        if (match := GUARDRAIL.search(text)) or GUARDRAIL_ERROR.search(text):
            why = f" ({short(match.group(1))})" if match else ""
            return Failure(
                "guardrail",
                f"the guardrail blocked {self.guardrail_what}{why}; reword the prompt and run it again.",
            )
        if OOM.search(text):
            return Failure(
                "oom",
                "the GPU ran out of memory; run it on more GPUs (num_gpu), with a smaller checkpoint "
                "(Cosmos3-Edge) or PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True, or free the GPU "
                "of other jobs.",
            )
        if match := CKPT_DIR.search(text):
            return Failure(
                "missing_checkpoint",
                f"the checkpoint folder {match.group(1)} does not exist on the host; set the host's "
                "checkpoint to Cosmos3-Nano, Cosmos3-Edge or Cosmos3-Super (downloaded from Hugging Face) "
                "or to a folder in remote_dir that holds the weights.",
            )
        if NO_UV.search(text):
            return Failure(
                "missing_checkpoint",
                "the model could not download its weights because uv is not on the host's PATH; "
                "install uv in the image (the Cosmos 3 Dockerfile has it).",
            )
        if DOWNLOAD.search(text):
            found = REPO.search(text)
            repo = f" ({found.group(1) or found.group(2)})" if found else ""
            return Failure(
                "missing_checkpoint",
                f"downloading the model weights from Hugging Face failed{repo}; set HF_TOKEN on the "
                "host to a token of an account that accepted the nvidia/Cosmos-Guardrail1 licence "
                "(and the Cosmos 3 model's), then run it again.",
            )
        if match := SIGNAL.search(text):
            return Failure("cancelled", f"the model was stopped by signal {match.group(1)}.")
        if match := MISSING_CONTROL.search(text):
            hint = match.group(1)
            return Failure(
                "invalid_input",
                f"Cosmos 3 cannot compute a {hint} control; add {hint}.mp4 to the prompt's folder "
                f"or set the {hint} weight to 0.",
            )
        if INVALID_SPEC.search(text):
            return Failure("invalid_input", sentence(f"the model rejected the spec: {pydantic_error(lines)}"))
        if match := SAMPLE_ERROR.search(text):
            return Failure(
                "invalid_input", sentence(f"the model could not generate the sample: {short(match.group(2))}")
            )
        if "EADDRINUSE" in text or "address already in use" in text:
            return Failure(
                "unknown",
                "torchrun's port on the host is taken (EADDRINUSE), most likely by another multi-GPU "
                "run; run it again when that one ends.",
            )
        raised = python_failure(lines, skip=lambda line: OTHER_RANK in line, detail=short)
        if raised is not None:
            return Failure(raised.error_class, sentence(raised.message))
        if "Failed to initialize NET plugin" in text:
            return Failure(
                "unknown",
                "NCCL could not load its network plugin; set NCCL_NET_PLUGIN=none in the host's "
                "environment and run it again.",
            )
        if OTHER_RANK in text:
            return Failure(
                "unknown",
                "another GPU of this multi-GPU run failed first (NCCL); see the run log for its error, "
                "or run it on one GPU.",
            )
        return exit_failure(exit_code)

    # -- outputs ----------------------------------------------------------------------------------

    def sample_failure(self, run_dir: Path) -> Failure | None:
        """The sample's own status in ``sample_outputs.json`` (``skip`` from --skip-invalid-samples,
        ``error`` as the Ray server's client writes it); None when it says success or is absent."""
        try:
            data = json.loads((run_dir / "sample_outputs.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        status = data.get("status", "success") if isinstance(data, dict) else "success"
        message = str(data.get("message") or "") if isinstance(data, dict) else ""
        if status == "skip":
            return Failure("invalid_input", sentence(f"the model skipped this sample: {short(message)}"))
        if status != "error":
            return None
        try:
            raw = (run_dir / "run.log").read_bytes().splitlines()[-400:]
        except OSError:
            raw = []
        lines = [clean(line.decode("utf-8", errors="replace")) for line in raw]
        return self.classify([*lines, message], 1)

    # -- batch mode: one model process for many samples -----------------------------------------

    def batch_key(self, config: dict[str, Any]) -> str | None:
        """Runs of one kind (transfer, generation, reasoning) on one checkpoint and as many GPUs
        share a process. Over several GPUs the throughput preset runs one replica sharded over all
        of them (FSDP), which takes the samples one after another as on one GPU; only rank 0 draws
        the bar, and the "Saved ..." lines of every rank carry ``[RANK n]`` (see ``rank0``)."""
        try:
            self.check(config)
        except UsageError:
            return None  # it fails alone, before loading anything
        return json.dumps(
            {
                "family": "cosmos3",
                "kind": self.model_type,
                "checkpoint": checkpoint(config),
                "num_gpu": int(config.get("num_gpu", 1)),
            },
            sort_keys=True,
        )

    def check(self, config: dict[str, Any]) -> None:
        """Refuse what Cosmos 3 would reject only after loading the model."""

    def batch_spec(self, config: dict[str, Any], files: RunFiles) -> dict[str, Any]:
        """Nothing is shared: every JSONL line is a whole sample (the spec file stays empty)."""
        return {}

    def batch_line(self, config: dict[str, Any], files: RunFiles, index: int) -> dict[str, Any]:
        return self.sample(config, files, self.sample_folder(index))

    def sample_spec(self, spec: dict[str, Any], line: dict[str, Any]) -> dict[str, Any]:
        """The line itself: its paths are relative to the batch's run folder, a sibling of every
        run folder, so they read the same from a single run's spec.json."""
        return {**spec, **line}

    def batch_command(self, config: dict[str, Any], files: RunFiles, jsonl_rel: str) -> str:
        # --keep-going: a sample the guardrail blocks (or that fails otherwise) is logged and the
        # next one runs; without it the first failure ends the process and the samples after it.
        return self._command(config, jsonl_rel, files.out_rel, "--keep-going")

    def sample_folder(self, index: int) -> str:
        return f"{SAMPLE_PREFIX}{index}"

    def sample_output_patterns(self) -> tuple[str, ...]:
        return self.patterns

    def sample_marker(self, raw: bytes) -> bool:
        return b"Saved " in raw or b"Error generating sample" in raw

    def sample_event(self, line: str) -> tuple[str, int | None] | None:
        """("start", None), ("saved", index), ("blocked", index) or None for any other line."""
        match = LOGURU.search(line)
        message = rank0(match.group(4)) if match else None
        if message is None:
            return None
        if SAMPLE_START.match(message):
            return ("start", None)
        if saved := SAMPLE_SAVED.match(message):
            return ("saved", int(saved.group(1) or saved.group(2)))
        if failed := SAMPLE_FAILED.match(message):
            return ("blocked", int(failed.group(1)))
        return None


def rank0(message: str) -> str | None:
    """A message as rank 0 logged it, or None for another rank's. Messages logged for every rank
    (``rank0_only=False``: the "Saved ..." lines) carry ``[RANK n] ``, rank 0's included."""
    if message.startswith("[RANK 0] "):
        return message.removeprefix("[RANK 0] ")
    return None if message.startswith("[RANK ") else message


def rel(files: RunFiles, local: str) -> str:
    """An uploaded input's path relative to the spec's folder (the run folder)."""
    path = files.inputs[local]
    return path if posixpath.isabs(path) else posixpath.relpath(path, files.run_rel)


def generation(config: dict[str, Any]) -> dict[str, Any]:
    """The sampling fields every generated sample carries."""
    fields: dict[str, Any] = {}
    if str(config.get("negative_prompt") or "").strip():
        fields["negative_prompt"] = config["negative_prompt"]
    fields |= {
        "num_steps": int(config["num_steps"]),
        "guidance": float(config["guidance"]),
        "seed": int(config["seed"]),
        "fps": int(config["fps"]),
    }
    return fields


def check_guidance(config: dict[str, Any]) -> None:
    guidance = float(config["guidance"])
    if not 0 <= guidance <= MAX_GUIDANCE:
        raise UsageError(
            f"Cosmos 3 takes a guidance from 0 to {MAX_GUIDANCE:g}, not {guidance:g}; run it with "
            "another guidance.",
            field="guidance",
        )


def pydantic_error(lines: list[str]) -> str:
    """``field: message`` from the first error of a pydantic ValidationError in the log."""
    for i, line in enumerate(lines):
        if PYDANTIC_HEAD.search(line) and i + 2 < len(lines):
            field = lines[i + 1].strip().removeprefix("[rank0]: ").strip()
            message = lines[i + 2].strip().removeprefix("[rank0]: ").strip()
            message = message.split(" [type=")[0]
            return short(f"{field}: {message}")
    return "see the run log for the field it names"


class TransferAdapter(Cosmos3Adapter):
    """``video2video`` with one control block per control whose weight is on."""

    model_type = "transfer"
    stages = (
        Stage("load", "loading guardrail models", 40),
        Stage("download", "downloading and loading the model", 150),
        Stage("prepare", "computing controls", 20),
        Stage("sampling", "diffusion sampling", 300),
        Stage("save", "saving", 5),
    )
    stage_starts = starts(
        (LOAD, "load"),
        (DOWNLOAD_START, "download"),
        (r"Saved sample args to ", "prepare"),
        # Once, before its chunks: each chunk has its own "Using sampler" line and Sampling bar.
        (r"\[transfer\] final user prompt: ", "sampling"),
        (SAVE, "save"),
    )
    patterns = ("vision.mp4", "control_*.mp4", "sample_args.json", "sample_outputs.json")
    missing_output = "the model exited normally but wrote no vision.mp4 (output.mp4 here); see the run log."

    def local_inputs(self, config: dict[str, Any]) -> list[str]:
        inputs = config.get("inputs", {})
        weights = config.get("weights", {})
        wanted = [inputs["video"]]
        for control, key in FILE_OF.items():
            if key in inputs and float(weights.get(control, 0)) > 0:
                wanted.append(inputs[key])
        return wanted

    def check(self, config: dict[str, Any]) -> None:
        check_guidance(config)
        inputs = config.get("inputs", {})
        weights = config.get("weights", {})
        on = [c for c in HINT_OF if float(weights.get(c, 0)) > 0]
        if not on:
            raise UsageError(
                "a Cosmos 3 transfer needs at least one control weight above 0.", field="weights"
            )
        for control in NEEDS_FILE:
            if control in on and FILE_OF[control] not in inputs:
                raise UsageError(
                    f"Cosmos 3 cannot compute a {control} control; add {control}.mp4 to the prompt's "
                    f"folder or set the {control} weight to 0.",
                    field="weights",
                )

    def step_rounds(self, config: dict[str, Any]) -> int:
        """How many chunks the transfer samples one after another, each with its own Sampling bar
        (transfer.py `_get_num_chunks`: the whole input video, up to max_frames, in chunks of 93
        frames that overlap by one). 1 when the frame count cannot be read."""
        frames = frame_count(Path(str(config.get("inputs", {}).get("video", ""))))
        if frames is None:
            return 1
        frames = min(frames, MAX_FRAMES)
        if frames <= CHUNK_FRAMES:
            return 1
        return 1 + -(-(frames - CHUNK_FRAMES) // (CHUNK_FRAMES - CONDITIONAL_FRAMES))

    def sample(self, config: dict[str, Any], files: RunFiles, name: str) -> dict[str, Any]:
        self.check(config)
        inputs = config.get("inputs", {})
        weights = config.get("weights", {})
        spec: dict[str, Any] = {
            "name": name,
            "model_mode": "video2video",
            "prompt": config["prompt"],
            "vision_path": rel(files, inputs["video"]),
        }
        for control, hint in HINT_OF.items():
            weight = float(weights.get(control, 0))
            if weight <= 0:
                continue  # a control left out is off
            block: dict[str, Any] = {"weight": weight}
            key = FILE_OF.get(control)
            if key and key in inputs:
                block["control_path"] = rel(files, inputs[key])
            if hint in PRESETS:
                field, ours = PRESETS[hint]
                block[field] = str(config.get(ours) or "medium")
            spec[hint] = block
        if config.get("control_guidance") is not None:
            spec["control_guidance"] = float(config["control_guidance"])
        return spec | generation(config)


class PredictAdapter(Cosmos3Adapter):
    """``text2video`` (no input), ``image2video`` (an image) or ``video2video`` without controls (a video)."""

    model_type = "predict"
    stages = (
        Stage("load", "loading guardrail models", 40),
        Stage("download", "downloading and loading the model", 150),
        Stage("prepare", "preparing the sample", 5),
        Stage("sampling", "diffusion sampling", 200),
        Stage("guardrail", "prompt guardrail", 3),  # after decoding; a line only when it blocks
        Stage("save", "saving", 5),
    )
    stage_starts = starts(
        (LOAD, "load"),
        (DOWNLOAD_START, "download"),
        (r"Saved sample args to ", "prepare"),
        (r"Using sampler: ", "sampling"),
        (r"GUARDRAIL BLOCKED: ", "guardrail"),
        (SAVE, "save"),
    )
    patterns = ("vision.mp4", "vision.jpg", "sample_args.json", "sample_outputs.json")
    missing_output = "the model exited normally but wrote no vision.mp4 (output.mp4 here); see the run log."

    def check(self, config: dict[str, Any]) -> None:
        check_guidance(config)

    def sample(self, config: dict[str, Any], files: RunFiles, name: str) -> dict[str, Any]:
        self.check(config)
        inputs = config.get("inputs", {})
        spec: dict[str, Any] = {"name": name}
        if "image" in inputs:
            spec["model_mode"] = "image2video"
        elif "video" in inputs:
            spec["model_mode"] = "video2video"
        else:
            spec["model_mode"] = "text2video"
        spec["prompt"] = config["prompt"]
        for key in ("image", "video"):
            if key in inputs:
                spec["vision_path"] = rel(files, inputs[key])
        return spec | generation(config)


class ReasonAdapter(Cosmos3Adapter):
    """``reasoner``: the prompt is the question about an optional image or video."""

    model_type = "reason"
    stages = (
        Stage("load", "loading guardrail models", 40),
        Stage("download", "loading the model and answering", 120),
        Stage("guardrail", "guardrail", 3),  # a line only when it blocks
        Stage("save", "saving the answer", 1),
    )
    stage_starts = starts(
        (LOAD, "load"),
        (DOWNLOAD_START, "download"),
        (r"GUARDRAIL BLOCKED: ", "guardrail"),
        (SAVE, "save"),
    )
    patterns = ("reasoner_text.txt", "sample_args.json", "sample_outputs.json")
    primary_output = "output.txt"
    output_text = "output.txt"
    missing_output = "the model exited normally but wrote no answer (reasoner_text.txt); see the run log."
    guardrail_what = "this prompt or the model's answer"

    def sample(self, config: dict[str, Any], files: RunFiles, name: str) -> dict[str, Any]:
        inputs = config.get("inputs", {})
        spec: dict[str, Any] = {"name": name, "model_mode": "reasoner", "prompt": config["prompt"]}
        for key in ("video", "image"):
            if key in inputs:
                spec["vision_path"] = rel(files, inputs[key])
        spec["max_new_tokens"] = int(config.get("max_new_tokens") or MAX_NEW_TOKENS)
        spec["seed"] = int(config["seed"])
        return spec


ADAPTERS: dict[str, Cosmos3Adapter] = {
    "transfer": TransferAdapter(),
    "predict": PredictAdapter(),
    "reason": ReasonAdapter(),
}
