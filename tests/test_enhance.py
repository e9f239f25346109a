"""Tracked prompt enhancement against the real daemons (sshd + dockerd + the sim image) and the local
process host: an `enhance` run makes a child prompt; `--run ID --enhance` runs that child; a failed
enhancement makes nothing; `e` in the TUI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cosmos_tui.api import CosmosAPI
from cosmos_tui.config import load
from cosmos_tui.tui.app import CosmosApp
from cosmos_tui.tui.screens.prompts import PromptDetailScreen
from tests.conftest import DEMO
from tests.harness import Harness
from tests.test_engine import make_config
from tests.waiting import pilot_wait_until

pytestmark = pytest.mark.integration

BIN = Path(sys.executable).parent / "cosmos-tui"
ADDED = "The scene is captured in photorealistic detail"  # what the sim's upsampler adds


@pytest.fixture(params=["test", "local"])
def host_name(request) -> str:
    return request.param


@pytest.fixture
def config_path(tmp_path: Path, harness: Harness, host_name: str) -> Path:
    return make_config(tmp_path, harness, host=host_name)


def cli(config: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN), "--config", str(config), *args], capture_output=True, text=True, timeout=timeout
    )


def test_enhancing_makes_a_child_prompt_with_the_enhanced_text(config_path: Path, host_name: str) -> None:
    with CosmosAPI(load(config_path)) as api:
        prompt = api.create_prompt("A red car on a wet road", DEMO, name="car")
        run_id = api.enhance_prompt(prompt.prompt_id)
        assert api.execute([run_id], timeout=120)
        run = api.get_run(run_id)
        assert run.status == "completed", run.error_message
        assert (run.model_type, run.host) == ("enhance", host_name)
        assert run.duration_seconds is not None and [s.stage for s in run.stages][-1] == "done"
        child = api.enhanced_prompt(run_id)
        assert child is not None
        assert child.parent_id == prompt.prompt_id and child.name == "car-enhanced"
        assert child.text.startswith("A red car on a wet road " + ADDED)
        assert (child.inputs, child.parameters, child.negative_prompt, child.input_dir) == (
            prompt.inputs,
            prompt.parameters,
            prompt.negative_prompt,
            prompt.input_dir,
        )
        assert [c.prompt_id for c in api.prompt_children(prompt.prompt_id)] == [child.prompt_id]
        assert api.runs_queued_after([run_id]) == []  # no run asked for after it
        folder = api.run_dir(run_id)
        assert (folder / "enhanced_prompt.txt").read_text().strip() == child.text
        assert "Upsampled prompt: " in (folder / "run.log").read_text()
        # The default weights have vis on: the vis variant, which reads the input video.
        spec = json.loads((folder / "spec.json").read_text())
        assert (spec["hint_key"], spec["control"]) == ("vis", "vis")
        # The dashboard counts it under its own model type.
        assert [m.model_type for m in api.dashboard().by_model] == ["enhance"]


def test_prompt_enhance_prints_the_child_and_prompt_show_lists_it(tmp_path: Path, harness: Harness) -> None:
    config = make_config(tmp_path, harness, host="local")
    prompt_id = cli(config, "prompt", "add", "-dash prompt, a boat", str(DEMO)).stdout.strip()
    done = cli(config, "prompt", "enhance", prompt_id, "--json")
    assert done.returncode == 0, done.stderr
    child = json.loads(done.stdout)
    assert child["parent_id"] == prompt_id and child["text"].startswith("-dash prompt, a boat " + ADDED)
    shown = json.loads(cli(config, "prompt", "show", prompt_id, "--json").stdout)
    assert [c["prompt_id"] for c in shown["children"]] == [child["prompt_id"]]
    text = cli(config, "prompt", "show", prompt_id).stdout
    assert f"children: {child['prompt_id']}" in text
    assert f"parent: {prompt_id}" in cli(config, "prompt", "show", child["prompt_id"]).stdout
    plain = cli(config, "prompt", "enhance", prompt_id, "--host", "local")
    assert plain.returncode == 0 and plain.stdout.strip().startswith("ps_"), plain.stderr
    assert "enhanced " + prompt_id in plain.stderr


def test_run_enhance_enhances_then_runs_the_enhanced_prompt(config_path: Path, host_name: str) -> None:
    with CosmosAPI(load(config_path)) as api:
        prompt = api.create_prompt("A lighthouse in fog", DEMO)
    done = cli(config_path, "--run", prompt.prompt_id, "--enhance", "--steps", "7", "--json")
    assert done.returncode == 0, done.stderr
    enhance, transfer = json.loads(done.stdout)
    assert (enhance["model_type"], enhance["status"]) == ("enhance", "completed")
    assert (transfer["model_type"], transfer["status"]) == ("transfer", "completed")
    assert transfer["parent_id"] == enhance["run_id"] and transfer["host"] == host_name
    with CosmosAPI(load(config_path)) as api:
        child = api.enhanced_prompt(enhance["run_id"])
        assert child is not None and child.parent_id == prompt.prompt_id
        assert transfer["prompt_id"] == child.prompt_id
        assert transfer["config"]["prompt"] == child.text and transfer["config"]["num_steps"] == 7
        assert Path(api.run_dir(transfer["run_id"]) / "output.mp4").is_file()
        # The model was given the enhanced text.
        assert ADDED in (api.run_dir(transfer["run_id"]) / "output.txt").read_text()


def test_a_detached_enhance_chain_goes_on_in_whichever_process_collects_it(tmp_path: Path, harness) -> None:
    config = make_config(tmp_path, harness, host="test")
    with CosmosAPI(load(config)) as api:
        prompt = api.create_prompt("A desert road", DEMO)
    started = cli(config, "--run", prompt.prompt_id, "--enhance", "--detach")
    assert started.returncode == 0, started.stderr
    [enhance_id] = started.stdout.split()
    waited = cli(config, "run", "wait", enhance_id)  # collects it: the follow-up queues the run
    assert waited.returncode == 0, waited.stderr
    with CosmosAPI(load(config)) as api:
        [then] = api.runs_queued_after([enhance_id])
        assert not api.get_run(then).is_terminal  # queued (or taken up by `run wait`'s claim loop)
    assert cli(config, "worker", "--until-idle").returncode == 0
    with CosmosAPI(load(config)) as api:
        run = api.get_run(then)
        child = api.enhanced_prompt(enhance_id)
        assert run.status == "completed" and child is not None and run.prompt_id == child.prompt_id


@pytest.mark.parametrize("marker", ["[sim:missing_checkpoint]", "[sim:oom]"])
def test_a_failed_enhancement_makes_no_prompt_and_runs_nothing(config_path: Path, marker: str) -> None:
    with CosmosAPI(load(config_path)) as api:
        prompt = api.create_prompt(f"A harbour at night {marker}", DEMO)
    done = cli(config_path, "--run", prompt.prompt_id, "--enhance")
    assert done.returncode == 1
    with CosmosAPI(load(config_path)) as api:
        [run] = api.list_runs()
        assert (run.model_type, run.status) == ("enhance", "failed")
        assert run.error_class == marker[5:-1] and "\n" not in (run.error_message or "")
        assert api.enhanced_prompt(run.run_id) is None
        assert api.prompt_children(prompt.prompt_id) == [] and api.count_prompts() == 1
    single = cli(config_path, "prompt", "enhance", prompt.prompt_id)
    assert single.returncode == 1 and single.stdout == ""
    assert "failed [" in single.stderr and "log:" in single.stderr


async def test_e_enhances_the_selected_prompt_and_the_detail_lists_the_child(tmp_path: Path, harness) -> None:
    with CosmosAPI(load(make_config(tmp_path, harness, host="local"))) as api:
        prompt = api.create_prompt("A snowy forest", DEMO)
        app = CosmosApp(api)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot_wait_until(
                pilot,
                lambda: app.screen.query("#prompts") and len(app.screen.query_one("#prompts").rows) == 1,
            )
            await pilot.press("e")
            await pilot_wait_until(pilot, lambda: len(api.prompt_children(prompt.prompt_id)) == 1, timeout=60)
            [child] = api.prompt_children(prompt.prompt_id)
            # The table shows the new prompt with the cursor on it, and a toast names it.
            await pilot_wait_until(pilot, lambda: len(app.screen.query_one("#prompts").rows) == 2)
            await pilot_wait_until(
                pilot, lambda: any(f"into {child.prompt_id}" in n.message for n in app._notifications)
            )
            await pilot.press("down")  # the parent, below its newer child
            await pilot.press("enter")
            await pilot_wait_until(pilot, lambda: isinstance(app.screen, PromptDetailScreen))
            await pilot_wait_until(
                pilot, lambda: child.prompt_id in str(app.screen.query_one("#prompt-children").render())
            )
            assert not app.screen.query_one("#prompt-children-box").has_class("hidden")


def test_a_hostile_multi_line_prompt_is_enhanced_verbatim(tmp_path: Path, harness: Harness) -> None:
    from tests.test_engine import NASTY

    with CosmosAPI(load(make_config(tmp_path, harness, host="test"))) as api:
        prompt = api.create_prompt(NASTY, DEMO)
        run_id = api.enhance_prompt(prompt.prompt_id)
        assert api.execute([run_id], timeout=120)
        child = api.enhanced_prompt(run_id)
        assert child is not None, api.get_run(run_id).error_message
        assert (
            child.text == f"{NASTY} {ADDED}, with natural lighting, soft shadows, rich textures and a "
            "smooth, steady camera motion."
        )
        assert not Path("/tmp/pwned").exists()
