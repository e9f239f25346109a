"""The Cosmos 3 adapters (NVIDIA/cosmos-framework): the spec of each task, the command line, the
stages and per-step progress read from the log, why a run failed, a sample's own status, and the
pieces of a batch (JSONL lines, command, the split of one process's log into its samples).

The log lines below are in the repository's own formats: loguru lines
``[MM-DD HH:mm:ss|job=|LEVEL|path:line:function] message`` (cosmos_framework/inference/common/init.py),
tqdm's ``Sampling`` bar with ``\\r`` updates (model/generator/diffusion/samplers/unipc.py), Python
tracebacks on stderr; messages, files and line numbers as the repository prints them. Messages logged
for every rank (the "Saved ..." lines) carry ``[RANK 0] `` on rank 0 as well.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from cosmos_tui.cosmos import cosmos3
from cosmos_tui.cosmos.base import (
    LogEvent,
    RunFiles,
    SampleSplitter,
    adapter_for,
    batch_adapter_for,
    clean,
    local_name,
    output_text_file,
    primary_output,
    sample_failure,
    show_prefix,
)
from cosmos_tui.errors import UsageError

TRANSFER = cosmos3.ADAPTERS["transfer"]
PREDICT = cosmos3.ADAPTERS["predict"]
REASON = cosmos3.ADAPTERS["reason"]


def loguru(level: str, where: str, message: str, stamp: str = "08-21 10:00:00") -> str:
    return f"[{stamp}|job=|{level}|{where}] {message}"


def bar(done: int, total: int = 35) -> str:
    """tqdm's Sampling bar as it prints on stderr: every update after a \\r, no newline until it ends."""
    states = [
        f"Sampling: {100 * i // total:3d}%|{'█' * (10 * i // total):<10}| {i}/{total} "
        f"[00:{i:02d}<00:{total - i:02d},  1.72s/it]"
        for i in range(done + 1)
    ]
    return "\r".join(states)


INIT = "cosmos_framework/inference/common/init.py:127:_init_log_files"
SCRIPT = "cosmos_framework/scripts/inference.py:46:inference"
HF = "cosmos_framework/utils/checkpoint_db.py:171:_hf_download"
PRESETS = "cosmos_framework/auxiliary/guardrail/common/presets.py"
PIPE = "cosmos_framework/inference/inference.py"
SAMPLER = "cosmos_framework/model/generator/omni_mot_model.py:3405:generate_samples_from_batch"
HANDLE = "cosmos_framework/inference/common/inference.py:266:_handle_sample_exception"
UV = (
    "uv run --isolated --project /workspace/cosmos_framework/utils/hf_cli --locked --no-default-groups "
    "hf download"
)


def head(out: str, samples: int = 1) -> list[str]:
    """What every run prints before its first sample: log files, samples, guardrails, checkpoint."""
    return [
        loguru("INFO", INIT, f"Console log saved to {out}/console.log"),
        loguru(
            "INFO",
            "cosmos_framework/inference/common/init.py:128:_init_log_files",
            f"Debug log saved to {out}/debug.log",
        ),
        loguru("INFO", SCRIPT, f"Loaded {samples} samples"),
        loguru(
            "INFO",
            HF,
            f"{UV} --format=json nvidia/Cosmos-Guardrail1 --repo-type model --revision "
            "d6d4bfa899a71454a700907664f3e88f503950cf --include '*'",
        ),
        loguru(
            "WARNING",
            f"{PRESETS}:30:create_video_guardrail_runner",
            "Video content safety classifier is disabled in this release; effective guardrail coverage "
            "is text checks and face blur only.",
        ),
        loguru(
            "INFO",
            HF,
            f"{UV} --format=json nvidia/Cosmos3-Nano --repo-type model --revision main --include '*'",
        ),
    ]


def generation_sample(folder: str, steps: int = 35) -> list[str]:
    return [
        loguru(
            "INFO",
            f"{PIPE}:1547:generate_batch",
            f"[RANK 0] Saved sample args to '{folder}/sample_args.json'",
        ),
        loguru("INFO", SAMPLER, f"Using sampler: UniPC (shift=10.0, num_steps={steps})"),
        bar(steps, steps),
        loguru(
            "SUCCESS",
            f"{PIPE}:1812:generate_batch",
            f"[RANK 0] Saved sample outputs to '{folder}/sample_outputs.json'",
        ),
    ]


