"""Every key of the terminal UI in one table, and the checks for the `[keys]` config section.

The TUI builds its bindings (and so its footer, `?` help and command palette), its status-line
hints and the README's key table from ``ACTIONS``. The table is plain data so that the config,
which is read below the UI layer, validates `[keys]` against it without importing textual.
Keys use Textual's names: ``x``, ``R``, ``ctrl+s``, ``escape``, ``enter``, ``slash``...;
a single character such as ``?`` or ``/`` is turned into its name (``question_mark``, ``slash``).
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Place:
    """A screen (or the app, or the tables) whose keys form one group."""

    name: str
    where: str  # as the README and the palette name it
    modal: bool = False  # app keys do not reach a modal, except priority ones
    has_table: bool = False  # a record table: its own keys are active there too
    typing: bool = False  # a form whose fields take every printable key


PLACES: dict[str, Place] = {
    p.name: p
    for p in (
        Place("app", "anywhere"),
        Place("table", "tables"),
        Place("prompts", "prompts", has_table=True),
        Place("prompt", "prompt detail", has_table=True),
        Place("runs", "runs", has_table=True),
        Place("log", "log"),
        Place("gpu", "GPUs", has_table=True),
        Place("dashboard", "dashboard"),
        Place("gallery", "gallery", has_table=True),
        Place("preview", "preview"),
        Place("new_prompt", "new prompt form", modal=True, typing=True),
        Place("run_form", "run form", modal=True, typing=True),
        Place("confirm", "confirmation dialog", modal=True),
    )
}


@dataclass(frozen=True)
class Action:
    """One binding: ``<place>.<name>`` is its ID, in `[keys]` and in Textual's keymap."""

    place: str
    name: str
    keys: str  # the default key(s), comma-separated
    label: str  # footer and help
    what: str  # help and README: what it does
    action: str  # the Textual action it runs
    show: bool = True  # in the footer
    priority: bool = False
    short: str = ""  # the word in status-line hints (default: the label in lower case)

    @property
    def id(self) -> str:
        return f"{self.place}.{self.name}"

    @property
    def hint_word(self) -> str:
        return self.short or self.label.lower()


