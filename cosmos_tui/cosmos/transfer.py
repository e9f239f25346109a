"""NVIDIA Cosmos Transfer1: spec JSON, command line, log stages, outputs, failures.

Facts honoured (from the Cosmos-Transfer1 repository): controls among vis/edge/depth/seg, a
weight of 0 leaves a control out, a control without `input_control` is computed by the model from
the input video; `--num_gpus` equals `--nproc_per_node`; outputs are output.mp4, output.txt and generated
`<ctrl>_input_control_*.mp4` files.
"""

from __future__ import annotations

import json
import re
import shlex
from typing import Any

from cosmos_tui.cosmos.base import (
    LOGURU,
    SIGNAL,
    TQDM,
    Failure,
    LogEvent,
    RunFiles,
    Stage,
    exit_failure,
    python_failure,
)

SCRIPT = "cosmos_transfer1/diffusion/inference/transfer.py"
CONTROLS = ("vis", "edge", "depth", "seg")
CONTROL_INPUTS = {"edge": "edge", "depth": "depth", "seg": "seg"}  # control -> inputs key

# Message prefixes (loguru lines) that start each stage, in the order the model prints them.
STAGE_STARTS: tuple[tuple[str, str], ...] = (
    ("Start creating base model", "load"),
    ("Loading ctrl model", "load"),
    ("running preprocessor", "preprocess"),
    ("Running guardrail checks on all prompts", "guardrail"),
    ("Running text embedding", "embed"),
    ("Starting data augmentation", "augment"),
    ("Starting latent encoding", "encode"),
    ("Starting diffusion sampling", "diffusion"),
    ("Starting VAE decode", "decode"),
    ("Run guardrail on generated videos", "postguard"),
    ("Saved video to", "save"),
)

GUARDRAIL = re.compile(r"GUARDRAIL BLOCKED: (.*)")
OOM = re.compile(r"(torch\.OutOfMemoryError|CUDA out of memory|torch\.cuda\.OutOfMemoryError)")
CKPT = re.compile(r"FileNotFoundError: .*No such file or directory: '([^']*checkpoints[^']*)'")
ARG_ERROR = re.compile(r"^(?:\[rank\d+\]: )?[\w.]+: error: (.*)$")

# Batch mode (`--batch_input_path`, batch_size 1): transfer.py logs "running preprocessor" when it
# takes up a sample, "Saved prompt to OUT/video_<i>/prompt.txt" after saving it, and "Guardrail
# blocked generation for entire batch." when the guardrail stops it (the sample then has no output).
SAMPLE_START = "running preprocessor"
SAMPLE_SAVED = re.compile(r"Saved prompt to (?:.*/)?video_(\d+)/prompt\.txt\s*$")
SAMPLE_BLOCKED = "Guardrail blocked generation for entire batch."
# Settings transfer.py takes once per process (command line or spec), not per JSONL line.
PER_PROCESS = (
    "num_gpu",
    "num_steps",
    "guidance",
    "seed",
    "sigma_max",
    "fps",
    "blur_strength",
    "canny_threshold",
    "negative_prompt",
)


