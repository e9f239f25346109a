"""Every model family end to end against the real daemons (sshd + dockerd + the sim image) and the
local process host: the command line and spec on the host, outputs under the names users expect,
failures in the family's own words, batches, and a reasoner's answer."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cosmos_tui.api import CosmosAPI
from cosmos_tui.config import load
from cosmos_tui.cosmos.base import adapter_for, step_rounds
from cosmos_tui.engine.executor import RunExecutor
from tests.conftest import DEMO
from tests.harness import Harness
from tests.test_engine import make_config

pytestmark = pytest.mark.integration

BIN = Path(sys.executable).parent / "cosmos-tui"
# A token for the simulator's gated download (it checks one is there, as the real hub does), and
# a Hugging Face cache inside the host's remote_dir (relative to it: both runtimes start there).
HF = {"HF_TOKEN": "hf_simulated", "HF_HOME": ".hf-home"}

# family, task, the start of the command, the files a completed run has locally
COSMOS3 = "python -m cosmos_framework.scripts.inference"
CASES = [
    ("cosmos3", "transfer", COSMOS3, ["output.mp4", "control_edge.mp4"]),
    ("cosmos3", "predict", COSMOS3, ["output.mp4"]),
    ("cosmos3", "reason", COSMOS3, ["output.txt"]),
    ("transfer2.5", "transfer", "python examples/inference.py", ["output.mp4", "output_control_edge.mp4"]),
    ("predict2.5", "predict", "python examples/inference.py", ["output.mp4"]),
]


@pytest.fixture(params=["test", "local"])
def host_name(request) -> str:
    return request.param


@pytest.fixture
def api_for(tmp_path: Path, harness: Harness):
    made: list[CosmosAPI] = []

    def build(host: str, family: str, env: dict[str, str] | None = None, **kwargs: object) -> CosmosAPI:
        config = make_config(tmp_path, harness, host=host, model=family, env={**HF, **(env or {})}, **kwargs)
        api = CosmosAPI(load(config))
        made.append(api)
        return api

    yield build
    for api in made:
        api.close()


def host_run_dir(tmp_path: Path, host: str, run_id: str) -> Path:
    remote = tmp_path / ("remote-ssh" if host == "test" else "remote-local")
    return remote / ".cosmos-tui" / "runs" / run_id


@pytest.mark.parametrize(("family", "task", "command", "files"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_a_family_completes_a_run_with_its_own_command_spec_and_outputs(
    api_for, tmp_path: Path, host_name: str, family: str, task: str, command: str, files: list[str]
) -> None:
    api = api_for(host_name, family)
    prompt = api.create_prompt("a robot arm pours water into a glass", DEMO)
    [run_id] = api.run_inference([prompt.prompt_id], model_type=task)
    assert api.execute([run_id], timeout=120)
    run = api.get_run(run_id)
    assert run.status == "completed", (run.error_class, run.error_message)
    assert (run.family, run.model_type) == (family, task)
    local = api.run_dir(run_id)
    for name in files:
        assert (local / name).stat().st_size > 0, (name, sorted(p.name for p in local.iterdir()))
    # The spec on the host is the one kept here, and the command is the family's own.
    on_host = host_run_dir(tmp_path, host_name, run_id) / "spec.json"
    assert json.loads(on_host.read_text()) == json.loads((local / "spec.json").read_text())
    assert run.config["_command"].startswith(command)
    described = json.loads((local / "run.json").read_text())
    assert (described["family"], described["command"]) == (family, run.config["_command"])
    log = (local / "run.log").read_text()
    if family == "cosmos3" and task != "reason":
        assert "Sampling:" in log and "35/35" in log  # the per-step bar
        assert "sampling" in [stage.stage for stage in run.stages]
    if task == "reason":
        answer = (local / "output.txt").read_text().strip()
        assert answer and run.output_text == answer
    else:
        assert run.output_text is None


def test_cosmos3_step_progress_arrives_while_the_bar_is_drawn(
    api_for, host_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Sampling bar redraws one line with \\r until its stage ends: the runtime must pass each
    redraw on as it comes (docker's log driver would hold the line until its newline)."""
    seen: list[bytes] = []
    passed_on = RunExecutor.log_partial

    def spy(self: RunExecutor, update: bytes) -> None:
        seen.append(update)
        passed_on(self, update)

    monkeypatch.setattr(RunExecutor, "log_partial", spy)
    api = api_for(host_name, "cosmos3", speed="0.03")
    prompt = api.create_prompt("a robot arm pours water into a glass", DEMO)
    [run_id] = api.run_inference([prompt.prompt_id], model_type="predict")
    assert api.execute([run_id], timeout=120)
    assert api.get_run(run_id).status == "completed"
    steps = {int(found[1]) for line in seen if (found := re.search(rb"^Sampling:.*\| (\d+)/35", line))}
    assert steps & set(range(1, 35)), seen[-5:]  # redraws part-way through the bar, not only its end


