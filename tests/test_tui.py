"""The TUI driven through Pilot against the local simulated host (and one full flow over the real
sshd + dockerd harness)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.widgets import Checkbox, DataTable, Input, Log, RichLog, Static, TextArea

from cosmos_tui.api import MAX_NAME_CHARS, MAX_PROMPT_CHARS, CosmosAPI
from cosmos_tui.config import load
from cosmos_tui.tui.app import CosmosApp
from cosmos_tui.tui.screens.log import LogScreen
from cosmos_tui.tui.screens.runs import RunsScreen
from cosmos_tui.tui.widgets.tables import RecordTable, selected_key
from tests.conftest import DEMO
from tests.harness import local_host_table
from tests.helpers import add_run
from tests.waiting import pilot_wait_until as wait_until

SIZE = (120, 40)


@pytest.fixture
def local_api(tmp_path: Path):
    body = (
        'default_host = "sim"\n[paths]\ninputs = "inputs"\noutputs = "outputs"\n'
        'database = "outputs/cosmos.db"\n' + local_host_table("sim", tmp_path / "remote", speed="0.003")
    )
    (tmp_path / "config.toml").write_text(body)
    with CosmosAPI(load(tmp_path / "config.toml")) as api:
        yield api


def table_ids(app: CosmosApp, selector: str) -> list[str]:
    table = app.screen.query_one(selector, DataTable)
    return [str(key.value) for key in table.rows]


async def test_prompts_list_live_filter_and_clear(local_api: CosmosAPI) -> None:
    a = local_api.create_prompt("A lighthouse in fog", DEMO)
    b = local_api.create_prompt("A desert road at noon", DEMO)
    app = CosmosApp(local_api, start_engine=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: len(table_ids(app, "#prompts")) == 2)
        await pilot.press("slash")
        await pilot.press(*"lightho")
        await wait_until(pilot, lambda: table_ids(app, "#prompts") == [a.prompt_id])
        await pilot.press("escape")
        await wait_until(pilot, lambda: set(table_ids(app, "#prompts")) == {a.prompt_id, b.prompt_id})


async def test_new_prompt_form_shows_errors_on_the_field_then_creates(local_api: CosmosAPI) -> None:
    app = CosmosApp(local_api, start_engine=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await pilot.pause()
        app.screen.query_one("#folder", Input).value = str(DEMO)
        await pilot.press("ctrl+s")
        error = app.screen.query_one("#text-error", Static)
        await wait_until(pilot, lambda: "prompt text is empty" in str(error.render()))
        app.screen.query_one("#text", TextArea).text = 'It\'s "quoted" $(x) [bold]not markup[/]'
        info = app.screen.query_one("#folder-info", Static)
        await wait_until(pilot, lambda: "controls: depth, seg" in str(info.render()))
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: len(table_ids(app, "#prompts")) == 1)
        [prompt] = local_api.list_prompts()
        assert prompt.text == 'It\'s "quoted" $(x) [bold]not markup[/]'


async def test_new_prompt_form_shows_each_refusal_under_the_field_it_names(local_api: CosmosAPI) -> None:
    # The form used to pick the field by words in the message: a too-long negative prompt (no
    # "prompt text", no "name" in it) landed under the video folder.
    app = CosmosApp(local_api, start_engine=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        form.query_one("#text", TextArea).text = "A lighthouse in fog"
        form.query_one("#folder", Input).value = str(DEMO)
        info = form.query_one("#folder-info", Static)
        await wait_until(pilot, lambda: "controls: depth, seg" in str(info.render()))
        form.query_one("#negative", Input).value = "n" * (MAX_PROMPT_CHARS + 1)
        await pilot.press("ctrl+s")
        negative = form.query_one("#negative-error", Static)
        await wait_until(pilot, lambda: "negative prompt is over" in str(negative.render()))
        assert "controls: depth, seg" in str(info.render())
        assert str(form.query_one("#name-error", Static).render()) == ""
        assert str(form.query_one("#text-error", Static).render()) == ""

        form.query_one("#negative", Input).value = ""
        form.query_one("#name", Input).value = "x" * (MAX_NAME_CHARS + 1)
        await pilot.press("ctrl+s")
        name = form.query_one("#name-error", Static)
        await wait_until(pilot, lambda: "prompt name is over" in str(name.render()))
        assert str(negative.render()) == ""
        assert local_api.list_prompts() == []


async def test_detail_shows_full_text_verbatim_and_esc_goes_back(local_api: CosmosAPI) -> None:
    text = "Line one [red]x[/]\nline two with ünïcode"
    prompt = local_api.create_prompt(text, DEMO)
    app = CosmosApp(local_api, start_engine=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: table_ids(app, "#prompts") == [prompt.prompt_id])
        await pilot.press("enter")
        await pilot.pause()
        assert str(app.screen.query_one("#prompt-text", Static).render()) == text
        await pilot.press("escape")
        assert app.screen.__class__.__name__ == "PromptsScreen"


async def test_marking_and_running_queues_runs_with_the_form_values(local_api: CosmosAPI) -> None:
    a = local_api.create_prompt("first", DEMO)
    b = local_api.create_prompt("second", DEMO)
    app = CosmosApp(local_api, start_engine=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: len(table_ids(app, "#prompts")) == 2)
        await pilot.press("space", "space", "r")
        await pilot.pause()
        assert app.screen.query_one("#num_steps", Input).value == "35"  # defaults from config
        app.screen.query_one("#num_steps", Input).value = "7"
        app.screen.query_one("#seg", Input).value = "0"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: len(local_api.list_runs()) == 2)
        runs = local_api.list_runs()
        assert {r.prompt_id for r in runs} == {a.prompt_id, b.prompt_id}
        assert all(r.config["num_steps"] == 7 and r.config["weights"]["seg"] == 0 for r in runs)
        await pilot.press("r")  # the form remembers the last values
        await pilot.pause()
        assert app.screen.query_one("#num_steps", Input).value == "7"
        await pilot.press("escape")


async def test_marked_prompts_run_as_one_batch_from_the_form(local_api: CosmosAPI) -> None:
    local_api.create_prompt("first", DEMO)
    local_api.create_prompt("second", DEMO)
    app = CosmosApp(local_api, start_engine=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: len(table_ids(app, "#prompts")) == 2)
        await pilot.press("space", "space", "r")
        await pilot.pause()
        app.screen.query_one("#batch", Checkbox).value = True
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: len(local_api.list_runs()) == 2)
        runs = sorted(local_api.list_runs(), key=lambda r: r.batch_index or 0)
        assert runs[0].batch_id and {r.batch_id for r in runs} == {runs[0].batch_id}
        assert [r.batch_index for r in runs] == [0, 1]


async def test_delete_asks_first(local_api: CosmosAPI) -> None:
    prompt = local_api.create_prompt("doomed", DEMO)
    app = CosmosApp(local_api, start_engine=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: len(table_ids(app, "#prompts")) == 1)
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("n")  # no
        await pilot.pause()
        assert local_api.count_prompts() == 1
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await wait_until(pilot, lambda: local_api.count_prompts() == 0)
        assert prompt.prompt_id not in table_ids(app, "#prompts")


async def test_runs_screen_runs_a_prompt_to_completion_with_a_toast_and_a_bell(local_api: CosmosAPI) -> None:
    prompt = local_api.create_prompt("watch me", DEMO)
    app = CosmosApp(local_api)
    bells = []
    app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await pilot.pause()
        [run_id] = local_api.run_inference([prompt.prompt_id])
        await wait_until(pilot, lambda: table_ids(app, "#runs") == [run_id])
        await wait_until(pilot, lambda: local_api.get_run(run_id).status == "completed", timeout=60)
        # The toast says where the result is.
        await wait_until(
            pilot,
            lambda: (
                bells
                and any("completed" in n.message and "output.mp4" in n.message for n in app._notifications)
            ),
        )
        await pilot.press("R")
        await wait_until(pilot, lambda: len(local_api.list_runs()) == 2)
        rerun = next(r for r in local_api.list_runs() if r.run_id != run_id)
        assert rerun.config["prompt"] == "watch me"
        await pilot.press("o")
        await wait_until(
            pilot, lambda: any("output" in n.message or "opening" in n.message for n in app._notifications)
        )


async def test_status_filter_and_cancel_with_confirmation(local_api: CosmosAPI) -> None:
    prompt = local_api.create_prompt("slow", DEMO)
    add_run(local_api, prompt.prompt_id, "failed", host="sim", error_class="oom")
    [queued] = local_api.run_inference([prompt.prompt_id])
    app = CosmosApp(local_api, start_engine=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await wait_until(pilot, lambda: len(table_ids(app, "#runs")) == 2)
        await pilot.press("s", "s")  # all -> running -> queued
        await wait_until(pilot, lambda: table_ids(app, "#runs") == [queued])
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("y")
        await wait_until(pilot, lambda: local_api.get_run(queued).status == "cancelled")


async def test_log_view_follows_pauses_searches_wraps_and_saves(
    local_api: CosmosAPI, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    prompt = local_api.create_prompt("logged", DEMO)
    run = add_run(local_api, prompt.prompt_id, "running", host="sim")
    log_path = Path(run.log_path)
    log_path.parent.mkdir(parents=True)
    log_path.write_text("".join(f"[11-21 10:00:00|INFO|x.py:1:f] line {i}\n" for i in range(500)))
    app = CosmosApp(local_api, start_engine=False, open_log=run.run_id)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LogScreen)
        log = screen.query_one("#log", Log)
        await wait_until(pilot, lambda: log.line_count >= 500)
        assert screen.following
        await pilot.press("home")  # scrolling up pauses
        await pilot.pause(0.2)
        with log_path.open("a") as handle:
            handle.writelines(f"[11-21 10:00:01|INFO|x.py:1:f] more {i}\n" for i in range(30))
        badge = screen.query_one("#log-badge", Static)
        await wait_until(pilot, lambda: "30 new lines" in str(badge.render()))
        assert not screen.following
        await pilot.press("f")
        assert screen.following and badge.has_class("hidden")
        await pilot.press("slash")
        await pilot.press(*"line 250", "enter")
        await pilot.pause()
        assert screen.matches and log.lines[screen.matches[0]].endswith("line 250")
        assert log.lines[0] == "10:00:00 INFO x.py:1 line 0"  # the compact prefix by default
        await pilot.press("t")  # the full loguru prefix
        await pilot.pause()
        assert log.lines[0] == "[11-21 10:00:00|INFO|x.py:1:f] line 0"
        await pilot.press("t")  # no prefix
        await pilot.pause()
        assert log.lines[0] == "line 0"
        await pilot.press("w")
        await pilot.pause()
        assert not screen.query_one("#log-wrapped", RichLog).has_class("hidden")
        await pilot.press("s")
        await wait_until(pilot, lambda: list(tmp_path.glob(f"{run.run_id}-*.log")))
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "RunsScreen"


async def test_failed_run_log_shows_the_error_first(local_api: CosmosAPI) -> None:
    prompt = local_api.create_prompt("oom", DEMO)
    run = add_run(
        local_api,
        prompt.prompt_id,
        "failed",
        host="sim",
        error_class="oom",
        error_message="the GPU ran out of memory; use more GPUs.",
    )
    Path(run.log_path).parent.mkdir(parents=True)
    Path(run.log_path).write_text("torch.OutOfMemoryError: CUDA out of memory.\n")
    app = CosmosApp(local_api, start_engine=False, open_log=run.run_id)
    async with app.run_test(size=SIZE) as pilot:
        error = app.screen.query_one("#log-error", Static)
        await wait_until(pilot, lambda: "oom: the GPU ran out of memory" in str(error.render()))
        assert not error.has_class("hidden")


async def test_gpu_screen_shows_the_simulated_gpus_and_an_unreachable_host(tmp_path: Path) -> None:
    body = (
        'default_host = "sim"\n[paths]\ndatabase = "db.sqlite"\n'
        + local_host_table("sim", tmp_path / "remote")
        + '[hosts.gone]\ntransport = "ssh"\nhostname = "127.0.0.1"\nport = 1\nremote_dir = "/x"\n'
        'runtime = "process"\n'
    )
    (tmp_path / "config.toml").write_text(body)
    with CosmosAPI(load(tmp_path / "config.toml")) as api:
        app = CosmosApp(api, start_engine=False)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("3")
            await wait_until(pilot, lambda: "NVIDIA H100" in static_text(app, "#gpu-hosts"))
            text = static_text(app, "#gpu-hosts")
            assert "sim (simulated)" in text and "unreachable" in text and "retry in" in text


async def test_dashboard_shows_the_figures(local_api: CosmosAPI) -> None:
    prompt = local_api.create_prompt("stats", DEMO)
    now = local_api.now()
    add_run(local_api, prompt.prompt_id, "completed", host="sim", created=now, seconds=120)
    add_run(local_api, prompt.prompt_id, "failed", host="sim", created=now, error_class="guardrail")
    app = CosmosApp(local_api, start_engine=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        await wait_until(pilot, lambda: "guardrail" in static_text(app, "#dashboard"))
        text = static_text(app, "#dashboard")
        assert "50%" in text and "2:00" in text and str(DEMO) in text


async def test_help_and_quit_confirmation_while_runs_execute(local_api: CosmosAPI) -> None:
    prompt = local_api.create_prompt("busy [sim:hang]", DEMO)
    app = CosmosApp(local_api)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen.query("HelpPanel")
        await pilot.press("question_mark")
        [run_id] = local_api.run_inference([prompt.prompt_id])
        await wait_until(pilot, lambda: local_api.get_run(run_id).status == "running", timeout=30)
        await pilot.press("q")
        await pilot.pause()
        question = str(app.screen.query_one("#question", Static).render())
        assert "keep running on their hosts" in question
        await pilot.press("n")
        assert app.is_running
        local_api.cancel_run(run_id)
        await wait_until(pilot, lambda: local_api.get_run(run_id).is_terminal, timeout=60)


@pytest.mark.integration
async def test_full_flow_over_ssh_and_docker(tmp_path: Path, harness) -> None:
    body = (
        'default_host = "test"\n[paths]\ninputs = "inputs"\noutputs = "outputs"\n'
        'database = "outputs/cosmos.db"\n' + harness.host_table("test", tmp_path / "remote", speed="0.005")
    )
    (tmp_path / "config.toml").write_text(body)
    with CosmosAPI(load(tmp_path / "config.toml")) as api:
        app = CosmosApp(api)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("n")
            await pilot.pause()
            app.screen.query_one("#text", TextArea).text = "A harbour at dawn"
            app.screen.query_one("#folder", Input).value = str(DEMO)
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: api.count_prompts() == 1)
            await wait_until(pilot, lambda: len(table_ids(app, "#prompts")) == 1)
            await pilot.press("r")
            await pilot.pause()
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: len(api.list_runs()) == 1)
            [run] = api.list_runs()
            await pilot.press("2")
            await wait_until(pilot, lambda: table_ids(app, "#runs") == [run.run_id])
            await pilot.press("enter")
            await pilot.pause()
            log = app.screen.query_one("#log", Log)
            await wait_until(pilot, lambda: any("Saved video to" in line for line in log.lines), timeout=90)
            await wait_until(pilot, lambda: api.get_run(run.run_id).status == "completed", timeout=60)
            await asyncio.sleep(0)


async def test_command_palette_offers_screens_and_actions(local_api: CosmosAPI) -> None:
    app = CosmosApp(local_api, start_engine=False)
    async with app.run_test(size=SIZE) as pilot:
        commands = [c.title for c in app.get_system_commands(app.screen)]
        for wanted in (
            "Prompts",
            "Runs",
            "GPUs",
            "Dashboard",
            "Prompts: New",
            "Prompts: Run",
            "Prompts: Delete",
            "Theme",
        ):
            assert any(title.startswith(wanted) for title in commands), wanted
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Dashboard", "enter")
        await wait_until(pilot, lambda: app.current_mode == "dashboard")


async def test_gpu_screen_cancels_a_container_run(tmp_path: Path, monkeypatch) -> None:
    from cosmos_tui.records import ContainerStatus, GpuStatus, HostStatus

    body = 'default_host = "sim"\n[paths]\ndatabase = "db.sqlite"\n' + local_host_table("sim", tmp_path / "r")
    (tmp_path / "config.toml").write_text(body)
    with CosmosAPI(load(tmp_path / "config.toml")) as api:
        prompt = api.create_prompt("x", DEMO)
        [run_id] = api.run_inference([prompt.prompt_id])
        status = HostStatus(
            "sim",
            "sim (simulated)",
            True,
            None,
            [GpuStatus(0, "NVIDIA H100 80GB HBM3", 81559, 60000, 99, 70, 600, 700)],
            [ContainerStatus(f"cosmos-{run_id}", run_id, "running", "2 minutes ago")],
            10**9,
        )
        monkeypatch.setattr(api, "host_status", lambda host=None: status)
        app = CosmosApp(api, start_engine=False)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("3")
            await wait_until(pilot, lambda: table_ids(app, "#containers") == [run_id])
            app.screen.query_one("#containers", DataTable).focus()
            await pilot.press("c")
            await pilot.pause()
            await pilot.press("y")
            await wait_until(pilot, lambda: api.get_run(run_id).status == "cancelled")


async def test_log_search_reaches_lines_older_than_the_view(local_api: CosmosAPI) -> None:
    prompt = local_api.create_prompt("long", DEMO)
    run = add_run(local_api, prompt.prompt_id, "completed", host="sim")
    path = Path(run.log_path)
    path.parent.mkdir(parents=True)
    path.write_text("needle at the very start\n" + "".join(f"filler {i}\n" for i in range(20_000)))
    app = CosmosApp(local_api, start_engine=False, open_log=run.run_id)
    async with app.run_test(size=SIZE) as pilot:
        log = app.screen.query_one("#log", Log)
        await wait_until(pilot, lambda: log.line_count >= 10_000)
        await pilot.press("slash", *"needle", "enter")
        await wait_until(pilot, lambda: any("before the last" in n.message for n in app._notifications))
        note = next(n.message for n in app._notifications if "before the last" in n.message)
        assert "1 matches in the whole log" in note and "first at line 1 " in note


# -- issue 8: what a new user trips over --------------------------------------------------------


def screen_text(app: CosmosApp) -> str:
    """What the terminal shows, as plain text (the same rendering as a screenshot)."""
    import io

    from rich.console import Console

    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text(styles=False)


def static_text(app: CosmosApp, selector: str) -> str:
    """All a Static shows (the part scrolled out of view too), as plain text at the widget's width."""
    import io

    from rich.console import Console

    widget = app.screen.query_one(selector, Static)
    console = Console(width=widget.size.width or 200, file=io.StringIO(), record=True)
    console.print(widget.content)
    return console.export_text(styles=False)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_runs_table_never_cuts_ids_or_statuses_and_names_the_prompt(local_api: CosmosAPI, size) -> None:
    prompt = local_api.create_prompt("A lighthouse in fog", DEMO, name="lighthouse-at-dusk")
    runs = [
        add_run(
            local_api,
            prompt.prompt_id,
            status,
            host="sim",
            eta_seconds=4000.0,
            stage="diffusion",
            progress=40.0,
        )
        for status in ("collecting", "cancelled", "completed", "running")
    ]
    app = CosmosApp(local_api, start_engine=False)
    async with app.run_test(size=size) as pilot:
        await pilot.press("2")
        await wait_until(pilot, lambda: len(table_ids(app, "#runs")) == 4)
        await pilot.pause()
        shown = screen_text(app)
        for run in runs:
            row = next(line for line in shown.splitlines() if run.run_id in line)
            assert run.status in row, row
            assert "lighthouse" in row, row  # the prompt's name, not only its ID
        assert "1:06:40" in shown  # the ETA whole
        assert app.screen.query_one("#runs", DataTable).max_scroll_x == 0
        assert "…" not in "".join(line for line in shown.splitlines() if "rs_" in line).split("lighthouse")[0]