BLOCKED = loguru(
    "CRITICAL",
    f"{PRESETS}:52:run_text_guardrail",
    "GUARDRAIL BLOCKED: QWEN3GUARD: Prompt blocked by Qwen3Guard. Safety: Unsafe, Categories: Violent",
)


def traceback(*last: str) -> list[str]:
    return [
        "Traceback (most recent call last):",
        '  File "<frozen runpy>", line 198, in _run_module_as_main',
        '  File "/workspace/cosmos_framework/scripts/inference.py", line 109, in <module>',
        "    main()",
        *last,
    ]


OUT = "/workspace/runs/rs_1/output"
TEXT2VIDEO_LOG = head("/workspace/runs/rs_1") + generation_sample(OUT)
GUARDRAIL_LOG = (
    head("/workspace/runs/rs_1")
    + generation_sample(OUT)[:3]
    + [BLOCKED]
    + traceback(
        f"ValueError: Guardrail blocked prompt '{OUT}': 'a riot [sim:guardrail]'",
        "",
        "The above exception was the direct cause of the following exception:",
        "",
        f"ValueError: Error generating sample 'output': Guardrail blocked prompt '{OUT}': "
        "'a riot [sim:guardrail]'",
    )
)
TRANSFER_LOG = [
    *head("/workspace/runs/rs_1"),
    loguru(
        "INFO",
        f"{PIPE}:1843:_generate_transfer_batch",
        f"[RANK 0] Saved sample args to '{OUT}/sample_args.json'",
    ),
    loguru(
        "INFO",
        "cosmos_framework/inference/transfer.py:113:_load_control_frames",
        f"Loaded pre-computed depth control from {OUT}/../../../inputs/bb.mp4",
    ),
    loguru(
        "INFO",
        "cosmos_framework/inference/transfer.py:135:_load_control_frames",
        "Computing edge control input on the fly",
    ),
    loguru(
        "INFO",
        "cosmos_framework/inference/transfer.py:477:generate_transfer_sample",
        "[transfer] final user prompt: a street",
    ),
    loguru("INFO", SAMPLER, "Using sampler: UniPC (shift=10.0, num_steps=35)"),
    bar(35),
    loguru("INFO", SAMPLER, "Using sampler: UniPC (shift=10.0, num_steps=35)"),  # the second chunk
    bar(35),
    loguru(
        "INFO",
        f"{PIPE}:1881:_generate_transfer_batch",
        f"[RANK 0] Saved control video to '{OUT}/control_edge.mp4'",
    ),
    loguru(
        "SUCCESS",
        f"{PIPE}:1889:_generate_transfer_batch",
        f"[RANK 0] Saved transfer outputs to '{OUT}/sample_outputs.json'",
    ),
]
REASON_LOG = [
    *head("/workspace/runs/rs_1"),
    loguru(
        "INFO",
        "cosmos_framework/scripts/inference.py:49:inference",
        "Reasoner-only inputs detected; generation vision tokenizer will not be loaded",
    ),
    loguru("SUCCESS", f"{PIPE}:1981:_generate_reasoner_batch", f"[RANK 0] Saved reasoner outputs to '{OUT}'"),
]


def events(adapter: cosmos3.Cosmos3Adapter, lines: list[str]) -> list[LogEvent]:
    """What the executor feeds the tracker: lines past the cheap byte test, cleaned, read."""
    found = []
    for line in lines:
        if adapter.interesting(line.encode() + b"\n"):
            event = adapter.read_line(clean(line))
            if event is not None:
                found.append(event)
    return found


# -- the registry --------------------------------------------------------------------------------------


def test_the_cosmos3_family_serves_every_task_with_this_module() -> None:
    for task in ("transfer", "predict", "reason"):
        assert adapter_for(task, "cosmos3") is cosmos3.ADAPTERS[task]
        assert adapter_for(task, "cosmos3").model_type == task
        assert batch_adapter_for(task, "cosmos3") is cosmos3.ADAPTERS[task]


# -- specs -------------------------------------------------------------------------------------------