ACTIONS: tuple[Action, ...] = (
    Action("app", "prompts", "1", "Prompts", "the prompts screen", "switch_mode('prompts')"),
    Action("app", "runs", "2", "Runs", "the runs screen", "switch_mode('runs')"),
    Action("app", "gpu", "3", "GPUs", "the GPU screen", "switch_mode('gpu')"),
    Action("app", "dashboard", "4", "Dashboard", "the dashboard", "switch_mode('dashboard')"),
    Action("app", "gallery", "5", "Gallery", "the gallery of results", "switch_mode('gallery')"),
    Action("app", "help", "question_mark", "Help", "show or hide every key of the screen", "toggle_help"),
    # Before the screens' own escape (back, clear filter), but only while the help panel shows.
    Action(
        "app",
        "close_help",
        "escape",
        "Close help",
        "close the help panel",
        "close_help",
        show=False,
        priority=True,
    ),
    Action("app", "quit", "q", "Quit", "quit (asks first while runs execute from here)", "quit_app"),
    Action("table", "first", "home", "First row", "first row of a table", "scroll_top", show=False),
    Action("table", "last", "end", "Last row", "last row of a table", "scroll_bottom", show=False),
    Action("prompts", "filter", "slash", "Filter", "live full-text filter", "filter"),
    Action(
        "prompts",
        "clear_filter",
        "escape",
        "Clear filter",
        "clear and close the filter",
        "clear_filter",
        show=False,
    ),
    Action(
        "prompts",
        "new",
        "n",
        "New",
        "new prompt: text, input (a video folder, a video or an image, completed from inputs/, "
        "with what was found there; empty: text only), negative prompt, name; errors show under their field",
        "new_prompt",
    ),
    Action("prompts", "open", "enter", "Open", "detail: full text, inputs, its runs", "open"),
    Action(
        "prompts",
        "run",
        "r",
        "Run",
        "run the marked prompts, else the selected one: weights, steps, "
        "guidance, seeds, host (defaults from the config, the last values used remembered); comma "
        "lists and seed ranges queue a sweep",
        "run",
    ),
    Action("prompts", "mark", "space", "Mark", "mark or unmark the prompt", "mark"),
    Action("prompts", "delete", "d", "Delete", "delete the prompt and its runs, after confirming", "delete"),
    Action(
        "prompts",
        "enhance",
        "e",
        "Enhance",
        "enhance the selected prompt: the Pixtral prompt upsampler "
        "reads it and its video on the default host; the enhanced text becomes a child prompt",
        "enhance",
    ),
    Action("prompt", "back", "escape", "Back", "back to the prompts", "app.pop_screen"),
    Action("prompt", "run", "r", "Run", "run this prompt", "run"),
    Action("prompt", "open_run", "enter", "Open run log", "the selected run's log", "open_run"),
    Action(
        "prompt",
        "enhance",
        "e",
        "Enhance",
        "enhance this prompt (listed under enhanced versions when done)",
        "enhance",
    ),
    Action(
        "runs", "open_log", "enter", "Log", "the run's log (the table names each run's prompt)", "open_log"
    ),
    Action(
        "runs",
        "filter",
        "s",
        "Filter status",
        "cycle the status filter: all, running, queued, failed, completed, cancelled",
        "cycle_filter",
        short="filter",
    ),
    Action("runs", "cancel", "c", "Cancel", "cancel the run, after confirming", "cancel_run"),
    Action("runs", "rerun", "R", "Re-run", "queue the run again with the same settings", "rerun"),
    Action(
        "runs",
        "open_output",
        "o",
        "Open output",
        "open the output video (xdg-open), else show its path",
        "open_output",
    ),
    Action(
        "runs",
        "upscale",
        "u",
        "Upscale",
        "4K-upscale the completed run: a new run (weight 0.5) shown under it in the table",
        "upscale",
    ),
    Action("log", "back", "escape", "Back", "close the search box, else go back", "back"),
    Action(
        "log",
        "follow",
        "f,end",
        "Follow",
        "follow the end again after scrolling back (a badge counts the lines that arrived meanwhile)",
        "follow",
    ),
    Action(
        "log",
        "search",
        "slash",
        "Search",
        "search the lines shown: matches are highlighted, the current "
        "one scrolled into view with its line number",
        "search",
    ),
    Action(
        "log", "next_match", "n", "Next match", "next search match", "next_match", show=False, short="next"
    ),
    Action(
        "log",
        "previous_match",
        "N",
        "Previous match",
        "previous search match",
        "previous_match",
        show=False,
        short="previous",
    ),
    Action("log", "wrap", "w", "Wrap", "wrap long lines or not", "wrap"),
    Action(
        "log",
        "prefix",
        "t",
        "Prefix",
        "cycle each line's loguru prefix: compact (02:01:31 INFO transfer.py:398, the default), full, none",
        "prefix",
    ),
    Action("log", "save", "s", "Save copy", "save a copy of the log to the current folder", "save"),
    Action(
        "gpu", "cancel", "c", "Cancel run", "cancel the selected run, after confirming", "cancel_container"
    ),
    Action("gpu", "refresh", "g", "Refresh", "poll the hosts now", "poll_now"),
    Action("dashboard", "refresh", "g", "Refresh", "reload the figures", "reload"),
    Action("gallery", "filter", "slash", "Filter", "filter by prompt, model, host or rating>=N", "filter"),
    Action(
        "gallery",
        "clear_filter",
        "escape",
        "Clear filter",
        "clear and close the filter",
        "clear_filter",
        show=False,
    ),
    Action("gallery", "sort", "s", "Sort", "sort by date or by rating", "sort"),
    Action("gallery", "preview", "enter", "Play", "play the video in the terminal", "preview"),
    *(
        Action(
            "gallery",
            f"rate_{n}",
            str(n),
            f"Rate {n}",
            f"rate the result {n} of 5 (on the gallery, 1-4 rate instead of switching screens)",
            f"rate({n})",
            show=n == 5,
            short="rate",
        )
        for n in range(1, 6)
    ),
    Action("gallery", "unrate", "0", "Clear rating", "clear the result's rating", "rate(0)", show=False),
    Action("preview", "pause", "space", "Pause", "pause or play", "pause"),
    Action("preview", "back_frame", "left", "Back", "one frame back (pauses)", "step(-1)"),
    Action("preview", "next_frame", "right", "Next", "one frame on (pauses)", "step(1)"),
    Action(
        "preview",
        "compare",
        "c",
        "Compare",
        "side by side with the input video, then the parent or child runs, then alone",
        "compare",
    ),
    Action("preview", "close", "escape", "Close", "back to the gallery", "close"),
    Action("new_prompt", "cancel", "escape", "Cancel", "close the form without creating", "cancel"),
    Action("new_prompt", "create", "ctrl+s", "Create", "create the prompt", "save"),
    Action("run_form", "cancel", "escape", "Cancel", "close the form without running", "cancel"),
    Action("run_form", "run", "ctrl+s", "Run", "queue the runs", "start"),
    Action("confirm", "yes", "y", "Yes", "do it (the red button)", "answer(True)"),
    Action(
        "confirm", "no", "n,escape", "No", "keep things as they are (the focused button)", "answer(False)"
    ),
)