async def test_prompts_table_keeps_ids_whole_at_80_columns(local_api: CosmosAPI) -> None:
    prompts = [local_api.create_prompt(f"A long prompt text number {i} " * 5, DEMO) for i in range(3)]
    app = CosmosApp(local_api, start_engine=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: len(table_ids(app, "#prompts")) == 3)
        await pilot.pause()
        shown = screen_text(app)
        for p in prompts:
            assert p.prompt_id in shown and p.name in shown
        table = app.screen.query_one("#prompts", DataTable)
        assert table.max_scroll_x == 0  # nothing pushed off to the right: low-value columns dropped


async def test_cursor_goes_to_a_new_prompt_and_home_end_move_it(local_api: CosmosAPI) -> None:
    older = [local_api.create_prompt(f"old {i}", DEMO) for i in range(3)]
    app = CosmosApp(local_api, start_engine=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: len(table_ids(app, "#prompts")) == 3)
        await pilot.press("down")
        screen = app.screen
        await pilot.press("n")
        await pilot.pause()
        app.screen.query_one("#text", TextArea).text = "the new one"
        app.screen.query_one("#folder", Input).value = str(DEMO)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: len(table_ids(app, "#prompts")) == 4)
        [new] = [p for p in local_api.list_prompts() if p.text == "the new one"]
        await wait_until(pilot, lambda: screen.current_id() == new.prompt_id)
        await pilot.press("r")  # runs the new prompt, not the one the cursor was on before
        await pilot.pause()
        assert str(app.screen.query_one(".title").render()) == f"Run {new.prompt_id}"
        await pilot.press("escape")
        await pilot.press("end")
        assert screen.current_id() == older[0].prompt_id
        await pilot.press("home")
        assert screen.current_id() == new.prompt_id


