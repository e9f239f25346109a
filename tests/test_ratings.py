"""Rating results 1-5: `run rate`, stored with the run, shown in lists, run show and the dashboard."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cosmos_tui.api import CosmosAPI
from cosmos_tui.errors import OperationError, UsageError
from cosmos_tui.records import rating_text, stars
from tests.helpers import add_run
from tests.test_cli import assert_one_clear_error, cli


def test_stars_and_mean_ratings_read_at_a_glance() -> None:
    assert stars(3) == "★★★☆☆" and stars(5) == "★★★★★" and stars(None) == ""
    assert rating_text(4.25, 4) == "4.2 ★ (4)" and rating_text(None, 0) == "-"


def test_a_completed_run_is_rated_and_the_rating_cleared(api: CosmosAPI) -> None:
    run = add_run(api, None, "completed")
    assert api.rate_run(run.run_id[:8], 4).rating == 4
    assert api.get_run(run.run_id).to_json()["rating"] == 4
    assert api.rate_run(run.run_id, 0).rating is None


@pytest.mark.parametrize("bad", [6, -1, True])
def test_a_rating_outside_1_to_5_is_refused(api: CosmosAPI, bad: int) -> None:
    run = add_run(api, None, "completed")
    with pytest.raises(UsageError, match="a rating is a whole number from 1 to 5"):
        api.rate_run(run.run_id, bad)


def test_only_a_completed_run_can_be_rated(api: CosmosAPI) -> None:
    run = add_run(api, None, "failed")
    with pytest.raises(OperationError, match="is failed; only a completed run has a result to rate"):
        api.rate_run(run.run_id, 3)


def test_run_rate_on_the_command_line_and_where_the_rating_shows(config_file: Path) -> None:
    with _api(config_file) as api:
        run = add_run(api, None, "completed", seconds=60)
        other = add_run(api, None, "completed", seconds=60)
    rated = cli("run", "rate", run.run_id, "5", config=config_file)
    assert rated.returncode == 0 and rated.stdout.strip() == f"{run.run_id} rated ★★★★★"
    assert (
        json.loads(cli("run", "rate", other.run_id, "2", "--json", config=config_file).stdout)["rating"] == 2
    )
    assert "rating: ★★★★★ (5/5)" in cli("run", "show", run.run_id, config=config_file).stdout
    listed = cli("run", "list", config=config_file).stdout
    assert "★★★★★" in listed and "★★☆☆☆" in listed
    stats = cli("stats", config=config_file)
    assert "3.5 ★ (2)" in stats.stdout, stats.stdout
    assert_one_clear_error(
        cli("run", "rate", run.run_id, "9", config=config_file), 2, "a rating is a whole number from 1 to 5"
    )


def _api(config_file: Path) -> CosmosAPI:
    from cosmos_tui.config import load

    return CosmosAPI(load(config_file))
