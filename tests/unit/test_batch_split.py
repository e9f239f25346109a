"""Transfer1's batch mode: the JSONL lines and command line a batch is built from, and the split of
one model process's log into each sample's slice (tests/unit/logs/transfer_batch_*.log are what the
simulator printed for three samples, and for three with the middle one blocked by the guardrail)."""

from __future__ import annotations

import json
import shlex

from cosmos_tui.cosmos.base import RunFiles, SampleSplitter, batch_adapter_for
from cosmos_tui.cosmos.transfer import ADAPTER
from tests.unit.conftest import log_bytes


def config(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "prompt": "a street at dusk",
        "negative_prompt": "",
        "inputs": {"video": "/data/a.mp4", "depth": "/data/a_depth.mp4"},
        "weights": {"vis": 0.5, "edge": 0.0, "depth": 0.4, "seg": 0.0},
        "num_gpu": 1,
        "num_steps": 35,
        "guidance": 7.0,
        "seed": 1,
        "sigma_max": 70.0,
        "fps": 24,
        "blur_strength": "medium",
        "canny_threshold": "medium",
    }
    base.update(changes)
    return base


FILES = RunFiles(
    "runs/bs_000000000001", {"/data/a.mp4": "inputs/aa.mp4", "/data/a_depth.mp4": "inputs/dd.mp4"}
)


def split(name: str, count: int) -> tuple[SampleSplitter, dict[int | None, list[bytes]]]:
    splitter = SampleSplitter(ADAPTER, count)
    parts: dict[int | None, list[bytes]] = {}
    for raw in log_bytes(name).splitlines(keepends=True):
        parts.setdefault(splitter.feed(raw), []).append(raw)
    return splitter, parts


def test_transfer_can_batch() -> None:
    assert batch_adapter_for("transfer") is ADAPTER
    assert batch_adapter_for("no_such_model") is None


def test_batch_line_names_the_sample_video_prompt_and_control_videos() -> None:
    line = ADAPTER.batch_line(config(), FILES, 0)
    assert line == {
        "visual_input": "inputs/aa.mp4",
        "prompt": "a street at dusk",
        "control_overrides": {"depth": {"input_control": "inputs/dd.mp4"}},
    }
    json.dumps(line)  # one JSONL line


def test_batch_line_asks_the_model_to_compute_a_control_without_a_video() -> None:
    line = ADAPTER.batch_line(config(weights={"edge": 0.3}, inputs={"video": "/data/a.mp4"}), FILES, 0)
    assert line["control_overrides"] == {"edge": {"input_control": None}}


def test_batch_spec_has_the_controls_but_no_prompt_or_video() -> None:
    spec = ADAPTER.batch_spec(config(), FILES)
    assert "prompt" not in spec and "input_video_path" not in spec
    assert spec["vis"] == {"control_weight": 0.5}
    assert spec["depth"]["control_weight"] == 0.4


def test_batch_command_reads_the_jsonl() -> None:
    argv = shlex.split(ADAPTER.batch_command(config(), FILES, "runs/bs_000000000001/batch.jsonl"))
    assert argv[argv.index("--batch_input_path") + 1] == "runs/bs_000000000001/batch.jsonl"
    assert argv[argv.index("--video_save_folder") + 1] == "runs/bs_000000000001/output"
    assert argv[argv.index("--controlnet_specs") + 1] == "runs/bs_000000000001/spec.json"


def test_batch_key_groups_runs_that_differ_only_per_sample() -> None:
    key = ADAPTER.batch_key(config())
    other = config(prompt="another prompt", inputs={"video": "/b.mp4", "depth": "/b_d.mp4"})
    assert key == ADAPTER.batch_key(other)
    for change in (
        {"num_steps": 10},
        {"guidance": 3.0},
        {"num_gpu": 2},
        {"seed": 2},
        {"negative_prompt": "blurry"},
        {"weights": {"vis": 0.5, "depth": 0.5}},
    ):
        assert ADAPTER.batch_key(config(**change)) != key, change
    # The same controls, but one computed by the model: the spec differs, so no shared process.
    assert ADAPTER.batch_key(config(inputs={"video": "/data/a.mp4"})) != key


def test_three_samples_split_at_their_saved_lines() -> None:
    splitter, parts = split("transfer_batch_three.log", 3)
    assert splitter.reached == {0, 1, 2}
    assert splitter.ended == {0: "saved", 1: "saved", 2: "saved"}
    # The model load is in the first sample's slice only; each slice ends with its own saved prompt.
    assert b"Start creating base model" in b"".join(parts[0])
    assert all(b"Start creating base model" not in line for line in parts[1] + parts[2])
    for index in range(3):
        assert parts[index][-1].rstrip().endswith(f"video_{index}/prompt.txt".encode())
        assert b"running preprocessor" in b"".join(parts[index])
    assert None not in parts  # nothing after the last sample
    assert sum(len(p) for p in parts.values()) == len(log_bytes("transfer_batch_three.log").splitlines())


def test_a_blocked_sample_ends_at_the_guardrail_line_and_the_crash_reaches_nobody() -> None:
    splitter, parts = split("transfer_batch_blocked.log", 3)
    assert splitter.ended == {0: "saved", 1: "blocked"}
    assert splitter.reached == {0, 1}  # the third was never taken up: it goes back to the queue
    blocked = [line.decode() for line in parts[1]]
    failure = ADAPTER.classify(blocked, 1)
    assert failure.error_class == "guardrail"
    # torchrun's crash report after the block is logged while the third sample is current, unreached.
    assert b"ChildFailedError" in b"".join(parts[2])


def test_a_second_start_without_an_end_abandons_the_sample() -> None:
    splitter = SampleSplitter(ADAPTER, 2)
    start = b"[11-22 07:13:54|INFO|x/preprocessors.py:61:__call__] running preprocessor\n"
    assert splitter.feed(b"loading\n") == 0
    assert splitter.feed(start) == 0
    assert splitter.feed(start) == 1
    assert splitter.ended == {0: "abandoned"}
    assert splitter.reached == {0, 1}
