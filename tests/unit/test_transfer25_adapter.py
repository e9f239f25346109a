"""The Transfer2.5 adapter: the spec and command line it builds (as nvidia-cosmos/cosmos-transfer2.5's
examples/inference.py takes them), what it reads from the model's console, why a run failed, and
its batch pieces (a JSONL of whole samples, all written flat into one output folder).

The log excerpts follow the real formats: loguru lines ``[MM-DD HH:mm:ss|LEVEL|file:line:function]
message`` from the modules cosmos_oss lets through to the console, tqdm's ``Generating samples``
step bar on stderr (``\\r`` updates, one bar per chunk), Python tracebacks, pydantic and hf errors.
"""

from __future__ import annotations

import json
import posixpath
import shlex
from pathlib import Path

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
    sample_failure,
    sample_patterns,
)
from cosmos_tui.cosmos.transfer import ADAPTER as TRANSFER1
from cosmos_tui.cosmos.transfer25 import ADAPTER

RUN = ".cosmos-tui/runs/rs_000000000001"
VIDEO, EDGE = "/data/robot.mp4", "/data/robot_edge.mp4"
FILES = RunFiles(RUN, {VIDEO: ".cosmos-tui/inputs/aa.mp4", EDGE: ".cosmos-tui/inputs/ee.mp4"})
OUT = f"{RUN}/output"


def config(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "prompt": "a robot arm in a sunlit kitchen",
        "negative_prompt": "blurry",
        "inputs": {"video": VIDEO, "edge": EDGE},
        "weights": {"vis": 0.0, "edge": 0.5, "depth": 0.25, "seg": 0.0},
        "num_gpu": 1,
        "num_steps": 35,
        "guidance": 3.0,
        "seed": 2025,
        "sigma_max": 70.0,
        "fps": 24,
        "blur_strength": "medium",
        "canny_threshold": "low",
        "checkpoint": "",
    }
    base.update(changes)
    return base


def at(line: str, level: str = "INFO", where: str = "cosmos_transfer2/inference.py:169:generate") -> str:
    return f"[11-22 02:01:30|{level}|{where}] {line}"


def bar(done: int, total: int = 35) -> str:
    """tqdm's step bar as it ends up on one line: every update after a ``\\r``."""
    states = [
        f"Generating samples: {100 * i // total:3d}%|{'█' * (10 * i // total):10s}| {i}/{total} "
        f"[00:{3 * i:02d}<01:42,  3.01s/it]"
        for i in range(done + 1)
    ]
    return "\r".join(states)


SINGLE_RUN_LOG = [
    at(f"Log saved to {OUT}/console.log", where="packages/cosmos-oss/cosmos_oss/init.py:101:_init_log_files"),
    at(
        "uvx 'hf>=0.35.0' download nvidia/Cosmos-Guardrail1 --repo-type model --revision d6d4bfa "
        "--include '*'",
        where="cosmos_transfer2/_src/imaginaire/utils/checkpoint_db.py:165:_hf_download",
    ),
    at(
        "Downloading checkpoint nvidia/Cosmos-Transfer2.5-2B/general/edge"
        "(61f5694b-0ad5-4ecd-8ad7-c8545627d125)",
        where="cosmos_transfer2/_src/imaginaire/utils/checkpoint_db.py:297:download",
    ),
    at("Found 1 hint keys across all samples"),
    at(f"Saved config to {OUT}/config.yaml"),
    at("Generating 1 samples: ['output']"),
    at("[1/1] Processing sample output"),
    at(f"Saved arguments to {OUT}/output.json"),
    at("Running guardrail check on prompt..."),
    at("Passed guardrail on prompt", "SUCCESS"),
    at("Passed guardrail on negative prompt", "SUCCESS"),
    at("Processing the following paths: {'edge': '/workspace/.cosmos-tui/inputs/ee.mp4', 'edge_mask': None}"),
    bar(35),
    bar(35),
    at(f"edge control video saved to {OUT}/output_control_edge.mp4"),
    at("Running guardrail check on video..."),
    at("Passed guardrail on generated video", "SUCCESS"),
    at(f"Generated video saved to {OUT}/output.mp4", "SUCCESS"),
]