BASE = {
    "prompt": 'A robot\'s "arm"; rm -rf /',
    "negative_prompt": "blurry",
    "seed": 7,
    "num_steps": 35,
    "guidance": 5,
    "fps": 24,
    "sigma_max": 70,
    "blur_strength": "low",
    "canny_threshold": "high",
    "num_gpu": 1,
    "checkpoint": "",
}
TRANSFER_CONFIG = BASE | {
    "weights": {"vis": 0.5, "edge": 1.0, "depth": 0.25, "seg": 0.0},
    "inputs": {"video": "/in/color.mp4", "depth": "/in/depth.mp4", "seg": "/in/seg.mp4"},
}
FILES = RunFiles(
    "runs/rs_1",
    {
        "/in/color.mp4": "inputs/aa.mp4",
        "/in/depth.mp4": "inputs/bb.mp4",
        "/in/still.jpg": "inputs/cc.jpg",
    },
)


def test_transfer_spec_maps_our_controls_to_cosmos3_hints_with_paths_from_the_spec_folder() -> None:
    assert TRANSFER.local_inputs(TRANSFER_CONFIG) == ["/in/color.mp4", "/in/depth.mp4"]
    assert TRANSFER.build_spec(TRANSFER_CONFIG, FILES) == {
        "name": "output",
        "model_mode": "video2video",
        "prompt": 'A robot\'s "arm"; rm -rf /',
        "vision_path": "../../inputs/aa.mp4",
        "blur": {"weight": 0.5, "preset_blur_strength": "low"},  # vis: computed from the video
        "edge": {"weight": 1.0, "preset_edge_threshold": "high"},  # computed from the video
        "depth": {"weight": 0.25, "control_path": "../../inputs/bb.mp4"},
        "negative_prompt": "blurry",
        "num_steps": 35,
        "guidance": 5.0,
        "seed": 7,
        "fps": 24,
    }


def test_transfer_spec_passes_an_edge_video_and_control_guidance_when_given() -> None:
    config = TRANSFER_CONFIG | {
        "weights": {"edge": 0.8},
        "inputs": {"video": "/in/color.mp4", "edge": "/in/depth.mp4"},
        "control_guidance": 1.5,
        "negative_prompt": "",
    }
    spec = TRANSFER.build_spec(config, FILES)
    assert spec["edge"] == {
        "weight": 0.8,
        "control_path": "../../inputs/bb.mp4",
        "preset_edge_threshold": "high",
    }
    assert spec["control_guidance"] == 1.5
    assert "negative_prompt" not in spec  # an empty one is left to the model's default
    assert "blur" not in spec and "depth" not in spec


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"weights": {"seg": 1.0}}, "cannot compute a seg control; add seg.mp4"),
        ({"weights": {"vis": 0.0}}, "at least one control weight above 0"),
        ({"guidance": 9}, "guidance from 0 to 7, not 9"),
    ],
)
def test_a_transfer_cosmos3_would_reject_after_loading_is_refused_before_upload(
    changes: dict[str, object], says: str
) -> None:
    config = TRANSFER_CONFIG | {"inputs": {"video": "/in/color.mp4"}} | changes
    with pytest.raises(UsageError, match=says.replace("(", r"\(")):
        TRANSFER.build_spec(config, FILES)
    assert TRANSFER.batch_key(config) is None  # it runs (and fails) alone


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        ({}, {"model_mode": "text2video"}),
        ({"image": "/in/still.jpg"}, {"model_mode": "image2video", "vision_path": "../../inputs/cc.jpg"}),
        ({"video": "/in/color.mp4"}, {"model_mode": "video2video", "vision_path": "../../inputs/aa.mp4"}),
    ],
)
def test_predict_spec_per_input(inputs: dict[str, str], expected: dict[str, str]) -> None:
    config = BASE | {"inputs": inputs}
    assert PREDICT.local_inputs(config) == list(inputs.values())
    assert PREDICT.build_spec(config, FILES) == {
        "name": "output",
        "model_mode": expected["model_mode"],
        "prompt": BASE["prompt"],
        **({"vision_path": expected["vision_path"]} if "vision_path" in expected else {}),
        "negative_prompt": "blurry",
        "num_steps": 35,
        "guidance": 5.0,
        "seed": 7,
        "fps": 24,
    }


