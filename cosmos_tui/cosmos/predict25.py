"""NVIDIA Cosmos-Predict2.5: spec JSON, command line, log stages, outputs, failures.

Facts honoured (nvidia-cosmos/cosmos-predict2.5: docs/inference.md, cosmos_predict2/config.py,
cosmos_predict2/inference.py; it shares Transfer2.5's cosmos_oss launcher, see ``transfer25``):

- ``python examples/inference.py -i SPEC -o OUT --inference-type=text2world|image2world|video2world
  --model=2B/post-trained|2B/distilled|14B/post-trained``; several GPUs ``torchrun
  --nproc_per_node=N examples/inference.py ...`` (context parallel). ``--inference-type`` overrides
  the spec's value for every sample; ``-i`` also takes a ``.jsonl``, the model loaded once.
- Relative paths in a spec or JSONL line resolve against that file's folder, as in Transfer2.5.
- The spec: ``inference_type``, ``name``, ``prompt``, ``input_path`` (an image or video for
  image2world / video2world; none for text2world), ``negative_prompt``, ``seed``, ``guidance`` (an
  integer 0..7), ``num_steps``.
- Output ``OUT/<name>.mp4`` (16 fps) and ``OUT/<name>.json``; a single run is named ``output``.
- Console: ``[i/N] Processing sample <name>``, the prompt guardrail (no line of its own before it),
  ``Generating video with standard mode...``, tqdm's ``Generating samples`` bar, ``Running guardrail
  check on video...``, ``Saved video to OUT/<name>.mp4``. A block logs ``Guardrail blocked
  text2world generation. Prompt: ...`` (whatever the type) or ``Guardrail blocked video2world
  generation.`` on the console.
"""

from __future__ import annotations

import json
import re
from typing import Any

from cosmos_tui import families
from cosmos_tui.cosmos.base import LOGURU, Failure, LogEvent, RunFiles, Stage
from cosmos_tui.cosmos.transfer25 import (
    SAMPLE_NAME,
    SAMPLE_START,
    SINGLE_NAME,
    classify_25,
    guidance_value,
    interesting,
    launcher,
    path_in_spec,
    quoted,
    read_progress,
)

MODEL_NAME = re.compile(r"^\d+B/[\w-]+$")  # --model choices: 2B/post-trained, 2B/distilled, 14B/post-trained
STAGE_STARTS: tuple[tuple[str, str], ...] = (
    ("Log saved to", "load"),
    ("Downloading checkpoint", "load"),
    ("Generating video with", "generate"),
    ("Running guardrail check on video", "postguard"),
    ("Guardrail checks on video are disabled", "postguard"),
    ("Saved video to", "save"),
)
SAMPLE_SAVED = re.compile(r"^Saved video to (?:.*/)?s(\d+)\.mp4\s*$")
OOM_ADVICE = "use the 2B model, more GPUs (num_gpu), or free the GPU of other jobs."


def inference_type(config: dict[str, Any]) -> str:
    """text2world without an input, image2world for an image, video2world for a video."""
    inputs = config.get("inputs", {})
    if "video" in inputs:
        return "video2world"
    if "image" in inputs:
        return "image2world"
    return "text2world"


def input_of(config: dict[str, Any]) -> str | None:
    inputs = config.get("inputs", {})
    return inputs.get("video") or inputs.get("image")