def events(lines: list[str]) -> list[LogEvent]:
    """What the executor feeds the tracker: lines that pass the cheap byte test, cleaned, read."""
    found = []
    for line in lines:
        raw = line.encode() + b"\n"
        if ADAPTER.interesting(raw):
            event = ADAPTER.read_line(clean(line))
            if event is not None:
                found.append(event)
    return found


# -- spec ------------------------------------------------------------------------------------------


def test_the_family_serves_transfer_with_this_adapter() -> None:
    assert adapter_for("transfer", "transfer2.5") is ADAPTER
    assert batch_adapter_for("transfer", "transfer2.5") is ADAPTER
    assert adapter_for("transfer") is TRANSFER1


def test_spec_is_the_sample_with_its_controls_and_paths_relative_to_the_spec_folder() -> None:
    assert ADAPTER.build_spec(config(), FILES) == {
        "name": "output",
        "prompt": "a robot arm in a sunlit kitchen",
        "video_path": "../../inputs/aa.mp4",
        "guidance": 3,
        "seed": 2025,
        "num_steps": 35,
        "negative_prompt": "blurry",
        "edge": {
            "control_weight": 0.5,
            "control_path": "../../inputs/ee.mp4",
            "preset_edge_threshold": "low",
        },
        "depth": {"control_weight": 0.25},  # no depth video given: the model computes it
    }


def test_spec_paths_resolve_from_the_spec_file_folder_to_the_uploaded_inputs() -> None:
    """The model changes into the spec's folder to validate it (config.py ``_from_file``)."""
    spec = ADAPTER.build_spec(config(), FILES)
    folder = posixpath.dirname(FILES.spec_rel)
    assert posixpath.normpath(posixpath.join(folder, spec["video_path"])) == ".cosmos-tui/inputs/aa.mp4"
    assert (
        posixpath.normpath(posixpath.join(folder, spec["edge"]["control_path"]))
        == ".cosmos-tui/inputs/ee.mp4"
    )


def test_vis_carries_the_blur_preset_and_a_weight_of_zero_leaves_a_control_out() -> None:
    spec = ADAPTER.build_spec(
        config(weights={"vis": 0.3, "edge": 0.0, "depth": 0.0, "seg": 0.0}, blur_strength="high"), FILES
    )
    assert {k: v for k, v in spec.items() if k in ("vis", "edge", "depth", "seg")} == {
        "vis": {"control_weight": 0.3, "preset_blur_strength": "high"}
    }


def test_guidance_is_an_integer_for_the_model_and_an_empty_negative_prompt_is_left_to_it() -> None:
    spec = ADAPTER.build_spec(config(guidance=5.0, negative_prompt=""), FILES)
    assert spec["guidance"] == 5 and isinstance(spec["guidance"], int)
    assert "negative_prompt" not in spec  # the model's own default negative prompt applies
    assert ADAPTER.build_spec(config(guidance=7.5), FILES)["guidance"] == 7.5  # the model refuses it itself
    assert "sigma_max" not in spec and "fps" not in spec


def test_local_inputs_are_the_video_and_the_given_controls_that_are_on() -> None:
    assert ADAPTER.local_inputs(config()) == [VIDEO, EDGE]
    assert ADAPTER.local_inputs(config(weights={"vis": 0.5, "edge": 0.0})) == [VIDEO]


# -- command ---------------------------------------------------------------------------------------


def test_command_on_one_gpu() -> None:
    assert shlex.split(ADAPTER.command(config(), FILES)) == [
        "python",
        "examples/inference.py",
        "-i",
        f"{RUN}/spec.json",
        "-o",
        OUT,
        "--no-keep-going",
    ]


def test_command_on_several_gpus_uses_torchrun_on_a_free_port() -> None:
    argv = shlex.split(ADAPTER.command(config(num_gpu=4), FILES))
    # --standalone, not the docs' fixed --master_port: two runs on one host never clash.
    assert argv[:4] == ["torchrun", "--standalone", "--nproc_per_node=4", "examples/inference.py"]
    assert argv[4:] == ["-i", f"{RUN}/spec.json", "-o", OUT, "--no-keep-going"]