@pytest.mark.parametrize(
    ("inputs", "vision"),
    [
        ({"video": "/in/color.mp4"}, "../../inputs/aa.mp4"),
        ({"image": "/in/still.jpg"}, "../../inputs/cc.jpg"),
        ({}, None),
    ],
)
def test_reason_spec_asks_the_prompt_about_the_input(inputs: dict[str, str], vision: str | None) -> None:
    config = BASE | {"prompt": "What is the robot holding?", "inputs": inputs}
    expected: dict[str, object] = {
        "name": "output",
        "model_mode": "reasoner",
        "prompt": "What is the robot holding?",
    }
    if vision:
        expected["vision_path"] = vision
    expected |= {"max_new_tokens": 1024, "seed": 7}
    assert REASON.build_spec(config, FILES) == expected
    assert REASON.build_spec(config | {"max_new_tokens": 256}, FILES)["max_new_tokens"] == 256


def test_an_input_already_at_an_absolute_path_stays_there() -> None:
    files = RunFiles("runs/rs_1", {"/in/color.mp4": "/data/shared/a.mp4"})
    assert (
        PREDICT.build_spec(BASE | {"inputs": {"video": "/in/color.mp4"}}, files)["vision_path"]
        == "/data/shared/a.mp4"
    )


# -- command lines -------------------------------------------------------------------------------------


def test_single_gpu_command_writes_the_sample_into_the_run_folder() -> None:
    command = PREDICT.command(BASE | {"inputs": {}}, FILES)
    assert command == (
        "python -m cosmos_framework.scripts.inference --parallelism-preset=latency "
        "-i runs/rs_1/spec.json -o runs/rs_1 --checkpoint-path Cosmos3-Nano"
    )
    # OUT/<name>/ is the run's output folder: the files are fetched flat from there.
    assert f"{shlex.split(command)[-3]}/{cosmos3.SINGLE_NAME}" == FILES.out_rel
    assert "--seed" not in command and "--keep-going" not in command


def test_multi_gpu_command_uses_torchrun_and_the_throughput_preset_and_quotes_the_checkpoint() -> None:
    command = TRANSFER.command(TRANSFER_CONFIG | {"num_gpu": 4, "checkpoint": "ckpts/my model"}, FILES)
    assert shlex.split(command) == [
        "torchrun",
        "--standalone",
        "--nproc-per-node=4",
        "-m",
        "cosmos_framework.scripts.inference",
        "--parallelism-preset=throughput",
        "-i",
        "runs/rs_1/spec.json",
        "-o",
        "runs/rs_1",
        "--checkpoint-path",
        "ckpts/my model",
    ]


# -- outputs ---------------------------------------------------------------------------------------------


def test_outputs_are_fetched_and_named_as_users_expect() -> None:
    assert TRANSFER.output_patterns() == (
        "vision.mp4",
        "control_*.mp4",
        "sample_args.json",
        "sample_outputs.json",
    )
    assert PREDICT.output_patterns() == (
        "vision.mp4",
        "vision.jpg",
        "sample_args.json",
        "sample_outputs.json",
    )
    assert REASON.output_patterns() == ("reasoner_text.txt", "sample_args.json", "sample_outputs.json")
    assert local_name(PREDICT, "vision.mp4") == "output.mp4"
    assert local_name(PREDICT, "vision.jpg") == "output.jpg"
    assert local_name(TRANSFER, "control_edge.mp4") == "control_edge.mp4"
    assert local_name(REASON, "reasoner_text.txt") == "output.txt"
    assert primary_output(PREDICT)[0] == "output.mp4"
    assert primary_output(REASON) == (
        "output.txt",
        "the model exited normally but wrote no answer (reasoner_text.txt); see the run log.",
    )
    assert output_text_file(REASON) == "output.txt"
    assert output_text_file(PREDICT) is None


def write_outputs(run_dir: Path, status: str, message: str | None = None) -> None:
    outputs: dict[str, object] = {
        "args": {"name": "output"},
        "status": status,
        "message": message,
        "stack_trace": None,
        "outputs": [],
    }
    (run_dir / "sample_outputs.json").write_text(json.dumps(outputs), encoding="utf-8")