async def test_cursor_goes_to_the_run_just_queued_and_to_a_rerun(local_api: CosmosAPI) -> None:
    prompt = local_api.create_prompt("again", DEMO)
    old = add_run(local_api, prompt.prompt_id, "completed", host="sim", created=local_api.now())
    app = CosmosApp(local_api, start_engine=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await wait_until(pilot, lambda: table_ids(app, "#runs") == [old.run_id])
        runs_screen = app.screen
        await pilot.press("1")
        await wait_until(pilot, lambda: table_ids(app, "#prompts") == [prompt.prompt_id])
        await pilot.press("r")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: len(local_api.list_runs()) == 2)
        [queued] = [r.run_id for r in local_api.list_runs() if r.run_id != old.run_id]
        await pilot.press("2")
        await wait_until(pilot, lambda: len(table_ids(app, "#runs")) == 2)
        await wait_until(pilot, lambda: runs_screen.current_id() == queued)
        await pilot.press("end")
        assert runs_screen.current_id() == old.run_id
        await pilot.press("R")
        await wait_until(pilot, lambda: len(table_ids(app, "#runs")) == 3)
        [rerun] = [r.run_id for r in local_api.list_runs() if r.run_id not in (old.run_id, queued)]
        await wait_until(pilot, lambda: runs_screen.current_id() == rerun)
        await pilot.press("home")
        assert runs_screen.current_id() == table_ids(app, "#runs")[0]


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_gpu_sparklines_keep_their_width_and_the_numbers_show(
    tmp_path: Path, monkeypatch, size
) -> None:
    from cosmos_tui.records import GpuStatus, HostStatus
    from cosmos_tui.tui.screens.gpu import GpuScreen

    body = 'default_host = "sim"\n[paths]\ndatabase = "db.sqlite"\n' + local_host_table("sim", tmp_path / "r")
    (tmp_path / "config.toml").write_text(body)
    with CosmosAPI(load(tmp_path / "config.toml")) as api:
        status = HostStatus(
            "sim",
            "sim (simulated)",
            True,
            None,
            [GpuStatus(0, "NVIDIA H100 80GB HBM3", 81559, 65466, 97, 71, 612.5, 700)],
            [],
            10**9,
        )
        monkeypatch.setattr(api, "host_status", lambda host=None: status)
        app = CosmosApp(api, start_engine=False)
        async with app.run_test(size=size) as pilot:
            await pilot.press("3")
            await wait_until(pilot, lambda: "97%" in static_text(app, "#gpu-hosts"))
            screen = app.screen
            assert isinstance(screen, GpuScreen)

            def gpu_row() -> str:
                return next(line for line in screen_text(app).splitlines() if "97%" in line)

            first = gpu_row()
            for _ in range(60):  # two minutes of polls
                screen.sampled.clear()  # each one a sample, however fast they come
                screen.post_message(GpuScreen.Polled([status]))
                await pilot.pause()
            await pilot.pause(0.1)
            row = gpu_row()
            for number in ("97%", "63.9/80 GiB", "71°C", "612/700 W"):  # all on the GPU's one row
                assert number in row, row
            assert row.index("612/700 W") == first.index("612/700 W")  # the sparklines did not widen