@pytest.mark.parametrize(
    ("checkpoint", "flags"),
    [
        ("", []),
        ("nvidia/Cosmos-Transfer2.5-2B", []),  # the family's default: the model downloads it
        ("edge/distilled", ["--model=edge/distilled"]),
        (
            "checkpoints/my_posttrain/model_ema_bf16.pt",
            ["--checkpoint-path", "checkpoints/my_posttrain/model_ema_bf16.pt"],
        ),
    ],
)
def test_the_hosts_checkpoint_becomes_a_model_name_or_a_checkpoint_path(
    checkpoint: str, flags: list[str]
) -> None:
    argv = shlex.split(ADAPTER.command(config(checkpoint=checkpoint), FILES))
    assert argv[6:-1] == flags


def test_outputs_are_named_as_users_expect_them() -> None:
    assert ADAPTER.output_patterns() == ("output.mp4", "output.jpg", "output.txt", "output_control_*.mp4")
    for name in ("output.mp4", "output.txt", "output_control_edge.mp4"):
        assert local_name(ADAPTER, name) == name


# -- read_line -------------------------------------------------------------------------------------


def test_a_run_yields_its_stages_in_order_and_the_step_bars() -> None:
    found = events(SINGLE_RUN_LOG)
    assert [e.stage for e in found if e.stage] == [
        "load",
        "load",
        "guardrail",
        "generate",
        "postguard",
        "save",
    ]
    assert [(e.steps_done, e.steps_total) for e in found if e.steps_total] == [(35, 35), (35, 35)]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (clean(bar(14)), LogEvent(steps_done=14, steps_total=35)),
        (
            "Generating samples:   0%|          | 0/35 [00:00<?, ?it/s]",
            LogEvent(steps_done=0, steps_total=35),
        ),
        # The bar without its newline yet, the next loguru line after it on the same line.
        (
            clean(bar(35)) + at("Running guardrail check on video..."),
            LogEvent(stage="postguard", steps_done=35, steps_total=35),
        ),
        # COSMOS_VERBOSE=1 lets the pipeline's chunk lines through: chunk 5 of 6 begins.
        (
            at(
                "Generating chunk 5/6",
                where="cosmos_transfer2/_src/transfer2/inference/inference_pipeline.py:554:x",
            ),
            LogEvent(clips_done=4, clips_total=6),
        ),
        (at("Guardrail checks on video are disabled", "WARNING"), LogEvent(stage="postguard")),
        (at("[2/3] Processing sample s1"), LogEvent(stage="guardrail")),
        # A message that quotes a bar is a message, not progress.
        (at("slow: Generating samples:  10%|█| 1/10 [00:01<00:09, 1.00s/it]", "WARNING"), None),
        (at("Passed guardrail on prompt", "SUCCESS"), None),
        ("Fetching 3 files: 100%|██████████| 3/3 [00:00<00:00, 11.2it/s]", None),
        ("", None),
    ],
)
def test_read_line(line: str, expected: LogEvent | None) -> None:
    assert ADAPTER.read_line(line) == expected


def test_the_cheap_byte_test_keeps_every_line_read_line_would_use() -> None:
    for line in [
        *SINGLE_RUN_LOG,
        at("Generating chunk 1/2"),
        at("Guardrail checks on video are disabled", "WARNING"),
    ]:
        if ADAPTER.read_line(clean(line)) is not None:
            assert ADAPTER.interesting(line.encode() + b"\n"), line


# -- classify --------------------------------------------------------------------------------------

TRACEBACK = [
    "Traceback (most recent call last):",
    '  File "/workspace/examples/inference.py", line 98, in <module>',
    "    main(args)",
]