def test_sample_failure_reads_the_samples_status(tmp_path: Path) -> None:
    assert sample_failure(PREDICT, tmp_path) is None  # nothing fetched
    write_outputs(tmp_path, "success")
    assert sample_failure(PREDICT, tmp_path) is None
    (tmp_path / "run.log").write_text("\n".join(GUARDRAIL_LOG[:-6]) + "\n", encoding="utf-8")
    write_outputs(
        tmp_path, "error", f"Error generating sample 'output': Guardrail blocked prompt '{OUT}': 'a riot'"
    )
    failure = sample_failure(PREDICT, tmp_path)
    assert failure is not None and failure.error_class == "guardrail"
    assert (
        "(QWEN3GUARD: Prompt blocked by Qwen3Guard. Safety: Unsafe, Categories: Violent)" in failure.message
    )
    write_outputs(
        tmp_path,
        "skip",
        "Skipping sample 'output': enable_sound=True requires a model with a sound tokenizer",
    )
    failure = sample_failure(PREDICT, tmp_path)
    assert failure is not None and failure.error_class == "invalid_input"
    assert failure.message.startswith("the model skipped this sample: Skipping sample 'output': enable_sound")
    (tmp_path / "sample_outputs.json").write_text("{not json", encoding="utf-8")
    assert sample_failure(PREDICT, tmp_path) is None


# -- read_line -------------------------------------------------------------------------------------------


def test_a_text2video_run_yields_its_stages_in_order_and_every_step() -> None:
    found = events(PREDICT, TEXT2VIDEO_LOG)
    assert [e.stage for e in found if e.stage] == ["load", "load", "download", "prepare", "sampling", "save"]
    assert [(e.steps_done, e.steps_total) for e in found if e.steps_total] == [(35, 35)]


def test_a_transfer_run_enters_sampling_once_for_all_its_chunks() -> None:
    stages = [e.stage for e in events(TRANSFER, TRANSFER_LOG) if e.stage]
    assert stages == ["load", "load", "download", "prepare", "sampling", "save"]


def test_a_reasoner_run_has_its_own_stages() -> None:
    stages = [e.stage for e in events(REASON, REASON_LOG) if e.stage]
    assert stages == ["load", "load", "download", "load", "save"]


def test_every_stage_read_is_in_the_adapters_own_table() -> None:
    for adapter, log in (
        (PREDICT, GUARDRAIL_LOG),
        (TRANSFER, TRANSFER_LOG),
        (REASON, [*REASON_LOG, BLOCKED]),
    ):
        keys = {stage.key for stage in adapter.stages}
        assert {e.stage for e in events(adapter, log) if e.stage} <= keys


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (bar(0), LogEvent(steps_done=0, steps_total=35)),
        (bar(14), LogEvent(steps_done=14, steps_total=35)),  # read as its last \r state
        (
            "Sampling:  40%|████      | 14/35 [00:24<00:36,  1.72s/it]",
            LogEvent(steps_done=14, steps_total=35),
        ),
        # A loguru line that follows an unfinished bar on its line: both are read.
        (
            "Sampling:  40%|████      | 14/35 [00:24<00:36,  1.72s/it]"
            + loguru("INFO", SAMPLER, "Using sampler: UniPC (shift=10.0, num_steps=35)"),
            LogEvent(stage="sampling", steps_done=14, steps_total=35),
        ),
        (loguru("INFO", SCRIPT, "Loaded 3 samples"), LogEvent(stage="load")),
        (BLOCKED, LogEvent(stage="guardrail")),
        # Other bars are not the sampling steps, nor is a message that quotes one.
        ("Fetching 12 files: 100%|██████████| 12/12 [00:00<00:00, 80.1it/s]", None),
        (loguru("WARNING", "x.py:1:f", "slow: Sampling:  10%|█| 1/10 [00:01<00:09, 1.00s/it]"), None),
        # Another rank's copy of a message, and the guardrail's own download, start no stage.
        (
            loguru(
                "INFO", f"{PIPE}:1547:generate_batch", "[RANK 1] Saved sample args to '/x/sample_args.json'"
            ),
            None,
        ),
        (loguru("INFO", HF, f"{UV} --format=json nvidia/Cosmos-Guardrail1 --repo-type model"), None),
        ("", None),
    ],
)
def test_read_line(line: str, expected: LogEvent | None) -> None:
    assert PREDICT.read_line(clean(line)) == expected


def test_rank_0s_saved_lines_are_read_with_or_without_their_rank_prefix() -> None:
    """Cosmos 3 logs the "Saved ..." lines for every rank (rank0_only=False), so rank 0's carry
    "[RANK 0] " too (cosmos_framework/utils/log.py _rank0_only_filter); a log without it is read alike."""
    line = generation_sample(f"{BATCH_OUT}/sample_4")[-1]
    bare = line.replace("[RANK 0] ", "")
    assert "[RANK 0] Saved sample outputs" in line and bare != line
    for text in (line, bare):
        assert PREDICT.read_line(text) == LogEvent(stage="save")
        assert PREDICT.sample_event(text) == ("saved", 4)


