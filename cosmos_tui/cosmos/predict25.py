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
from cosmos_tui.cosmos.base import RunFiles, Stage
from cosmos_tui.cosmos.transfer25 import (
    SINGLE_NAME,
    Family25Adapter,
    guidance_value,
    launcher,
    path_in_spec,
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


class Predict25Adapter(Family25Adapter):
    model_type = "predict"
    family_name = "predict2.5"
    stage_starts = STAGE_STARTS
    sample_saved = SAMPLE_SAVED
    saved_marker = b"Saved video to"
    kinds = (".mp4",)
    oom_advice = OOM_ADVICE
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
            *launcher(int(config.get("num_gpu", 1))),
            "-i",
            spec_rel,
            "-o",
            files.out_rel,
            f"--inference-type={inference_type(config)}",
            f"--model={model}",
            *path,
            "--keep-going" if keep_going else "--no-keep-going",
        ]

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


ADAPTER = Predict25Adapter()