BY_ID: dict[str, Action] = {a.id: a for a in ACTIONS}

# Textual's own keys, active everywhere; they cannot be rebound here.
RESERVED: dict[str, str] = {
    "tab": "moves the focus",
    "shift+tab": "moves the focus back",
    "ctrl+p": "opens the command palette",
    "ctrl+q": "quits at once",
    "ctrl+c": "copies the selected text",
}

MODIFIERS = ("ctrl", "alt", "shift", "meta", "super", "hyper")
NAMED_KEYS = frozenset(
    [
        "escape",
        "enter",
        "tab",
        "space",
        "backspace",
        "delete",
        "insert",
        "home",
        "end",
        "pageup",
        "pagedown",
        "up",
        "down",
        "left",
        "right",
        *(f"f{n}" for n in range(1, 25)),
    ]
)
# Textual's short names for some characters (keys.KEY_NAME_REPLACEMENTS).
CHARACTER_NAMES = {
    "solidus": "slash",
    "reverse_solidus": "backslash",
    "commercial_at": "at",
    "hyphen_minus": "minus",
    "plus_sign": "plus",
    "low_line": "underscore",
}
DISPLAY = {"question_mark": "?", "slash": "/", "escape": "esc", "home": "Home", "end": "End"}


def key_name(key: str) -> str:
    """Textual's name for a key as a user may write it: ``?`` -> ``question_mark``."""
    if len(key) != 1 or key.isalnum():
        return key
    try:
        name = unicodedata.name(key).lower().replace("-", "_").replace(" ", "_")
    except ValueError:
        return key
    return CHARACTER_NAMES.get(name, name)


def key_problem(key: str) -> str | None:
    """Why ``key`` (already a name) is not a key Textual can bind, or None."""
    *mods, base = key.split("+")
    if any(m not in MODIFIERS for m in mods) or not base:
        return f"modifiers are {', '.join(MODIFIERS)}, joined with +"
    if len(base) == 1 and base.isprintable() and not base.isspace():
        return None
    if base in NAMED_KEYS or base in CHARACTER_NAMES.values():
        return None
    if re.fullmatch(r"[a-z_]+", base) and key_to_char(base):  # question_mark, full_stop...
        return None
    return "use one character, a key name such as escape, enter, space, home, f1, or a modifier+key"


def display(key: str) -> str:
    """A key as status lines and the README show it: ``?``, ``/``, ``esc``, ``ctrl+s``, ``End``."""
    *mods, base = key.split("+")
    return "+".join([*mods, DISPLAY.get(base, base)])


def split_keys(keys: str) -> list[str]:
    return [key_name(k.strip()) if len(k.strip()) == 1 else k.strip() for k in keys.split(",")]


def scope(place: str) -> list[Action]:
    """The actions whose keys are live together on ``place`` (a screen or modal)."""
    p = PLACES[place]
    names = {place}
    if p.has_table:
        names.add("table")
    live = [a for a in ACTIONS if a.place in names]
    if place != "app":
        live += [a for a in ACTIONS if a.place == "app" and (a.priority or not p.modal)]
    return live


class KeymapError(ValueError):
    """A `[keys]` entry that cannot be used; the message is one sentence naming it."""


def effective(overrides: Mapping[str, str]) -> dict[str, list[str]]:
    """Every action's keys after the user's overrides (action ID -> key names)."""
    return {a.id: split_keys(overrides.get(a.id, a.keys)) for a in ACTIONS}


def flatten(entries: Mapping[str, object], prefix: str = "") -> dict[str, object]:
    """`runs.cancel = "x"` without quotes is a table in TOML: read it as "runs.cancel" too."""
    flat: dict[str, object] = {}
    for name, value in entries.items():
        dotted = f"{prefix}.{name}" if prefix else name
        if isinstance(value, Mapping) and not prefix:
            flat.update(flatten(value, dotted))
        else:
            flat[dotted] = value
    return flat