class TransferAdapter:
    model_type = "transfer"
    script = SCRIPT
    stages = (
        Stage("load", "loading model", 60),
        Stage("preprocess", "computing controls", 20),
        Stage("guardrail", "prompt guardrail", 8),
        Stage("embed", "text embedding", 8),
        Stage("augment", "data augmentation", 4),
        Stage("encode", "latent encoding", 5, per_clip=True),
        Stage("diffusion", "diffusion sampling", 280, per_clip=True),
        Stage("decode", "VAE decode", 15, per_clip=True),
        Stage("postguard", "output guardrail", 8),
        Stage("save", "saving", 1),
    )

    def local_inputs(self, config: dict[str, Any]) -> list[str]:
        inputs = config.get("inputs", {})
        wanted = [inputs["video"]]
        weights = config.get("weights", {})
        for control, key in CONTROL_INPUTS.items():
            if key in inputs and weights.get(control, 0) > 0:
                wanted.append(inputs[key])
        return wanted

    def build_spec(self, config: dict[str, Any], files: RunFiles) -> dict[str, Any]:
        inputs = config.get("inputs", {})
        spec: dict[str, Any] = {
            "prompt": config["prompt"],
            "negative_prompt": config.get("negative_prompt", ""),
            "input_video_path": files.inputs[inputs["video"]],
            "sigma_max": float(config["sigma_max"]),
            "seed": int(config["seed"]),
        }
        for control in CONTROLS:
            weight = float(config.get("weights", {}).get(control, 0))
            if weight <= 0:
                continue  # a control left out is off
            entry: dict[str, Any] = {"control_weight": weight}
            key = CONTROL_INPUTS.get(control)
            if key and key in inputs:
                entry["input_control"] = files.inputs[inputs[key]]
            spec[control] = entry
        return spec

    def command(self, config: dict[str, Any], files: RunFiles) -> str:
        gpus = int(config.get("num_gpu", 1))
        argv = [
            "torchrun",
            f"--nproc_per_node={gpus}",
            "--nnodes=1",
            "--node_rank=0",
            self.script,
            "--checkpoint_dir",
            "checkpoints",
            "--video_save_folder",
            files.out_rel,
            "--controlnet_specs",
            files.spec_rel,
            "--offload_text_encoder_model",
            "--offload_guardrail_models",
            "--num_gpus",
            str(gpus),
            "--num_steps",
            str(int(config["num_steps"])),
            "--guidance",
            repr(float(config["guidance"])),
            "--seed",
            str(int(config["seed"])),
            "--sigma_max",
            repr(float(config["sigma_max"])),
            "--fps",
            str(int(config["fps"])),
            "--blur_strength",
            str(config["blur_strength"]),
            "--canny_threshold",
            str(config["canny_threshold"]),
        ]
        return " ".join(shlex.quote(a) for a in argv)

    def output_patterns(self) -> tuple[str, ...]:
        return ("output.mp4", "output.txt", "*_input_control_*.mp4")

    # -- batch mode: one model process for many samples -----------------------------------------

    def batch_key(self, config: dict[str, Any]) -> str | None:
        """What runs must share to share one model process (None: this run cannot batch)."""
        weights = {c: float(w) for c, w in config.get("weights", {}).items() if float(w) > 0}
        inputs = config.get("inputs", {})
        given = sorted(c for c, key in CONTROL_INPUTS.items() if key in inputs and c in weights)
        settings = {key: config.get(key) for key in PER_PROCESS}
        return json.dumps({"settings": settings, "weights": weights, "given": given}, sort_keys=True)

    def batch_spec(self, config: dict[str, Any], files: RunFiles) -> dict[str, Any]:
        """The spec shared by the batch: controls and per-process settings, no prompt or video."""
        spec = self.build_spec(config, files)
        spec.pop("prompt", None)
        spec.pop("input_video_path", None)
        return spec

    def batch_line(self, config: dict[str, Any], files: RunFiles, index: int) -> dict[str, Any]:
        """One sample's JSONL line: its video, prompt and control videos (the model numbers
        samples by their line, so ``index`` needs no place in it)."""
        inputs = config.get("inputs", {})
        weights = config.get("weights", {})
        overrides: dict[str, Any] = {}
        for control, key in CONTROL_INPUTS.items():
            if float(weights.get(control, 0)) > 0:
                overrides[control] = {"input_control": files.inputs[inputs[key]] if key in inputs else None}
        line: dict[str, Any] = {"visual_input": files.inputs[inputs["video"]], "prompt": config["prompt"]}
        if overrides:
            line["control_overrides"] = overrides
        return line

    def batch_command(self, config: dict[str, Any], files: RunFiles, jsonl_rel: str) -> str:
        return self.command(config, files) + " --batch_input_path " + shlex.quote(jsonl_rel)

    def sample_spec(self, spec: dict[str, Any], line: dict[str, Any]) -> dict[str, Any]:
        """One sample's view of the batch, as a single run's spec would be (kept in its folder)."""
        return {**spec, "prompt": line["prompt"], "input_video_path": line["visual_input"]}

    def sample_folder(self, index: int) -> str:
        """Where sample ``index`` of a batch writes, relative to the output folder."""
        return f"video_{index}"

    def sample_output_patterns(self) -> tuple[str, ...]:
        return ("output.mp4", "prompt.txt", "*_input_control_*.mp4")

    def sample_marker(self, raw: bytes) -> bool:
        """A cheap test: could this line start or end a sample?"""
        return b"running preprocessor" in raw or b"Saved prompt to" in raw or b"Guardrail blocked" in raw

    def sample_event(self, line: str) -> tuple[str, int | None] | None:
        """("start", None), ("saved", index), ("blocked", None), or None for any other line."""
        match = LOGURU.search(line)
        if match is None:
            return None
        message = match.group(4)
        if message.startswith(SAMPLE_START):
            return ("start", None)
        if saved := SAMPLE_SAVED.search(message):
            return ("saved", int(saved.group(1)))
        if message.startswith(SAMPLE_BLOCKED):
            return ("blocked", None)
        return None

    def interesting(self, raw: bytes) -> bool:
        # Stage lines are INFO loguru lines; the clip bar carries "it/s]" or "s/it]".
        return b"|INFO|" in raw or b"it/s]" in raw or b"s/it]" in raw

    def read_line(self, line: str) -> LogEvent | None:
        match = LOGURU.search(line)
        stage = None
        if match:
            message = match.group(4)
            stage = next((stage for start, stage in STAGE_STARTS if message.startswith(start)), None)
        # The clip bar has no newline until a clip ends: the next loguru line follows it on its line.
        bar = line[: match.start()] if match else line
        done = total = None
        if "it/s]" in bar or "s/it]" in bar:
            bars = TQDM.findall(bar)
            if bars:
                done, total = int(bars[-1][1]), int(bars[-1][2])
        if stage is None and total is None:
            return None
        return LogEvent(stage=stage, clips_done=done, clips_total=total)

    def classify(self, lines: list[str], exit_code: int | None) -> Failure:
        text = "\n".join(lines)
        if match := GUARDRAIL.search(text):
            return Failure(
                "guardrail",
                f"the guardrail blocked this prompt ({match.group(1).strip()}); "
                "reword the prompt and run it again.",
            )
        if OOM.search(text):
            return Failure(
                "oom",
                "the GPU ran out of memory; use more GPUs (num_gpu), fewer or shorter "
                "inputs, or free the GPU of other jobs.",
            )
        if match := CKPT.search(text):
            return Failure(
                "missing_checkpoint",
                f"the model checkpoint {match.group(1)} is missing on the "
                "host; download the checkpoints into remote_dir/checkpoints.",
            )
        if match := SIGNAL.search(text):
            return Failure("cancelled", f"the model was stopped by signal {match.group(1)}.")
        for line in reversed(lines):
            if match := ARG_ERROR.match(line):
                return Failure("invalid_input", f"the model rejected its arguments: {match.group(1)}.")
        return python_failure(lines) or exit_failure(exit_code)


ADAPTER = TransferAdapter()
