"""Cosmos-Transfer1's prompt upsampler (Pixtral-12B) as a run of its own: it reads the prompt and
a video and prints a longer, more detailed prompt.

Facts honoured (Cosmos-Transfer1: auxiliary/upsampler/inference/upsampler_pipeline.py and
README, diffusion/inference/world_generation_pipeline.py):

- the standalone script is run under torchrun (it reads ``RANK`` and runs on rank 0 only):
  ``upsampler_pipeline.py --prompt P --input_video V --checkpoint_dir checkpoints``; it loads
  ``checkpoints/nvidia/Cosmos-UpsamplePrompt1-12B-Transfer`` with vLLM, shows the first two frames
  of the video to the model and prints ``Upsampled prompt: <text>`` on stdout. It writes no file.
- which video the model looks at follows the active controls, as transfer.py's
  ``--upsample_prompt`` chooses it (``_init_prompt_upsampler``): vis or edge -> the vis variant,
  on the vis control video if vis is on, else the edge one; otherwise the first of seg and depth,
  on that control's video. A control given no video of its own is computed by transfer.py from the
  input video; the standalone script cannot compute one, so it reads the input video (as its
  README example does).

The enhanced text is read from the log after the run and kept as ``enhanced_prompt.txt`` in the
run's folder (``derive_outputs``); a run without it did not complete.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

from cosmos_tui.cosmos.base import LOGURU, TQDM, Failure, LogEvent, RunFiles, Stage
from cosmos_tui.cosmos.transfer import ADAPTER as TRANSFER
from cosmos_tui.cosmos.transfer import CONTROL_INPUTS, CONTROLS

SCRIPT = "cosmos_transfer1/auxiliary/upsampler/inference/upsampler_pipeline.py"
CHECKPOINT = "nvidia/Cosmos-UpsamplePrompt1-12B-Transfer"
RESULT_FILE = "enhanced_prompt.txt"
MARK = "Upsampled prompt:"
VIS_HINTS = ("vis", "edge")
OTHER_HINTS = ("seg", "depth")

# vLLM's lines (the bar "Processed prompts: ..." is redrawn in place, so it marks no stage).
STAGE_STARTS: tuple[tuple[str, str], ...] = (
    ("Initializing", "load"),  # "Initializing a V0 LLM engine (v0.9.2) with config: ..."
    ("Starting to load model", "load"),
    ("Model loading took", "upsample"),  # loaded: the frames and the prompt go to the model
    (MARK, "done"),
)

WORDS = (b"Initializing", b"load model", b"Model loading took", b"Upsampled")  # in every stage line

# Lines that are a record of their own, not the continuation of a multi-line upsampled prompt:
# vLLM's and loguru's log lines, torch's glog lines, torchrun's [rankN] prefix, tracebacks, bars.
VLLM = re.compile(r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL) \d\d-\d\d \d\d:\d\d:\d\d ")
GLOG = re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d\d")
RECORD = re.compile(r"^(\[rank\d+\]|Traceback |\S+\.py:\d+: \w*Warning)")


def is_record(line: str) -> bool:
    return bool(
        VLLM.match(line) or GLOG.match(line) or RECORD.match(line) or LOGURU.search(line) or TQDM.search(line)
    )


def upsampler_hint(weights: dict[str, float]) -> tuple[str, str]:
    """The upsampler variant and the control whose video it reads, from the active controls (in
    the order the transfer spec lists them), as transfer.py picks them."""
    active = [c for c in CONTROLS if float(weights.get(c, 0)) > 0]
    if any(c in VIS_HINTS for c in active):
        return "vis", "vis" if "vis" in active else "edge"
    others = [c for c in active if c in OTHER_HINTS]
    if others:
        return others[0], others[0]
    raise ValueError("no control the prompt upsampler reads is active")


def upsampler_video(config: dict[str, Any]) -> str:
    """The local video the upsampler reads: the chosen control's own video, else the input video."""
    inputs = config.get("inputs", {})
    _, control = upsampler_hint(config.get("weights", {}))
    key = CONTROL_INPUTS.get(control)
    return str(inputs[key]) if key and key in inputs else str(inputs["video"])


def enhanced_text(lines: list[str]) -> str | None:
    """The upsampled prompt the script printed: the text after the last ``Upsampled prompt:`` and
    the lines that continue it (a model's text may hold line breaks) up to the next log record."""
    start = next((i for i in range(len(lines) - 1, -1, -1) if MARK in lines[i]), None)
    if start is None:
        return None
    parts = [lines[start].split(MARK, 1)[1].removeprefix(" ")]
    for line in lines[start + 1 :]:
        if is_record(line):
            break
        parts.append(line)
    text = "\n".join(parts).strip()
    return text or None


class EnhanceAdapter:
    model_type = "enhance"
    primary_output = RESULT_FILE
    missing_output = "the prompt upsampler exited normally but printed no upsampled prompt; see the run log."
    stages = (
        Stage("load", "loading Pixtral", 60),
        Stage("upsample", "upsampling the prompt", 15),
        Stage("done", "done", 1),
    )

    def local_inputs(self, config: dict[str, Any]) -> list[str]:
        return [upsampler_video(config)]

    def build_spec(self, config: dict[str, Any], files: RunFiles) -> dict[str, Any]:
        """Not read by the script (it takes arguments only); kept in the run folder as its record."""
        variant, control = upsampler_hint(config.get("weights", {}))
        return {
            "prompt": config["prompt"],
            "input_video": files.inputs[upsampler_video(config)],
            "hint_key": variant,
            "control": control,
            "checkpoint": f"checkpoints/{CHECKPOINT}",
        }

    def command(self, config: dict[str, Any], files: RunFiles) -> str:
        argv = [
            "torchrun",
            "--nproc_per_node=1",
            "--nnodes=1",
            "--node_rank=0",
            SCRIPT,
            # `--name=value`: a prompt that starts with "-" is still the prompt's value to argparse.
            f"--prompt={config['prompt']}",
            f"--input_video={files.inputs[upsampler_video(config)]}",
            "--checkpoint_dir=checkpoints",
        ]
        return " ".join(shlex.quote(a) for a in argv)

    def output_patterns(self) -> tuple[str, ...]:
        return ()  # the script writes no file: its result is in the log

    def derive_outputs(self, run_dir: Path) -> list[Path]:
        """Write ``enhanced_prompt.txt`` from the run's log; nothing when the log holds no result."""
        log = run_dir / "run.log"
        if not log.is_file():
            return []
        from cosmos_tui.cosmos.base import clean

        raw = log.read_bytes().decode("utf-8", errors="replace").split("\n")
        text = enhanced_text([clean(line) for line in raw])
        if text is None:
            return []
        target = run_dir / RESULT_FILE
        target.write_text(text + "\n", encoding="utf-8")
        return [target]

    def interesting(self, raw: bytes) -> bool:
        return any(word in raw for word in WORDS)

    def read_line(self, line: str) -> LogEvent | None:
        message = line
        if match := VLLM.match(line):
            message = line[match.end() :].partition("] ")[2]
        for start, stage in STAGE_STARTS:
            if message.startswith(start):
                return LogEvent(stage=stage)
        return None

    def classify(self, lines: list[str], exit_code: int | None) -> Failure:
        text = "\n".join(lines)
        if "No available memory for the cache blocks" in text:
            return Failure(
                "oom",
                "the GPU has no memory left for the prompt upsampler (Pixtral-12B needs most of an 80 GB "
                "GPU); free the GPU of other jobs and enhance again.",
            )
        return TRANSFER.classify(lines, exit_code)


ADAPTER = EnhanceAdapter()