@pytest.mark.parametrize(
    ("tail", "exit_code", "error_class", "message"),
    [
        (
            [
                at("Guardrail blocked generation. Prompt: a robot with a gun", "CRITICAL"),
                *TRACEBACK,
                "Exception: Guardrail blocked generation. Prompt: a robot with a gun",
            ],
            1,
            "guardrail",
            "the guardrail blocked the prompt; reword the prompt and run it again.",
        ),
        (
            [
                at("GUARDRAIL BLOCKED: QWEN3GUARD: Prompt blocked by Qwen3Guard.", "CRITICAL"),
                at("Guardrail blocked generation. Negative prompt: gore", "CRITICAL"),
                *TRACEBACK,
                "Exception: Guardrail blocked generation. Negative prompt: gore",
            ],
            1,
            "guardrail",
            "the guardrail blocked the negative prompt (QWEN3GUARD: Prompt blocked by Qwen3Guard.); "
            "reword the negative prompt and run it again.",
        ),
        (
            [
                at("Running guardrail check on video..."),
                *TRACEBACK,
                "Exception: Guardrail blocked video2world generation.",
            ],
            1,
            "guardrail",
            "the guardrail blocked the generated video; try another prompt or seed.",
        ),
        (
            [*TRACEBACK, "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB."],
            1,
            "oom",
            "the GPU ran out of memory; Transfer2.5 needs about 65 GB on one GPU; use more GPUs (num_gpu), "
            "shorter inputs, fewer controls, or free the GPU of other jobs.",
        ),
        (
            [
                "huggingface_hub.errors.GatedRepoError: 403 Client Error. (Request ID: Root=1-6a)",
                "",
                "Cannot access gated repo for url https://huggingface.co/api/models/nvidia/Cosmos-Guardrail1/revision/d6d4bfa.",
                "Access to model nvidia/Cosmos-Guardrail1 is restricted and you are not in the authorized "
                "list.",
                *TRACEBACK,
                "subprocess.CalledProcessError: Command '['uvx', 'hf>=0.35.0', 'download', "
                "'nvidia/Cosmos-Guardrail1', "
                "'--repo-type', 'model']' returned non-zero exit status 1.",
            ],
            1,
            "missing_checkpoint",
            "Hugging Face refused to download nvidia/Cosmos-Guardrail1; set HF_TOKEN in the host's env to a "
            "token whose account accepted the licences of nvidia/Cosmos-Guardrail1.",
        ),
        (
            [
                *TRACEBACK,
                "subprocess.CalledProcessError: Command '['uvx', 'hf>=0.35.0', 'download', "
                "'nvidia/Cosmos-Transfer2.5-2B', '--repo-type', 'model']' returned non-zero exit status 1.",
            ],
            1,
            "missing_checkpoint",
            "downloading nvidia/Cosmos-Transfer2.5-2B from Hugging Face failed; set HF_TOKEN in the host's "
            "env (its account must have accepted the nvidia/Cosmos-Guardrail1 licence) and check the "
            "host's network and free disk.",
        ),
        (
            [*TRACEBACK, "FileNotFoundError: [Errno 2] No such file or directory: 'uvx'"],
            1,
            "missing_checkpoint",
            "the model downloads its checkpoints with uvx, which is not on the host's PATH; install uv in "
            "the model's image.",
        ),
        (
            [
                "1 validation error for Args",
                "setup.checkpoint_path",
                "  Value error, Checkpoint '/workspace/ckpt/mine.pt' does not exist. [type=value_error, "
                "input_value='ckpt/mine.pt', input_type=str]",
            ],
            1,
            "missing_checkpoint",
            "the checkpoint /workspace/ckpt/mine.pt does not exist on the host; fix the host's checkpoint "
            "setting or copy the checkpoint there.",
        ),
        (
            [
                f"Error validating parameters from '{RUN}/spec.json' at line 0",
                "1 validation error for InferenceArguments",
                "guidance",
                "  Input should be a valid integer, got a number with a fractional part "
                "[type=int_from_float, "
                "input_value=7.5, input_type=float]",
                "    For further information visit https://errors.pydantic.dev/2.11/v/int_from_float",
            ],
            1,
            "invalid_input",
            "the model rejected its spec: guidance: Input should be a valid integer, got a number with a "
            "fractional part.",
        ),
        (
            [
                f"Error validating parameters from '{RUN}/batch.jsonl' at line 2",
                "1 validation error for InferenceArguments",
                "edge.control_weight",
                "  Input should be less than or equal to 1 [type=less_than_equal, input_value=2.0, "
                "input_type=float]",
            ],
            1,
            "invalid_input",
            "the model rejected its spec (line 2 of the batch): edge.control_weight: Input should be less "
            "than or equal to 1.",
        ),
        (
            ["Error: Inference samplename s1 is not unique"],
            1,
            "invalid_input",
            "the model rejected its spec: the sample name s1 is not unique.",
        ),
        (
            ["╭─ Unrecognized options ─────────────╮", "│ Unrecognized options: --frobnicate │", "╰──────╯"],
            2,
            "invalid_input",
            "the model rejected its command line: Unrecognized options: --frobnicate.",
        ),
        (
            ["torch.distributed.elastic.multiprocessing.api.SignalException: Process 41 got signal: 15"],
            1,
            "cancelled",
            "the model was stopped by signal 15.",
        ),
        (
            [*TRACEBACK, "ValueError: Input video is empty"],
            1,
            "invalid_input",
            "the model failed: ValueError: Input video is empty",
        ),
        ([at("[2/3] Processing sample s1")], 137, "unknown", "the model was killed (exit code 137)"),
        ([at("[2/3] Processing sample s1")], 3, "unknown", "the model exited with code 3; see the run log"),
    ],
)
def test_classify(tail: list[str], exit_code: int, error_class: str, message: str) -> None:
    failure = ADAPTER.classify(tail, exit_code)
    assert failure.error_class == error_class
    assert failure.message.startswith(message)


