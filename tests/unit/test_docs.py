"""ARCHITECTURE.md stays true and in the repository: the files it names exist, and nothing in the
repository points readers at documents outside it."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "cosmos_tui"
OUTSIDE = re.compile(r"DESIGN\.md|STYLE\.md|MODELS\.md|\.\./shared")
OUTSIDE_LINK = re.compile(r"\]\(\.\./")  # a Markdown link out of the repository


def named_paths(text: str) -> set[str]:
    """Backticked names that look like files or folders of the repository (`engine/hosts.py`)."""
    names = set()
    for name in re.findall(r"`([\w./-]+)`", text):
        name = name.split("::")[0]
        if name.endswith((".py", ".md", ".toml", ".tcss")) or name.endswith("/"):
            names.add(name)
    return names


def test_every_file_architecture_md_names_exists() -> None:
    text = (REPO / "ARCHITECTURE.md").read_text(encoding="utf-8")
    missing = [
        name
        for name in sorted(named_paths(text))
        if not any((base / name).exists() for base in (REPO, PACKAGE)) and "<" not in name
    ]
    assert not missing, f"ARCHITECTURE.md names files that do not exist: {missing}"


def test_the_readme_links_to_architecture_md() -> None:
    assert "(ARCHITECTURE.md)" in (REPO / "README.md").read_text(encoding="utf-8")


def test_nothing_points_outside_the_repository() -> None:
    files = [REPO / "README.md", REPO / "ARCHITECTURE.md", REPO / "pyproject.toml"]
    files += sorted(PACKAGE.rglob("*.py")) + sorted((REPO / "tests").rglob("*.py"))
    found = [
        f"{path.relative_to(REPO)}:{number}"
        for path in files
        if path != Path(__file__).resolve()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if OUTSIDE.search(line) or (path.suffix == ".md" and OUTSIDE_LINK.search(line))
    ]
    assert not found, f"these lines point at documents outside the repository: {found}"
