"""The Transfer1 adapter on real log excerpts: the stages and clip counts read from a run's log,
why a failed run failed, and the spec and command line it builds.

The logs in tests/unit/logs/ are what the simulator printed (stdout and stderr merged, as both
runtimes spool them), in Cosmos-Transfer1's own formats: loguru lines, JSON dumps continued on
bare lines, tqdm's clip bar (with "\\r" updates and no newline until a clip ends, so the next
loguru line follows it on the same line), torchrun's glog lines and ChildFailedError report.
"""

from __future__ import annotations

import shlex

import pytest

from cosmos_tui.cosmos.base import LogEvent, RunFiles, adapter_for, clean
from cosmos_tui.cosmos.transfer import ADAPTER
from tests.unit.conftest import log_bytes


def lines_of(name: str) -> list[str]:
    """The log as the executor reads it: split at newlines, each line cleaned."""
    raw = log_bytes(name).split(b"\n")[:-1]
    return [clean(line.decode("utf-8", errors="replace")) for line in raw]


def events(name: str) -> list[LogEvent]:
    """What the executor feeds the tracker: only lines that pass the cheap byte test are read."""
    found = []
    for raw in log_bytes(name).split(b"\n")[:-1]:
        if ADAPTER.interesting(raw + b"\n"):
            event = ADAPTER.read_line(clean(raw.decode("utf-8", errors="replace")))
            if event is not None:
                found.append(event)
    return found


# -- read_line ---------------------------------------------------------------------------------------


def test_a_two_clip_run_yields_every_stage_in_order() -> None:
    stages = [e.stage for e in events("transfer_two_clips.log") if e.stage]
    per_clip = ["encode", "diffusion", "decode"]
    assert stages == ["load"] * 5 + ["preprocess", "guardrail", "embed", "augment"] + per_clip * 2 + [
        "postguard",
        "save",
    ]


def test_the_clip_count_is_read_from_a_bar_the_next_loguru_line_follows() -> None:
    """tqdm's bar has no newline until a clip ends, so "0/2" and "1/2" share their line with the
    next loguru line; the clip count must not be lost to the stage on the same line."""
    seen = [(e.stage, e.clips_done, e.clips_total) for e in events("transfer_two_clips.log") if e.clips_total]
    assert seen == [("encode", 0, 2), ("encode", 1, 2), (None, 2, 2)]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "[11-22 02:01:31|INFO|cosmos_transfer1/diffusion/inference/world_generation_pipeline.py:590:"
            "_run_model] Starting diffusion sampling",
            LogEvent(stage="diffusion"),
        ),
        (
            "[11-22 02:01:31|INFO|cosmos_transfer1/diffusion/inference/transfer.py:398:demo] Saved video to "
            "out/output.mp4",
            LogEvent(stage="save"),
        ),
        # A message that merely mentions a stage's words later on is no stage.
        (
            "[11-22 02:01:31|INFO|cosmos_transfer1/diffusion/inference/world_generation_pipeline.py:584:"
            "_run_model] Completed latent encoding",
            None,
        ),
        ("100%|██████████| 3/3 [05:12<00:00, 104.01s/it]", LogEvent(clips_done=3, clips_total=3)),
        ("  0%|          | 0/3 [00:00<?, ?it/s]", LogEvent(clips_done=0, clips_total=3)),
        # A \r-updated bar: the line shows (and is read as) its last state.
        (
            clean("  0%|          | 0/3 [00:00<?, ?it/s]\r 33%|███▎      | 1/3 [01:44<03:28, 104.01s/it]"),
            LogEvent(clips_done=1, clips_total=3),
        ),
        # A loguru message that quotes a bar is a message, not the clip count.
        (
            "[11-22 02:01:31|WARNING|x.py:1:f] slow: 10%|█| 1/10 [00:01<00:09, 1.00s/it]",
            None,
        ),
        ('    "sigma_max": 70.0,', None),
        ("W1122 05:43:47.000000 24499 torch/distributed/elastic/agent/server/api.py:704] Received", None),
        ("", None),
    ],
)
def test_read_line(line: str, expected: LogEvent | None) -> None:
    assert ADAPTER.read_line(line) == expected


def test_the_cheap_byte_test_keeps_every_line_read_line_would_use() -> None:
    for name in ("transfer_two_clips.log", "transfer_oom.log", "transfer_sigterm.log"):
        for raw in log_bytes(name).split(b"\n")[:-1]:
            if ADAPTER.read_line(clean(raw.decode())) is not None:
                assert ADAPTER.interesting(raw + b"\n"), raw


# -- classify ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("log", "exit_code", "error_class", "says"),
    [
        ("transfer_oom.log", 1, "oom", "the GPU ran out of memory"),
        ("transfer_guardrail.log", 1, "guardrail", "(BLOCKLIST: Prompt blocked by keyword filter.)"),
        (
            "transfer_missing_checkpoint.log",
            1,
            "missing_checkpoint",
            "checkpoints/nvidia/Cosmos-Transfer1-7B/base_model.pt is missing",
        ),
        ("transfer_sigterm.log", 1, "cancelled", "stopped by signal 15"),
    ],
)
def test_classify_a_real_failure(log: str, exit_code: int, error_class: str, says: str) -> None:
    failure = ADAPTER.classify(lines_of(log), exit_code)
    assert failure.error_class == error_class
    assert says in failure.message
    assert failure.message.endswith(".")  # one sentence for the user


