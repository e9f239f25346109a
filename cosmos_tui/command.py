"""The command a user types to start cosmos-tui, for the hints in messages (`... run cancel ID`).

Under ``scripts/run`` it is the script as the user typed it (scripts/run passes ``$0`` in
``$COSMOS_TUI_PROG``); started as ``cosmos-tui`` from PATH it is ``cosmos-tui``; started by a path
(``.venv/bin/cosmos-tui``) it is that path. A hint is then runnable as printed, from where the
user is.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from functools import lru_cache
from pathlib import Path

PROG_VAR = "COSMOS_TUI_PROG"
NAME = "cosmos-tui"


@lru_cache(maxsize=1)
def typed_command() -> str:
    given = os.environ.get(PROG_VAR)
    if given:
        return shlex.quote(given)
    argv0 = sys.argv[0] if sys.argv else ""
    if Path(argv0).name != NAME:
        return NAME  # python -m cosmos_tui, tests, an embedding program
    on_path = shutil.which(NAME)
    if on_path and Path(on_path).resolve() == Path(argv0).resolve():
        return NAME
    return shlex.quote(argv0)


def hint(arguments: str) -> str:
    """``arguments`` as a command line the user can type: ``hint("run cancel rs_1")``."""
    return f"{typed_command()} {arguments}"