def test_classify_reads_a_video_blocked_silently_in_a_batch() -> None:
    """With --keep-going the video guardrail's verdict goes to debug.log only: the sample's slice
    ends at the check, and the batch judges it with code 1 when the next sample starts."""
    tail = [at("[2/3] Processing sample s1"), at("Running guardrail check on video...")]
    assert ADAPTER.classify(tail, 1).error_class == "guardrail"


def sample_run(folder: Path, name: str, lines: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "spec.json").write_text(json.dumps({"name": name}), encoding="utf-8")
    (folder / "run.log").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return folder


def test_sample_failure_names_a_silently_blocked_video_of_a_batch_sample(tmp_path: Path) -> None:
    """The last sample of a batch: the model exits 0 after skipping it, so only the files tell."""
    checked = [at("[3/3] Processing sample s2"), at("Running guardrail check on video...")]
    failure = sample_failure(ADAPTER, sample_run(tmp_path, "s2", checked))
    assert failure is not None and failure.error_class == "guardrail"


def test_sample_failure_says_nothing_for_a_saved_sample_a_crash_or_a_single_run(tmp_path: Path) -> None:
    checked = [at("Running guardrail check on video...")]
    saved = [*checked, at(f"Generated video saved to {OUT}/s2.mp4", "SUCCESS")]
    crashed = [*checked, *TRACEBACK, "torch.OutOfMemoryError: CUDA out of memory."]
    assert sample_failure(ADAPTER, sample_run(tmp_path / "saved", "s2", saved)) is None
    assert sample_failure(ADAPTER, sample_run(tmp_path / "crashed", "s2", crashed)) is None
    # A single run runs with --no-keep-going: a blocked video is an error in its log, not silence.
    assert sample_failure(ADAPTER, sample_run(tmp_path / "single", "output", checked)) is None
    assert sample_failure(ADAPTER, tmp_path / "missing") is None


# -- batch -----------------------------------------------------------------------------------------


def test_batch_key_groups_runs_with_the_same_controls_checkpoint_and_gpus() -> None:
    key = ADAPTER.batch_key(config())
    assert key == ADAPTER.batch_key(config(prompt="other", seed=3, guidance=6.0, inputs={"video": VIDEO}))
    assert key != ADAPTER.batch_key(config(weights={"vis": 0.0, "edge": 0.5, "depth": 0.0, "seg": 0.0}))
    assert key != ADAPTER.batch_key(config(num_gpu=2))
    assert key != ADAPTER.batch_key(config(checkpoint="edge/distilled"))
    assert key == ADAPTER.batch_key(config(checkpoint="nvidia/Cosmos-Transfer2.5-2B"))


