"""The enhance adapter: which control video the upsampler reads, its command line, stages, the
upsampled text read back from the log, failures."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from cosmos_tui.cosmos.base import RunFiles, derive_outputs, primary_output
from cosmos_tui.cosmos.enhance import ADAPTER, SCRIPT, enhanced_text, upsampler_hint
from cosmos_tui.cosmos.transfer import ADAPTER as TRANSFER

INPUTS = {"video": "/in/color.mp4", "depth": "/in/depth.mp4", "seg": "/in/segmentation.mp4"}


def config(**weights: float) -> dict[str, object]:
    full = {"vis": 0.0, "edge": 0.0, "depth": 0.0, "seg": 0.0, **weights}
    return {"prompt": "-a car", "weights": full, "inputs": dict(INPUTS)}


@pytest.mark.parametrize(
    ("weights", "variant", "video"),
    [
        ({"vis": 0.5, "seg": 0.5}, ("vis", "vis"), "/in/color.mp4"),  # vis wins over seg
        ({"edge": 1.0, "depth": 0.3}, ("vis", "edge"), "/in/color.mp4"),  # no edge.mp4: the input video
        ({"depth": 0.5, "seg": 0.5}, ("depth", "depth"), "/in/depth.mp4"),  # the first in spec order
        ({"seg": 1.0}, ("seg", "seg"), "/in/segmentation.mp4"),
    ],
)
def test_the_variant_and_video_follow_the_active_controls(weights, variant, video) -> None:
    assert upsampler_hint(weights) == variant
    assert ADAPTER.local_inputs(config(**weights)) == [video]


def test_the_command_runs_the_standalone_script_under_torchrun_with_a_dash_prompt_intact() -> None:
    files = RunFiles(".cosmos-tui/runs/rs_1", {"/in/color.mp4": ".cosmos-tui/inputs/abc.mp4"})
    argv = shlex.split(ADAPTER.command(config(vis=0.5), files))
    assert argv[0] == "torchrun" and SCRIPT in argv
    assert "--prompt=-a car" in argv  # argparse takes "-a car" as the value, not as an option
    assert "--input_video=.cosmos-tui/inputs/abc.mp4" in argv and "--checkpoint_dir=checkpoints" in argv


LOG = """\
INFO 11-22 07:13:37 [llm_engine.py:230] Initializing a V0 LLM engine (v0.9.2) with config: model='x'
INFO 11-22 07:13:37 [model_runner.py:1171] Starting to load model checkpoints/nvidia/x...
INFO 11-22 07:13:58 [model_runner.py:1203] Model loading took 23.6552 GiB and 20.318 seconds
Processed prompts: 100%|##########| 1/1 [00:10<00:00, 10.02s/it, est. speed input: 412.31 toks/s]
Upsampled prompt: A red car on a wet road at dusk.

Headlights glint on the asphalt.
INFO 11-22 07:14:09 [llm_engine.py:400] shutting down
"""


def test_the_upsampled_text_is_read_back_whole_and_nothing_after_it() -> None:
    expected = "A red car on a wet road at dusk.\n\nHeadlights glint on the asphalt."
    assert enhanced_text(LOG.splitlines()) == expected
    assert enhanced_text(["Upsampled prompt: ", "[rank0]: Traceback"]) is None
    assert enhanced_text(["no result here"]) is None


def test_stages_come_from_vllms_lines() -> None:
    stages = [e.stage for line in LOG.splitlines() if (e := ADAPTER.read_line(line)) is not None]
    assert stages == ["load", "load", "upsample", "done"]


def test_derive_outputs_writes_the_enhanced_prompt_and_the_judge_looks_for_it(tmp_path: Path) -> None:
    assert primary_output(TRANSFER)[0] == "output.mp4"
    name, missing = primary_output(ADAPTER)
    assert name == "enhanced_prompt.txt" and "no upsampled prompt" in missing
    assert derive_outputs(ADAPTER, tmp_path) == []  # no log yet
    (tmp_path / "run.log").write_text(LOG)
    [made] = derive_outputs(ADAPTER, tmp_path)
    assert made.name == name and made.read_text().startswith("A red car on a wet road at dusk.")
    assert derive_outputs(TRANSFER, tmp_path) == []


def test_failures_are_classified() -> None:
    ckpt = [
        "[rank0]: FileNotFoundError: [Errno 2] No such file or directory: "
        "'checkpoints/nvidia/Cosmos-UpsamplePrompt1-12B-Transfer/consolidated.safetensors'"
    ]
    assert ADAPTER.classify(ckpt, 1).error_class == "missing_checkpoint"
    oom = [
        "[rank0]: ValueError: No available memory for the cache blocks. Try increasing "
        "`gpu_memory_utilization` when initializing the engine."
    ]
    failure = ADAPTER.classify(oom, 1)
    assert failure.error_class == "oom" and "\n" not in failure.message
