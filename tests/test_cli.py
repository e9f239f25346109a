"""The headless CLI, run as a real subprocess: exit codes, stdout/stderr split, JSON output."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DEMO
from tests.waiting import poll

pytestmark = pytest.mark.integration

BIN = Path(sys.executable).parent / "cosmos-tui"
NASTY = "Ünïcödé \"dq\" 'sq' $(touch /tmp/pwned) `id` ${HOME}\nline two [bold]not markup[/]"


def cli(*args: str, config: Path | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("COSMOS_TUI_CONFIG", None)
    if config is not None:
        env["COSMOS_TUI_CONFIG"] = str(config)
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, env=env, input=stdin, timeout=60)


def assert_one_clear_error(result: subprocess.CompletedProcess[str], code: int, text: str) -> None:
    assert result.returncode == code, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert text in result.stderr
    assert result.stderr.startswith("cosmos-tui: error: ")
    assert result.stderr.count("\n") == 1


def test_prompt_add_prints_the_new_id_and_json_round_trips(config_file: Path) -> None:
    added = cli("prompt", "add", NASTY, str(DEMO), "--name", "nasty", config=config_file)
    assert added.returncode == 0, added.stderr
    prompt_id = added.stdout.strip()
    assert prompt_id.startswith("ps_") and len(prompt_id) == 15

    shown = cli("prompt", "show", prompt_id[:7], "--json", config=config_file)
    data = json.loads(shown.stdout)
    assert data["prompt_id"] == prompt_id and data["text"] == NASTY and data["name"] == "nasty"
    assert not Path("/tmp/pwned").exists()

    plain = cli("prompt", "show", prompt_id, config=config_file)
    assert NASTY in plain.stdout  # verbatim, markup-looking text included
    assert "\x1b[" not in plain.stdout  # piped: plain text, no colour codes

    as_json = cli("prompt", "add", "second", str(DEMO), "--json", config=config_file)
    obj = json.loads(as_json.stdout)
    assert set(obj) >= {"prompt_id", "name", "text", "inputs", "created_at"}


def test_prompt_text_from_stdin(config_file: Path) -> None:
    added = cli("prompt", "add", "-", str(DEMO), "--json", config=config_file, stdin="from\nstdin")
    assert json.loads(added.stdout)["text"] == "from\nstdin"


@pytest.mark.parametrize(("given", "kept"), [("text\n", "text"), ("two\n\n", "two\n"), ("crlf\r\n", "crlf")])
def test_prompt_text_from_stdin_loses_one_trailing_newline(config_file: Path, given: str, kept: str) -> None:
    added = cli("prompt", "add", "-", str(DEMO), "--json", config=config_file, stdin=given)  # echo text |
    assert json.loads(added.stdout)["text"] == kept


def test_list_search_and_run_list_json(config_file: Path) -> None:
    for text in ("a lighthouse in fog", "a desert road", "lighthouse at night"):
        assert cli("prompt", "add", text, str(DEMO), config=config_file).returncode == 0
    listed = json.loads(cli("prompt", "list", "--json", config=config_file).stdout)
    assert [p["text"] for p in listed] == ["lighthouse at night", "a desert road", "a lighthouse in fog"]
    assert len(json.loads(cli("prompt", "list", "--limit", "1", "--json", config=config_file).stdout)) == 1
    found = json.loads(cli("prompt", "search", "lighth", "--json", config=config_file).stdout)
    assert sorted(p["text"] for p in found) == ["a lighthouse in fog", "lighthouse at night"]
    runs = cli("run", "list", "--status", "failed,cancelled", "--json", config=config_file)
    assert runs.returncode == 0 and json.loads(runs.stdout) == []

    table = cli("prompt", "list", config=config_file)
    lines = table.stdout.splitlines()
    assert lines[0].split("\t") == ["id", "name", "text", "input", "runs", "last", "created"]
    assert len(lines) == 4 and "depth,seg" in lines[1]


def test_run_show_uses_the_documented_names(api, config_file: Path) -> None:
    from tests.helpers import add_run

    p = api.create_prompt("x", DEMO)
    run = add_run(api, p.prompt_id, "failed", error_class="oom", error_message="CUDA ran out of memory.")
    api.close()
    data = json.loads(cli("run", "show", run.run_id[:8], "--json", config=config_file).stdout)
    for key in ("run_id", "prompt_id", "status", "error_class", "error_message", "outputs", "log_path"):
        assert key in data
    assert data["status"] == "failed" and data["error_class"] == "oom"
    assert data["log_path"].endswith(f"run_{run.run_id}/run.log")
    shown = cli("run", "show", run.run_id, config=config_file)
    assert "oom: CUDA ran out of memory." in shown.stdout


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (("prompt", "add", "", "DEMO"), "the prompt text is empty"),
        (("prompt", "add", "x" * 10_001, "DEMO"), "over the limit of 10,000"),
        (("prompt", "add", "x", "/no/such/folder"), "video folder /no/such/folder not found"),
        (("prompt", "add", "x", "/tmp"), "/tmp has no color.mp4"),
        (("prompt", "show", "ps_ffffffffffff"), "no prompt has the ID ps_ffffffffffff"),
        (("prompt", "show", "nonsense!"), 'no prompt has the name or ID "nonsense!"'),
        (("prompt", "delete", "ps_ffffffffffff"), "no prompt has the ID"),
        (("run", "show", "rs_ffff"), "no run has the ID rs_ffff"),
        (("run", "list", "--status", "done"), 'unknown run status "done"'),
        (("prompt", "list", "--limit", "0"), "the limit must be between 1 and 10000"),
    ],
)
def test_bad_input_exits_2_with_one_sentence(config_file: Path, args: tuple[str, ...], text: str) -> None:
    args = tuple(str(DEMO) if a == "DEMO" else a for a in args)
    result = cli(*args, config=config_file)
    assert_one_clear_error(result, 2, text)
    listed = cli("prompt", "list", "--json", config=config_file)
    assert json.loads(listed.stdout) == []  # nothing changed


def test_ambiguous_prefix_lists_candidates(config_file: Path) -> None:
    ids = [cli("prompt", "add", f"p{i}", str(DEMO), config=config_file).stdout.strip() for i in range(20)]
    firsts = [i[3] for i in ids]
    shared = next(d for d in "0123456789abcdef" if firsts.count(d) > 1)
    result = cli("prompt", "show", f"ps_{shared}", config=config_file)
    assert_one_clear_error(result, 2, "matches several prompts")
    for prompt_id in ids:
        if prompt_id[3] == shared:
            assert prompt_id in result.stderr


def test_delete_refusal_is_exit_1_and_force_works(api, config_file: Path) -> None:
    from tests.helpers import add_run

    p = api.create_prompt("x", DEMO)
    add_run(api, p.prompt_id, "completed")
    api.close()
    result = cli("prompt", "delete", p.prompt_id, config=config_file)
    assert_one_clear_error(result, 1, "add --force to delete them too")
    ok = cli("prompt", "delete", p.prompt_id, "--force", "--json", config=config_file)
    assert ok.returncode == 0 and len(json.loads(ok.stdout)["deleted_runs"]) == 1


def test_malformed_config_exits_2_naming_file_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[defaults]\nnum_steps = 'many'\n")
    for args in (("prompt", "list"), ("config", "show"), ("run", "list", "--json")):
        result = cli(*args, "--config", str(bad))
        assert_one_clear_error(result, 2, f'{bad}: defaults.num_steps = "many" is not allowed')


def test_usage_errors_exit_2(config_file: Path) -> None:
    result = cli("prompt", "frobnicate", config=config_file)
    assert result.returncode == 2 and "invalid choice" in result.stderr
    result = cli("prompt", "add", config=config_file)
    assert result.returncode == 2 and "the following arguments are required" in result.stderr


def test_config_show_and_init(tmp_path: Path, config_file: Path) -> None:
    shown = cli("config", "show", config=config_file)
    assert shown.returncode == 0
    assert f"# source: {config_file}" in shown.stdout and "found via: $COSMOS_TUI_CONFIG" in shown.stdout
    data = json.loads(cli("config", "show", "--json", "--config", str(config_file)).stdout)
    assert data["found_via"] == "--config" and data["defaults"]["num_steps"] == 35

    first = cli("config", "init")
    assert first.returncode == 0, first.stderr
    written = Path(first.stdout.strip())
    assert written.is_file() and str(written).startswith(os.environ["XDG_CONFIG_HOME"])
    again = cli("config", "init")
    assert_one_clear_error(again, 1, "already exists; pass --force")
    assert cli("config", "init", "--force").returncode == 0


def test_interrupt_exits_130(config_file: Path) -> None:
    env = dict(os.environ, COSMOS_TUI_CONFIG=str(config_file))
    proc = subprocess.Popen(
        [str(BIN), "prompt", "add", "-", str(DEMO)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        # As from a terminal: a test run started in the background by a shell without job control
        # inherits SIGINT ignored, and Python then keeps ignoring it (no KeyboardInterrupt).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )

    def reading_stdin() -> bool:
        try:
            return "pipe_read" in Path(f"/proc/{proc.pid}/wchan").read_text()
        except OSError:
            return False

    # Until it blocks reading the prompt text; where the kernel hides wchan, after the timeout.
    poll(reading_stdin, timeout=30, interval=0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "interrupted" in err and "Traceback" not in err


def test_version_and_help() -> None:
    assert cli("--version").stdout.startswith("cosmos-tui ")
    helped = cli("--help")
    assert "exit codes" in helped.stdout and helped.returncode == 0


def test_logs_go_to_a_file_not_the_terminal(config_file: Path) -> None:
    result = cli("-vv", "prompt", "add", "logged", str(DEMO), config=config_file)
    assert result.returncode == 0 and result.stderr == ""
    log_file = Path(os.environ["XDG_STATE_HOME"]) / "cosmos-tui" / "log" / "cosmos-tui.log"
    assert "created prompt" in log_file.read_text()


def test_runs_on_a_simulated_host_are_marked(tmp_path: Path) -> None:
    from cosmos_tui.api import CosmosAPI
    from cosmos_tui.config import load
    from tests.conftest import write_config
    from tests.helpers import add_run

    config = write_config(
        tmp_path,
        '[hosts.sim]\ntransport = "local"\nremote_dir = "host"\nruntime = "process"\nsimulated = true\n',
    )
    with CosmosAPI(load(config)) as api:
        p = api.create_prompt("x", DEMO)
        run = add_run(api, p.prompt_id, host="sim")
    listed = cli("run", "list", config=config)
    assert "\tsim (simulated)\t" in listed.stdout
    assert "host: sim (simulated)" in cli("run", "show", run.run_id, config=config).stdout
    assert json.loads(cli("run", "show", run.run_id, "--json", config=config).stdout)["host"] == "sim"


def cli_on_terminal(*args: str, columns: int, config: Path) -> str:
    """Run the CLI with stdout on a pseudo-terminal ``columns`` wide; return what it drew (no colours)."""
    import fcntl
    import pty
    import re
    import struct
    import termios

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
    text = b"".join(chunks).decode().replace("\r\n", "\n")
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)


@pytest.mark.parametrize("columns", [120, 80])
def test_terminal_tables_never_cut_ids_or_statuses(api, config_file: Path, columns: int) -> None:
    from tests.helpers import add_run

    long_text = "A robot arm stacks red cubes on a wooden table while the camera slowly circles it " * 2
    prompts = [api.create_prompt(long_text, DEMO, name=f"robot-arm-take-{i}") for i in range(2)]
    runs = [
        add_run(
            api,
            prompts[0].prompt_id,
            status,
            host="gpu-box-in-the-basement",
            stage="collecting",
            progress=99.0,
            seconds=35.0,
        )
        for status in ("cancelled", "completed", "failed")
    ]
    api.close()

    listed = cli_on_terminal("prompt", "list", columns=columns, config=config_file)
    lines = listed.splitlines()
    assert all(len(line.rstrip()) <= columns for line in lines), listed
    for p in prompts:
        assert p.prompt_id in listed
    assert "…" in listed  # the text takes what is left, cut to fit
    assert "A robot arm" in listed and "…" not in lines[0]  # headers are whole

    listed = cli_on_terminal("run", "list", columns=columns, config=config_file)
    assert all(len(line.rstrip()) <= columns for line in listed.splitlines()), listed
    assert "…" not in listed
    for run in runs:
        assert f"{run.run_id} │ {prompts[0].prompt_id}" in listed
        assert f" {run.status} " in listed

    piped = cli("run", "list", config=config_file).stdout.splitlines()
    assert piped[0].split("\t")[:5] == ["id", "prompt", "model", "host", "status"]
    assert sorted(line.split("\t")[4] for line in piped[1:]) == ["cancelled", "completed", "failed"]


def make_checkout(tmp_path: Path) -> Path:
    """A checkout like a fresh clone's, sharing this test run's .venv, with its own config.toml."""
    import shutil

    from tests.conftest import REPO

    checkout = tmp_path / "checkout"
    (checkout / "scripts").mkdir(parents=True)
    for name in ("scripts/run", "scripts/lib.sh", "pyproject.toml"):
        shutil.copy2(REPO / name, checkout / name)
    (checkout / ".venv").symlink_to(Path(sys.prefix))
    (checkout / "inputs").mkdir()
    (checkout / "config.toml").write_text(
        '[paths]\ninputs = "inputs"\noutputs = "outputs"\ndatabase = "outputs/cosmos.db"\n'
        '[hosts.sim]\ntransport = "local"\nremote_dir = "host"\nruntime = "process"\nsimulated = true\n',
        encoding="utf-8",
    )
    return checkout


def test_scripts_run_resolves_paths_from_where_the_user_is(tmp_path: Path) -> None:
    import shutil

    checkout = make_checkout(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(DEMO, elsewhere / "myscene")
    (elsewhere / "batch.txt").write_text("ps_ffffffffffff\n", encoding="utf-8")
    env = dict(os.environ)
    env.pop("COSMOS_TUI_CONFIG", None)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(checkout / "scripts" / "run"), *args],
            cwd=elsewhere,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    added = run("prompt", "add", "t", "./myscene", "--json")
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["input_dir"] == str(elsewhere / "myscene")
    shown = json.loads(run("config", "show", "--json").stdout)  # no ./config.toml here: the checkout's
    assert shown["source"] == str(checkout / "config.toml") and "scripts/run" in shown["found_via"]
    assert (checkout / "outputs" / "cosmos.db").is_file()
    batch = run("--prompts-file", "batch.txt")
    assert_one_clear_error(batch, 2, "no prompt has the ID ps_ffffffffffff")  # the file was read

    # A user config applies before the checkout's; ./config.toml before both.
    assert run("config", "init").returncode == 0
    assert json.loads(run("config", "show", "--json").stdout)["found_via"] == "user config"
    (elsewhere / "config.toml").write_text("", encoding="utf-8")
    assert json.loads(run("config", "show", "--json").stdout)["found_via"] == "./config.toml"


def test_config_init_and_show_say_when_a_local_file_shadows_the_user_config(isolated: Path) -> None:
    local = isolated / "config.toml"
    local.write_text("", encoding="utf-8")
    init = cli("config", "init")
    assert init.returncode == 0, init.stderr
    user = Path(init.stdout.strip())
    assert f"note: {local} (found via ./config.toml) comes before the user config file {user}" in init.stderr
    assert "run from another folder" in init.stderr
    shown = cli("config", "show")
    assert f"# source: {local}" in shown.stdout
    assert f"user config file {user}, which is not used" in shown.stdout
    assert json.loads(cli("config", "show", "--json").stdout)["shadows"] == str(user)


def test_prompt_names_work_as_ids_and_the_bare_prefix_lists_candidates(api, config_file: Path) -> None:
    from tests.helpers import add_run

    robot = api.create_prompt("a robot arm", DEMO, name="robot arm")
    others = [api.create_prompt(f"p{i}", DEMO) for i in range(3)]
    run = add_run(api, robot.prompt_id)
    api.close()
    shown = cli("prompt", "show", "robot arm", "--json", config=config_file)
    assert json.loads(shown.stdout)["name"] == "robot arm"
    listed = json.loads(cli("run", "list", "--prompt", "robot arm", "--json", config=config_file).stdout)
    assert [r["run_id"] for r in listed] == [run.run_id]
    result = cli("prompt", "show", "ps_", config=config_file)
    assert_one_clear_error(result, 2, "the prompt ID prefix ps_ matches several prompts")
    for prompt in (robot, *others):
        assert prompt.prompt_id in result.stderr


def test_hints_name_the_command_the_user_typed(tmp_path: Path) -> None:
    checkout = make_checkout(tmp_path)
    env = dict(os.environ)
    env.pop("COSMOS_TUI_CONFIG", None)

    def hint_in(argv: list[str], cwd: Path, path: str = env["PATH"]) -> str:
        result = subprocess.run(
            [*argv, "prompt", "show", "ps_ffffffffffff"],
            cwd=cwd,
            capture_output=True,
            text=True,
            env={**env, "PATH": path},
            timeout=120,
        )
        assert result.returncode == 2, result.stderr
        return result.stderr.split("list them with ")[1].strip()

    assert hint_in(["./scripts/run"], checkout) == "`./scripts/run prompt list`."
    (tmp_path / "elsewhere").mkdir()
    assert hint_in(["../checkout/scripts/run"], tmp_path / "elsewhere") == (
        "`../checkout/scripts/run prompt list`."
    )
    direct = [str(BIN), "--config", str(checkout / "config.toml")]
    on_path = f"{BIN.parent}:{env['PATH']}"
    assert hint_in(direct, tmp_path, on_path) == "`cosmos-tui prompt list`."
    not_on_path = ":".join(p for p in env["PATH"].split(":") if Path(p).resolve() != BIN.parent.resolve())
    assert hint_in(direct, tmp_path, not_on_path) == f"`{BIN} prompt list`."
    usage = subprocess.run(
        ["./scripts/run", "prompt", "frobnicate"],
        cwd=checkout,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert "see `./scripts/run prompt --help`" in usage.stderr


def test_the_log_file_records_failures_and_every_final_state_at_default_verbosity(tmp_path: Path) -> None:
    from tests.conftest import write_config
    from tests.harness import local_host_table, toml_table

    down = {"hostname": "127.0.0.1", "port": 1, "remote_dir": "/x", "image": "i"}
    body = local_host_table("sim", tmp_path / "remote") + toml_table("hosts.down", down)
    config = write_config(tmp_path, body)
    ok = cli("prompt", "add", "fine", str(DEMO), config=config).stdout.strip()
    oom = cli("prompt", "add", "too big [sim:oom]", str(DEMO), config=config).stdout.strip()
    ran = cli("--run", ok, oom, "--host", "sim", "--json", config=config)
    assert ran.returncode == 1, ran.stderr
    runs = {r["prompt_id"]: r["run_id"] for r in json.loads(ran.stdout)}
    assert cli("status", "--host", "down", config=config).returncode == 3
    assert cli("host", "trust", "down", "--yes", config=config).returncode == 3

    log_file = Path(os.environ["XDG_STATE_HOME"]) / "cosmos-tui" / "log" / "cosmos-tui.log"
    lines = log_file.read_text().splitlines()
    assert any("INFO" in line and f"run {runs[ok]} on sim completed" in line for line in lines)
    assert any("WARNING" in line and f"run {runs[oom]} on sim failed (oom): " in line for line in lines)
    assert any("WARNING" in line and "host down is unreachable: " in line for line in lines)
    assert any("WARNING" in line and "command failed: " in line for line in lines)
    # The user saw one sentence; the log keeps what was behind it.
    assert any("command failed: HostError: " in ln and "<- ConnectionRefusedError" in ln for ln in lines)
    assert not any("created prompt" in line for line in lines)  # the rest of INFO still needs -v


def test_readme_quick_start_runs_as_typed_from_a_fresh_checkout(tmp_path: Path) -> None:
    import re
    import shlex
    import shutil

    from tests.conftest import REPO

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "](../" not in readme and "`../" not in readme  # nothing outside the repository
    block = next(b for b in re.findall(r"```sh\n(.*?)```", readme, re.S) if "--run" in b)
    commands = [shlex.split(line, comments=True) for line in block.splitlines() if line.strip()]
    assert ["./scripts/run", "--run", "robot-arm"] in commands  # it runs the prompt it created

    checkout = make_checkout(tmp_path)
    fast = (REPO / "config.toml").read_text(encoding="utf-8").replace('"0.15"', '"0.001"')
    (checkout / "config.toml").write_text(fast, encoding="utf-8")
    shutil.copytree(DEMO, checkout / "inputs" / "videos" / "demo")
    env = dict(os.environ)
    env.pop("COSMOS_TUI_CONFIG", None)
    for argv in commands:
        result = subprocess.run(argv, cwd=checkout, capture_output=True, text=True, env=env, timeout=120)
        assert result.returncode == 0, (argv, result.stderr)
    assert "completed" in result.stdout


def test_run_logs_follow_prints_every_line_until_the_run_ends(config_file: Path) -> None:
    """`run logs -f` iterates the same follower as the TUI's log view (CosmosAPI.follow_log)."""
    from cosmos_tui.api import CosmosAPI
    from cosmos_tui.config import load
    from tests.helpers import add_run

    with CosmosAPI(load(config_file)) as api:
        run = add_run(api, api.create_prompt("followed", DEMO).prompt_id, "running")
        path = Path(run.log_path or "")
        path.parent.mkdir(parents=True)
        path.write_text("one\ntwo\n")
        env = {**os.environ, "COSMOS_TUI_CONFIG": str(config_file)}
        proc = subprocess.Popen(
            [str(BIN), "run", "logs", "-f", run.run_id],
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert proc.stdout is not None and proc.stderr is not None
        # Printed while the run still goes on.
        assert [proc.stdout.readline(), proc.stdout.readline()] == ["one\n", "two\n"]
        with path.open("a") as handle:
            handle.write("three\nthe end, without a newline")
        api.store.db.execute_sql("UPDATE run SET status = 'completed' WHERE id = ?", (run.run_id,))
        out = proc.stdout.read()
        proc.wait(timeout=60)
        err = proc.stderr.read()
    assert proc.returncode == 0, err
    assert out == "three\nthe end, without a newline\n"
