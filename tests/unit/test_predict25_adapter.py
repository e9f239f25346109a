"""The Predict2.5 adapter: text2world / image2world / video2world specs and the command line
nvidia-cosmos/cosmos-predict2.5's examples/inference.py takes, what it reads from the console, why
a run failed, and its batch pieces (a JSONL of whole samples, written flat into one folder)."""

from __future__ import annotations

import json
import posixpath
import shlex

import pytest

from cosmos_tui.cosmos.base import (
    LogEvent,
    RunFiles,
    SampleSplitter,
    adapter_for,
    batch_adapter_for,
    clean,
    local_name,
    sample_dir,
    sample_patterns,
)
from cosmos_tui.cosmos.predict25 import ADAPTER

RUN = ".cosmos-tui/runs/rs_000000000002"
VIDEO, IMAGE = "/data/pour.mp4", "/data/weld.jpg"
FILES = RunFiles(RUN, {VIDEO: ".cosmos-tui/inputs/vv.mp4", IMAGE: ".cosmos-tui/inputs/ii.jpg"})
OUT = f"{RUN}/output"


def config(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "prompt": "a robot arm pours water into a glass",
        "negative_prompt": "",
        "inputs": {"video": VIDEO},
        "weights": {"vis": 0.25, "edge": 0.25, "depth": 0.25, "seg": 0.25},
        "num_gpu": 1,
        "num_steps": 35,
        "guidance": 7.0,
        "seed": 0,
        "sigma_max": 70.0,
        "fps": 24,
        "blur_strength": "medium",
        "canny_threshold": "medium",
        "checkpoint": "",
    }
    base.update(changes)
    return base


def at(line: str, level: str = "INFO", where: str = "cosmos_predict2/inference.py:96:generate") -> str:
    return f"[11-22 03:10:00|{level}|{where}] {line}"


BAR = "\r".join(
    f"Generating samples: {100 * i // 35:3d}%|{'█' * (10 * i // 35):10s}| {i}/35 "
    f"[00:{i:02d}<00:35,  1.00s/it]"
    for i in range(36)
)
RUN_LOG = [
    at(f"Log saved to {OUT}/console.log", where="packages/cosmos-oss/cosmos_oss/init.py:101:_init_log_files"),
    at(
        "Downloading checkpoint nvidia/Cosmos-Predict2.5-2B/base/post-trained"
        "(81edfebe-bd6a-4039-8c1d-737df1a790bf)",
        where="cosmos_predict2/_src/imaginaire/utils/checkpoint_db.py:297:download",
    ),
    at(f"Saved config to {OUT}/config.yaml"),
    at("Generating 1 samples: ['output']"),
    at("[1/1] Processing sample output"),
    at(f"Saved arguments to {OUT}/output.json"),
    at("Passed guardrail on prompt", "SUCCESS"),
    at("Generating video with standard mode..."),
    BAR,
    at("Running guardrail check on video..."),
    at("Passed guardrail on generated video", "SUCCESS"),
    at(f"Saved video to {OUT}/output.mp4", "SUCCESS"),
]


def test_the_family_serves_predict_with_this_adapter() -> None:
    assert adapter_for("predict", "predict2.5") is ADAPTER
    assert batch_adapter_for("predict", "predict2.5") is ADAPTER


# -- spec and command ------------------------------------------------------------------------------


def test_video2world_spec_is_whole_with_the_input_relative_to_the_spec_folder() -> None:
    spec = ADAPTER.build_spec(config(), FILES)
    assert spec == {
        "inference_type": "video2world",
        "name": "output",
        "prompt": "a robot arm pours water into a glass",
        "input_path": "../../inputs/vv.mp4",
        "seed": 0,
        "guidance": 7,
        "num_steps": 35,
    }
    folder = posixpath.dirname(FILES.spec_rel)
    assert posixpath.normpath(posixpath.join(folder, spec["input_path"])) == ".cosmos-tui/inputs/vv.mp4"


def test_image2world_takes_the_image_and_a_negative_prompt() -> None:
    assert ADAPTER.build_spec(config(inputs={"image": IMAGE}, negative_prompt="static", seed=4), FILES) == {
        "inference_type": "image2world",
        "name": "output",
        "prompt": "a robot arm pours water into a glass",
        "input_path": "../../inputs/ii.jpg",
        "negative_prompt": "static",
        "seed": 4,
        "guidance": 7,
        "num_steps": 35,
    }


