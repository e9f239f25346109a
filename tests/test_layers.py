"""ARCHITECTURE.md, "The layers": nothing below api.py imports textual or rich, and the headless CLI stays
light (argparse first, textual only for the TUI)."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGE = REPO / "cosmos_tui"
UI_LAYER = ("tui", "cli.py", "cli_output.py", "cli_run.py", "__main__.py")
FORBIDDEN = ("textual", "rich")


def core_modules() -> list[Path]:
    return [
        path for path in sorted(PACKAGE.rglob("*.py")) if path.relative_to(PACKAGE).parts[0] not in UI_LAYER
    ]


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("path", core_modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_core_module_source_never_imports_the_ui(path: Path) -> None:
    assert not imported_roots(path) & set(FORBIDDEN)


def test_importing_every_core_module_loads_no_ui_library() -> None:
    names = [
        ".".join(p.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__") for p in core_modules()
    ]
    code = (
        "import importlib, json, sys\n"
        f"for name in {names!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_headless_json_listing_imports_neither_textual_nor_paramiko(config_file: Path) -> None:
    code = (
        "import json, sys\n"
        "from cosmos_tui.cli import main\n"
        f"rc = main(['prompt', 'list', '--json', '--config', {str(config_file)!r}])\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'textual', 'rich', 'paramiko'})\n"
        "print(json.dumps({'rc': rc, 'heavy': heavy}), file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stderr.strip().splitlines()[-1]) == {"rc": 0, "heavy": []}


# -- the facade (issue 10): import-linter contracts, and no back door through the API object -----

UI_SOURCES = sorted([*(PACKAGE / "tui").rglob("*.py"), *PACKAGE.glob("cli*.py")])


def test_import_linter_contracts_hold() -> None:
    """pyproject.toml [tool.importlinter]: the layers, the UI only through api/records/errors, and
    textual and rich only in the UI."""
    lint = Path(sys.executable).parent / "lint-imports"
    out = subprocess.run([str(lint), "--no-cache"], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Contracts: 3 kept, 0 broken." in out.stdout


def test_every_module_of_the_package_sits_in_a_layer() -> None:
    """A new module must be placed in the layers contract, or the layers say nothing about it."""
    import tomllib

    settings = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    [layers] = [c["layers"] for c in settings["contracts"] if c["type"] == "layers"]
    placed = {name.strip().strip("()") for layer in layers for name in layer.replace(":", "|").split("|")}
    modules = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    packages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert modules | packages == placed


@pytest.mark.parametrize("path", UI_SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_ui_drives_no_engine_and_reads_nothing_private_of_the_api(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert ".engine()" not in source  # start_execution, stop_execution, executing, ... instead
    assert not re.search(r"\bapi\._\w", source)
