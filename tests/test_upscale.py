"""4K upscale as its own run, linked to its parent (issue 11 part 2), against the real sshd +
dockerd harness and the local process host: the spec, the link, the output, no re-upload of an
output the host still has, the refusals, the `--upscale` chain, and `u` in the TUI."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest

from cosmos_tui.api import CosmosAPI
from cosmos_tui.config import load
from cosmos_tui.errors import UsageError
from cosmos_tui.store import lifecycle
from cosmos_tui.tui.app import CosmosApp
from tests.conftest import DEMO
from tests.harness import Harness
from tests.helpers import add_run
from tests.test_engine import cli, make_config
from tests.waiting import pilot_wait_until

pytestmark = pytest.mark.integration


def remote(tmp_path: Path, host: str) -> Path:
    return tmp_path / ("remote-ssh" if host == "test" else "remote-local") / ".cosmos-tui"


def completed_run(api: CosmosAPI, text: str = "a harbour at dawn") -> str:
    prompt = api.create_prompt(text, DEMO)
    [run_id] = api.run_inference([prompt.prompt_id])
    assert api.execute([run_id], timeout=120)
    assert api.get_run(run_id).status == "completed", api.get_run(run_id).error_message
    return run_id


def finished_run(api: CosmosAPI, prompt_id: str, **fields: object) -> str:
    """A completed transfer run as the engine records one, without executing it."""
    run_id = add_run(api, prompt_id, "completed", host="local", **fields).run_id
    lifecycle.update(api.store.db, run_id, outputs=[str(api.run_dir(run_id) / "output.mp4")])
    return run_id


def uploads(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("uploading ")]


@pytest.mark.parametrize("host", ["test", "local"])
def test_upscale_of_a_completed_run_reads_its_output_where_it_is_on_the_host(
    tmp_path: Path, harness: Harness, host: str, caplog: pytest.LogCaptureFixture
) -> None:
    with CosmosAPI(load(make_config(tmp_path, harness, host=host))) as api:
        parent = completed_run(api)
        inputs_before = sorted(p.name for p in (remote(tmp_path, host) / "inputs").iterdir())
        caplog.set_level(logging.INFO, logger="cosmos_tui.engine.hosts")
        caplog.clear()

        child_id = api.upscale(parent, 0.7)
        assert api.execute([child_id], timeout=120)
        child = api.get_run(child_id)

        assert child.status == "completed", child.error_message
        assert (child.model_type, child.parent_id, child.host) == ("upscale", parent, host)
        assert child.prompt_id == api.get_run(parent).prompt_id
        on_host = f".cosmos-tui/runs/{parent}/output/output.mp4"
        spec = json.loads((api.run_dir(child_id) / "spec.json").read_text())
        assert spec == {"input_video_path": on_host, "upscale": {"control_weight": 0.7}}
        log = (api.run_dir(child_id) / "run.log").read_text()
        assert '"num_steps": 10' in log and "4kupscaler_control.pt" in log
        assert f"reading control input {on_host} for hint upscale" in log
        # Its output came back here.
        video = api.run_dir(child_id) / "output.mp4"
        assert str(video) in child.outputs and video.stat().st_size > 0
        # Nothing was sent: the host's inputs are as they were and no upload happened.
        assert uploads(caplog) == []
        assert sorted(p.name for p in (remote(tmp_path, host) / "inputs").iterdir()) == inputs_before
        assert child.config["_files"] == {str(api.run_dir(parent) / "output.mp4"): on_host}
        assert [c.run_id for c in api.run_children(parent)] == [child_id]
        assert api.run_children(child_id) == []


def test_the_local_copy_is_uploaded_when_the_host_no_longer_has_the_output(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with CosmosAPI(load(make_config(tmp_path, None, host="local"))) as api:
        parent = completed_run(api)
        state = remote(tmp_path, "local")
        # While an upscale waits for it, cleaning the host keeps the parent's folder.
        waiting = api.upscale(parent)
        report = api.clean_host("local")
        assert parent in report.kept_unfinished and parent not in report.runs_removed
        assert (state / "runs" / parent / "output" / "output.mp4").is_file()
        api.cancel_run(waiting)

        shutil.rmtree(state / "runs" / parent)
        shutil.rmtree(state / "inputs")
        caplog.set_level(logging.INFO, logger="cosmos_tui.engine.hosts")
        caplog.clear()
        child_id = api.upscale(parent)
        assert api.execute([child_id], timeout=120)
        child = api.get_run(child_id)
        assert child.status == "completed", child.error_message
        local = str(api.run_dir(parent) / "output.mp4")
        sha = child.config["_sha256"][local]
        assert child.config["_files"] == {local: f".cosmos-tui/inputs/{sha}.mp4"}
        assert (state / "inputs" / f"{sha}.mp4").is_file()
        assert [m for m in uploads(caplog) if local in m]
        spec = json.loads((api.run_dir(child_id) / "spec.json").read_text())
        assert spec == {
            "input_video_path": f".cosmos-tui/inputs/{sha}.mp4",
            "upscale": {"control_weight": 0.5},
        }


def test_refusals_are_one_sentence(tmp_path: Path) -> None:
    config = make_config(tmp_path, None, host="local")
    with CosmosAPI(load(config)) as api:
        prompt = api.create_prompt("refused", DEMO)
        queued = add_run(api, prompt.prompt_id, "queued", host="local").run_id
        failed = add_run(api, prompt.prompt_id, "failed", host="local").run_id
        done = finished_run(api, prompt.prompt_id)
        upscaled = add_run(
            api, prompt.prompt_id, "completed", host="local", model_type="upscale", parent=done
        ).run_id
        for run_id, words in (
            (queued, "is queued, not completed"),
            (failed, "is failed, not completed"),
            (upscaled, f"is itself a 4K upscale (of {done})"),
        ):
            with pytest.raises(UsageError, match=r"only a (completed|transfer) run") as caught:
                api.upscale(run_id)
            assert words in str(caught.value)
        for weight in (0, 1.5, float("nan")):
            with pytest.raises(UsageError, match="above 0 and at most 1"):
                api.upscale(done, weight)
        assert [c.run_id for c in api.run_children(done)] == [upscaled]
        assert len(api.list_runs()) == 4  # nothing was queued

    result = cli(config, "upscale", queued)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"cosmos-tui: error: run {queued} is queued, not completed; only a completed run can be upscaled."
    ]
    result = cli(config, "upscale", upscaled)
    assert result.returncode == 2 and "itself a 4K upscale" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_with_upscale_queues_and_executes_each_upscale_when_its_run_completes(tmp_path: Path) -> None:
    config = make_config(tmp_path, None, host="local")
    prompt = cli(config, "prompt", "add", "chained", str(DEMO)).stdout.strip()
    result = cli(config, "--run", prompt, "--upscale", "0.6", "--json", timeout=240)
    assert result.returncode == 0, result.stderr
    parent, child = json.loads(result.stdout)
    assert (parent["model_type"], parent["status"]) == ("transfer", "completed")
    assert (child["model_type"], child["status"], child["parent_id"]) == (
        "upscale",
        "completed",
        parent["run_id"],
    )
    assert child["config"]["control_weight"] == 0.6
    assert any(p.endswith("output.mp4") for p in child["outputs"])
    shown = json.loads(cli(config, "run", "show", parent["run_id"], "--json").stdout)
    assert shown["children"] == [child["run_id"]]
    text = cli(config, "run", "show", parent["run_id"]).stdout
    assert f"upscale run: {child['run_id']} completed" in text
    assert f"parent run: {parent['run_id']}" in cli(config, "run", "show", child["run_id"]).stdout


def test_a_detached_run_with_upscale_is_upscaled_by_whoever_collects_it(tmp_path: Path) -> None:
    config = make_config(tmp_path, None, host="local", speed="0.005")
    prompt = cli(config, "prompt", "add", "detached chain", str(DEMO)).stdout.strip()
    started = cli(config, "--run", prompt, "--upscale", "--detach", "--json")
    assert started.returncode == 0, started.stderr
    [parent] = json.loads(started.stdout)
    assert parent["config"]["upscale_after"] == {"weight": 0.5}
    waited = cli(config, "run", "wait", parent["run_id"], "--json", timeout=120)  # collects it here
    assert json.loads(waited.stdout)["status"] == "completed", waited.stderr
    [child] = json.loads(cli(config, "run", "show", parent["run_id"], "--json").stdout)["children"]
    done = json.loads(cli(config, "run", "wait", child, "--json", timeout=120).stdout)
    assert (done["status"], done["model_type"], done["parent_id"]) == (
        "completed",
        "upscale",
        parent["run_id"],
    )


async def test_u_in_the_runs_screen_upscales_the_selected_run(tmp_path: Path) -> None:
    config = make_config(tmp_path, None, host="local")
    with CosmosAPI(load(config)) as api:
        prompt = api.create_prompt("upscale me", DEMO)
        parent = finished_run(api, prompt.prompt_id)
        app = CosmosApp(api, start_engine=False)
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.press("2")
            await pilot_wait_until(pilot, lambda: parent in app.screen.runs)
            await pilot.press("u")
            await pilot_wait_until(pilot, lambda: len(api.run_children(parent)) == 1)
            [child] = api.run_children(parent)
            assert (child.model_type, child.status, child.config["control_weight"]) == (
                "upscale",
                "queued",
                0.5,
            )
            await pilot_wait_until(
                pilot,
                lambda: any(
                    f"queued {child.run_id}: 4K upscale of {parent}" in str(n.message)
                    for n in app._notifications
                ),
            )
            # The table shows the child right under its parent, marked as its upscale.
            await pilot_wait_until(pilot, lambda: list(app.screen.runs) == [parent, child.run_id])
            table = app.screen.query_one("#runs")
            assert str(table.get_cell(child.run_id, "prompt")).startswith("└ 4K: upscale-me")
            # u on the upscale itself: refused in one sentence, nothing queued.
            table.move_cursor(row=1)
            await pilot.press("u")
            await pilot_wait_until(
                pilot, lambda: any("itself a 4K upscale" in str(n.message) for n in app._notifications)
            )
            assert len(api.list_runs()) == 2