def test_text2world_has_no_input_at_all() -> None:
    spec = ADAPTER.build_spec(config(inputs={}), FILES)
    assert spec["inference_type"] == "text2world" and "input_path" not in spec
    assert ADAPTER.local_inputs(config(inputs={})) == []
    assert ADAPTER.local_inputs(config(inputs={"image": IMAGE})) == [IMAGE]


def test_command_always_names_the_inference_type_and_the_model() -> None:
    assert shlex.split(ADAPTER.command(config(), FILES)) == [
        "python",
        "examples/inference.py",
        "-i",
        f"{RUN}/spec.json",
        "-o",
        OUT,
        "--inference-type=video2world",
        "--model=2B/post-trained",
        "--no-keep-going",
    ]
    argv = shlex.split(ADAPTER.command(config(inputs={}, num_gpu=8, checkpoint="14B/post-trained"), FILES))
    assert argv[:4] == ["torchrun", "--standalone", "--nproc_per_node=8", "examples/inference.py"]
    assert argv[8:] == ["--inference-type=text2world", "--model=14B/post-trained", "--no-keep-going"]


def test_a_checkpoint_path_goes_with_the_default_model() -> None:
    argv = shlex.split(ADAPTER.command(config(checkpoint="checkpoints/mine/model.pt"), FILES))
    assert argv[6:] == [
        "--inference-type=video2world",
        "--model=2B/post-trained",
        "--checkpoint-path",
        "checkpoints/mine/model.pt",
        "--no-keep-going",
    ]


def test_the_output_is_output_mp4() -> None:
    assert ADAPTER.output_patterns() == ("output.mp4",)
    assert local_name(ADAPTER, "output.mp4") == "output.mp4"


# -- read_line -------------------------------------------------------------------------------------


def test_a_run_yields_its_stages_in_order_and_the_step_bar() -> None:
    found = []
    for line in RUN_LOG:
        if ADAPTER.interesting(line.encode() + b"\n") and (event := ADAPTER.read_line(clean(line))):
            found.append(event)
    assert [e.stage for e in found if e.stage] == [
        "load",
        "load",
        "guardrail",
        "generate",
        "postguard",
        "save",
    ]
    assert [(e.steps_done, e.steps_total) for e in found if e.steps_total] == [(35, 35)]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "Generating samples:  40%|████      | 14/35 [00:14<00:21,  1.00s/it]",
            LogEvent(steps_done=14, steps_total=35),
        ),
        (at("Generating video with autoregressive mode..."), LogEvent(stage="generate")),
        (at("Guardrail checks on video are disabled", "WARNING"), LogEvent(stage="postguard")),
        (at("Saved config to out/config.yaml"), None),
    ],
)
def test_read_line(line: str, expected: LogEvent | None) -> None:
    assert ADAPTER.read_line(line) == expected


# -- classify --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tail", "error_class", "message"),
    [
        (
            [
                at("Guardrail blocked text2world generation. Prompt: a robot with a gun", "CRITICAL"),
                "Traceback (most recent call last):",
                "Exception: Guardrail blocked text2world generation. Prompt: a robot with a gun",
            ],
            "guardrail",
            "the guardrail blocked the prompt; reword the prompt and run it again.",
        ),
        (
            [at("Guardrail blocked video2world generation.", "CRITICAL")],
            "guardrail",
            "the guardrail blocked the generated video; try another prompt or seed.",
        ),
        (
            ["torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 9.00 GiB."],
            "oom",
            "the GPU ran out of memory; use the 2B model, more GPUs (num_gpu), or free the GPU of "
            "other jobs.",
        ),
        (
            [
                "1 validation error for Args",
                "setup.checkpoint_path",
                "  Value error, Checkpoint path 'checkpoints/mine.pt' does not exist. [type=value_error]",
            ],
            "missing_checkpoint",
            "the checkpoint checkpoints/mine.pt does not exist on the host;",
        ),
        (
            [
                f"Error validating parameters from '{RUN}/spec.json' at line 0",
                "1 validation error for InferenceArguments",
                "  Value error, input_path is required for inference type image2world [type=value_error, "
                "input_value={'name': 'output'}, input_type=dict]",
            ],
            "invalid_input",
            "the model rejected its spec: input_path is required for inference type image2world.",
        ),
        (
            ["Access to model nvidia/Cosmos-Predict2.5-2B is restricted. You must have access to it."],
            "missing_checkpoint",
            "Hugging Face refused to download nvidia/Cosmos-Predict2.5-2B; set HF_TOKEN in the host's "
            "env to a token whose account accepted the licences of nvidia/Cosmos-Predict2.5-2B and "
            "nvidia/Cosmos-Guardrail1.",
        ),
    ],
)
def test_classify(tail: list[str], error_class: str, message: str) -> None:
    failure = ADAPTER.classify(tail, 1)
    assert failure.error_class == error_class
    assert failure.message.startswith(message)