def test_a_reasoner_s_answer_shows_in_run_show_json_and_after_run(api_for, tmp_path: Path) -> None:
    api = api_for("local", "cosmos3")
    prompt = api.create_prompt("What is the robot doing?", DEMO)
    config = tmp_path / "project" / "config.toml"
    env = {"COSMOS_TUI_CONFIG": str(config), "PATH": "/usr/bin:/bin"}
    argv = [BIN, "--run", prompt.prompt_id, "--task", "reason"]
    ran = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    assert "answer:" in ran.stdout and "robotic arm" in ran.stdout
    [run] = api.list_runs()
    shown = subprocess.run(
        [BIN, "run", "show", run.run_id, "--json"], env=env, capture_output=True, text=True, timeout=60
    )
    data = json.loads(shown.stdout)
    assert data["output_text"] and "robotic arm" in data["output_text"] and data["family"] == "cosmos3"


FAILURES = [
    ("cosmos3", "predict", "[sim:guardrail]", "guardrail", "Qwen3Guard"),
    ("cosmos3", "predict", "[sim:oom]", "oom", "out of memory"),
    ("transfer2.5", "transfer", "[sim:guardrail]", "guardrail", "guardrail"),
    ("predict2.5", "predict", "[sim:oom]", "oom", "out of memory"),
]


@pytest.mark.parametrize(
    ("family", "task", "marker", "error_class", "words"), FAILURES, ids=[f"{f[0]}-{f[3]}" for f in FAILURES]
)
def test_failures_are_classified_in_the_family_s_words(
    api_for, host_name: str, family: str, task: str, marker: str, error_class: str, words: str
) -> None:
    api = api_for(host_name, family)
    prompt = api.create_prompt(f"a quiet street {marker}", DEMO)
    [run_id] = api.run_inference([prompt.prompt_id], model_type=task)
    api.execute([run_id], timeout=120)
    run = api.get_run(run_id)
    assert (run.status, run.error_class) == ("failed", error_class), run.error_message
    assert words.lower() in (run.error_message or "").lower()
    assert "\n" not in (run.error_message or "")


@pytest.mark.parametrize(
    ("family", "task"), [("cosmos3", "predict"), ("transfer2.5", "transfer"), ("predict2.5", "predict")]
)
def test_a_batch_loads_the_family_s_model_once(api_for, host_name: str, family: str, task: str) -> None:
    api = api_for(host_name, family)
    texts = ["a harbour at dawn", "a desert road", "a snowy forest"]
    prompts = [api.create_prompt(text, DEMO).prompt_id for text in texts]
    run_ids = api.run_inference(prompts, model_type=task, batch=True)
    assert api.execute(run_ids, timeout=120)
    runs = [api.get_run(r) for r in run_ids]
    assert [r.status for r in runs] == ["completed"] * 3, [(r.error_class, r.error_message) for r in runs]
    assert len({r.batch_id for r in runs}) == 1 and runs[0].batch_id
    model_log = (api.config.paths.outputs / f"batch_{runs[0].batch_id}" / "model.log").read_text()
    loads = "Loaded 3 samples" if family == "cosmos3" else "Log saved to"
    assert model_log.count(loads) == 1
    for run in runs:
        assert (api.run_dir(run.run_id) / "output.mp4").stat().st_size > 0
        assert "--keep-going" in run.config["_command"]


def test_a_cosmos3_batch_over_two_gpus_loads_once_and_maps_each_sample_back(api_for, host_name: str) -> None:
    """torchrun over two GPUs, the throughput preset: one sharded replica takes the samples in
    turn; every rank's "Saved ..." line carries [RANK n], and only rank 0's may split the log."""
    api = api_for(host_name, "cosmos3", env={"COSMOS_SIM_GPUS": "2"})
    prompts = [api.create_prompt(text, DEMO).prompt_id for text in ("a harbour at dawn", "a desert road")]
    run_ids = api.run_inference(prompts, {"num_gpu": 2}, model_type="predict", batch=True)
    assert api.execute(run_ids, timeout=120)
    runs = [api.get_run(r) for r in run_ids]
    assert [r.status for r in runs] == ["completed"] * 2, [(r.error_class, r.error_message) for r in runs]
    assert runs[0].batch_id and runs[0].batch_id == runs[1].batch_id
    assert runs[0].config["_command"].startswith("torchrun --standalone --nproc-per-node=2 ")
    for run in runs:
        assert (api.run_dir(run.run_id) / "output.mp4").stat().st_size > 0
        log = Path(run.log_path).read_text()
        assert log.count("Saved sample outputs to") >= 1 and run.progress == 100