async def test_gpu_screen_lists_and_cancels_a_process_run(local_api: CosmosAPI) -> None:
    prompt = local_api.create_prompt("busy [sim:hang]", DEMO)
    app = CosmosApp(local_api)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        await pilot.pause()
        await pilot.press("c")
        await wait_until(pilot, lambda: any("nothing to cancel" in n.message for n in app._notifications))
        [run_id] = local_api.run_inference([prompt.prompt_id])
        await wait_until(pilot, lambda: local_api.get_run(run_id).status == "running", timeout=30)
        await pilot.press("g")
        await wait_until(pilot, lambda: table_ids(app, "#containers") == [run_id], timeout=30)
        assert "pid " in screen_text(app)
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("y")
        await wait_until(pilot, lambda: local_api.get_run(run_id).status == "cancelled", timeout=60)


def visible_rows(widget) -> range:  # type: ignore[no-untyped-def]
    top = int(widget.scroll_offset.y)
    return range(top, top + widget.scrollable_content_region.height)


async def test_log_search_esc_closes_only_the_box_and_the_match_is_marked_and_in_view(
    local_api: CosmosAPI,
) -> None:
    prompt = local_api.create_prompt("searched", DEMO)
    run = add_run(local_api, prompt.prompt_id, "completed", host="sim")
    path = Path(run.log_path)
    path.parent.mkdir(parents=True)
    long = "x" * 300
    path.write_text("".join(f"[11-21 10:00:00|INFO|pkg/x.py:1:f] {long} line {i}\n" for i in range(400)))
    app = CosmosApp(local_api, start_engine=False, open_log=run.run_id)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, LogScreen)
        log = screen.query_one("#log", Log)
        await wait_until(pilot, lambda: log.line_count >= 400)
        await pilot.press("slash", *"line 12")
        await pilot.press("escape")  # closes the search box only
        assert app.screen is screen
        assert screen.query_one("#log-search", Input).has_class("hidden")
        await pilot.press("slash", *"line 120", "enter")
        await pilot.pause()
        assert app.screen is screen
        found = screen.query_one("#log-found", Static)
        assert "match 1 of 1, line 121" in str(found.render())
        assert 120 in visible_rows(log)
        shown = screen_text(app)
        assert "line 120" in shown  # scrolled sideways to the match, too
        row = next(line for line in shown.splitlines() if "line 120" in line)
        assert row  # the match is on screen
        strip = log.render_line(120 - int(log.scroll_offset.y))
        assert any(seg.style and seg.style.bgcolor and seg.text.lower() == "line 120" for seg in strip)
        await pilot.press("w")  # wrapped: n and N bring the match into view too
        await pilot.pause(0.2)
        wrapped = screen.query_one("#log-wrapped", RichLog)
        await pilot.press("slash", *"line 3", "enter")  # line 3, 30..39, 300..399
        await pilot.pause(0.2)
        for _ in range(3):
            await pilot.press("N")
            await pilot.pause(0.2)
            number = screen.line_number(screen.matches[screen.match_index])
            rows = visible_rows(wrapped)
            text = "\n".join(wrapped.lines[y].text for y in rows if y < len(wrapped.lines))
            assert f"line {number - 1}" in text, (number, text[:300])
        assert "10:00:00 INFO x.py:1" in log.lines[0]  # the compact prefix


