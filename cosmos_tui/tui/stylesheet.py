"""Locating screens.tcss: inside the installed wheel, or at the repository root in a checkout."""

from __future__ import annotations

from pathlib import Path

NAME = "screens.tcss"


def stylesheet_path() -> Path:
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / NAME, package.parent / NAME):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{NAME} is missing from {package} and {package.parent}")
