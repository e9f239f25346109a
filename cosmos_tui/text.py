"""Text from users and models made safe to write to a terminal (pure; no UI library).

Prompts, names and model logs are stored verbatim. Wherever such text reaches a terminal, every
C0 control character except newline and tab, DEL, and every C1 control character (U+0080-U+009F,
which includes the 8-bit CSI U+009B) is shown as ``\\xNN``: an ESC sequence such as ``ESC[2J``,
an OSC window title, clipboard write (OSC 52) or link (OSC 8) becomes visible text instead of
acting on the terminal.
"""

from __future__ import annotations

import re

CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# A whole CSI sequence (7-bit ``ESC [`` or 8-bit U+009B): colours, cursor moves, erases. Model
# logs lose these (their colours are not rendered); every other control is escaped visibly.
CSI = re.compile(r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]")


def escape_controls(text: str) -> str:
    """``text`` with each control character but newline and tab written as ``\\xNN``."""
    return CONTROLS.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def strip_csi(text: str) -> str:
    """``text`` without CSI sequences (SGR colours and the like); other controls stay."""
    return CSI.sub("", text)


def has_controls(text: str) -> bool:
    """True when ``text`` holds any control character, newline and tab included (names refuse them)."""
    return ANY_CONTROL.search(text) is not None
