"""Bad input, odd files and broken disks: one sentence, the right exit code, never a hang
(issue 9, points 5, 10, 11, 12, 14 and 16)."""

from __future__ import annotations

import io
import math
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from cosmos_tui.api import CosmosAPI
from cosmos_tui.cli import main
from cosmos_tui.config import load
from cosmos_tui.errors import ConfigError, StoreError, UsageError
from cosmos_tui.store import Store
from tests.conftest import DEMO, write_config
from tests.harness import local_host_table

BIN = Path(sys.executable).parent / "cosmos-tui"


def run_main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """The CLI in this process: its exit code and what it wrote to stderr."""
    code = main(list(argv))
    return code, capsys.readouterr().err


def assert_one_sentence(err: str, text: str) -> None:
    assert err.startswith("cosmos-tui: error: "), err
    assert text in err, err
    assert err.count("\n") == 1 and "unexpected" not in err and "Traceback" not in err, err


def _memory_cap() -> None:
    # An unbounded read (the old `--prompts-file /dev/zero`) fails at 1 GB instead of eating the machine.
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def cli(*args: str, timeout: float = 30, **kwargs: object) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "COSMOS_TUI_CONFIG"}
    return subprocess.run(  # type: ignore[call-overload]
        [str(BIN), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        preexec_fn=_memory_cap,
        **kwargs,
    )


def mount_tmpfs(where: Path, size: str = "1m") -> None:
    """A small tmpfs at ``where`` (skip where it cannot be mounted, as tests/test_engine.py does)."""
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a small tmpfs")
    where.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")


def unmount(where: Path) -> None:
    subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.fixture
def hosted_config(tmp_path: Path) -> Path:
    """A project with one simulated local host (nothing is executed by these tests)."""
    folder = tmp_path / "hosted"
    folder.mkdir()
    path = write_config(folder, local_host_table("sim", tmp_path / "remote"))
    path.write_text('default_host = "sim"\n' + path.read_text())
    return path


# -- point 5: odd files never block, reads are bounded ---------------------------------------------


@pytest.mark.parametrize("fifo_name", ["color.mp4", "depth.mp4"])
def test_a_fifo_named_like_a_control_video_is_refused_without_blocking(
    tmp_path: Path, config_file: Path, fifo_name: str
) -> None:
    folder = tmp_path / "scene"
    folder.mkdir()
    shutil.copy(DEMO / "color.mp4", folder / "color.mp4")
    (folder / fifo_name).unlink(missing_ok=True)
    os.mkfifo(folder / fifo_name)
    result = cli("prompt", "add", "x", str(folder), "--config", str(config_file), timeout=20)
    assert result.returncode == 2, result.stderr
    assert_one_sentence(result.stderr, f"{folder / fifo_name} is a FIFO (named pipe), not a regular file")


def test_prompts_file_on_a_device_is_refused_at_once(config_file: Path) -> None:
    # Before: read_text() of /dev/zero grew memory by ~400 MB/s until the process died.
    result = cli("--prompts-file", "/dev/zero", "--config", str(config_file), timeout=20)
    assert result.returncode == 2
    assert_one_sentence(result.stderr, "the prompts file /dev/zero is a device, not a regular file")


def test_a_prompts_pipe_is_read_only_up_to_its_limit(
    tmp_path: Path, config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pipe = tmp_path / "ids"
    os.mkfifo(pipe)

    def feed() -> None:  # like `--prompts-file <(yes ps_0123)`: more than any prompts file holds
        with pipe.open("wb") as writer:
            try:
                for _ in range(2000):
                    writer.write(b"ps_0123456789ab\n" * 4096)
            except BrokenPipeError:
                pass

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    code, err = run_main(capsys, "--prompts-file", str(pipe), "--config", str(config_file))
    feeder.join(20)
    assert code == 2
    assert_one_sentence(err, "holds more than 4 MB; it should list prompt IDs, one per line")


def test_prompt_text_piped_in_is_bounded(config_file: Path) -> None:
    with Path("/dev/zero").open("rb") as zero:
        result = cli("prompt", "add", "-", str(DEMO), "--config", str(config_file), stdin=zero, timeout=20)
    assert result.returncode == 2
    assert_one_sentence(result.stderr, "standard input holds more than a prompt can (10,000 characters)")


# -- point 10: no infinite or absurd number gets past validation -----------------------------------


@pytest.mark.parametrize(
    ("overrides", "text"),
    [
        ({"guidance": math.inf}, "guidance = inf is not allowed; use a number from 0 to 100"),
        ({"guidance": math.nan}, "guidance = nan is not allowed"),
        ({"weights": {"vis": 1e309}}, "weight vis = inf is not allowed; use a number from 0 to 10"),
        ({"num_steps": 100_000}, "num_steps = 100000 is not allowed; use an integer from 1 to 1000"),
        ({"seed": 2**64}, "seed = 18446744073709551616 is not allowed; use an integer from 0 to 4294967295"),
        ({"seed": -1}, "use an integer from 0 to 4294967295"),
        ({"sigma_max": -math.inf}, "sigma_max = -inf is not allowed"),
    ],
)
def test_non_finite_and_absurd_run_options_are_refused_before_queueing(
    hosted_config: Path, overrides: dict[str, object], text: str
) -> None:
    with CosmosAPI.from_config(hosted_config) as api:
        prompt = api.create_prompt("x", DEMO)
        with pytest.raises(UsageError) as info:
            api.run_inference([prompt.prompt_id], overrides)
        assert text in str(info.value)
        assert api.list_runs() == []  # nothing queued


def test_prompt_parameters_are_checked_by_the_same_table(hosted_config: Path) -> None:
    with CosmosAPI.from_config(hosted_config) as api:
        # Before: stored as JSON "Infinity", which SQLite's json() calls malformed, and reported as a
        # damaged database.
        with pytest.raises(UsageError, match="the prompt's parameters: sigma_max = inf is not allowed"):
            api.create_prompt("x", DEMO, parameters={"sigma_max": math.inf})
        with pytest.raises(UsageError, match="the prompt's parameters: weight seg = 11 is not allowed"):
            api.create_prompt("x", DEMO, parameters={"weights": {"seg": 11}})
        assert api.list_prompts() == []


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ("[defaults]\nguidance = inf\n", "guidance = inf is not allowed; use a number from 0 to 100"),
        ("[defaults]\nsigma_max = inf\n", "defaults.sigma_max = inf is not allowed"),
        ("[defaults]\nsigma_max = nan\n", "defaults.sigma_max = nan is not allowed"),
        ("[defaults]\nnum_steps = 5000\n", "use an integer from 1 to 1000"),
        ("[defaults]\nseed = 9223372036854775807\n", "use an integer from 0 to 4294967295"),
        ("[defaults.weights]\nedge = inf\n", "defaults.weights.edge = inf is not allowed"),
        (
            "[hosts.a]\ntransport = 'local'\nruntime = 'process'\nremote_dir = 'r'\nhang_minutes = inf\n",
            "hosts.a.hang_minutes = inf is not allowed; use a number from 0.01 to 10080",
        ),
    ],
)
def test_non_finite_and_absurd_config_values_are_config_errors(tmp_path: Path, body: str, text: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load(path)
    assert text in str(info.value)


def test_guidance_inf_on_the_command_line_exits_2(
    hosted_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with CosmosAPI.from_config(hosted_config) as api:
        prompt_id = api.create_prompt("x", DEMO).prompt_id
    code, err = run_main(capsys, "--run", prompt_id, "--guidance", "inf", "--config", str(hosted_config))
    assert code == 2
    assert_one_sentence(err, "guidance = inf is not allowed")
    code, err = run_main(
        capsys, "--run", prompt_id, "--weights", "1e309", "0", "0", "0", "--config", str(hosted_config)
    )
    assert code == 2
    assert_one_sentence(err, "weight vis = inf is not allowed")


# -- point 11: input at fault is exit 2 with one sentence, never "unexpected X" --------------------


@pytest.mark.parametrize(
    ("argv", "text"),
    [
        (("stats", "--days", "1000000"), "the dashboard period must be from 1 to 36500 days"),
        (("prompt", "list", "--offset", "99999999999999999999"), "the offset must be from 0 to 1,000,000"),
        (("run", "list", "--offset", "99999999999999999999"), "the offset must be from 0 to 1,000,000"),
        (("prompt", "add", "x", ""), "the input is empty; give a control-video folder, a video"),
        (("prompt", "add", "x\udcff", str(DEMO)), "the text argument is not valid UTF-8 text"),
        (("prompt", "add", "x", "b" * 5000), "cannot be used (File name too long)"),
    ],
)
def test_bad_arguments_exit_2(
    config_file: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], text: str
) -> None:
    code, err = run_main(capsys, *argv, "--config", str(config_file))
    assert code == 2
    assert_one_sentence(err, text)


def test_non_utf8_prompt_text_on_stdin_exits_2(
    config_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"bad\xff")))
    code, err = run_main(capsys, "prompt", "add", "-", str(DEMO), "--config", str(config_file))
    assert code == 2
    assert_one_sentence(err, "standard input is not UTF-8 text (byte 4 is not valid)")


