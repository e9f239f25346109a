"""Textual bindings and status-line hints made from the one key table, `cosmos_tui/keymap.py`.

Each screen's ``BINDINGS = bindings("<place>")``; every binding carries its action ID, so the
app's keymap (the config's `[keys]`, applied with ``App.set_keymap``) rebinds it everywhere Textual
shows keys: the footer, the `?` help panel and the command palette. Hints written into status
lines ask ``hint`` for the keys as the user bound them.
"""

from __future__ import annotations

from collections.abc import Mapping

from textual.binding import Binding, BindingType
from textual.dom import DOMNode

from cosmos_tui import keymap
from cosmos_tui.keymap import ACTIONS, BY_ID, PLACES, Action


def bindings(place: str) -> list[BindingType]:
    """The Textual bindings of one screen (or the app, or the tables), from the table."""
    if place not in PLACES:
        raise ValueError(f"no place {place!r} in the key table")
    return [
        Binding(a.keys, a.action, a.label, show=a.show, priority=a.priority, id=a.id)
        for a in ACTIONS
        if a.place == place
    ]


def user_keys(node: DOMNode) -> Mapping[str, str]:
    """The `[keys]` overrides of the running app's configuration."""
    api = getattr(node.app, "api", None)
    return api.config.keys if api is not None else {}


def hint(node: DOMNode, *ids: str) -> str:
    """ "n new · r run · ...": the actions' keys as bound now."""
    return keymap.hint(user_keys(node), *ids)


def keys_text(node: DOMNode, action_id: str, joiner: str = " or ") -> str:
    """One action's keys for a sentence: "f or End"."""
    return keymap.keys_text(user_keys(node), action_id, joiner)


def key(node: DOMNode, action_id: str) -> str:
    """An action's first key, as shown to people: "y", "esc", "/"."""
    return keymap.display(keymap.effective(user_keys(node))[action_id][0])


def action_for(binding: Binding) -> Action | None:
    return BY_ID.get(binding.id or "")
