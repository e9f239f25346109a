"""The simulators of the newer families (Cosmos 3, Transfer2.5, Predict2.5), run from a locally
installed copy like the process-runtime host runs them: command lines, outputs and layout, the log
lines adapters parse, batches, failure wording, keep-going and the Hugging Face download rule."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from cosmos_tui.sim import install_local
from tests.conftest import DEMO
from tests.harness import Harness

C3 = ["-m", "cosmos_framework.scripts.inference"]
C3_LOG = re.compile(
    r"^\[\d\d-\d\d \d\d:\d\d:\d\d\|job=\|(INFO|SUCCESS|WARNING|ERROR|CRITICAL)\|[\w/.]+\.py:\d+:\w+\] (.*)$"
)
F25_LOG = re.compile(
    r"^\[\d\d-\d\d \d\d:\d\d:\d\d\|(INFO|SUCCESS|WARNING|ERROR|CRITICAL)\|[\w/.-]+\.py:\d+:\w+\] (.*)$"
)
SAMPLING = re.compile(
    r"^Sampling: +(\d+)%\|.{10}\| (\d+)/(\d+) \[[\d:]+<[\d:?]+, +([\d.]+it/s|[\d.]+s/it|\?it/s)\]$"
)
GENERATING = re.compile(r"^Generating samples: +(\d+)%\|.{10}\| (\d+)/(\d+) \[")


@pytest.fixture
def host(tmp_path: Path) -> tuple[Path, Path]:
    """(work folder, installed sim bin): inputs beside a specs/ folder, an empty HF cache."""
    work = tmp_path / "work"
    (work / "specs").mkdir(parents=True)
    for name in ("color.mp4", "depth.mp4"):
        shutil.copy(DEMO / name, work / name)
    bin_dir = install_local(tmp_path / "remote")
    shutil.copy(bin_dir.parent / "share" / "world.jpg", work / "still.jpg")
    return work, bin_dir


def run(
    host: tuple[Path, Path], *argv: str, env: dict[str, str] | None = None, token: bool = True
) -> subprocess.CompletedProcess[str]:
    work, bin_dir = host
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("COSMOS_SIM_", "HF_"))} | {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "COSMOS_SIM_SPEED": "0.0002",
        "COSMOS_SIM_STATE": str(work.parent / "state"),
        "HF_HOME": str(work.parent / "hf"),
        **({"HF_TOKEN": "hf_test"} if token else {}),
        **(env or {}),
    }
    result = subprocess.run(list(argv), cwd=work, env=full_env, capture_output=True, timeout=60)
    return subprocess.CompletedProcess(
        result.args, result.returncode, result.stdout.decode(), result.stderr.decode()
    )


def spec(host: tuple[Path, Path], name: str, data: dict[str, object] | list[dict[str, object]]) -> str:
    path = host[0] / "specs" / name
    if isinstance(data, list):
        path.write_text("".join(json.dumps(line) + "\n" for line in data))
    else:
        path.write_text(json.dumps(data))
    return f"specs/{name}"


def messages(stdout: str, pattern: re.Pattern[str] = C3_LOG) -> list[str]:
    found = []
    for line in stdout.splitlines():
        match = pattern.match(line)
        assert match, f"not a log line: {line!r}"
        found.append(match.group(2))
    return found


def frames(stderr: str, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    return [
        (int(m.group(2)), int(m.group(3)))
        for part in re.split(r"[\r\n]", stderr)
        if (m := pattern.match(part))
    ]


def cosmos3(host: tuple[Path, Path], *args: str, **kw: object) -> subprocess.CompletedProcess[str]:
    return run(
        host, "python", *C3, "--parallelism-preset=latency", *args, "--checkpoint-path", "Cosmos3-Nano", **kw
    )  # type: ignore[arg-type]


# --- Cosmos 3 -----------------------------------------------------------------------------------------


def test_cosmos3_text2video_without_input(host: tuple[Path, Path]) -> None:
    t2v = spec(
        host, "t2v.json", {"model_mode": "text2video", "name": "t2v", "prompt": "A robot", "num_steps": 5}
    )
    result = cosmos3(host, "-i", t2v, "-o", "out", "--seed", "0")
    assert result.returncode == 0, result.stderr
    said = messages(result.stdout)
    order = [
        "Console log saved to ",
        "Loaded 1 samples",
        "uv run --isolated",
        "[RANK 0] Saved sample args to ",  # logged by every rank (rank0_only=False), so marked
        "Using sampler: UniPC (shift=10.0, num_steps=5)",
        "[RANK 0] Saved sample outputs to ",
    ]
    positions = [next(i for i, m in enumerate(said) if m.startswith(s)) for s in order]
    assert positions == sorted(positions)
    assert frames(result.stderr, SAMPLING) == [(n, 5) for n in range(6)]  # one frame per step
    sample = host[0] / "out" / "t2v"
    assert sorted(p.name for p in sample.iterdir()) == [
        "sample_args.json",
        "sample_outputs.json",
        "vision.mp4",
    ]
    outputs = json.loads((sample / "sample_outputs.json").read_text())
    assert outputs["status"] == "success" and outputs["args"]["seed"] == 0
    assert outputs["outputs"][0]["files"] == [str(sample / "vision.mp4")]
    assert (sample / "vision.mp4").read_bytes()[4:8] == b"ftyp"
    assert "Loaded 1 samples" in (host[0] / "out" / "console.log").read_text()


def test_cosmos3_batch_loads_once_and_resolves_paths_against_the_spec(host: tuple[Path, Path]) -> None:
    batch = spec(
        host,
        "batch.jsonl",
        [
            {"model_mode": "image2video", "prompt": "one", "vision_path": "../still.jpg", "num_steps": 2},
            {"model_mode": "text2image", "name": "pic", "prompt": "two", "num_steps": 2},
        ],
    )
    result = cosmos3(host, "-i", batch, "-o", "out")
    assert result.returncode == 0, result.stderr
    said = messages(result.stdout)
    assert said.count("Loaded 2 samples") == 1
    assert sum(m.startswith("uv run") and "Cosmos3-Nano" in m for m in said) == 1
    assert sum(m.startswith("[RANK 0] Saved sample outputs to ") for m in said) == 2
    out = host[0] / "out"
    assert (out / "batch_0" / "vision.mp4").is_file()  # a .jsonl line without a name: <stem>_<line>
    assert (out / "pic" / "vision.jpg").read_bytes()[:2] == b"\xff\xd8"
    args = json.loads((out / "batch_0" / "sample_args.json").read_text())
    assert args["vision_path"] == str(host[0] / "specs" / ".." / "still.jpg")


def test_cosmos3_transfer_writes_control_videos(host: tuple[Path, Path]) -> None:
    transfer = spec(
        host,
        "edge.json",
        {
            "model_mode": "video2video",
            "name": "transfer_edge",
            "prompt": "x",
            "vision_path": "../color.mp4",
            "num_frames": 93,
            "num_steps": 3,
            "edge": {"control_path": "../depth.mp4", "preset_edge_threshold": "medium", "weight": 0.5},
        },
    )
    result = cosmos3(host, "-i", transfer, "-o", "out")
    assert result.returncode == 0, result.stderr
    sample = host[0] / "out" / "transfer_edge"
    assert (sample / "control_edge.mp4").read_bytes() == (DEMO / "depth.mp4").read_bytes()
    assert (sample / "vision.mp4").read_bytes() == (DEMO / "color.mp4").read_bytes()
    assert "Using sampler: UniPC (shift=10.0, num_steps=3)" in messages(result.stdout)
    assert any(m.startswith("[RANK 0] Saved transfer outputs to ") for m in messages(result.stdout))


def test_cosmos3_reasoner_writes_its_answer(host: tuple[Path, Path]) -> None:
    reason = spec(
        host, "reason.json", {"model_mode": "reasoner", "prompt": "Describe", "vision_path": "../color.mp4"}
    )
    result = cosmos3(host, "-i", reason, "-o", "out")
    assert result.returncode == 0, result.stderr
    said = messages(result.stdout)
    assert "Reasoner-only inputs detected; generation vision tokenizer will not be loaded" in said
    answer = (host[0] / "out" / "reason" / "reasoner_text.txt").read_text()
    outputs = json.loads((host[0] / "out" / "reason" / "sample_outputs.json").read_text())
    assert outputs["outputs"][0]["content"]["reasoner_text"] == answer and answer
    assert f"Saved reasoner outputs to '{host[0] / 'out' / 'reason'}'" in said


def test_cosmos3_guardrail_with_and_without_keep_going(host: tuple[Path, Path]) -> None:
    lines = [
        {"model_mode": "text2video", "name": "bad", "prompt": "bad [sim:guardrail]", "num_steps": 2},
        {"model_mode": "text2video", "name": "good", "prompt": "fine", "num_steps": 2},
    ]
    batch = spec(host, "b.jsonl", lines)
    kept = cosmos3(host, "-i", batch, "-o", "kept", "--keep-going")
    assert kept.returncode == 0, kept.stderr
    said = messages(kept.stdout)
    assert (
        "GUARDRAIL BLOCKED: QWEN3GUARD: Prompt blocked by Qwen3Guard. Safety: Unsafe, Categories: ['Violent']"
        in said
    )
    folder = host[0] / "kept" / "bad"
    blocked = f"Error generating sample 'bad': Guardrail blocked prompt '{folder}': 'bad [sim:guardrail]'"
    assert blocked in said
    assert not (host[0] / "kept" / "bad" / "sample_outputs.json").exists()  # the CLI writes none
    assert (host[0] / "kept" / "good" / "vision.mp4").is_file()
    stopped = cosmos3(host, "-i", batch, "-o", "stopped")
    assert stopped.returncode == 1
    assert f"ValueError: {blocked.replace('kept', 'stopped')}" in stopped.stderr
    assert not (host[0] / "stopped" / "good").exists()  # the process ended at the blocked sample


def test_cosmos3_oom_is_never_caught(host: tuple[Path, Path]) -> None:
    oom = spec(host, "oom.json", {"model_mode": "text2video", "prompt": "big [sim:oom]", "num_steps": 9})
    result = cosmos3(host, "-i", oom, "-o", "out", "--keep-going")
    assert result.returncode == 1
    assert "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate" in result.stderr
    assert frames(result.stderr, SAMPLING)[-1] == (3, 9)


@pytest.mark.parametrize(
    ("args", "text", "code"),
    [
        (("--frobnicate",), "Unrecognized options: --frobnicate", 2),
        (("--parallelism-preset", "fast"), "invalid choice: 'fast' (choose from 'throughput', 'latency')", 2),
        (("--seed", "x"), "Argument --seed: invalid int value: 'x'", 2),
    ],
)
def test_cosmos3_refuses_bad_command_lines(
    host: tuple[Path, Path], args: tuple[str, ...], text: str, code: int
) -> None:
    ok = spec(host, "ok.json", {"prompt": "x"})
    result = cosmos3(host, "-i", ok, "-o", "out", *args)
    assert result.returncode == code and text in result.stderr
    missing = run(host, "python", *C3, "-o", "out", "--checkpoint-path", "Cosmos3-Nano")
    assert (
        missing.returncode == 2
        and "-i/--input-files" in missing.stderr
        and "Required options" in missing.stderr
    )
    no_out = cosmos3(host, "-i", ok)
    assert no_out.returncode == 1 and "ValueError: 'output_dir' is required" in no_out.stderr


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (
            {"prompt": "x", "edge": {"control_path": "../depth.mp4", "control_weight": 0.5}},
            "edge.control_weight\n  Extra inputs are not permitted "
            "[type=extra_forbidden, input_value=0.5, input_type=float]",
        ),
        ({"prompt": "x", "vision_path": "nope.mp4"}, "Value error, Path does not point to a file: nope.mp4"),
        (
            {"prompt": "x", "resolution": 720},
            "Input should be '256', '480', '704', '720' or '768' [type=literal_error",
        ),
        ({"prompt": "x", "model_mode": "t2v"}, "model_mode\n  Input should be 'text2image'"),
        ({"prompt": "x", "guidance": 9}, "Input should be less than or equal to 7"),
    ],
)
def test_cosmos3_spec_validation_wording(host: tuple[Path, Path], data: dict[str, object], text: str) -> None:
    bad = spec(host, "bad.json", data)
    result = cosmos3(host, "-i", bad, "-o", "out")
    assert result.returncode == 1
    assert (
        f"ValueError: Error validating parameters from '{host[0] / 'specs' / 'bad.json'}' at sample 0"
        in result.stderr
    )
    assert text in result.stderr and "validation error for OmniSampleOverrides" in result.stderr


def test_cosmos3_huggingface_rule(host: tuple[Path, Path]) -> None:
    ok = spec(host, "ok.json", {"prompt": "x", "num_steps": 1})
    denied = cosmos3(host, "-i", ok, "-o", "out", token=False)
    assert denied.returncode == 1
    assert "Error: Access denied. This repository requires approval." in denied.stderr
    assert "subprocess.CalledProcessError: Command '['uv', 'run'" in denied.stderr
    assert "nvidia/Cosmos-Guardrail1" in denied.stderr
    hub = host[0].parent / "hf" / "hub"
    for repo in ("models--nvidia--Cosmos3-Nano", "models--nvidia--Cosmos-Guardrail1"):
        (hub / repo / "snapshots").mkdir(parents=True)
    cached = cosmos3(host, "-i", ok, "-o", "out", token=False)
    assert cached.returncode == 0, cached.stderr
    local = run(host, "python", *C3, "-i", ok, "-o", "out", "--checkpoint-path", "ckpt/missing")
    assert "ValueError: Checkpoint directory does not exist: " in local.stderr


def test_cosmos3_under_torchrun(host: tuple[Path, Path]) -> None:
    ok = spec(host, "ok.json", {"prompt": "x [sim:oom]", "num_steps": 3})
    argv = ["torchrun", "--nproc-per-node=2", *C3, "--parallelism-preset=throughput", "-i", ok, "-o", "out"]
    result = run(host, *argv, "--checkpoint-path", "Cosmos3-Nano")
    assert result.returncode == 1
    assert "[rank0]: torch.OutOfMemoryError: CUDA out of memory." in result.stderr
    assert "cosmos_framework.scripts.inference FAILED" in result.stderr


# --- Transfer2.5 and Predict2.5 -----------------------------------------------------------------------


def test_transfer25_outputs_and_log(host: tuple[Path, Path]) -> None:
    edge = spec(
        host,
        "edge.json",
        {
            "name": "robot_edge",
            "prompt": "A robot",
            "video_path": "../color.mp4",
            "num_steps": 3,
            "edge": {"control_weight": 1.0},
        },
    )
    result = run(host, "python", "examples/inference.py", "-i", edge, "-o", "out")
    assert result.returncode == 0, result.stderr
    said = messages(result.stdout, F25_LOG)
    for line in (
        "Log saved to out/console.log",
        "Found 1 hint keys across all samples",
        "Generating 1 samples: ['robot_edge']",
        "[1/1] Processing sample robot_edge",
        "Generated video saved to out/robot_edge.mp4",
    ):
        assert line in said
    assert frames(result.stderr, GENERATING) == [(n, 3) for n in range(4)]
    out = host[0] / "out"
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "config.yaml",
        "console.log",
        "debug.log",
        "robot_edge.json",
        "robot_edge.mp4",
        "robot_edge.txt",
        "robot_edge_control_edge.mp4",
    ]
    assert (out / "robot_edge.txt").read_text() == "A robot"
    assert json.loads((out / "robot_edge.json").read_text())["video_path"] == str(
        host[0] / "specs" / ".." / "color.mp4"
    )


def test_transfer25_batch_guardrail_keeps_going_by_default(host: tuple[Path, Path]) -> None:
    lines = [
        {
            "name": "bad",
            "prompt": "no [sim:guardrail]",
            "video_path": "../color.mp4",
            "num_steps": 1,
            "edge": {},
        },
        {"name": "good", "prompt": "yes", "video_path": "../color.mp4", "num_steps": 1, "edge": {}},
    ]
    batch = spec(host, "b.jsonl", lines)
    argv = ["torchrun", "--nproc_per_node=1", "--master_port=12341", "examples/inference.py", "-i", batch]
    kept = run(host, *argv, "-o", "kept")
    assert kept.returncode == 0, kept.stderr
    said = messages(kept.stdout, F25_LOG)
    assert "Guardrail blocked generation. Prompt: no [sim:guardrail]" in said
    assert sum(m.startswith("uvx 'hf>=1.3.5' download nvidia/Cosmos-Transfer2.5-2B") for m in said) == 1
    assert not (host[0] / "kept" / "bad.mp4").exists() and (host[0] / "kept" / "good.mp4").exists()
    stopped = run(host, *argv, "-o", "stopped", "--no-keep-going")
    assert stopped.returncode == 1 and "Exception: Guardrail blocked generation. Prompt: no" in stopped.stderr


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ({"prompt": "x", "video_path": "../color.mp4", "edge": {}}, "name\n  Field required [type=missing"),
        (
            {"name": "a", "prompt": "x", "video_path": "../color.mp4", "guidance": 3.5, "edge": {}},
            "int_from_float",
        ),
        (
            {"name": "a", "prompt": "x", "video_path": "gone.mp4", "edge": {}},
            "video_path\n  Path does not point to a file",
        ),
    ],
)
def test_transfer25_spec_validation(host: tuple[Path, Path], data: dict[str, object], text: str) -> None:
    bad = spec(host, "bad.json", data)
    result = run(host, "python", "examples/inference.py", "-i", bad, "-o", "out")
    assert result.returncode == 1
    assert f"Error validating parameters from '{bad}' at line 0" in result.stderr and text in result.stderr


def test_transfer25_command_line_and_oom(host: tuple[Path, Path]) -> None:
    edge = spec(
        host, "e.json", {"name": "a", "prompt": "x [sim:oom]", "video_path": "../color.mp4", "edge": {}}
    )
    unknown = run(host, "python", "examples/inference.py", "-i", edge, "-o", "out", "--frobnicate")
    assert unknown.returncode == 2 and "Unrecognized options: --frobnicate" in unknown.stderr
    no_out = run(host, "python", "examples/inference.py", "-i", edge)
    assert no_out.returncode == 2 and "--output-dir PATH (required)" in no_out.stderr
    oom = run(host, "python", "examples/inference.py", "-i", edge, "-o", "out", "--num-steps", "6")
    assert oom.returncode == 1 and "torch.OutOfMemoryError: CUDA out of memory." in oom.stderr


def test_predict25_text2world_and_video2world(host: tuple[Path, Path]) -> None:
    t2w = spec(
        host,
        "t.json",
        {"inference_type": "text2world", "name": "street", "prompt": "a street", "num_steps": 2},
    )
    v2w = spec(
        host,
        "v.json",
        {
            "inference_type": "video2world",
            "name": "road",
            "prompt": "a road",
            "input_path": "../color.mp4",
            "num_steps": 2,
        },
    )
    result = run(
        host,
        "python",
        "examples/inference.py",
        "-i",
        t2w,
        "-o",
        "out",
        "--inference-type=text2world",
        "--model=2B/post-trained",
    )
    assert result.returncode == 0, result.stderr
    said = messages(result.stdout, F25_LOG)
    assert "Saved video to out/street.mp4" in said and "Generating video with standard mode..." in said
    assert (host[0] / "out" / "street.mp4").read_bytes()[4:8] == b"ftyp"
    video = run(
        host, "python", "examples/inference.py", "-i", v2w, "-o", "out2", "--inference-type=video2world"
    )
    assert video.returncode == 0, video.stderr
    assert (host[0] / "out2" / "road.mp4").read_bytes() == (DEMO / "color.mp4").read_bytes()
    bad = run(host, "python", "examples/inference.py", "-i", t2w, "-o", "o3", "--inference-type=image2world")
    assert bad.returncode == 1 and "input_path is required for inference type image2world" in bad.stderr
    blocked = spec(host, "g.json", {"inference_type": "text2world", "name": "g", "prompt": "[sim:guardrail]"})
    guard = run(
        host, "python", "examples/inference.py", "-i", blocked, "-o", "o4", "--inference-type=text2world"
    )
    assert guard.returncode == 0
    assert "Guardrail blocked text2world generation. Prompt: [sim:guardrail]" in guard.stdout
    denied = run(
        host,
        "python",
        "examples/inference.py",
        "-i",
        t2w,
        "-o",
        "o5",
        "--inference-type=text2world",
        env={"HF_HOME": str(host[0].parent / "empty-hf")},  # the runs above cached the checkpoint
        token=False,
    )
    assert denied.returncode == 1 and "Access denied. This repository requires approval." in denied.stderr


def test_python_stand_in_refuses_other_uses(host: tuple[Path, Path]) -> None:
    script = run(host, "python", "train.py")
    assert script.returncode == 2 and "can't open file" in script.stderr
    module = run(host, "python", "-m", "http.server")
    assert module.returncode == 1 and "No module named http.server" in module.stderr


# --- the docker sim image -----------------------------------------------------------------------------


def test_sim_image_runs_every_family(harness: Harness, tmp_path: Path) -> None:
    """The busybox image carries the new simulators: each family runs to completion in a container."""
    remote = tmp_path / "remote"
    (remote / "specs").mkdir(parents=True)
    shutil.copy(DEMO / "color.mp4", remote / "color.mp4")
    (remote / "specs" / "c3.json").write_text(json.dumps({"name": "c3", "prompt": "x", "num_steps": 2}))
    (remote / "specs" / "t25.json").write_text(
        json.dumps({"name": "t25", "prompt": "x", "video_path": "../color.mp4", "num_steps": 2, "edge": {}})
    )
    (remote / "specs" / "p25.json").write_text(
        json.dumps({"name": "p25", "inference_type": "text2world", "prompt": "x", "num_steps": 2})
    )
    inner = (
        "python -m cosmos_framework.scripts.inference -i specs/c3.json -o out3 --checkpoint-path Cosmos3-Nano"
        " && torchrun --nproc_per_node=2 --master_port=12341 examples/inference.py -i specs/t25.json -o out25"
        " && python examples/inference.py -i specs/p25.json -o outp --inference-type=text2world"
    )
    argv = [
        *shlex.split(harness.dockerd.docker_command),
        "run",
        "--rm",
        "-e",
        "COSMOS_SIM_SPEED=0.0005",
        "-e",
        "HF_TOKEN=hf_test",
        "-v",
        f"{remote}:/workspace",
        "-w",
        "/workspace",
        harness.image,
        "sh",
        "-c",
        inner,
    ]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    code, out, err = done.returncode, done.stdout, done.stderr
    assert code == 0, err
    assert (remote / "out3" / "c3" / "vision.mp4").read_bytes()[4:8] == b"ftyp"
    assert (remote / "out25" / "t25.mp4").read_bytes() == (DEMO / "color.mp4").read_bytes()
    assert (remote / "outp" / "p25.mp4").is_file()
    assert "Saved sample outputs to '/workspace/out3/c3/sample_outputs.json'" in out
