"""The first TUI screen, driven through Pilot."""

from __future__ import annotations

from cosmos_tui.tui.app import CosmosApp


async def test_header_marks_a_simulated_host(tmp_path) -> None:
    from cosmos_tui.api import CosmosAPI
    from cosmos_tui.config import load

    path = tmp_path / "config.toml"
    path.write_text(
        'default_host = "sim"\n[paths]\ndatabase = "db.sqlite"\n'
        '[hosts.sim]\ntransport = "local"\nremote_dir = "host"\nruntime = "process"\nsimulated = true\n'
    )
    app = CosmosApp(CosmosAPI(load(path)), start_engine=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.3)
        assert app.sub_title.startswith("host: sim (simulated) · 0 running · 0 queued · 0 failed today")
