"""The first TUI screen, driven through Pilot."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from cosmos_tui.tui.app import CosmosApp
from tests.conftest import DEMO


async def test_header_marks_a_simulated_host(tmp_path) -> None:
    from cosmos_tui.api import CosmosAPI
    from cosmos_tui.config import load

    path = tmp_path / "config.toml"
    path.write_text(
        'default_host = "sim"\n[paths]\ndatabase = "db.sqlite"\n'
        '[hosts.sim]\ntransport = "local"\nremote_dir = "host"\nruntime = "process"\nsimulated = true\n'
    )
    app = CosmosApp(CosmosAPI(load(path)))
    async with app.run_test(size=(120, 40)):
        assert app.sub_title == "host: sim (simulated)"


async def test_app_lists_prompts_loaded_in_a_worker(api) -> None:
    api.create_prompt("A [bold]lighthouse[/] in fog", DEMO)
    app = CosmosApp(api)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.query_one("#prompts", DataTable)
        assert table.row_count == 1
        assert table.get_row_at(0)[2].plain == "A [bold]lighthouse[/] in fog"  # verbatim
        assert "1 prompt(s)" in str(app.query_one("#status", Static).render())
        await pilot.press("q")
    assert app.return_code == 0
