"""mypy over the package (pyproject.toml [tool.mypy]), so `pytest` alone keeps it clean."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import subprocess
import sys

from textual.screen import Screen

import cosmos_tui.tui
from cosmos_tui.tui.base import CosmosScreen
from tests.conftest import REPO

PACKAGE = REPO / "cosmos_tui"


def test_mypy_finds_no_errors() -> None:
    out = subprocess.run([sys.executable, "-m", "mypy"], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.startswith("Success: no issues found"), out.stdout


def test_every_type_ignore_is_narrow_and_says_why() -> None:
    """`# type: ignore[code]  # why`: never a bare ignore, never one without its reason."""
    loose = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "type: ignore" in line and not re.search(r"# type: ignore\[[\w, -]+\]\s+#\s*\S", line)
    ]
    assert not loose, "\n".join(loose)


def test_every_screen_of_the_ui_has_the_typed_base() -> None:
    """The base gives screens the API, typed, and hands failed workers to the app."""
    for info in pkgutil.walk_packages(cosmos_tui.tui.__path__, "cosmos_tui.tui."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Screen) and cls.__module__ == info.name:
                assert issubclass(cls, CosmosScreen), f"{info.name}.{cls.__name__} is not a CosmosScreen"
