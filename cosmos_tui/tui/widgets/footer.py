"""The footer of every screen: Textual's, drawn again only when the keys it shows change.

Textual's footer rebuilds all its keys on every "bindings updated" signal, and a screen's first
show sends several (its mount, each focus change, each stack change): seven for the gallery, each
one removing and mounting every key and restyling it. Here a rebuild is asked for only when the
shown keys differ from the last drawn, and never twice before the first is done.
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer as TextualFooter


class Footer(TextualFooter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ready = False  # the screen has told its bindings once (before, compose draws nothing)
        self.drawn: tuple[object, ...] | None = None  # the shown keys of the last compose
        self.pending = False  # a rebuild is asked for and not done yet

    def shown_keys(self, screen: Screen) -> tuple[object, ...]:
        """What compose draws from: every shown binding with its state, the palette's key too."""
        active = screen.active_bindings
        keys: list[object] = [
            (binding, enabled, tooltip) for (_, binding, enabled, tooltip) in active.values() if binding.show
        ]
        palette = active.get(self.app.COMMAND_PALETTE_BINDING) if self.show_command_palette else None
        keys.append(palette[1:] if palette else None)
        return (self.compact, *keys)

    def compose(self):  # Textual's ComposeResult
        self.pending = False
        if self.ready and self.is_attached:
            self.drawn = self.shown_keys(self.screen)
        yield from super().compose()

    def bindings_changed(self, screen: Screen) -> None:
        if self.pending or (self.drawn is not None and self.shown_keys(screen) == self.drawn):
            return
        self.ready = True
        super().bindings_changed(screen)
        self.pending = self.is_attached and screen is self.screen and bool(screen.app.app_focus)