def test_the_cheap_byte_test_keeps_every_line_read_line_would_use() -> None:
    for adapter in (PREDICT, TRANSFER, REASON):
        for line in TEXT2VIDEO_LOG + TRANSFER_LOG + REASON_LOG + GUARDRAIL_LOG:
            if adapter.read_line(clean(line)) is not None:
                assert adapter.interesting(line.encode() + b"\n"), line


def test_the_compact_prefix_shortens_cosmos3_lines() -> None:
    line = loguru("INFO", SCRIPT, "Loaded 1 samples")
    assert show_prefix(line) == "10:00:00 INFO inference.py:46 Loaded 1 samples"
    assert show_prefix(line, "none") == "Loaded 1 samples"


# -- classify --------------------------------------------------------------------------------------------

DOWNLOAD_FAILED = [
    loguru(
        "INFO",
        HF,
        f"{UV} --format=json nvidia/Cosmos-Guardrail1 --repo-type model --revision main --include '*'",
    ),
    "huggingface_hub.errors.GatedRepoError: 403 Client Error. (Request ID: Root=1-68a6)",
    "Cannot access gated repo for url https://huggingface.co/nvidia/Cosmos-Guardrail1/resolve/main/README.md.",
    *traceback(
        "subprocess.CalledProcessError: Command '['uv', 'run', '--isolated', '--project', "
        "'/workspace/cosmos_framework/utils/hf_cli', '--locked', '--no-default-groups', 'hf', "
        "'download', '--format=json', 'nvidia/Cosmos-Guardrail1', '--repo-type', 'model']' returned "
        "non-zero exit status 1."
    ),
]


@pytest.mark.parametrize(
    ("lines", "error_class", "says"),
    [
        (
            GUARDRAIL_LOG,
            "guardrail",
            "the guardrail blocked this prompt (QWEN3GUARD: Prompt blocked by Qwen3Guard.",
        ),
        (
            [
                loguru(
                    "CRITICAL",
                    f"{PRESETS}:52:run_text_guardrail",
                    "GUARDRAIL BLOCKED: BLOCKLIST: Prompt blocked by exact match blocklist: Prompt: a riot, "
                    "Exact Match Word: riot",
                )
            ],
            "guardrail",
            "(BLOCKLIST: Prompt blocked by exact match blocklist",
        ),
        # The traceback's last line alone (a tail cut short) is still the guardrail.
        (
            [f"ValueError: Error generating sample 'output': Guardrail blocked prompt '{OUT}': 'a riot'"],
            "guardrail",
            "the guardrail blocked this prompt; reword",
        ),
        (
            [
                bar(14),
                *traceback(
                    "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a "
                    "total capacity of 79.11 GiB of which 1.02 GiB is free."
                ),
            ],
            "oom",
            "the GPU ran out of memory; run it on more GPUs (num_gpu)",
        ),
        (
            [
                "[rank1]: torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 20.00 MiB",
                "[rank0]: RuntimeError: A different GPU rank failed.",
            ],
            "oom",
            "PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True",
        ),
        (
            DOWNLOAD_FAILED,
            "missing_checkpoint",
            "failed (nvidia/Cosmos-Guardrail1); set HF_TOKEN on the host",
        ),
        (
            [
                "RuntimeError: Rank 0 download failed: CalledProcessError: Command '['uv', 'run']' "
                "returned non-zero exit status 1."
            ],
            "missing_checkpoint",
            "accepted the nvidia/Cosmos-Guardrail1 licence",
        ),
        (
            traceback("FileNotFoundError: [Errno 2] No such file or directory: 'uv'"),
            "missing_checkpoint",
            "uv is not on the host's PATH",
        ),
        (
            traceback("ValueError: Checkpoint directory does not exist: /workspace/Cosmos3-Nan"),
            "missing_checkpoint",
            "the checkpoint folder /workspace/Cosmos3-Nan does not exist on the host",
        ),
        (
            traceback(
                "FileNotFoundError: Missing pre-computed control input for 'depth'. Provide a "
                "control_path in the transfer config."
            ),
            "invalid_input",
            "Cosmos 3 cannot compute a depth control; add depth.mp4",
        ),
        (
            traceback(
                "ValueError: Error validating parameters from '/workspace/runs/rs_1/spec.json' at sample 0",
                "Parameters: {'guidance': 9.0}",
                "1 validation error for OmniSampleOverrides",
                "guidance",
                "  Input should be less than or equal to 7 [type=less_than_equal, input_value=9.0, "
                "input_type=float]",
            ),
            "invalid_input",
            "the model rejected the spec: guidance: Input should be less than or equal to 7.",
        ),
        (
            traceback("ValueError: Error generating sample 'output': Invalid vision extension: .gif"),
            "invalid_input",
            "the model could not generate the sample: Invalid vision extension: .gif.",
        ),
        (
            [
                "[rank0]: RuntimeError: A different GPU rank failed.",
                "torch.distributed.elastic.multiprocessing.errors.ChildFailedError: ",
            ],
            "unknown",
            "another GPU of this multi-GPU run failed first (NCCL)",
        ),
        (
            [
                "[W821 10:00:00.000 socket.cpp:464] [c10d] The server socket has failed to bind to "
                "[::]:29500 (errno: 98 - Address already in use).",
                "torch.distributed.DistNetworkError: The server socket has failed to listen on any local "
                "network address. port: 29500, useIpv6: 0, code: -98, name: EADDRINUSE, message: address "
                "already in use",
            ],
            "unknown",
            "torchrun's port on the host is taken (EADDRINUSE)",
        ),
        (
            ["NCCL INFO Failed to initialize NET plugin Libfabric", "Fatal Python error: Segmentation fault"],
            "unknown",
            "NCCL_NET_PLUGIN=none",
        ),
        (
            ["torch.distributed.elastic.multiprocessing.api.SignalException: Process 812 got signal: 15"],
            "cancelled",
            "signal 15",
        ),
        ([loguru("INFO", SCRIPT, "Loaded 1 samples")], "unknown", "exited with code 139"),
    ],
)
def test_classify(lines: list[str], error_class: str, says: str) -> None:
    code = 139 if "exited with code" in says else 1
    failure = PREDICT.classify([clean(line) for line in lines], code)
    assert failure.error_class == error_class
    assert says in failure.message
    assert failure.message.endswith(".")  # one sentence


