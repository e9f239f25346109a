"""Keymaps (issue 10 part 6): one key table feeds the bindings, the footer, help, the palette,
status-line hints and the README; `[keys]` in the config rebinds keys, checked strictly."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import Button, Static

from cosmos_tui import config as cfg
from cosmos_tui.api import CosmosAPI
from cosmos_tui.errors import ConfigError
from cosmos_tui.keymap import ACTIONS, BY_ID, check, readme_table, with_readme_table
from cosmos_tui.tui.app import CosmosApp
from tests.conftest import DEMO, REPO
from tests.harness import local_host_table
from tests.test_tui import SIZE, table_ids, wait_until

TUI = REPO / "cosmos_tui" / "tui"


def load_text(tmp_path: Path, text: str) -> cfg.Config:
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    return cfg.load(path)


def config_error(tmp_path: Path, keys: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load_text(tmp_path, "[keys]\n" + keys)
    return str(caught.value)


# -- the table -------------------------------------------------------------------------------------


def test_readme_key_table_is_the_generated_one() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert readme_table() in readme
    assert with_readme_table(readme) == readme, "run `.venv/bin/python -m cosmos_tui.keymap README.md`"


def test_every_binding_in_the_tui_comes_from_the_table() -> None:
    # No screen writes its own Binding(...): they all call bindings("<place>").
    hand_written = [p for p in TUI.rglob("*.py") if p.name != "keymap.py" and "Binding(" in p.read_text()]
    assert hand_written == []
    from textual.screen import Screen
    from textual.widget import Widget

    from cosmos_tui.tui.screens import (
        dashboard,
        gallery,
        gpu,
        log,
        preview,
        prompt_form,
        prompts,
        run_form,
        runs,
    )
    from cosmos_tui.tui.widgets import confirm, tables

    classes = [
        obj
        for module in (
            dashboard,
            gallery,
            gpu,
            log,
            preview,
            prompt_form,
            prompts,
            run_form,
            runs,
            confirm,
            tables,
        )
        for obj in vars(module).values()
        if isinstance(obj, type)
        and issubclass(obj, Screen | Widget)
        and obj.__module__ == module.__name__
        and "BINDINGS" in vars(obj)
    ]
    ids = {b.id for cls in (*classes, CosmosApp) for b in cls.BINDINGS}  # type: ignore[union-attr]
    assert None not in ids
    assert ids == set(BY_ID)  # and every table entry is bound somewhere


def test_action_ids_are_unique_and_default_keys_pass_their_own_check() -> None:
    assert len(BY_ID) == len(ACTIONS)
    assert check({a.id: a.keys for a in ACTIONS}) == {a.id: a.keys for a in ACTIONS}


# -- [keys] in the config --------------------------------------------------------------------------


def test_keys_section_rebinds_and_round_trips(tmp_path: Path) -> None:
    config = load_text(tmp_path, '[keys]\n"runs.cancel" = "x"\n"app.help" = "?"\nlog.follow = "F"\n')
    assert config.keys == {"runs.cancel": "x", "app.help": "question_mark", "log.follow": "F"}
    assert cfg.as_dict(config)["keys"] == config.keys
    again = load_text(tmp_path, cfg.to_toml(config))
    assert again.keys == config.keys
    assert load_text(tmp_path, "").keys == {}


def test_unknown_action_is_one_sentence_naming_the_entry(tmp_path: Path) -> None:
    message = config_error(tmp_path, '"runs.cancle" = "x"\n')
    assert message == (
        f'{tmp_path / "c.toml"}: [keys] "runs.cancle" is not an action; runs has: open_log, filter, '
        "cancel, rerun, open_output, upscale."
    )
    assert "names no screen" in config_error(tmp_path, '"run.cancel" = "x"\n')


def test_two_actions_on_one_key_of_a_screen_is_a_clash(tmp_path: Path) -> None:
    message = config_error(tmp_path, '"runs.cancel" = "s"\n')
    assert message == (
        f'{tmp_path / "c.toml"}: [keys] "runs.cancel" = "s" clashes with "runs.filter", which has s on '
        "the runs screen; choose another key for one of them."
    )
    # A key that works anywhere clashes with a screen's key on that screen.
    assert '"app.quit" = "c" clashes with "runs.cancel"' in config_error(tmp_path, '"app.quit" = "c"\n')
    assert '"runs.open_output" = "q" clashes with "app.quit"' in config_error(
        tmp_path, '"runs.open_output" = "q"\n'
    )
    # Swapping two keys is fine, and so are keys shared by default (escape: close help, else back).
    swapped = load_text(tmp_path, '[keys]\n"runs.cancel" = "s"\n"runs.filter" = "c"\n"log.back" = "escape"\n')
    assert swapped.keys["runs.cancel"] == "s"


@pytest.mark.parametrize(
    ("entry", "wanted"),
    [
        ('"runs.cancel" = 3', 'must be a key such as "x"'),
        ('"runs.cancel" = ""', 'must be a key such as "x"'),
        ('"runs.cancel" = "ctlr+x"', '"ctlr+x" is not a key; modifiers are ctrl'),
        ('"runs.cancel" = "cancel"', '"cancel" is not a key; use one character'),
        ('"runs.cancel" = "ctrl+q"', "ctrl+q quits at once in every screen; choose another key."),
        ('"new_prompt.create" = "x"', "x types into the form's fields; use a key with ctrl+"),
        ("keys = 1", None),
    ],
)
def test_bad_key_entries_are_refused_with_one_sentence(
    tmp_path: Path, entry: str, wanted: str | None
) -> None:
    if wanted is None:
        with pytest.raises(ConfigError, match=r"keys must be a table \(\[keys\]\)"):
            load_text(tmp_path, entry + "\n")
        return
    message = config_error(tmp_path, entry + "\n")
    assert wanted in message
    assert message.count(". ") == 0 and message.endswith("."), message  # one sentence


# -- the app follows the table and the rebinding --------------------------------------------------


@pytest.fixture
def rebound_api(tmp_path: Path):
    body = (
        'default_host = "sim"\n[paths]\ndatabase = "db.sqlite"\n'
        + local_host_table("sim", tmp_path / "remote")
        + '\n[keys]\n"runs.cancel" = "x"\n"confirm.yes" = "j"\n'
    )
    (tmp_path / "config.toml").write_text(body)
    with CosmosAPI(cfg.load(tmp_path / "config.toml")) as api:
        yield api


def footer_keys(app: CosmosApp) -> dict[str, str]:
    return {str(k.description): str(k.key) for k in app.screen.query("FooterKey")}  # type: ignore[attr-defined]


async def test_runs_cancel_rebound_to_x_works_and_the_footer_hints_and_palette_show_x(rebound_api) -> None:
    prompt = rebound_api.create_prompt("keep me", DEMO)
    [queued] = rebound_api.run_inference([prompt.prompt_id])
    app = CosmosApp(rebound_api, start_engine=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await wait_until(pilot, lambda: table_ids(app, "#runs") == [queued])
        assert footer_keys(app)["Cancel"] == "x"
        status = app.screen.query_one("#runs-status", Static)
        await wait_until(pilot, lambda: "x cancel" in str(status.render()))
        assert "c cancel" not in str(status.render())
        palette = {c.title: c.help for c in app.get_system_commands(app.screen)}
        assert "(key x)" in palette["Runs: Cancel"]

        await pilot.press("c")  # no longer cancels
        await pilot.pause()
        assert not app.screen.query("#question")
        await pilot.press("x")
        await pilot.pause()
        labels = {str(b.label) for b in app.screen.query(Button)}
        assert labels == {"Cancel run (j)", "Keep running (n)"}  # the dialog names the rebound key too
        await pilot.press("j")
        await wait_until(pilot, lambda: rebound_api.get_run(queued).status == "cancelled")


async def test_help_panel_lists_the_rebound_key(rebound_api) -> None:
    app = CosmosApp(rebound_api, start_engine=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        table = app.screen.query_one("KeyPanel").query_one("BindingsTable").render()
        console = Console(width=80, record=True, file=io.StringIO())
        console.print(table)
        text = console.export_text()
        assert re.search(r"^\s*x\s+Cancel\b", text, re.MULTILINE), text
        assert not re.search(r"^\s*c\s+Cancel\b", text, re.MULTILINE), text


async def test_hints_follow_the_defaults(local_api: CosmosAPI) -> None:
    local_api.create_prompt("one", DEMO)
    app = CosmosApp(local_api, start_engine=False)
    async with app.run_test(size=SIZE) as pilot:
        status = app.screen.query_one("#prompts-status", Static)
        await wait_until(pilot, lambda: "prompt(s)" in str(status.render()))
        assert str(status.render()) == "1 prompt(s) · n new · r run · enter open · / filter · ? help"


@pytest.fixture
def local_api(tmp_path: Path):
    body = 'default_host = "sim"\n[paths]\ndatabase = "db.sqlite"\n' + local_host_table("sim", tmp_path / "r")
    (tmp_path / "config.toml").write_text(body)
    with CosmosAPI(cfg.load(tmp_path / "config.toml")) as api:
        yield api