class Predict25Adapter:
    model_type = "predict"
    family_name = "predict2.5"
    stages = (
        Stage("load", "loading model", 90),
        Stage("guardrail", "prompt guardrail", 10),
        Stage("generate", "generating video", 240),
        Stage("postguard", "output guardrail", 10),
        Stage("save", "saving", 2),
    )

    def local_inputs(self, config: dict[str, Any]) -> list[str]:
        found = input_of(config)
        return [found] if found else []

    def build_spec(self, config: dict[str, Any], files: RunFiles, name: str = SINGLE_NAME) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "inference_type": inference_type(config),
            "name": name,
            "prompt": config["prompt"],
        }
        found = input_of(config)
        if found:
            spec["input_path"] = path_in_spec(files, files.inputs[found])
        if config.get("negative_prompt"):
            spec["negative_prompt"] = config["negative_prompt"]
        spec["seed"] = int(config["seed"])
        spec["guidance"] = guidance_value(config["guidance"])
        spec["num_steps"] = int(config["num_steps"])
        return spec

    def checkpoint(self, config: dict[str, Any]) -> str:
        return config.get("checkpoint") or families.family(self.family_name).default_checkpoint

    def _argv(self, config: dict[str, Any], files: RunFiles, spec_rel: str, keep_going: bool) -> list[str]:
        checkpoint = self.checkpoint(config)
        default = families.family(self.family_name).default_checkpoint
        # A model name picks the download; anything else is a post-trained checkpoint's path.
        model = checkpoint if MODEL_NAME.match(checkpoint) else default
        path = [] if MODEL_NAME.match(checkpoint) else ["--checkpoint-path", checkpoint]
        return [
            *launcher(int(config.get("num_gpu", 1)), None),
            "-i",
            spec_rel,
            "-o",
            files.out_rel,
            f"--inference-type={inference_type(config)}",
            f"--model={model}",
            *path,
            "--keep-going" if keep_going else "--no-keep-going",
        ]

    def command(self, config: dict[str, Any], files: RunFiles) -> str:
        return quoted(self._argv(config, files, files.spec_rel, keep_going=False))

    def output_patterns(self) -> tuple[str, ...]:
        return (f"{SINGLE_NAME}.mp4",)

    def local_name_for(self, name: str) -> str:
        return SAMPLE_NAME.sub(SINGLE_NAME, name, count=1)

    def interesting(self, raw: bytes) -> bool:
        return interesting(raw)

    def stage_of(self, message: str) -> str | None:
        if SAMPLE_START.match(message):
            return "guardrail"  # the prompt guardrail runs first thing for each sample
        return next((stage for start, stage in STAGE_STARTS if message.startswith(start)), None)

    def read_line(self, line: str) -> LogEvent | None:
        return read_progress(line, self.stage_of)

    def classify(self, lines: list[str], exit_code: int | None) -> Failure:
        return classify_25(lines, exit_code, OOM_ADVICE, silent_block=False)

    # -- batch mode: one model process for the lines of a JSONL ----------------------------------

    def batch_key(self, config: dict[str, Any]) -> str | None:
        """``--inference-type`` and ``--model`` hold for the whole process."""
        return json.dumps(
            {
                "inference_type": inference_type(config),
                "checkpoint": self.checkpoint(config),
                "num_gpu": int(config.get("num_gpu", 1)),
            },
            sort_keys=True,
        )

    def batch_spec(self, config: dict[str, Any], files: RunFiles) -> dict[str, Any]:
        return {}  # every JSONL line is a whole sample

    def batch_line(self, config: dict[str, Any], files: RunFiles, index: int) -> dict[str, Any]:
        return self.build_spec(config, files, name=f"s{index}")

    def sample_spec(self, spec: dict[str, Any], line: dict[str, Any]) -> dict[str, Any]:
        return dict(line)

    def batch_command(self, config: dict[str, Any], files: RunFiles, jsonl_rel: str) -> str:
        return quoted(self._argv(config, files, jsonl_rel, keep_going=True))

    def sample_folder(self, index: int) -> str:
        return ""  # every sample writes into OUT itself

    def sample_output_patterns(self) -> tuple[str, ...]:
        return ()  # the files are named by the sample: see sample_outputs

    def sample_outputs(self, index: int) -> tuple[str, ...]:
        return (f"s{index}.mp4",)

    def sample_marker(self, raw: bytes) -> bool:
        return b"Processing sample" in raw or b"Saved video to" in raw or b"Guardrail blocked" in raw

    def sample_event(self, line: str) -> tuple[str, int | None] | None:
        """("start", None) at ``[i/N] Processing sample``, ("saved", i) at ``Saved video to
        OUT/s<i>.mp4``, ("blocked", None) when the guardrail skips the sample (prompt or video)."""
        match = LOGURU.search(line)
        if match is None:
            return None
        message = match.group(4)
        if SAMPLE_START.match(message):
            return ("start", None)
        if saved := SAMPLE_SAVED.match(message):
            return ("saved", int(saved.group(1)))
        if message.startswith("Guardrail blocked"):
            return ("blocked", None)
        return None


ADAPTER = Predict25Adapter()