def test_predict_does_not_guess_a_silent_video_block() -> None:
    """Predict2.5 logs its video guardrail's verdict on the console; silence there is no verdict."""
    tail = [at("[2/3] Processing sample s1"), at("Running guardrail check on video...")]
    assert ADAPTER.classify(tail, 1).error_class == "unknown"


# -- batch -----------------------------------------------------------------------------------------


def test_batch_key_is_the_process_wide_inference_type_model_and_gpus() -> None:
    key = ADAPTER.batch_key(config())
    assert key == ADAPTER.batch_key(config(prompt="other", seed=9, inputs={"video": "/data/b.mp4"}))
    assert key != ADAPTER.batch_key(config(inputs={"image": IMAGE}))
    assert key != ADAPTER.batch_key(config(checkpoint="14B/post-trained"))
    assert key != ADAPTER.batch_key(config(num_gpu=2))


def test_batch_lines_commands_and_sample_files() -> None:
    line = ADAPTER.batch_line(config(), FILES, 1)
    assert line == {**ADAPTER.build_spec(config(), FILES), "name": "s1"}
    assert ADAPTER.sample_spec(ADAPTER.batch_spec(config(), FILES), line) == line
    json.dumps(line)
    assert shlex.split(ADAPTER.batch_command(config(), FILES, f"{RUN}/batch.jsonl")) == [
        "python",
        "examples/inference.py",
        "-i",
        f"{RUN}/batch.jsonl",
        "-o",
        OUT,
        "--inference-type=video2world",
        "--model=2B/post-trained",
        "--keep-going",
    ]
    assert sample_dir(ADAPTER, OUT, 1) == OUT
    assert sample_patterns(ADAPTER, 1) == ("s1.mp4",)
    assert local_name(ADAPTER, "s1.mp4") == "output.mp4"


def test_the_splitter_follows_samples_saved_and_blocked() -> None:
    def sample(index: int, end: str) -> list[str]:
        lines = [
            at(f"[{index + 1}/3] Processing sample s{index}"),
            at(f"Saved arguments to {OUT}/s{index}.json"),
        ]
        if end == "prompt":
            return [*lines, at(f"Guardrail blocked text2world generation. Prompt: p{index}", "CRITICAL")]
        lines += [
            at("Passed guardrail on prompt", "SUCCESS"),
            at("Generating video with standard mode..."),
            BAR,
        ]
        lines += [at("Running guardrail check on video...")]
        if end == "video":
            return [*lines, at("Guardrail blocked video2world generation.", "CRITICAL")]
        return [*lines, at(f"Saved video to {OUT}/s{index}.mp4", "SUCCESS")]

    log = RUN_LOG[:4] + sample(0, "video") + sample(1, "prompt") + sample(2, "saved")
    splitter = SampleSplitter(ADAPTER, 3)
    parts: dict[int | None, list[str]] = {}
    for line in log:
        parts.setdefault(splitter.feed(line.encode() + b"\n"), []).append(line)
    assert splitter.ended == {0: "blocked", 1: "blocked", 2: "saved"}
    assert parts[1] == sample(1, "prompt") and parts[2] == sample(2, "saved")
    assert ADAPTER.classify(parts[0], 1).message.startswith("the guardrail blocked the generated video")
    assert ADAPTER.classify(parts[1], 1).message.startswith("the guardrail blocked the prompt")
