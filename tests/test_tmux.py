"""Drive the installed `cosmos-tui` binary in tmux as a person would: create a prompt, run it,
watch its log, quit. Uses send-keys and capture-pane only."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import DEMO
from tests.harness import local_host_table
from tests.waiting import wait_until

pytestmark = pytest.mark.integration

BIN = Path(sys.executable).parent / "cosmos-tui"


class Tmux:
    def __init__(self, name: str, socket: Path) -> None:
        self.name = name
        self.base = ["tmux", "-S", str(socket)]

    def __call__(self, *args: str) -> str:
        return subprocess.run([*self.base, *args], capture_output=True, text=True, check=True).stdout

    def keys(self, *keys: str) -> None:
        for key in keys:
            self("send-keys", "-t", self.name, key)
            time.sleep(0.15)

    def type(self, text: str) -> None:
        self("send-keys", "-t", self.name, "-l", text)
        time.sleep(0.3)

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", self.name)

    def wait_for(self, text: str, timeout: float = 60) -> str:
        def showing() -> str:
            shown = self.screen()
            return shown if text in shown else ""

        def failure() -> str:
            return f"{text!r} to appear; the screen shows:\n{self.screen()}"

        return wait_until(showing, timeout, interval=0.2, message=failure)


def test_a_person_creates_runs_watches_and_quits(tmp_path: Path) -> None:
    if shutil.which("tmux") is None:
        message = "tmux is missing; install it with: apt-get install -y tmux"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    project = tmp_path / "project"
    (project / "inputs" / "videos").mkdir(parents=True)
    shutil.copytree(DEMO, project / "inputs" / "videos" / "demo")
    (project / "config.toml").write_text(
        'default_host = "sim"\n[paths]\ninputs = "inputs"\noutputs = "outputs"\n'
        'database = "outputs/cosmos.db"\n' + local_host_table("sim", project / "remote", speed="0.01")
    )
    tmux = Tmux("cosmos", tmp_path / "tmux.sock")
    tmux(
        "new-session",
        "-d",
        "-s",
        "cosmos",
        "-x",
        "120",
        "-y",
        "36",
        "-c",
        str(project),
        f"{BIN}; echo EXITED $?; sleep 60",
    )
    try:
        tmux.wait_for("0 prompt(s)")
        tmux.keys("n")
        tmux.wait_for("New prompt")
        tmux.type("A lighthouse in the fog, waves below")
        tmux.keys("Tab")
        tmux.type("demo")
        tmux.wait_for("controls: depth, seg")
        tmux.keys("C-s")
        tmux.wait_for("1 prompt(s)")
        tmux.keys("r")
        tmux.wait_for("Run ps_")
        tmux.keys("C-s")
        tmux.wait_for("queued rs_")
        tmux.keys("2")
        # The runs screen's own status line: "rs_" alone also matches the "queued rs_" toast
        # still on the prompts screen, and an Enter sent then finds no row to open.
        shown = tmux.wait_for("1 run(s)")
        assert "sim (simulated)" in shown
        tmux.keys("Enter")
        tmux.wait_for("load ")  # the stage timeline
        # The compact prefix (time, level, file name) leaves room for the message, even in the
        # 80 columns tmux gives a detached session (the full prefix alone is about 80 characters).
        shown = tmux.wait_for("Saved video to", timeout=120)
        saved = next(line for line in shown.splitlines() if "Saved video to" in line)
        assert " INFO transfer.py:398 Saved video to " in saved, saved
        tmux.wait_for("completed", timeout=60)
        tmux.keys("Escape")
        tmux.wait_for("Filter status")
        tmux.keys("q")
        tmux.wait_for("EXITED 0", timeout=20)
    finally:
        subprocess.run([*tmux.base, "kill-server"], capture_output=True)
    outputs = list((project / "outputs").glob("run_rs_*/output.mp4"))
    assert len(outputs) == 1