def test_non_utf8_prompts_file_exits_2(
    tmp_path: Path, config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_bytes(b"ps_0123\xff\n")
    code, err = run_main(capsys, "--prompts-file", str(ids), "--config", str(config_file))
    assert code == 2
    assert_one_sentence(err, f"the prompts file {ids} is not UTF-8 text (byte 8 is not valid)")


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ("x = " + "[" * 5000 + "]" * 5000 + "\n", "values are nested too deeply to read"),
        ("[paths]\ninputs = '" + "a" * 5000 + "'\n", 'paths.inputs = "aaaa'),
        ("[paths]\ninputs = '" + "a/" * 3000 + "'\n", "is longer than the system allows"),
        ('[paths]\ndatabase = "x\\u0000y"\n', 'paths.database = "x\\u0000y" holds a NUL character'),
    ],
)
def test_hostile_config_files_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, text: str
) -> None:
    path = tmp_path / "c.toml"
    path.write_text(body, encoding="utf-8")
    code, err = run_main(capsys, "prompt", "add", "x", "demo", "--config", str(path))
    assert code == 2
    assert_one_sentence(err, text)


def test_running_from_a_deleted_folder_says_so(
    tmp_path: Path, config_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    for argv in (["prompt", "list"], ["prompt", "list", "--config", str(config_file)]):
        code, err = run_main(capsys, *argv)
        assert code == 2
        assert_one_sentence(err, "the current folder no longer exists (it was deleted or moved)")


# -- point 12: the database and the config file: the cause, named --------------------------------


def test_a_database_on_a_full_disk_says_the_disk_is_full(tmp_path: Path) -> None:
    small = tmp_path / "small"
    mount_tmpfs(small)
    try:
        # Room for the file's first page, not for the schema: SQLite undoes the migration itself,
        # and peewee's rollback then fails with "no transaction is active".
        (small / "fill").write_bytes(b"\0" * (1024 * 1024 - 60 * 1024))
        with pytest.raises(StoreError) as info:
            Store(small / "cosmos.db")
        full = f"the disk holding {small / 'cosmos.db'} is full; free some space and try again."
        assert str(info.value) == full
    finally:
        unmount(small)


def test_a_database_on_a_read_only_mount_says_so(tmp_path: Path) -> None:
    mount = tmp_path / "ro"
    mount_tmpfs(mount)
    try:
        Store(mount / "cosmos.db").close()
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        for name in ("cosmos.db", "new.db"):
            with pytest.raises(StoreError) as info:
                Store(mount / name)
            assert "is on a read-only file system; point [paths].database at a writable" in str(info.value)
    finally:
        unmount(mount)


def test_a_database_path_that_is_a_folder_says_so(tmp_path: Path) -> None:
    folder = tmp_path / "db"
    folder.mkdir()
    with pytest.raises(StoreError, match=r"the database path .*/db is a folder; point \[paths\].database"):
        Store(folder)


def test_a_foreign_sqlite_file_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE prompt (x)")  # a name we use too: the old code failed half-way
    before = path.read_bytes()
    with pytest.raises(StoreError, match=r"an SQLite database of another program .* left untouched"):
        Store(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.glob("other.db*")] == ["other.db"]  # no -wal, no -shm


def test_config_path_that_is_not_a_file_says_what_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo, folder, loop = tmp_path / "fifo.toml", tmp_path / "dir.toml", tmp_path / "loop.toml"
    os.mkfifo(fifo)
    folder.mkdir()
    loop.symlink_to(loop)
    for path, what in (
        (fifo, "is a FIFO (named pipe), not a regular file"),
        (folder, "is a folder, not a file"),
        (loop, "is a symbolic link loop"),
        (tmp_path / "none.toml", "does not exist"),
    ):
        code, err = run_main(capsys, "prompt", "list", "--config", str(path))
        assert code == 2
        assert_one_sentence(err, f"config file {path} (given with --config) {what}")


# -- point 14: whole values are matched whole ----------------------------------------------------


def test_a_host_name_with_a_trailing_newline_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[hosts."sim\\n"]\ntransport = "local"\nruntime = "process"\nremote_dir = "r"\n')
    with pytest.raises(ConfigError, match=r'host name "sim\\n" is not allowed'):
        load(path)


# -- point 16: messages that said the wrong thing -------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "shown"), [(0.01, "1 s"), (0.5, "30 s"), (1, "1 min"), (1.5, "1.5 min"), (30, "30 min")]
)
def test_hang_messages_show_short_quiet_spans_in_seconds(minutes: float, shown: str) -> None:
    from cosmos_tui.engine.executor import hang_message

    assert hang_message(minutes, "rs_0123").startswith(f"no log output for {shown}: possibly hung")


def test_run_logs_without_a_log_says_there_is_none_yet(
    api: CosmosAPI, config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.helpers import add_run

    prompt = api.create_prompt("x", DEMO)
    queued = add_run(api, prompt.prompt_id, "queued")
    cancelled = add_run(api, prompt.prompt_id, "cancelled")
    api.close()
    code, err = run_main(capsys, "run", "logs", queued.run_id, "--config", str(config_file))
    assert code == 1
    assert_one_sentence(err, f"run {queued.run_id} (queued) has no log yet; follow it as it comes with `")
    code, err = run_main(capsys, "run", "logs", cancelled.run_id, "--config", str(config_file))
    assert code == 1
    assert_one_sentence(err, f"run {cancelled.run_id} (cancelled) has no log: it ended before its model")
