"""The simulated Cosmos host: real line formats and stage order, argument handling, every failure
mode, SIGTERM, batch, upscale, upsampler and nvidia-smi, under busybox ash, dash and bash."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from cosmos_tui.sim import FILES, install_local, sim_version
from tests.conftest import DEMO

TORCHRUN = FILES / "bin" / "torchrun"
NVIDIA_SMI = FILES / "bin" / "nvidia-smi"
TRANSFER = "cosmos_transfer1/diffusion/inference/transfer.py"
UPSAMPLER = "cosmos_transfer1/auxiliary/upsampler/inference/upsampler_pipeline.py"
QUERY = (
    "--query-gpu=index,name,memory.total,memory.used,utilization.gpu,temperature.gpu,power.draw,power.limit"
)

SHELLS = [
    pytest.param(["busybox", "sh"], id="busybox-ash"),
    pytest.param(["dash"], id="dash"),
    pytest.param(["bash", "--posix"], id="bash"),
]

# Every kind of line the simulator prints, as the log reader will meet them.
LOGURU = re.compile(
    r"^\[\d\d-\d\d \d\d:\d\d:\d\d\|(DEBUG|INFO|WARNING|ERROR|CRITICAL)\|[\w/.]+\.py:\d+:\w+\] (.*)$"
)
GLOG = re.compile(r"^[IWE]\d{4} \d\d:\d\d:\d\d\.\d{6} \d+ [\w/.]+:\d+\] ")
TQDM = re.compile(r"^\s*\d+%\|[█ ]{10}\| \d+/\d+ \[[\d:?]+<[\d:?]+, ([\d.]+s/it|\?it/s)\]$")
JSON_CONTINUATION = re.compile(r'^(\s+"[\w]+": .*|})$')
TRACEBACK = re.compile(
    r"^(Traceback \(most recent call last\):|  File \".*\", line \d+, in [\w<>]+|    .+|"
    r"[\w.]+(Error|Exception): .*)$"
)
CHILD_STDERR = re.compile(r"^\[rank0\]: ")  # whatever the child process wrote to stderr
CHILD_FAILED_BLOCK = re.compile(
    r"^(torch\.distributed\.elastic\.multiprocessing\.errors\.ChildFailedError: |=+|-+|"
    r".+ FAILED|Failures:|  <NO_OTHER_FAILURES>|Root Cause \(first observed failure\):|\[0\]:|"
    r"  (time|host|rank|exitcode|error_file|traceback)\s*: .*)$"
)
USER_WARNING = re.compile(r"^(/.*\.py:\d+: UserWarning: .*|  return _VF\.meshgrid.*)$")

STAGES = [
    "Start creating base model",
    "Done creating base model",
    "Start creating ctrlnet model",
    "Done creating ctrlnet model",
    "Loading ctrl model from ckpt_path",
    "running preprocessor",
    "Running batch generation with batch_size=1",
    "Running guardrail checks on all prompts",
    "Running text embedding on all prompts",
    "Starting T5 compute",
    "Completed T5 compute",
    "Run generation",
    "Starting data augmentation",
    "Completed data augmentation",
    "Starting latent encoding",
    "Completed latent encoding",
    "Starting diffusion sampling",
    "Completed diffusion sampling",
    "Starting VAE decode",
    "Completed VAE decode",
    "Finish generation",
    "Run guardrail on generated videos",
    "Saved video to out/output.mp4",
    "Saved prompt to out/output.txt",
]


def spec(prompt: str = "A robot arm stacks cubes", **extra: object) -> dict[str, object]:
    return {
        "prompt": prompt,
        "negative_prompt": "blurry",
        "input_video_path": "color.mp4",
        "sigma_max": 70.0,
        "seed": 1,
        "vis": {"control_weight": 0.25},
        "edge": {"control_weight": 0.25},
        "depth": {"control_weight": 0.25, "input_control": "depth.mp4"},
        "seg": {"control_weight": 0.25, "input_control": "segmentation.mp4"},
        **extra,
    }


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    for name in ("color.mp4", "depth.mp4", "segmentation.mp4"):
        shutil.copy(DEMO / name, tmp_path / name)
    (tmp_path / "state").mkdir()
    return tmp_path


def sim(
    workdir: Path,
    *args: str,
    shell: list[str] | None = None,
    spec_data: dict[str, object] | None = None,
    env: dict[str, str] | None = None,
    script: str = TRANSFER,
    standard: bool = True,
) -> subprocess.CompletedProcess[str]:
    if spec_data is not None:
        (workdir / "spec.json").write_text(json.dumps(spec_data, indent=2, ensure_ascii=False))
    base = (
        [
            "--checkpoint_dir",
            "checkpoints",
            "--video_save_folder",
            "out",
            "--controlnet_specs",
            "spec.json",
            "--offload_text_encoder_model",
            "--offload_guardrail_models",
            "--num_gpus",
            "1",
        ]
        if standard
        else []
    )
    full_env = {
        **os.environ,
        "COSMOS_SIM_SPEED": "0.0005",
        "COSMOS_SIM_STATE": str(workdir / "state"),
        **(env or {}),
    }
    if "COSMOS_SIM_FAIL" not in (env or {}):
        full_env.pop("COSMOS_SIM_FAIL", None)
    result = subprocess.run(
        [
            *(shell or ["sh"]),
            str(TORCHRUN),
            "--nproc_per_node=1",
            "--nnodes=1",
            "--node_rank=0",
            script,
            *base,
            *args,
        ],
        cwd=workdir,
        env=full_env,
        capture_output=True,
        timeout=60,
    )
    # Decode by hand: text mode would turn tqdm's \r into \n.
    return subprocess.CompletedProcess(
        result.args, result.returncode, result.stdout.decode(), result.stderr.decode()
    )


def kinds_of(stdout: str, stderr: str) -> list[str]:
    """Classify every line; fail on a line of no known kind."""
    kinds = []
    in_dump = False
    for line in stdout.splitlines():
        if LOGURU.match(line):
            kinds.append("loguru")
            in_dump = line.endswith("{")
        elif in_dump and JSON_CONTINUATION.match(line):
            kinds.append("json")
            in_dump = line != "}"
        else:
            raise AssertionError(f"unknown stdout line: {line!r}")
    for raw in stderr.splitlines():
        for line in raw.split("\r"):
            if not line:
                continue
            for kind, pattern in (
                ("glog", GLOG),
                ("tqdm", TQDM),
                ("warning", USER_WARNING),
                ("child_failed", CHILD_FAILED_BLOCK),
                ("traceback", TRACEBACK),
                ("child_stderr", CHILD_STDERR),
            ):
                if pattern.match(line):
                    kinds.append(kind)
                    break
            else:
                raise AssertionError(f"unknown stderr line: {line!r}")
    return kinds


def messages(stdout: str) -> list[str]:
    return [m.group(2) for line in stdout.splitlines() if (m := LOGURU.match(line))]


@pytest.mark.parametrize("shell", SHELLS)
def test_successful_run_prints_real_formats_in_stage_order(workdir: Path, shell: list[str]) -> None:
    if shutil.which(shell[0]) is None:
        pytest.fail(f"{shell[0]} is missing; install it (apt-get install -y busybox-static dash bash)")
    result = sim(workdir, shell=shell, spec_data=spec('Quotes "q" $(x) `y` ünï\nnew line'))
    assert result.returncode == 0, result.stderr
    kinds = kinds_of(result.stdout, result.stderr)
    assert {"loguru", "json", "tqdm", "warning"} <= set(kinds)
    said = messages(result.stdout)
    positions = [next(i for i, m in enumerate(said) if m.startswith(stage)) for stage in STAGES]
    assert positions == sorted(positions), "stages out of order"
    assert "\r" in result.stderr and "1/1 [" in result.stderr  # tqdm clip bar, \r updates
    out = workdir / "out"
    assert (out / "output.mp4").read_bytes() == (DEMO / "color.mp4").read_bytes()
    assert (out / "output.txt").read_text() == 'Quotes "q" $(x) `y` ünï\nnew line\n'
    # vis and edge had no input_control: the model computes them and writes them out
    assert sorted(p.name for p in out.glob("*_input_control_0.mp4")) == [
        "edge_input_control_0.mp4",
        "vis_input_control_0.mp4",
    ]


def test_clips_marker_drives_the_clip_bar(workdir: Path) -> None:
    result = sim(workdir, spec_data=spec("three clips [sim:clips=3]"))
    assert result.returncode == 0
    assert messages(result.stdout).count("Starting diffusion sampling") == 3
    assert "3/3 [" in result.stderr


@pytest.mark.parametrize(
    ("args", "spec_data", "text"),
    [
        (
            (),
            {**spec(), "foo": {"control_weight": 1}},
            "ValueError: Invalid hint_key: foo. Must be one of {'vis', 'seg', 'edge', 'depth', "
            "'keypoint', 'upscale', 'hdmap', 'lidar'}",
        ),
        (
            (),
            {k: v for k, v in spec().items() if k != "input_video_path"},
            "ValueError: Must have 'input_video' specified if sigma_max < 80",
        ),
        (
            (),
            {**{k: v for k, v in spec().items() if k != "input_video_path"}, "sigma_max": 80},
            "ValueError: vis controlnet must have 'input_control' video specified if no 'input_video'",
        ),
        (
            (),
            {**spec(), "vis": {"control_weight": -1}},
            "Control weight for vis must be a valid non-negative float or a path to a .pt file.",
        ),
        (
            (),
            {**spec(), "input_video_path": "missing.mp4"},
            "FileNotFoundError: [Errno 2] No such file or directory: 'missing.mp4'",
        ),
        (
            ("--blur_strength", "max"),
            spec(),
            "argument --blur_strength: invalid choice: 'max' (choose from 'very_low', 'low', 'medium', "
            "'high', 'very_high')",
        ),
        (("--num_steps", "many"), spec(), "argument --num_steps: invalid int value: 'many'"),
        (("--guidance=x",), spec(), "argument --guidance: invalid float value: 'x'"),
        (("--frobnicate",), spec(), "unrecognized arguments: --frobnicate"),
    ],
)
def test_rejects_what_the_real_model_rejects(workdir: Path, args, spec_data, text: str) -> None:
    result = sim(workdir, *args, spec_data=spec_data)
    assert result.returncode == 1
    assert text in result.stderr
    assert "ChildFailedError" in result.stderr
    kinds_of(result.stdout, result.stderr)
    assert not (workdir / "out" / "output.mp4").exists()


def test_missing_required_flag_is_argparse_exit_2_under_torchrun(workdir: Path) -> None:
    result = sim(workdir, "--num_steps", "3", standard=False)
    assert result.returncode == 1
    assert "[rank0]: transfer.py: error: the following arguments are required: --controlnet_specs" in (
        result.stderr
    )
    assert "exitcode  : 2" in result.stderr


def test_flag_forms_and_options_reach_the_model(workdir: Path) -> None:
    result = sim(
        workdir,
        "--num_steps=7",
        "--guidance",
        "3.5",
        "--seed=9",
        "--blur_strength",
        "high",
        "--canny_threshold=very_low",
        "--sigma_max",
        "75",
        spec_data=spec(),
    )
    assert result.returncode == 0, result.stderr
    for expected in (
        '"num_steps": 7',
        '"guidance": 3.5',
        '"seed": 9',
        '"blur_strength": "high"',
        '"canny_threshold": "very_low"',
        '"sigma_max": 75',
    ):
        assert expected in result.stdout


def test_unknown_script_fails_like_python(workdir: Path) -> None:
    result = sim(workdir, script="nope.py", standard=False)
    assert result.returncode == 1
    assert "can't open file" in result.stderr and "nope.py FAILED" in result.stderr


@pytest.mark.parametrize(
    ("fail", "via_env", "stdout_text", "stderr_text"),
    [
        ("oom", False, "Starting diffusion sampling", "torch.OutOfMemoryError: CUDA out of memory."),
        ("guardrail", False, "GUARDRAIL BLOCKED: BLOCKLIST:", "ChildFailedError"),
        (
            "missing_checkpoint",
            True,
            "Done creating ctrlnet model",
            "FileNotFoundError: [Errno 2] No such file or directory: "
            "'checkpoints/nvidia/Cosmos-Transfer1-7B/base_model.pt'",
        ),
    ],
)
def test_injected_failures(
    workdir: Path, fail: str, via_env: bool, stdout_text: str, stderr_text: str
) -> None:
    if via_env:
        result = sim(workdir, spec_data=spec(), env={"COSMOS_SIM_FAIL": fail})
    else:
        result = sim(workdir, spec_data=spec(f"a prompt [sim:{fail}]"))
    assert result.returncode == 1
    assert stdout_text in result.stdout and stderr_text in result.stderr
    assert "torch.distributed.elastic.multiprocessing.errors.ChildFailedError" in result.stderr
    assert "exitcode  : 1" in result.stderr
    kinds_of(result.stdout, result.stderr)


def start(workdir: Path, prompt: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    (workdir / "spec.json").write_text(json.dumps(spec(prompt)))
    return subprocess.Popen(
        [
            "sh",
            str(TORCHRUN),
            "--nproc_per_node=1",
            TRANSFER,
            "--video_save_folder",
            "out",
            "--controlnet_specs",
            "spec.json",
        ],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={
            **os.environ,
            "COSMOS_SIM_SPEED": "0.0005",
            "COSMOS_SIM_STATE": str(workdir / "state"),
            **(env or {}),
        },
    )


def test_hang_is_silent_until_killed_and_sigterm_is_handled(workdir: Path) -> None:
    proc = start(workdir, "hang here [sim:hang]")
    time.sleep(1.5)
    assert proc.poll() is None
    size_before = len(list((workdir / "state").iterdir()))
    assert size_before == 1  # the run marks itself active for nvidia-smi
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=10)
    assert time.monotonic() - t0 < 2
    assert proc.returncode == 1
    assert messages(out)[-1].startswith("NCCL_DEBUG")  # nothing after the hang began
    assert "Received Signals.SIGTERM death signal, shutting down workers" in err
    assert "SignalException: Process" in err and "got signal: 15" in err
    assert list((workdir / "state").iterdir()) == []
    kinds_of(out, err)


def test_sigterm_mid_run_exits_non_zero(workdir: Path) -> None:
    proc = start(workdir, "slow", env={"COSMOS_SIM_SPEED": "0.05"})
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 1 and "got signal: 15" in err


def test_log_flood_prints_the_requested_rate(workdir: Path) -> None:
    # 35 steps x 4 s x 0.002 = 0.28 s of diffusion at 5000 lines/s: about 1,500 extra lines
    result = sim(workdir, spec_data=spec("flood [sim:flood=5000]"), env={"COSMOS_SIM_SPEED": "0.002"})
    assert result.returncode == 0
    flood = [m for m in messages(result.stdout) if m.startswith("sampler tick")]
    assert 1000 <= len(flood) <= 2000
    kinds_of(result.stdout, result.stderr)


def test_batch_jsonl_writes_one_folder_per_line(workdir: Path) -> None:
    (workdir / "batch.jsonl").write_text(
        json.dumps({"visual_input": "color.mp4", "prompt": "first"})
        + "\n"
        + json.dumps(
            {
                "visual_input": "depth.mp4",
                "prompt": "second",
                "control_overrides": {"vis": {"control_weight": 0.1}},
            }
        )
        + "\n"
    )
    batch_spec = {"vis": {"control_weight": 0.5}}
    result = sim(workdir, "--batch_input_path", "batch.jsonl", spec_data=batch_spec)
    assert result.returncode == 0, result.stderr
    assert "Reading batch inputs from path: batch.jsonl" in result.stdout
    for i, (video, prompt) in enumerate((("color.mp4", "first"), ("depth.mp4", "second"))):
        folder = workdir / "out" / f"video_{i}"
        assert (folder / "output.mp4").read_bytes() == (DEMO / video).read_bytes()
        assert (folder / "prompt.txt").read_text() == prompt + "\n"


def test_4k_upscale_spec(workdir: Path) -> None:
    upscale = {"input_video_path": "color.mp4", "upscale": {"control_weight": 0.5}}
    result = sim(workdir, "--num_steps", "10", spec_data=upscale)
    assert result.returncode == 0, result.stderr
    assert "Setting batch_size=1 as upscale does not support batch generation" in result.stdout
    assert "4kupscaler_control.pt" in result.stdout
    assert (workdir / "out" / "output.mp4").exists()


def test_prompt_upsampler(workdir: Path) -> None:
    result = subprocess.run(
        [
            "sh",
            str(TORCHRUN),
            "--nproc_per_node=1",
            UPSAMPLER,
            "--prompt",
            "a red car",
            "--input_video",
            "color.mp4",
            "--checkpoint_dir",
            "checkpoints",
        ],
        cwd=workdir,
        capture_output=True,
        text=True,
        env={**os.environ, "COSMOS_SIM_SPEED": "0.001"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].startswith("Upsampled prompt: a red car ")
    missing = subprocess.run(
        ["sh", str(TORCHRUN), UPSAMPLER, "--prompt", "x"], cwd=workdir, capture_output=True, text=True
    )
    assert missing.returncode == 1
    assert "the following arguments are required: --input_video" in missing.stderr


def nvidia_rows(workdir: Path, gpus: int = 2) -> list[list[str]]:
    out = subprocess.run(
        [str(NVIDIA_SMI), QUERY, "--format=csv,noheader,nounits"],
        capture_output=True,
        text=True,
        env={**os.environ, "COSMOS_SIM_STATE": str(workdir / "state"), "COSMOS_SIM_GPUS": str(gpus)},
        check=True,
    ).stdout
    return [line.split(", ") for line in out.splitlines()]


def test_nvidia_smi_values_rise_while_a_run_is_active(workdir: Path) -> None:
    idle = nvidia_rows(workdir)
    assert [r[0] for r in idle] == ["0", "1"] and all(len(r) == 8 for r in idle)
    assert all(r[1] == "NVIDIA H100 80GB HBM3" and r[4] == "0" for r in idle)
    proc = start(workdir, "busy [sim:hang]")
    try:
        time.sleep(1.0)
        busy = nvidia_rows(workdir)
        assert int(busy[0][4]) >= 90 and int(busy[0][3]) > 60000 and float(busy[0][6]) > 500
        assert busy[1][4] == "0"  # one GPU per run with --nproc_per_node=1
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)
    assert nvidia_rows(workdir)[0][4] == "0"
    table = subprocess.run([str(NVIDIA_SMI)], capture_output=True, text=True).stdout
    assert "NVIDIA-SMI" in table and "Processes:" in table


def test_install_local_and_version(tmp_path: Path) -> None:
    bin_dir = install_local(tmp_path)
    assert os.access(bin_dir / "torchrun", os.X_OK) and os.access(bin_dir / "nvidia-smi", os.X_OK)
    assert (bin_dir.parent / "lib" / "sim.sh").is_file()
    assert re.fullmatch(r"[0-9a-f]{12}", sim_version())


def test_prompt_upsampler_loads_its_real_checkpoint_with_vllm(workdir: Path) -> None:
    # The upsampler loads cosmos_transfer1/checkpoints.py's COSMOS_UPSAMPLER_CHECKPOINT through vLLM,
    # whose log lines go to stdout; the sim named a Pixtral folder the repository never uses.
    argv = [
        "sh",
        str(TORCHRUN),
        UPSAMPLER,
        "--prompt",
        "x [sim:missing_checkpoint]",
        "--input_video",
        "color.mp4",
    ]
    env = {**os.environ, "COSMOS_SIM_SPEED": "0.001"}
    failed = subprocess.run(argv, cwd=workdir, capture_output=True, text=True, env=env)
    assert failed.returncode == 1
    assert "'checkpoints/nvidia/Cosmos-UpsamplePrompt1-12B-Transfer/" in failed.stderr
    argv[4] = "x"
    done = subprocess.run(argv, cwd=workdir, capture_output=True, text=True, env=env)
    vllm_line = r"^INFO \d\d-\d\d [\d:]{8} \[model_runner\.py:\d+\] Model loading took"
    assert re.search(vllm_line, done.stdout, re.M)
