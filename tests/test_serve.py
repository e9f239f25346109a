"""`cosmos-tui serve` in a real headless browser: Debian's Chromium driven by Playwright (which never
downloads a browser here). The page loads, the prompts screen appears, a key press switches to the
runs screen, and a screenshot is saved under outputs/ for a human to look at."""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import DEMO, REPO
from tests.harness import free_port, local_host_table
from tests.waiting import wait_until

pytestmark = pytest.mark.integration

BIN = Path(sys.executable).parent / "cosmos-tui"
SCREENSHOT = REPO / "outputs" / "serve-screenshot.png"


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        message = (
            "chromium is not installed (Debian package chromium); ./scripts/test installs it when run as root"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return found


class Output:
    """The terminal output the page receives, as text with the escape sequences taken out."""

    ESCAPES = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b[@-_]")

    def __init__(self) -> None:
        self.text = ""

    def feed(self, payload: bytes | str) -> None:
        raw = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
        self.text += self.ESCAPES.sub("", raw)


def seen(page, screen: Output, text: str, since: int = 0) -> bool:  # type: ignore[no-untyped-def]
    """Whether ``text`` reached the page (after offset ``since``). Playwright's sync API hands
    over events only while one of its calls runs, so this waits a little inside one."""
    page.wait_for_timeout(50)
    return text in screen.text[since:]


def shot(page) -> Image.Image:  # type: ignore[no-untyped-def]
    """The page as pixels: the terminal is drawn on a canvas, so its text is not in the DOM."""
    return Image.open(io.BytesIO(page.screenshot())).convert("RGB")


def drawn(image: Image.Image) -> bool:
    """Whether the terminal has drawn an app: more than a few colours on the canvas."""
    colours = image.resize((160, 100)).getcolors(maxcolors=160 * 100) or []
    return len(colours) > 8


def test_the_app_is_served_to_a_browser_where_keys_work(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    browser_path = chromium()
    config = tmp_path / "config.toml"
    config.write_text(
        'default_host = "sim"\n[paths]\noutputs = "outputs"\ndatabase = "outputs/cosmos.db"\n'
        + local_host_table("sim", tmp_path / "remote")
    )
    env = {**os.environ, "COSMOS_TUI_CONFIG": str(config)}
    subprocess.run([BIN, "prompt", "add", "a lighthouse served to a browser", str(DEMO)], env=env, check=True)
    port = free_port()
    server = subprocess.Popen(
        [BIN, "serve", "--port", str(port)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert server.stderr is not None
        assert f"serving cosmos-tui at http://127.0.0.1:{port}" in server.stderr.readline()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            # What the app writes to the page's terminal (ANSI text over the websocket): the
            # terminal draws on a canvas, so its text is not in the DOM.
            screen = Output()
            page.on("websocket", lambda ws: ws.on("framereceived", screen.feed))
            deadline = time.monotonic() + 30
            while True:
                try:
                    page.goto(f"http://127.0.0.1:{port}", timeout=5000)
                    break
                except Exception:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            wait_until(
                lambda: seen(page, screen, "prompt(s)"), timeout=45, message="the prompts screen in the page"
            )
            assert "a-lighthouse-served" in screen.text
            wait_until(lambda: drawn(shot(page)), timeout=20, message="the app drawn on the page")
            page.locator(".xterm-helper-textarea").focus()  # where xterm.js takes the keys
            before = len(screen.text)
            page.keyboard.press("2")
            wait_until(
                lambda: seen(page, screen, "run(s)", since=before),
                timeout=20,
                message="the runs screen in the page",
            )
            before = len(screen.text)
            page.keyboard.press("5")  # the gallery draws with textual-image: it must not upset the page
            wait_until(
                lambda: seen(page, screen, "result(s)", since=before),
                timeout=20,
                message="the gallery in the page",
            )
            page.keyboard.press("2")
            page.wait_for_timeout(500)  # drawn on the canvas
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT))
            browser.close()
        assert SCREENSHOT.stat().st_size > 10_000
    finally:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(5)