def test_classify_reads_the_childs_error_not_torchruns_report() -> None:
    tail = [
        "[rank0]: Traceback (most recent call last):",
        '[rank0]:   File "/workspace/cosmos_transfer1/diffusion/inference/transfer.py", line 423, in '
        "<module>",
        "[rank0]: ValueError: Checkpoint directory does not exist: /x",
        "torch.distributed.elastic.multiprocessing.errors.ChildFailedError: ",
        "============================================================",
    ]
    failure = ADAPTER.classify(tail, 1)
    assert failure.error_class == "invalid_input"
    assert failure.message == "the model failed: ValueError: Checkpoint directory does not exist: /x"


def test_classify_an_argparse_rejection() -> None:
    tail = [
        "usage: transfer.py [-h] [--prompt PROMPT] ...",
        "transfer.py: error: argument --num_steps: invalid int value: 'x'",
    ]
    failure = ADAPTER.classify(tail, 2)
    assert failure.error_class == "invalid_input"
    assert "argument --num_steps: invalid int value" in failure.message


@pytest.mark.parametrize(
    ("tail", "error_class"),
    [
        (["[rank0]: RuntimeError: A different GPU rank failed."], "unknown"),
        (["[rank0]: torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 20.00 MiB"], "oom"),
        (
            ["[rank0]: json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)"],
            "invalid_input",
        ),
    ],
)
def test_classify_other_real_errors(tail: list[str], error_class: str) -> None:
    assert ADAPTER.classify(tail, 1).error_class == error_class


def test_classify_without_a_reason_in_the_log_goes_by_the_exit_code() -> None:
    assert "out-of-memory killer" in ADAPTER.classify(["Saved video to out/output.mp4"], 137).message
    failure = ADAPTER.classify([], 3)
    assert (failure.error_class, failure.message) == (
        "unknown",
        "the model exited with code 3; see the run log for details.",
    )


# -- spec and command line ---------------------------------------------------------------------------

CONFIG = {
    "prompt": 'A robot\'s "arm"; rm -rf /',
    "negative_prompt": "blurry",
    "sigma_max": 70,
    "seed": 7,
    "num_steps": 35,
    "guidance": 5,
    "fps": 24,
    "blur_strength": "medium",
    "canny_threshold": "medium",
    "num_gpu": 2,
    "weights": {"vis": 0.5, "edge": 0, "depth": 0.25, "seg": 0.0},
    "inputs": {"video": "/in/color.mp4", "depth": "/in/depth.mp4", "seg": "/in/seg.mp4"},
}


def test_local_inputs_leave_out_the_videos_of_controls_that_are_off() -> None:
    assert ADAPTER.local_inputs(CONFIG) == ["/in/color.mp4", "/in/depth.mp4"]


def test_spec_names_the_uploaded_files_and_only_the_controls_that_are_on() -> None:
    files = RunFiles("runs/rs_1", {"/in/color.mp4": "inputs/aa.mp4", "/in/depth.mp4": "inputs/bb.mp4"})
    spec = ADAPTER.build_spec(CONFIG, files)
    assert spec == {
        "prompt": CONFIG["prompt"],
        "negative_prompt": "blurry",
        "input_video_path": "inputs/aa.mp4",
        "sigma_max": 70.0,
        "seed": 7,
        "vis": {"control_weight": 0.5},
        "depth": {"control_weight": 0.25, "input_control": "inputs/bb.mp4"},
    }


def test_command_line_is_quoted_and_carries_every_option() -> None:
    files = RunFiles("runs/rs 1")
    argv = shlex.split(ADAPTER.command(CONFIG, files))
    assert argv[:5] == ["torchrun", "--nproc_per_node=2", "--nnodes=1", "--node_rank=0", ADAPTER.script]
    options = dict(zip(argv[5::2], argv[6::2], strict=False))
    assert options["--video_save_folder"] == "runs/rs 1/output"
    assert options["--controlnet_specs"] == "runs/rs 1/spec.json"
    assert options["--num_gpus"] == "2" and options["--num_steps"] == "35"
    assert options["--guidance"] == "5.0" and options["--sigma_max"] == "70.0"
    assert "--offload_text_encoder_model" in argv and "--offload_guardrail_models" in argv
    assert CONFIG["prompt"] not in argv  # the prompt travels in the spec file, never the shell


def test_adapter_for_finds_transfer_and_refuses_strange_names() -> None:
    assert adapter_for("transfer") is ADAPTER
    with pytest.raises(NotImplementedError, match="Cosmos-Transfer1 cannot run predict runs"):
        adapter_for("predict")
    with pytest.raises(ValueError):
        adapter_for("transfer", "transfer9")
    with pytest.raises(ValueError):
        adapter_for("../etc")
