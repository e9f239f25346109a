"""The footer is drawn again only when the keys it shows change (Textual's rebuilds them on every
bindings signal: seven times when the gallery first opens)."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Input
from textual.widgets._footer import FooterKey

from cosmos_tui.tui.widgets.footer import Footer


class Keys(App[None]):
    BINDINGS = [Binding("f2", "go", "Go"), Binding("f3", "stop", "Stop")]
    can_stop = False

    def compose(self) -> ComposeResult:
        yield Input(id="one")
        yield Input(id="two")
        yield Footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return None if action == "stop" and not self.can_stop else True  # None: shown, disabled


async def test_the_footer_is_rebuilt_only_when_its_keys_change(monkeypatch: pytest.MonkeyPatch) -> None:
    rebuilds: list[int] = []
    real = Footer.recompose

    async def counted(self: Footer) -> None:
        rebuilds.append(1)
        await real(self)

    monkeypatch.setattr(Footer, "recompose", counted)
    app = Keys()
    async with app.run_test() as pilot:
        await pilot.pause()

        def shown() -> dict[str, bool]:
            return {key.key: not key.has_class("-disabled") for key in app.screen.query(FooterKey)}

        assert shown() == {"f2": True, "f3": False, "ctrl+p": True}
        first = len(rebuilds)
        for _ in range(5):  # focus moves and bindings signals, the same keys each time
            await pilot.press("tab")
            app.refresh_bindings()
        await pilot.pause()
        assert len(rebuilds) == first
        app.can_stop = True  # a key's state changes: drawn again, once
        app.refresh_bindings()
        app.refresh_bindings()
        await pilot.pause()
        assert shown() == {"f2": True, "f3": True, "ctrl+p": True}
        assert len(rebuilds) == first + 1