def test_the_reasoner_guardrail_may_have_blocked_the_answer() -> None:
    assert "blocked this prompt or the model's answer (QWEN3GUARD" in REASON.classify([BLOCKED], 1).message


def test_a_long_model_message_is_cut_short() -> None:
    failure = PREDICT.classify([f"ValueError: Error generating sample 'output': {'x' * 500}"], 1)
    assert len(failure.message) < 300 and failure.message.endswith("….")


# -- batches -----------------------------------------------------------------------------------------------

BATCH = RunFiles(
    "runs/bs_000000000001",
    {"/in/color.mp4": "inputs/aa.mp4", "/in/depth.mp4": "inputs/bb.mp4", "/in/still.jpg": "inputs/cc.jpg"},
)


def test_batch_key_keeps_kinds_checkpoints_and_multi_gpu_runs_apart() -> None:
    predict = BASE | {"inputs": {}}
    same = PREDICT.batch_key(predict)
    assert same is not None
    # Per-sample settings and inputs may differ: each JSONL line carries its own.
    assert (
        PREDICT.batch_key(predict | {"seed": 1, "num_steps": 10, "inputs": {"image": "/in/still.jpg"}})
        == same
    )
    assert PREDICT.batch_key(predict | {"checkpoint": "Cosmos3-Nano"}) == same  # the default, named
    assert PREDICT.batch_key(predict | {"checkpoint": "Cosmos3-Edge"}) != same
    assert REASON.batch_key(predict) != same
    assert TRANSFER.batch_key(TRANSFER_CONFIG) not in (same, None, REASON.batch_key(predict))
    # Runs over two GPUs batch together (one sharded replica takes the samples in turn), apart
    # from one-GPU runs.
    two = PREDICT.batch_key(predict | {"num_gpu": 2})
    assert two is not None and two != same and PREDICT.batch_key(predict | {"num_gpu": 2, "seed": 3}) == two


