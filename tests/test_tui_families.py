"""The TUI with model families: the run form offers the tasks the prompts' inputs can feed, and a
reasoner's answer shows in the run's view (the log screen)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.widgets import Select, Static

from cosmos_tui.api import CosmosAPI
from cosmos_tui.config import load
from cosmos_tui.tui.app import CosmosApp
from cosmos_tui.tui.screens.log import LogScreen
from tests.conftest import DEMO
from tests.test_engine import make_config
from tests.waiting import pilot_wait_until as wait_until

pytestmark = pytest.mark.integration

SIZE = (120, 40)


@pytest.fixture
def c3_api(tmp_path: Path):
    env = {"HF_TOKEN": "hf_simulated", "HF_HOME": ".hf-home"}
    with CosmosAPI(load(make_config(tmp_path, None, host="local", model="cosmos3", env=env))) as api:
        yield api


def task_options(app: CosmosApp) -> list[str]:
    select = app.screen.query_one("#task", Select)
    return [str(value) for _label, value in select._options if value != Select.BLANK]


async def test_the_run_form_offers_the_tasks_the_prompt_s_input_can_feed(c3_api: CosmosAPI) -> None:
    c3_api.create_prompt("a lighthouse at dusk")  # text only: predict (text to world) alone
    app = CosmosApp(c3_api, start_engine=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: len(c3_api.list_prompts()) == 1)
        await pilot.press("r")
        await wait_until(pilot, lambda: task_options(app) == ["predict"])
        assert app.screen.query_one("#task", Select).value == "predict"
        await pilot.press("escape")


async def test_a_reason_run_from_the_form_shows_its_answer_in_the_run_s_view(c3_api: CosmosAPI) -> None:
    prompt = c3_api.create_prompt("What is the robot doing?", DEMO)
    app = CosmosApp(c3_api, start_engine=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: len(c3_api.list_prompts()) == 1)
        await pilot.press("r")
        await wait_until(pilot, lambda: task_options(app) == ["transfer", "predict", "reason"])
        assert app.screen.query_one("#task", Select).value == "transfer"  # a folder's default
        app.screen.query_one("#task", Select).value = "reason"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: len(c3_api.list_runs()) == 1)
        [run] = c3_api.list_runs()
        assert (run.model_type, run.family, run.prompt_id) == ("reason", "cosmos3", prompt.prompt_id)
        assert await asyncio.to_thread(c3_api.execute, [run.run_id], timeout=120)
        answer = c3_api.get_run(run.run_id).output_text
        assert answer
        await pilot.press("2")  # the runs screen; enter opens the run's view
        await wait_until(pilot, lambda: run.run_id in getattr(app.screen, "runs", {}))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, LogScreen))

        def shown() -> str:
            return str(app.screen.query_one("#log-answer", Static).render())

        await wait_until(pilot, lambda: answer in shown())
        assert "reason (cosmos3)" in app.screen.sub_title