def test_a_batch_line_is_a_whole_sample_named_by_its_index() -> None:
    line = ADAPTER.batch_line(config(), FILES, 2)
    assert line == {**ADAPTER.build_spec(config(), FILES), "name": "s2"}
    assert line["video_path"] == "../../inputs/aa.mp4"  # batch.jsonl sits beside spec.json
    assert ADAPTER.batch_spec(config(), FILES) == {}
    assert ADAPTER.sample_spec({}, line) == line
    json.dumps(line)


def test_batch_command_reads_the_jsonl_and_keeps_going_past_a_blocked_sample() -> None:
    argv = shlex.split(ADAPTER.batch_command(config(num_gpu=2), FILES, f"{RUN}/batch.jsonl"))
    assert argv == [
        "torchrun",
        "--standalone",
        "--nproc_per_node=2",
        "examples/inference.py",
        "-i",
        f"{RUN}/batch.jsonl",
        "-o",
        OUT,
        "--keep-going",
    ]


def test_samples_write_flat_into_the_output_folder_and_arrive_under_the_usual_names() -> None:
    assert sample_dir(ADAPTER, OUT, 3) == OUT
    assert sample_patterns(ADAPTER, 3) == ("s3.mp4", "s3.jpg", "s3.txt", "s3_control_*.mp4")
    assert [local_name(ADAPTER, n) for n in ("s3.mp4", "s3.txt", "s3_control_edge.mp4", "s13.mp4")] == [
        "output.mp4",
        "output.txt",
        "output_control_edge.mp4",
        "output.mp4",
    ]
    # Transfer1 keeps its folder per sample and its fixed patterns.
    assert sample_dir(TRANSFER1, OUT, 3) == f"{OUT}/video_3"
    assert sample_patterns(TRANSFER1, 3) == TRANSFER1.sample_output_patterns()
    assert local_name(TRANSFER1, "s3.mp4") == "s3.mp4"


def sample_lines(index: int, count: int, end: str) -> list[str]:
    lines = [
        at(f"[{index + 1}/{count}] Processing sample s{index}"),
        at(f"Saved arguments to {OUT}/s{index}.json"),
        at("Running guardrail check on prompt..."),
    ]
    if end == "blocked":
        return [*lines, at(f"Guardrail blocked generation. Prompt: prompt {index}", "CRITICAL")]
    lines += [at("Passed guardrail on prompt", "SUCCESS"), at("Processing the following paths: {}"), bar(35)]
    lines += [at("Running guardrail check on video...")]
    if end == "saved":
        lines += [at("Passed guardrail on generated video", "SUCCESS")]
        lines += [at(f"Generated video saved to {OUT}/s{index}.mp4", "SUCCESS")]
    return lines


def test_the_splitter_gives_each_sample_its_slice_of_the_batch_log() -> None:
    head = [*SINGLE_RUN_LOG[:5], at("Generating 4 samples: ['s0', 's1', 's2', 's3']")]
    log = head + sample_lines(0, 4, "saved") + sample_lines(1, 4, "blocked")
    log += sample_lines(2, 4, "video blocked") + sample_lines(3, 4, "saved")
    splitter = SampleSplitter(ADAPTER, 4)
    parts: dict[int | None, list[str]] = {}
    for line in log:
        parts.setdefault(splitter.feed(line.encode() + b"\n"), []).append(line)
    assert splitter.reached == {0, 1, 2, 3}
    assert splitter.ended == {0: "saved", 1: "blocked", 2: "abandoned", 3: "saved"}
    assert parts[0] == head + sample_lines(0, 4, "saved")  # the model load goes to the first sample
    assert parts[2] == sample_lines(2, 4, "video blocked")
    assert ADAPTER.classify(parts[1], 1).error_class == "guardrail"
    assert (
        ADAPTER.classify(parts[2], 1).message
        == "the guardrail blocked the generated video; try another prompt or seed."
    )
