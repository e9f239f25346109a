"""Batches against the real daemons (sshd + dockerd + sim image) and the local process host:
several runs served by one model process, each with its own record, log slice and outputs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from cosmos_tui.api import CosmosAPI
from cosmos_tui.config import load
from tests.conftest import DEMO
from tests.harness import Harness
from tests.test_engine import make_config
from tests.waiting import wait_until

pytestmark = pytest.mark.integration

BIN = Path(sys.executable).parent / "cosmos-tui"
LOAD = b"Start creating base model"
TEXTS = ["a harbour at dawn", "a desert road", "a snowy forest"]


@pytest.fixture(params=["test", "local"])
def host_name(request) -> str:
    return request.param


@pytest.fixture
def api_for(tmp_path: Path, harness: Harness):
    made: list[CosmosAPI] = []

    def build(host: str, **kwargs: object) -> CosmosAPI:
        api = CosmosAPI(load(make_config(tmp_path, harness, host=host, **kwargs)))
        made.append(api)
        return api

    yield build
    for api in made:
        api.close()


def queue(api: CosmosAPI, texts: list[str], *, batch: bool = False, **overrides: object) -> list[str]:
    prompts = [api.create_prompt(text, DEMO).prompt_id for text in texts]
    return api.run_inference(prompts, overrides or None, batch=batch)


def model_loads(api: CosmosAPI, run_ids: list[str]) -> int:
    """How many times the model was loaded for these runs, from their own run.logs."""
    return sum(api.run_dir(r).joinpath("run.log").read_bytes().count(LOAD) for r in run_ids)


def test_a_batch_of_three_loads_the_model_once_and_each_run_has_its_own_output_and_log(
    api_for, host_name: str
) -> None:
    api = api_for(host_name)
    run_ids = queue(api, TEXTS, batch=True)
    assert api.execute(run_ids, timeout=120)
    runs = [api.get_run(r) for r in run_ids]
    assert [r.status for r in runs] == ["completed"] * 3, [(r.error_class, r.error_message) for r in runs]
    assert len({r.batch_id for r in runs}) == 1 and runs[0].batch_id
    assert [r.batch_index for r in runs] == [0, 1, 2]
    assert model_loads(api, run_ids) == 1
    batch_log = api.config.paths.outputs / f"batch_{runs[0].batch_id}" / "model.log"
    assert batch_log.read_bytes().count(LOAD) == 1
    for index, run in enumerate(runs):
        folder = api.run_dir(run.run_id)
        assert (folder / "output.mp4").stat().st_size > 0
        assert (folder / "prompt.txt").read_text().strip() == TEXTS[index]
        log = (folder / "run.log").read_text()
        assert f"video_{index}/prompt.txt" in log
        assert all(f"video_{other}/" not in log for other in range(3) if other != index)
        assert run.progress == 100.0 and run.duration_seconds and run.duration_seconds > 0


def test_a_guardrail_block_in_the_middle_fails_that_run_alone_and_the_rest_completes(
    api_for, host_name: str
) -> None:
    api = api_for(host_name)
    texts = ["a quiet lake", "a blocked one [sim:guardrail]", "a windy hill"]
    run_ids = queue(api, texts, batch=True)
    assert api.execute(run_ids, timeout=120)
    first, blocked, last = (api.get_run(r) for r in run_ids)
    assert first.status == "completed" and (api.run_dir(first.run_id) / "output.mp4").exists()
    assert blocked.status == "failed" and blocked.error_class == "guardrail", blocked.error_message
    # The process died on the block; the sample it never reached went back to the queue and ran.
    assert last.status == "completed", (last.error_class, last.error_message)
    assert last.batch_id is None
    assert (api.run_dir(last.run_id) / "output.mp4").stat().st_size > 0
    assert "GUARDRAIL BLOCKED" in (api.run_dir(blocked.run_id) / "run.log").read_text()
    assert "GUARDRAIL BLOCKED" not in (api.run_dir(last.run_id) / "run.log").read_text()


def test_queued_runs_with_the_same_settings_batch_automatically_up_to_max_batch(api_for) -> None:
    api = api_for("local", max_batch=2)
    run_ids = queue(api, ["one", "two", "three"])
    other = queue(api, ["more steps"], num_steps=3)  # different per-process settings: alone
    assert api.execute(run_ids + other, timeout=120)
    runs = [api.get_run(r) for r in run_ids + other]
    assert [r.status for r in runs] == ["completed"] * 4
    assert runs[0].batch_id and runs[0].batch_id == runs[1].batch_id
    assert runs[2].batch_id is None and runs[3].batch_id is None
    assert model_loads(api, [r.run_id for r in runs]) == 3


def test_max_batch_1_turns_batching_off(api_for) -> None:
    api = api_for("local", max_batch=1)
    run_ids = queue(api, ["one", "two"])
    assert api.execute(run_ids, timeout=120)
    assert [api.get_run(r).batch_id for r in run_ids] == [None, None]
    assert model_loads(api, run_ids) == 2


def test_runs_that_cannot_share_a_process_are_refused_as_one_batch(api_for) -> None:
    from cosmos_tui.errors import UsageError

    api = api_for("local")
    prompts = [api.create_prompt(t, DEMO).prompt_id for t in ("one", "two")]
    api.run_inference(prompts[:1], {"num_steps": 3})
    with pytest.raises(UsageError, match="cannot share one model process"):
        api._batch_for("transfer", [{"num_steps": 3}, {"num_steps": 4}])


def execute_in_background(api: CosmosAPI, run_ids: list[str]) -> threading.Thread:
    thread = threading.Thread(target=api.execute, args=(run_ids,), kwargs={"timeout": 120}, daemon=True)
    thread.start()
    return thread


def test_cancelling_a_member_the_model_has_not_reached_drops_only_it(api_for, host_name: str) -> None:
    api = api_for(host_name, speed="0.02")
    run_ids = queue(api, TEXTS, batch=True, num_steps=1)
    thread = execute_in_background(api, run_ids)
    wait_until(lambda: api.get_run(run_ids[0]).status == "running", timeout=60)
    api.cancel_run(run_ids[2])
    wait_until(lambda: api.get_run(run_ids[2]).is_terminal, timeout=60)
    thread.join(120)
    runs = [api.get_run(r) for r in run_ids]
    assert [r.status for r in runs] == ["completed", "completed", "cancelled"]
    assert model_loads(api, run_ids) == 1


def test_cancelling_the_running_member_stops_the_batch_and_requeues_the_rest(api_for, host_name: str) -> None:
    api = api_for(host_name, speed="0.02")
    # Enough steps that the second sample is still generating when the cancel arrives, even on a
    # loaded machine: cancel once the model has reached it (its own log has lines).
    run_ids = queue(api, TEXTS, batch=True, num_steps=30)
    thread = execute_in_background(api, run_ids)
    second_log = api.run_dir(run_ids[1]) / "run.log"
    wait_until(
        lambda: (
            api.get_run(run_ids[0]).status == "completed"
            and second_log.exists()
            and second_log.stat().st_size > 0
        ),
        timeout=90,
    )
    api.cancel_run(run_ids[1])
    thread.join(120)
    runs = [api.get_run(r) for r in run_ids]
    statuses = [r.status for r in runs]
    assert statuses == ["completed", "cancelled", "completed"], [r.error_message for r in runs]
    assert runs[2].batch_id is None  # queued again, then run after the stopped batch


def test_a_detached_batch_is_collected_by_a_later_cosmos_tui(api_for, tmp_path: Path) -> None:
    api = api_for("local", speed="0.01")
    run_ids = queue(api, TEXTS, batch=True, num_steps=1)
    api.execute(run_ids, detach=True)
    assert {api.get_run(r).status for r in run_ids} <= {"running", "completed"}
    later = api_for("local", speed="0.01")  # another process's view: re-attaches to the batch
    assert later.execute(run_ids, timeout=120)
    runs = [later.get_run(r) for r in run_ids]
    assert [r.status for r in runs] == ["completed"] * 3, [r.error_message for r in runs]
    assert model_loads(later, run_ids) == 1
    for index, run in enumerate(runs):
        assert (later.run_dir(run.run_id) / "prompt.txt").read_text().strip() == TEXTS[index]


def test_a_killed_run_process_mid_batch_is_re_attached_and_no_sample_runs_twice(
    tmp_path: Path, harness: Harness, host_name: str
) -> None:
    config = make_config(tmp_path, harness, host=host_name, speed="0.02")
    env = {**os.environ, "COSMOS_TUI_CONFIG": str(config)}
    with CosmosAPI(load(config)) as api:
        prompts = [api.create_prompt(text, DEMO).prompt_id for text in TEXTS]
    first = subprocess.Popen(
        [BIN, "--run", *prompts, "--batch", "--json", "--steps", "4"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    with CosmosAPI(load(config)) as api:

        def mid_batch() -> list[str]:
            runs = api.list_runs()
            ids = [r.run_id for r in sorted(runs, key=lambda r: r.batch_index or 0)]
            second = api.run_dir(ids[1]) / "run.log" if len(ids) == 3 else None
            going = (
                len(runs) == 3
                and api.get_run(ids[0]).status == "completed"
                and second is not None
                and second.exists()
                and second.stat().st_size > 0
            )
            return ids if going else []

        run_ids = wait_until(mid_batch, timeout=90, message="the batch to finish its first sample")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert [api.get_run(r).status for r in run_ids[1:]] == ["running", "running"]
    second = subprocess.run(
        [BIN, "run", "wait", run_ids[2], "--json"], env=env, capture_output=True, text=True, timeout=120
    )
    assert second.returncode == 0, second.stderr
    with CosmosAPI(load(config)) as api:
        runs = [api.get_run(r) for r in run_ids]
        assert [r.status for r in runs] == ["completed"] * 3, [r.error_message for r in runs]
        assert len({r.batch_id for r in runs}) == 1
        assert model_loads(api, run_ids) == 1  # re-attached to the model process, not started again
        model_log = api.config.paths.outputs / f"batch_{runs[0].batch_id}" / "model.log"
        assert model_log.read_bytes().count(LOAD) == 1
        for index, run in enumerate(runs):
            log = (api.run_dir(run.run_id) / "run.log").read_text()
            assert log.count("Saved prompt to") == 1, (index, log[-500:])
            assert (api.run_dir(run.run_id) / "prompt.txt").read_text().strip() == TEXTS[index]
