"""Sweeps end to end: `--run ID --seeds 1-3` and `--sweep KEY=VALUES` through the installed
`cosmos-tui` against the local simulated host, `run list --sweep`, `run show`, the 256-run refusal,
and the API the run form uses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Static

from cosmos_tui.api import CosmosAPI
from cosmos_tui.config import load
from cosmos_tui.errors import SweepTooLargeError, UsageError
from cosmos_tui.tui.app import CosmosApp
from cosmos_tui.tui.widgets.confirm import ConfirmModal
from tests.conftest import DEMO
from tests.harness import local_host_table
from tests.test_engine import cli, make_config
from tests.test_tui import table_ids
from tests.waiting import pilot_wait_until as wait_until

pytestmark = pytest.mark.integration


def assert_one_sentence(result, code: int, words: str) -> None:
    assert result.returncode == code, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("cosmos-tui: error: ") and result.stderr.count("\n") == 1
    assert words in result.stderr, result.stderr


def test_seeds_queue_one_run_per_seed_under_one_sweep(tmp_path: Path) -> None:
    config = make_config(tmp_path, None, host="local", speed="0.002")
    prompt = cli(config, "prompt", "add", "a robot arm", str(DEMO)).stdout.strip()
    result = cli(config, "--run", prompt, "--seeds", "1-3", "--detach", timeout=60)
    assert result.returncode == 0, result.stderr
    run_ids = result.stdout.split()
    assert len(run_ids) == 3
    with CosmosAPI(load(config)) as api:
        runs = [api.get_run(r) for r in run_ids]
    assert [r.config["seed"] for r in runs] == [1, 2, 3]
    sweep_ids = {r.sweep_id for r in runs}
    assert len(sweep_ids) == 1
    [sweep_id] = sweep_ids
    assert sweep_id is not None and sweep_id.startswith("sw_") and len(sweep_id) == 15
    assert f"as sweep {sweep_id}" in result.stderr

    listed = json.loads(cli(config, "run", "list", "--sweep", sweep_id[:6], "--json").stdout)
    assert sorted(r["run_id"] for r in listed) == sorted(run_ids)
    assert {r["sweep_id"] for r in listed} == {sweep_id}
    other = cli(config, "--run", prompt, "--detach", timeout=60)  # not part of the sweep
    assert other.returncode == 0, other.stderr
    assert len(json.loads(cli(config, "run", "list", "--sweep", sweep_id, "--json").stdout)) == 3
    assert json.loads(cli(config, "run", "show", other.stdout.strip(), "--json").stdout)["sweep_id"] is None

    shown = cli(config, "run", "show", run_ids[1]).stdout
    assert f"sweep: {sweep_id}: run 2 of 3 (seed=2)" in shown

    missing = cli(config, "run", "list", "--sweep", "sw_ffffffffffff")
    assert_one_sentence(missing, 2, "no sweep has the ID sw_ffffffffffff; list them with `")
    assert missing.stderr.endswith("cosmos-tui run list`.\n")
    for run_id in [*run_ids, other.stdout.strip()]:  # leave the host idle
        cli(config, "run", "cancel", run_id)


def test_sweeps_multiply_and_keep_the_other_options(tmp_path: Path) -> None:
    config = make_config(tmp_path, None, host="local", speed="0.002")
    prompt = cli(config, "prompt", "add", "a robot arm", str(DEMO)).stdout.strip()
    with CosmosAPI(load(config)) as api:
        run_ids = api.run_sweep(
            [prompt], {"num_steps": 12, "weights": {"edge": 0.7}}, {"guidance": "3,5,7", "vis": "0.2,0.5"}
        )
        runs = [api.get_run(r) for r in run_ids]
        assert [(r.config["guidance"], r.config["weights"]["vis"]) for r in runs] == [
            (3.0, 0.2),
            (3.0, 0.5),
            (5.0, 0.2),
            (5.0, 0.5),
            (7.0, 0.2),
            (7.0, 0.5),
        ]
        assert {r.config["num_steps"] for r in runs} == {12}
        assert {r.config["weights"]["edge"] for r in runs} == {0.7}
        assert len({r.sweep_id for r in runs}) == 1
        labels = api.sweep_labels(runs)
        assert labels[runs[1].run_id] == "guidance=3 vis=0.5"
        # Newest first, as every list: the sweep's runs in the reverse of their order.
        assert [r.run_id for r in api.list_runs(sweep=runs[0].sweep_id)] == run_ids[::-1]

        # One combination is no sweep.
        [single] = api.run_sweep([prompt], {}, {"seed": "4"})
        assert api.get_run(single).sweep_id is None and api.get_run(single).config["seed"] == 4

        with pytest.raises(SweepTooLargeError) as caught:
            api.run_sweep([prompt], {}, {"seed": "1-300"})
        assert caught.value.runs == 300
        assert len(api.run_sweep([prompt], {}, {"seed": "1-300"}, confirmed=True)) == 300
        with pytest.raises(UsageError, match="guidance is given both as one value and as a sweep") as clash:
            api.run_sweep([prompt], {"guidance": 4}, {"guidance": "3,5"})
        assert clash.value.field == "guidance"
        assert api.count_runs() == 6 + 1 + 300  # nothing queued by a refusal


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (
            ("--seeds", "1-300"),
            "the sweep makes 300 runs, more than 256; add --yes to queue them all, or narrow it.",
        ),
        (
            ("--seeds", "1-20", "--sweep", "guidance=1,2,3,4,5,6,7,8,9,10,11,12,13"),
            "the sweep makes 260 runs, more than 256",
        ),
        (("--sweep", "bogus=1,2"), '"bogus" cannot be swept; use one of num_steps, guidance'),
        (("--sweep", "guidance"), 'a sweep is KEY=VALUES such as guidance=3,5,7 or vis=0.2,0.5, not "guid'),
        (("--sweep", "guidance=3,x"), 'guidance "x" is not a number'),
        (("--seeds", "5-1"), "the seed range 5-1 runs backwards; write it 1-5."),
        (("--seeds", "1-3", "--seed", "4"), "--seed and a sweep of seed both set it; give it once."),
        (("--seeds", "1-3", "--sweep", "seed=4,5"), "--seeds and --sweep seed=... both give seeds"),
        (("--sweep", "steps=5", "--sweep", "num_steps=6"), "--sweep gives num_steps twice"),
    ],
)
def test_bad_sweeps_are_refused_in_one_sentence_and_queue_nothing(
    tmp_path: Path, args: tuple[str, ...], words: str
) -> None:
    config = make_config(tmp_path, None, host="local", speed="0.002")
    prompt = cli(config, "prompt", "add", "a robot arm", str(DEMO)).stdout.strip()
    assert_one_sentence(cli(config, "--run", prompt, *args, "--detach", timeout=60), 2, words)
    assert json.loads(cli(config, "run", "list", "--json").stdout) == []


# -- the TUI: the run form's seeds field and comma lists, the runs table's groups -------------------


@pytest.fixture
def local_api(tmp_path: Path):
    body = (
        'default_host = "sim"\n[paths]\ninputs = "inputs"\noutputs = "outputs"\n'
        'database = "outputs/cosmos.db"\n' + local_host_table("sim", tmp_path / "remote", speed="0.003")
    )
    (tmp_path / "config.toml").write_text(body)
    with CosmosAPI(load(tmp_path / "config.toml")) as api:
        yield api


def prompt_cells(app: CosmosApp) -> dict[str, str]:
    table = app.screen.query_one("#runs", DataTable)
    return {str(row.value): str(table.get_cell(row, "prompt")) for row in table.rows}


async def test_run_form_seeds_and_comma_lists_queue_a_sweep_shown_as_a_group(local_api: CosmosAPI) -> None:
    prompt = local_api.create_prompt("a robot arm", DEMO, name="robot")
    app = CosmosApp(local_api, start_engine=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: table_ids(app, "#prompts") == [prompt.prompt_id])
        await pilot.press("r")
        await pilot.pause()
        form = app.screen
        assert "Comma lists" in str(form.query_one("#run-hint", Static).render())
        form.query_one("#seed", Input).value = "x-3"
        await pilot.press("ctrl+s")
        error = form.query_one("#run-error", Static)
        await wait_until(pilot, lambda: 'seed "x-3" is not an integer' in str(error.render()))
        assert form.query_one("#seed", Input).has_focus  # the field at fault
        assert local_api.count_runs() == 0

        form.query_one("#seed", Input).value = "1-3"
        form.query_one("#guidance", Input).value = "3, 7.5"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: local_api.count_runs() == 6)
        runs = local_api.list_runs()[::-1]
        assert [(r.config["guidance"], r.config["seed"]) for r in runs] == [
            (3.0, 1),
            (3.0, 2),
            (3.0, 3),
            (7.5, 1),
            (7.5, 2),
            (7.5, 3),
        ]
        assert len({r.sweep_id for r in runs}) == 1 and runs[0].sweep_id

        await pilot.press("2")  # the runs screen groups them, newest first
        await wait_until(pilot, lambda: len(table_ids(app, "#runs")) == 6)
        cells = prompt_cells(app)
        shown = [cells[r.run_id] for r in runs[::-1]]
        assert shown[0] == "╭ guidance=7.5 seed=3 robot"
        assert shown[1] == "│ guidance=7.5 seed=2 robot"
        assert shown[-1] == "╰ guidance=3 seed=1 robot"

        await pilot.press("1", "r")  # the form remembers the lists as typed
        await pilot.pause()
        assert app.screen.query_one("#seed", Input).value == "1-3"
        assert app.screen.query_one("#guidance", Input).value == "3, 7.5"
        app.screen.query_one("#guidance", Input).value = "5"
        app.screen.query_one("#seed", Input).value = "1-300"
        await pilot.press("ctrl+s")  # more than 256 runs: asked first
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        assert "300 runs" in str(app.screen.query_one("#question", Static).render())
        await pilot.press("n")
        await pilot.pause()
        assert local_api.count_runs() == 6
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")
        await wait_until(pilot, lambda: local_api.count_runs() == 306)
