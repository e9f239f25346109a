"""Issue 9 point 7: text from prompts, names and model logs never acts on the terminal.

Stored text stays verbatim; every control character but newline and tab is shown as ``\\xNN``
wherever it is written to a terminal (CLI on a TTY, tables always, the TUI, ``run logs`` on a TTY).
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from cosmos_tui.api import CosmosAPI
from cosmos_tui.cosmos.base import clean
from cosmos_tui.errors import UsageError
from cosmos_tui.text import escape_controls, has_controls, strip_csi
from tests.conftest import DEMO
from tests.helpers import add_run

BIN = Path(sys.executable).parent / "cosmos-tui"

CLEAR = "\x1b[2J\x1b[H"
TITLE = "\x1b]0;pwned-title\x07"  # OSC 0, ended by BEL
CLIPBOARD = "\x1b]52;c;cHduZWQ=\x1b\\"  # OSC 52, ended by ST
LINK = "\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\"  # OSC 8
HOSTILE = f"A calm lake{CLEAR}{TITLE}{CLIPBOARD}{LINK}\x9b2J\x07\x7f end"
# What a terminal must never receive from stored text (the C1 CSI encoded in UTF-8 included).
RAW = (b"\x1b", b"\x07", b"\x9b", b"\x7f", b"\x90", b"\x9d")


# ---------- the one sanitising function ----------


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("plain ünïcode text", "plain ünïcode text"),
        ("keeps\nnewlines\tand tabs", "keeps\nnewlines\tand tabs"),
        ("\x1b[2J", "\\x1b[2J"),
        ("\x00\x01\x08\x0b\x0c\r\x1f", "\\x00\\x01\\x08\\x0b\\x0c\\x0d\\x1f"),
        ("del\x7f", "del\\x7f"),
        ("c1 \x80 \x85 \x9b2J \x9d \x9f", "c1 \\x80 \\x85 \\x9b2J \\x9d \\x9f"),
        (TITLE, "\\x1b]0;pwned-title\\x07"),
        (CLIPBOARD, "\\x1b]52;c;cHduZWQ=\\x1b\\"),
        ("\xa0non-breaking and é stay", "\xa0non-breaking and é stay"),
    ],
)
def test_escape_controls(given: str, shown: str) -> None:
    assert escape_controls(given) == shown


def test_escaped_text_holds_no_control_but_newline_and_tab() -> None:
    every = "".join(chr(c) for c in range(0x00, 0x200))
    shown = escape_controls(every)
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", shown)
    assert "\n" in shown and "\t" in shown


def test_strip_csi_takes_whole_sequences_only() -> None:
    assert strip_csi("\x1b[1;31mred\x1b[0m \x1b[?25l\x9b2Jx") == "red x"
    assert strip_csi(TITLE) == TITLE  # an OSC is not CSI: it is escaped, not silently dropped


def test_has_controls_counts_newline_and_tab_too() -> None:
    assert not has_controls("robot-arm take 2 ünï")
    assert all(has_controls(f"a{c}b") for c in ("\n", "\t", "\x1b", "\x7f", "\x9b"))


def test_a_log_line_loses_colours_and_shows_every_other_control() -> None:
    line = f"\x1b[32mINFO\x1b[0m step {TITLE}\x07 done"
    assert clean(line) == "INFO step \\x1b]0;pwned-title\\x07\\x07 done"
    assert clean("10%|█\r 50%|███\r") == " 50%|███"  # tqdm's \r updates still fold


# ---------- names ----------


@pytest.mark.parametrize("name", ["evil\x1b]0;x\x07", "two\nlines", "tab\there", "c1\x9b", "del\x7f"])
def test_a_prompt_name_with_a_control_character_is_refused(api: CosmosAPI, name: str) -> None:
    with pytest.raises(UsageError, match="control character"):
        api.create_prompt("a lake", DEMO, name=name)
    assert api.count_prompts() == 0


def test_the_cli_refuses_such_a_name_with_one_sentence_and_exit_2(config_file: Path) -> None:
    env = dict(os.environ, COSMOS_TUI_CONFIG=str(config_file))
    result = subprocess.run(
        [str(BIN), "prompt", "add", "a lake", str(DEMO), "--name", "x\x1b[2Jy"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "control character" in result.stderr
    assert "\x1b" not in result.stderr


# ---------- the CLI on a terminal ----------


def on_terminal(*args: str, config: Path, columns: int = 200) -> bytes:
    """The bytes the CLI writes to a pseudo-terminal as its stdout (stderr is piped)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    env = dict(os.environ, COSMOS_TUI_CONFIG=str(config), COLUMNS=str(columns), TERM="xterm-256color")
    proc = subprocess.Popen([str(BIN), *args], stdout=slave, stderr=subprocess.PIPE, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return b"".join(chunks)


def assert_nothing_raw(drawn: bytes) -> None:
    """No control byte from stored text: only the table's own colour codes (SGR) may be there."""
    own = re.sub(rb"\x1b\[[0-9;]*m", b"", drawn)
    for byte in RAW:
        assert byte not in own, (byte, drawn)


def hostile_prompt(api: CosmosAPI) -> str:
    prompt = api.create_prompt(HOSTILE, DEMO, name="calm-lake", negative_prompt=f"blur{TITLE}{CLEAR}")
    # A name stored before names were checked (an older database) is shown safely too.
    api.store.db.execute_sql("UPDATE prompt SET name = ? WHERE id = ?", (f"lake{TITLE}", prompt.prompt_id))
    return prompt.prompt_id


@pytest.mark.integration
def test_prompt_show_and_list_on_a_terminal_send_no_control_character(
    api: CosmosAPI, config_file: Path
) -> None:
    prompt_id = hostile_prompt(api)
    api.close()

    shown = on_terminal("prompt", "show", prompt_id, config=config_file)
    assert_nothing_raw(shown)
    text = shown.decode()
    assert "\\x1b]0;pwned-title\\x07" in text and "\\x9b2J" in text and "\\x1b[2J" in text
    assert "lake\\x1b]0;pwned-title\\x07" in text  # the name
    assert "blur\\x1b]0;pwned-title" in text  # the negative prompt

    for command in (("prompt", "list"), ("prompt", "search", "calm")):
        listed = on_terminal(*command, config=config_file)
        assert_nothing_raw(listed)
        assert prompt_id in listed.decode()

    # Piped: the table is escaped too; the record and --json keep the exact text.
    env = dict(os.environ, COSMOS_TUI_CONFIG=str(config_file))
    piped = subprocess.run([str(BIN), "prompt", "list"], capture_output=True, env=env, timeout=60).stdout
    assert_nothing_raw(piped)
    record = subprocess.run(
        [str(BIN), "prompt", "show", prompt_id], capture_output=True, env=env, timeout=60
    ).stdout
    assert HOSTILE.encode() in record
    import json

    data = json.loads(
        subprocess.run(
            [str(BIN), "prompt", "show", prompt_id, "--json"], capture_output=True, env=env, timeout=60
        ).stdout
    )
    assert data["text"] == HOSTILE and data["name"] == f"lake{TITLE}"


LOG = (
    "[11-21 10:00:00|INFO|x.py:1:f] \x1b[1;32mstarting\x1b[0m\n"
    f"[11-21 10:00:01|INFO|x.py:1:f] {TITLE}{CLIPBOARD}{LINK}\n"
    "\x9b2J lone \x1b bell \x07 del \x7f\n"
)


@pytest.mark.integration
def test_run_logs_on_a_terminal_escapes_controls_and_piped_keeps_the_bytes(
    api: CosmosAPI, config_file: Path
) -> None:
    prompt = api.create_prompt("logged", DEMO)
    run = add_run(api, prompt.prompt_id, "completed")
    Path(run.log_path).parent.mkdir(parents=True, exist_ok=True)
    Path(run.log_path).write_text(LOG)
    api.close()

    drawn = on_terminal("run", "logs", run.run_id, config=config_file)
    for byte in RAW:
        assert byte not in drawn, (byte, drawn)
    text = drawn.decode()
    assert "starting" in text  # colours are dropped, the words stay
    assert "\\x1b]0;pwned-title\\x07" in text and "\\x1b]52;c;" in text
    assert " lone \\x1b bell \\x07 del \\x7f" in text  # the 8-bit CSI is dropped like ESC [

    env = dict(os.environ, COSMOS_TUI_CONFIG=str(config_file))
    piped = subprocess.run([str(BIN), "run", "logs", run.run_id], capture_output=True, env=env, timeout=60)
    assert piped.returncode == 0 and piped.stdout == LOG.encode()


# ---------- the TUI ----------


def screen_text(app) -> str:  # type: ignore[no-untyped-def]
    """Everything the current screen draws, as the characters sent to the terminal."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def assert_screen_clean(app) -> None:  # type: ignore[no-untyped-def]
    drawn = screen_text(app)
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", drawn), repr(drawn)


@pytest.fixture
def local_api(tmp_path: Path):
    from cosmos_tui.config import load
    from tests.harness import local_host_table

    body = (
        'default_host = "sim"\n[paths]\ninputs = "inputs"\noutputs = "outputs"\n'
        'database = "outputs/cosmos.db"\n' + local_host_table("sim", tmp_path / "remote", speed="0.003")
    )
    (tmp_path / "config.toml").write_text(body)
    with CosmosAPI(load(tmp_path / "config.toml")) as instance:
        yield instance


async def test_the_tui_draws_no_control_character_from_prompts_or_logs(local_api: CosmosAPI) -> None:
    from textual.widgets import Log, Static

    from cosmos_tui.tui.app import CosmosApp
    from tests.test_tui import SIZE, table_ids, wait_until

    prompt_id = hostile_prompt(local_api)
    run = add_run(
        local_api,
        prompt_id,
        "failed",
        host="sim",
        error_class="unknown",
        error_message=f"the model said {TITLE}",
    )
    Path(run.log_path).parent.mkdir(parents=True, exist_ok=True)
    Path(run.log_path).write_text(LOG)

    app = CosmosApp(local_api, start_engine=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: table_ids(app, "#prompts") == [prompt_id])
        await pilot.pause()
        assert_screen_clean(app)
        assert "lake\\x1b]0;pwned" in screen_text(app), screen_text(app)

        await pilot.press("enter")  # the detail: name, full text, negative prompt, runs
        await wait_until(pilot, lambda: app.screen.__class__.__name__ == "PromptDetailScreen")
        await pilot.pause()
        assert "\\x9b2J" in str(app.screen.query_one("#prompt-text", Static).render())
        assert_screen_clean(app)
        await pilot.press("escape")
        await pilot.pause()

        await pilot.press("d")  # the delete question names the prompt
        await pilot.pause()
        assert_screen_clean(app)
        await pilot.press("n")

    app = CosmosApp(local_api, start_engine=False, open_log=run.run_id)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        log = app.screen.query_one("#log", Log)
        await wait_until(pilot, lambda: log.line_count >= 3)
        await pilot.press("t")  # the full prefix: the line as the model wrote it, colours dropped
        await pilot.pause()
        assert log.lines[0] == "[11-21 10:00:00|INFO|x.py:1:f] starting"
        assert log.lines[1].startswith("[11-21 10:00:01|INFO|x.py:1:f] \\x1b]0;pwned-title\\x07")
        assert_screen_clean(app)
