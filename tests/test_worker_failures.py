"""Failed workers become one notification (issue 10 part 4), and thread workers never touch
widgets from their thread."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
from textual.dom import DOMNode
from textual.widget import Widget
from textual.widgets import Input, Static

from cosmos_tui import config as cfg
from cosmos_tui.api import CosmosAPI
from cosmos_tui.errors import OperationError
from cosmos_tui.tui.app import CosmosApp
from tests.conftest import DEMO
from tests.harness import local_host_table
from tests.test_tui import SIZE, table_ids, wait_until


@pytest.fixture
def local_api(tmp_path: Path):
    body = 'default_host = "sim"\n[paths]\ndatabase = "db.sqlite"\n' + local_host_table("sim", tmp_path / "r")
    (tmp_path / "config.toml").write_text(body)
    with CosmosAPI(cfg.load(tmp_path / "config.toml")) as api:
        yield api


def break_prompt_runs(api: CosmosAPI, monkeypatch: pytest.MonkeyPatch, error: Exception) -> None:
    """The prompt detail's list of runs fails (the header's counts still work)."""
    real = api.list_runs

    def list_runs(*args: object, **kwargs: object) -> object:
        if kwargs.get("prompt"):
            raise error
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(api, "list_runs", list_runs)


def errors(app: CosmosApp) -> list[str]:
    return [n.message for n in app._notifications if n.severity == "error"]


async def test_a_screen_worker_that_fails_says_its_sentence(local_api, monkeypatch) -> None:
    local_api.create_prompt("one", DEMO)
    break_prompt_runs(local_api, monkeypatch, OperationError("the database is busy; try again in a moment."))
    app = CosmosApp(local_api, start_engine=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: len(table_ids(app, "#prompts")) == 1)
        await pilot.press("enter")  # the detail screen loads the prompt's runs in a worker
        await wait_until(pilot, lambda: errors(app) == ["the database is busy; try again in a moment."])


async def test_an_unexpected_worker_error_is_logged_with_its_traceback_and_named(
    local_api, monkeypatch, caplog
) -> None:
    local_api.create_prompt("one", DEMO)
    break_prompt_runs(local_api, monkeypatch, KeyError("boom"))
    app = CosmosApp(local_api, start_engine=False)
    with caplog.at_level(logging.ERROR, logger="cosmos_tui.tui.app"):
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: len(table_ids(app, "#prompts")) == 1)
            await pilot.press("enter")
            await wait_until(pilot, lambda: len(errors(app)) == 1)
    [message] = errors(app)
    assert message.startswith("a background task (load_runs) failed unexpectedly (KeyError); ")
    assert message.endswith(".") and "Traceback" not in message
    [record] = [r for r in caplog.records if r.name == "cosmos_tui.tui.app"]
    assert record.exc_info is not None and record.exc_info[0] is KeyError


async def test_thread_workers_never_touch_widgets(local_api, monkeypatch) -> None:
    """Every screen's workers run while DOM queries and repaints from other threads are recorded."""
    touched: list[str] = []
    main = threading.get_ident()

    def watch(cls: type, name: str) -> None:
        real = getattr(cls, name)

        def wrapper(self: object, *args: object, **kwargs: object) -> object:
            if threading.get_ident() != main:
                touched.append(f"{type(self).__name__}.{name} from {threading.current_thread().name}")
            return real(self, *args, **kwargs)

        monkeypatch.setattr(cls, name, wrapper)

    for cls, name in ((DOMNode, "query"), (DOMNode, "query_one"), (Widget, "refresh")):
        watch(cls, name)

    prompt = local_api.create_prompt("one", DEMO)
    local_api.run_inference([prompt.prompt_id])
    app = CosmosApp(local_api, start_engine=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: len(table_ids(app, "#prompts")) == 1)
        await pilot.press("r")  # the run form: a refused value comes back from the worker
        await pilot.pause()
        app.screen.query_one("#guidance", Input).value = "1000"
        await pilot.press("ctrl+s")
        error = app.screen.query_one("#run-error", Static)
        await wait_until(pilot, lambda: "guidance" in str(error.render()))
        await pilot.press("escape")
        await pilot.press("enter")  # detail
        await pilot.pause(0.3)
        await pilot.press("escape")
        for screen in ("2", "3", "4"):
            await pilot.press(screen)
            await pilot.pause(0.3)
    assert touched == []