async def test_esc_closes_the_help_panel(local_api: CosmosAPI) -> None:
    app = CosmosApp(local_api, start_engine=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen.query("HelpPanel")
        await pilot.press("escape")
        await pilot.pause()
        assert not app.screen.query("HelpPanel")


async def test_cancel_dialog_names_its_keys_and_enter_keeps_the_run(local_api: CosmosAPI) -> None:
    from textual.widgets import Button

    prompt = local_api.create_prompt("keep me", DEMO)
    [queued] = local_api.run_inference([prompt.prompt_id])
    app = CosmosApp(local_api, start_engine=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await wait_until(pilot, lambda: table_ids(app, "#runs") == [queued])
        await pilot.press("c")
        await pilot.pause()
        focused = app.focused
        assert isinstance(focused, Button) and focused.id == "no"
        labels = {str(b.label) for b in app.screen.query(Button)}
        assert labels == {"Cancel run (y)", "Keep running (n)"}
        await pilot.press("enter")  # the focused, safe choice
        await pilot.pause()
        assert local_api.get_run(queued).status == "queued"


@pytest.mark.parametrize("key", ["n", "r"])
async def test_forms_show_ctrl_s_and_their_buttons_at_80x24(local_api: CosmosAPI, key: str) -> None:
    from textual.widgets import Button

    local_api.create_prompt("form", DEMO)
    app = CosmosApp(local_api, start_engine=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: len(table_ids(app, "#prompts")) == 1)
        await pilot.press(key)
        await pilot.pause()
        footer = screen_text(app).splitlines()[-1]
        assert "^s" in footer, footer
        for button in app.screen.query(Button):
            region = button.region
            assert region.height and region.y + region.height <= 23, (button.label, region)


async def test_dashboard_headings_stay_whole_and_the_filter_leaves_the_header(local_api: CosmosAPI) -> None:
    prompt = local_api.create_prompt("stats", DEMO)
    add_run(
        local_api, prompt.prompt_id, "failed", host="sim", created=local_api.now(), error_class="guardrail"
    )
    app = CosmosApp(local_api, start_engine=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: len(table_ids(app, "#prompts")) == 1)
        await pilot.press("slash")
        await pilot.pause()
        header = app.screen.query_one("Header")
        box = app.screen.query_one("#filter", Input)
        assert not box.region.overlaps(header.region)
        await pilot.press("escape", "4")
        await wait_until(pilot, lambda: "guardrail" in static_text(app, "#dashboard"))
        await pilot.pause()
        assert "failures by error class" in screen_text(app)


# -- issue 10: the header counts in SQL, the runs table redraws only what changed, one log follower -


async def test_the_header_counts_every_run_not_a_page_of_them(local_api: CosmosAPI) -> None:
    prompt = local_api.create_prompt("counted", DEMO)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=1, microsecond=0)
    for _ in range(205):  # more than the 200 failed runs the header used to load to count them
        add_run(local_api, prompt.prompt_id, "failed", host="sim", created=today)
    add_run(local_api, prompt.prompt_id, "failed", host="sim", created=today - timedelta(days=2))
    add_run(local_api, prompt.prompt_id, "running", host="sim", created=today)
    for _ in range(2):
        add_run(local_api, prompt.prompt_id, "queued", host="sim", created=today)
    app = CosmosApp(local_api, start_engine=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: "failed today" in app.sub_title, timeout=10)
        assert app.sub_title.endswith("· 1 running · 2 queued · 205 failed today")


async def test_the_runs_table_redraws_only_rows_that_changed_and_keeps_the_cursor(
    local_api: CosmosAPI, monkeypatch
) -> None:
    prompt = local_api.create_prompt("watched", DEMO)
    t0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

    def run(status: str, minute: int) -> str:
        created = t0 + timedelta(minutes=minute)
        return add_run(local_api, prompt.prompt_id, status, host="sim", created=created).run_id

    old, waiting, failed = run("completed", 0), run("queued", 1), run("failed", 2)
    rebuilt: list[str | None] = []  # the IDs of the tables cleared and filled again
    show = RecordTable.show
    polls: list[int] = []  # answers the runs screen got to its polls
    loaded = RunsScreen.on_runs_screen_loaded
    monkeypatch.setattr(RecordTable, "show", lambda t, *a, **k: (rebuilt.append(t.id), show(t, *a, **k)))
    monkeypatch.setattr(RunsScreen, "on_runs_screen_loaded", lambda s, m: (polls.append(1), loaded(s, m)))
    app = CosmosApp(local_api, start_engine=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await wait_until(pilot, lambda: table_ids(app, "#runs") == [failed, waiting, old])
        table = app.screen.query_one("#runs", RecordTable)
        await pilot.press("down")
        assert selected_key(table) == waiting

        # Polls that find nothing new leave the table alone.
        redraws, seen = rebuilt.count("runs"), len(polls)
        await wait_until(pilot, lambda: len(polls) >= seen + 2)
        assert rebuilt.count("runs") == redraws

        # A run that changes: its row changes in place.
        local_api.cancel_run(waiting)
        await wait_until(pilot, lambda: str(table.get_cell(waiting, "status")) == "cancelled")
        assert rebuilt.count("runs") == redraws and selected_key(table) == waiting

        # A new run comes in at the top; the cursor stays on its record.
        new = run("running", 3)
        await wait_until(pilot, lambda: table_ids(app, "#runs") == [new, failed, waiting, old])
        assert selected_key(table) == waiting

        # The "running" filter (several statuses), and a run that leaves it.
        await pilot.press("s")
        await wait_until(pilot, lambda: table_ids(app, "#runs") == [new])
        local_api.store.db.execute_sql("UPDATE run SET status = 'completed' WHERE id = ?", (new,))
        await wait_until(pilot, lambda: table_ids(app, "#runs") == [])


async def test_the_log_view_shows_a_last_line_written_without_a_newline(local_api: CosmosAPI) -> None:
    prompt = local_api.create_prompt("ends abruptly", DEMO)
    run = add_run(local_api, prompt.prompt_id, "running", host="sim")
    path = Path(run.log_path or "")
    path.parent.mkdir(parents=True)
    path.write_text("first\n")
    app = CosmosApp(local_api, start_engine=False, open_log=run.run_id)
    async with app.run_test(size=SIZE) as pilot:
        log = app.screen.query_one("#log", Log)
        await wait_until(pilot, lambda: log.line_count == 1)
        with path.open("a") as handle:
            handle.write("second\nthe end, and no newline")
        local_api.store.db.execute_sql("UPDATE run SET status = 'failed' WHERE id = ?", (run.run_id,))
        await wait_until(pilot, lambda: log.line_count == 3, timeout=10)
        assert list(log.lines) == ["first", "second", "the end, and no newline"]