def test_batch_lines_are_whole_samples_named_by_index() -> None:
    assert TRANSFER.batch_spec(TRANSFER_CONFIG, BATCH) == {}
    line = TRANSFER.batch_line(TRANSFER_CONFIG, BATCH, 2)
    assert line == TRANSFER.build_spec(TRANSFER_CONFIG, FILES) | {"name": "sample_2"}
    assert line["vision_path"] == "../../inputs/aa.mp4"  # relative to the JSONL's folder
    assert TRANSFER.sample_folder(2) == "sample_2"
    assert TRANSFER.sample_spec({}, line) == line
    assert TRANSFER.sample_output_patterns() == TRANSFER.output_patterns()
    json.dumps(line)


def test_batch_command_reads_the_jsonl_and_keeps_going_past_a_failed_sample() -> None:
    command = PREDICT.batch_command(BASE, BATCH, "runs/bs_000000000001/batch.jsonl")
    assert command == (
        "python -m cosmos_framework.scripts.inference --parallelism-preset=latency "
        "-i runs/bs_000000000001/batch.jsonl -o runs/bs_000000000001/output --checkpoint-path Cosmos3-Nano "
        "--keep-going"
    )


BATCH_OUT = "/workspace/runs/bs_000000000001/output"
BATCH_LOG = (
    head("/workspace/runs/bs_000000000001/output", samples=3)
    + generation_sample(f"{BATCH_OUT}/sample_0")
    + generation_sample(f"{BATCH_OUT}/sample_1")[:3]
    + [
        BLOCKED,
        loguru(
            "ERROR",
            HANDLE,
            f"Error generating sample 'sample_1': Guardrail blocked prompt '{BATCH_OUT}/sample_1': 'a riot'",
        ),
    ]
    + generation_sample(f"{BATCH_OUT}/sample_2")
)


def split(
    adapter: cosmos3.Cosmos3Adapter, lines: list[str], count: int
) -> tuple[SampleSplitter, dict[int | None, list[str]]]:
    splitter = SampleSplitter(adapter, count)
    parts: dict[int | None, list[str]] = {}
    for line in lines:
        parts.setdefault(splitter.feed(line.encode() + b"\n"), []).append(line)
    return splitter, parts


@pytest.mark.parametrize(
    ("line", "event"),
    [
        (generation_sample(f"{BATCH_OUT}/sample_4")[0], ("start", None)),
        (generation_sample(f"{BATCH_OUT}/sample_4")[-1], ("saved", 4)),
        (TRANSFER_LOG[-1].replace(OUT, f"{BATCH_OUT}/sample_3"), ("saved", 3)),
        (REASON_LOG[-1].replace(OUT, f"{BATCH_OUT}/sample_5"), ("saved", 5)),
        (BATCH_LOG[-5], ("blocked", 1)),
        (TRANSFER_LOG[-2], None),  # a control video saved is no sample's end
        (
            loguru(
                "INFO",
                f"{PIPE}:1547:generate_batch",
                f"[RANK 1] Saved sample args to '{BATCH_OUT}/sample_1/sample_args.json'",
            ),
            None,
        ),
    ],
)
def test_sample_event(line: str, event: tuple[str, int | None] | None) -> None:
    assert PREDICT.sample_marker(line.encode())
    assert PREDICT.sample_event(clean(line)) == event


def test_a_batch_log_splits_into_its_samples_with_the_blocked_one_ended() -> None:
    splitter, parts = split(PREDICT, BATCH_LOG, 3)
    assert splitter.ended == {0: "saved", 1: "blocked", 2: "saved"}
    assert splitter.reached == {0, 1, 2}
    assert parts[0][:6] == head("/workspace/runs/bs_000000000001/output", samples=3)  # the load is sample 0's
    assert parts[0][-1].endswith("sample_0/sample_outputs.json'")
    assert parts[1][0].endswith("sample_1/sample_args.json'") and BLOCKED in parts[1]
    assert PREDICT.classify(parts[1], 1).error_class == "guardrail"
    assert parts[2][-1].endswith("sample_2/sample_outputs.json'")
    assert None not in parts


def test_a_reasoner_batch_splits_on_its_saved_lines_alone() -> None:
    answers = [
        loguru(
            "SUCCESS",
            f"{PIPE}:1981:_generate_reasoner_batch",
            f"[RANK 0] Saved reasoner outputs to '{BATCH_OUT}/sample_{i}'",
        )
        for i in range(2)
    ]
    splitter, parts = split(REASON, head(BATCH_OUT, samples=2) + answers, 2)
    assert splitter.ended == {0: "saved", 1: "saved"}
    assert parts[1] == [answers[1]]