def check(entries: Mapping[str, object]) -> dict[str, str]:
    """Validate `[keys]` entries; return the keymap (action ID -> normalised keys) or raise
    KeymapError naming the first bad entry."""
    keymap: dict[str, str] = {}
    for entry, value in flatten(entries).items():
        shown = f'"{entry}"'
        place = entry.partition(".")[0]
        if place not in PLACES:
            raise KeymapError(
                f"{shown} names no screen; use <screen>.<action> with a screen among: {', '.join(PLACES)}."
            )
        if entry not in BY_ID:
            names = ", ".join(a.name for a in ACTIONS if a.place == place)
            raise KeymapError(f"{shown} is not an action; {place} has: {names}.")
        if not isinstance(value, str) or not value.strip():
            raise KeymapError(f'{shown} must be a key such as "x" or "ctrl+x" (several: "x,f2").')
        keys = split_keys(value)
        for key in keys:
            problem = key_problem(key)
            if problem:
                raise KeymapError(f'{shown} = "{value}": "{key}" is not a key; {problem}.')
            if key in RESERVED:
                raise KeymapError(
                    f'{shown} = "{value}": {key} {RESERVED[key]} in every screen; choose another key.'
                )
            if PLACES[place].typing and "+" not in key and key_to_char(key):
                raise KeymapError(
                    f'{shown} = "{value}": {key} types into the form\'s fields; use a key '
                    "with ctrl+ or alt+, or a function key."
                )
        keymap[entry] = ",".join(keys)
    _check_clashes(keymap)
    return keymap


def key_to_char(key: str) -> str:
    """The printable character a key types ("" for none)."""
    if len(key) == 1:
        return key
    if key == "space":
        return " "
    key = {v: k for k, v in CHARACTER_NAMES.items()}.get(key, key)
    try:
        char = unicodedata.lookup(key.replace("_", " "))
    except KeyError:
        return ""
    return char if char.isprintable() else ""


def _check_clashes(keymap: Mapping[str, str]) -> None:
    keys = effective(keymap)
    default = effective({})
    for entry in keymap:
        mine = BY_ID[entry]
        places = (
            [mine.place]
            if mine.place not in ("app", "table")
            else [p for p in PLACES if p not in ("app", "table") and mine in scope(p)]
        )
        for place in places:
            for other in scope(place):
                if other.id == entry:
                    continue
                for key in keys[entry]:
                    # Keys the defaults already share (escape: close help, else go back) are meant.
                    if key in keys[other.id] and not (key in default[entry] and key in default[other.id]):
                        p = PLACES[place]
                        where = f"in the {p.where}" if p.modal else f"on the {p.where} screen"
                        raise KeymapError(
                            f'"{entry}" = "{keymap[entry]}" clashes with "{other.id}", which has '
                            f"{display(key)} {where}; choose another key for one of them."
                        )


def hint(overrides: Mapping[str, str], *ids: str) -> str:
    """A status-line hint such as "n new · r run", with the keys as the user bound them."""
    keys = effective(overrides)
    return " · ".join(f"{display(keys[i][0])} {BY_ID[i].hint_word}" for i in ids)


def keys_text(overrides: Mapping[str, str], action_id: str, joiner: str = " or ") -> str:
    """An action's keys for a sentence: "f or End"."""
    return joiner.join(display(k) for k in effective(overrides)[action_id])


# -- the README's key table ---------------------------------------------------------------------

README_START = "<!-- keys: generated from cosmos_tui/keymap.py; `python -m cosmos_tui.keymap README.md` -->"
README_END = "<!-- keys: end -->"


def readme_table() -> str:
    rows = ["| key | where | action ID (for `[keys]`) | what |", "|---|---|---|---|"]
    for a in ACTIONS:
        keys = " ".join(f"`{display(k)}`" for k in split_keys(a.keys))
        rows.append(f"| {keys} | {PLACES[a.place].where} | `{a.id}` | {a.what} |")
    for key, what in RESERVED.items():
        rows.append(f"| `{key}` | anywhere | (Textual's, fixed) | {what} |")
    return "\n".join(rows)


def with_readme_table(text: str) -> str:
    """The README text with its key table regenerated."""
    start = text.index(README_START) + len(README_START)
    end = text.index(README_END)
    return text[:start] + "\n" + readme_table() + "\n" + text[end:]


def main(argv: Iterable[str]) -> int:
    for name in argv:
        path = Path(name)
        path.write_text(with_readme_table(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