def test_a_host_whose_family_cannot_run_the_task_is_refused_in_one_sentence(api_for) -> None:
    from cosmos_tui.errors import UsageError

    api = api_for("local", "predict2.5")
    prompt = api.create_prompt("a street", DEMO)
    refusal = r"host local runs Cosmos-Predict2\.5, which cannot run transfer runs"
    with pytest.raises(UsageError, match=refusal):
        api.run_inference([prompt.prompt_id], model_type="transfer")


@pytest.mark.parametrize(("family", "mode"), [("cosmos3", "text2video"), ("predict2.5", "text2world")])
def test_text_to_world_needs_no_input_and_is_the_default_task_of_a_text_prompt(
    api_for, tmp_path: Path, host_name: str, family: str, mode: str
) -> None:
    api = api_for(host_name, family)
    prompt = api.create_prompt("a lighthouse on a cliff at dusk, waves below")  # no input at all
    [run_id] = api.run_inference([prompt.prompt_id])
    assert api.execute([run_id], timeout=120)
    run = api.get_run(run_id)
    assert (run.status, run.model_type) == ("completed", "predict"), (run.error_class, run.error_message)
    assert (api.run_dir(run_id) / "output.mp4").stat().st_size > 0
    spec = json.loads((host_run_dir(tmp_path, host_name, run_id) / "spec.json").read_text())
    assert mode in (spec.get("model_mode"), spec.get("inference_type"))
    assert "vision_path" not in spec and "input_path" not in spec
    assert run.config["inputs"] == {}


@pytest.mark.parametrize(
    ("family", "task", "overrides", "field", "words"),
    [
        ("transfer2.5", "transfer", {"guidance": 7.5}, "guidance", "whole number from 0 to 7, not 7.5"),
        ("transfer2.5", "transfer", {"weights": {"edge": 1.5}}, "edge", "from 0 to 1, not 1.5 for edge"),
        ("predict2.5", "predict", {"guidance": 9}, "guidance", "whole number from 0 to 7, not 9"),
        ("cosmos3", "predict", {"guidance": 9}, "guidance", "from 0 to 7, not 9"),
    ],
)
def test_settings_the_model_would_refuse_after_loading_are_refused_when_queued(
    api_for, family: str, task: str, overrides: dict, field: str, words: str
) -> None:
    from cosmos_tui.errors import UsageError

    api = api_for("local", family)
    prompt = api.create_prompt("a street", DEMO)
    with pytest.raises(UsageError, match=words) as refused:
        api.run_inference([prompt.prompt_id], overrides, model_type=task)
    assert refused.value.field == field
    assert api.list_runs() == []  # nothing queued


def test_a_long_cosmos3_transfer_samples_in_chunks_the_progress_expects(
    api_for, tmp_path: Path, host_name: str
) -> None:
    """200 frames in chunks of 93 overlapping by one: three Sampling bars, as the adapter predicts
    from the video's frame count (so progress does not stall after the first chunk)."""
    folder = tmp_path / "long"
    folder.mkdir()
    for name in ("depth.mp4", "segmentation.mp4"):
        shutil.copy(DEMO / name, folder / name)
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=160x90:rate=24", "-frames:v", "200",
         "-pix_fmt", "yuv420p", str(folder / "color.mp4")],
        check=True, timeout=60,
    )  # fmt: skip
    api = api_for(host_name, "cosmos3")
    prompt = api.create_prompt("a long drive", folder)
    [run_id] = api.run_inference([prompt.prompt_id], model_type="transfer")
    run = api.get_run(run_id)
    assert step_rounds(adapter_for("transfer", "cosmos3"), run.config) == 3
    assert api.execute([run_id], timeout=120)
    run = api.get_run(run_id)
    assert run.status == "completed", (run.error_class, run.error_message)
    bars = [line for line in Path(run.log_path).read_bytes().split(b"\n") if b"Sampling:" in line]
    assert len(bars) == 3
