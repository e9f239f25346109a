"""The command lines the runtimes send to a host: docker argv lists and the process runtime's shell
scripts. Pure functions, checked with plain asserts; hostile values stay single words."""

from __future__ import annotations

import shlex

import pytest

from cosmos_tui.remote import docker, process
from cosmos_tui.remote.transport import CommandResult, sh_join

HOSTILE = "/srv/it's here; rm -rf ~ $(reboot) `id`"


# -- docker ------------------------------------------------------------------------------------------


def test_run_argv_names_labels_mounts_and_runs_the_command_under_bash() -> None:
    argv = docker.run_argv(
        "docker",
        run_id="rs_0123456789ab",
        image="cosmos:1",
        remote_dir="/srv/cosmos",
        command="exec torchrun x 2>&1",
        gpus="all",
        docker_args=("--shm-size", "8g"),
        env={"HF_HOME": "/cache", "PYTHONPATH": "/workspace"},
    )
    assert argv == [
        "docker", "run", "-d",
        "--name", "cosmos-rs_0123456789ab",
        "--label", "cosmos-tui.run_id=rs_0123456789ab",
        "--gpus", "all",
        "--ipc=host", "--shm-size", "8g",
        "-v", "/srv/cosmos:/workspace", "-w", "/workspace",
        "-e", "HF_HOME=/cache", "-e", "PYTHONPATH=/workspace",
        "cosmos:1", "bash", "-lc", "exec torchrun x 2>&1",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("gpus", "flag"),
    [("all", ["--gpus", "all"]), ("2", ["--gpus", "2"]), ("0,1", ["--gpus", '"device=0,1"']), (" ", [])],
)
def test_run_argv_gpus(gpus: str, flag: list[str]) -> None:
    argv = docker.run_argv("docker", run_id="rs_1", image="i", remote_dir="/r", command="c", gpus=gpus)
    found = argv[argv.index("--gpus") : argv.index("--gpus") + 2] if "--gpus" in argv else []
    assert found == flag


def test_the_docker_setting_is_a_prefix_split_like_a_shell_would() -> None:
    prefix = ["sudo", "docker", "-H", "unix:///run/my docker.sock"]
    setting = "sudo docker -H 'unix:///run/my docker.sock'"
    inspect = [*prefix, "inspect", "-f", docker.INSPECT_FORMAT, "cosmos-rs_1"]
    assert docker.inspect_argv(setting, "rs_1") == inspect
    assert docker.stop_argv(setting, "rs_1", 30) == [*prefix, "stop", "-t", "30", "cosmos-rs_1"]
    assert docker.rm_argv(setting, "rs_1") == [*prefix, "rm", "-f", "cosmos-rs_1"]
    assert docker.ps_argv(setting)[:6] == [*prefix, "ps", "-a"]
    assert f"label={docker.LABEL}" in docker.ps_argv(setting)


def test_logs_argv_follows_with_timestamps_from_a_resume_point() -> None:
    assert docker.logs_argv("docker", "rs_1") == ["docker", "logs", "--timestamps", "-f", "cosmos-rs_1"]
    assert docker.logs_argv("docker", "rs_1", since="2026-11-22T05:43:14.5Z", follow=False) == [
        "docker", "logs", "--timestamps", "--since", "2026-11-22T05:43:14.5Z", "cosmos-rs_1",
    ]  # fmt: skip


def test_run_argv_adds_labels_after_our_own() -> None:
    argv = docker.run_argv(
        "docker", run_id="rs_1", image="i", remote_dir="/r", command="c", labels={"a": "b"}
    )
    assert argv[5:9] == ["--label", f"{docker.LABEL}=rs_1", "--label", "a=b"]


def test_following_a_container_s_log_file_quotes_every_word_and_starts_at_the_offset() -> None:
    command = docker.follow_file_command(
        "sudo docker -H 'unix:///my sock'", "rs_1", f"{HOSTILE}/run.log", 1234, process.alive_function()
    )
    assert "sudo docker -H 'unix:///my sock' wait cosmos-rs_1" in command
    assert shlex.quote(f"{HOSTILE}/run.log") in command
    assert "off=1234;" in command
    assert "$(reboot)" not in command.replace(shlex.quote(f"{HOSTILE}/run.log"), "")


def test_a_run_folder_with_spaces_and_quotes_stays_one_word_through_the_shell() -> None:
    argv = docker.run_argv("docker", run_id="rs_1", image="i", remote_dir=HOSTILE, command="c")
    assert shlex.split(sh_join(argv)) == argv
    assert f"{HOSTILE}:/workspace" in shlex.split(sh_join(argv))


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("running 0 false 0001-01-01T00:00:00Z\n", ("running", 0, False, None)),
        ("exited 137 true 2026-11-22T05:43:14.5Z", ("exited", 137, True, "2026-11-22T05:43:14.5Z")),
        ("exited 1 false", ("exited", 1, False, None)),
        ("exited x false 2026", None),
        ("", None),
        ("Error: No such object: cosmos-rs_1", None),
    ],
)
def test_parse_inspect(text: str, parsed: tuple[str, int, bool, str | None] | None) -> None:
    assert docker.parse_inspect(text) == parsed


# -- process -----------------------------------------------------------------------------------------


def shell_words(script: str) -> list[str]:
    """The words a POSIX shell sees, operators (; & | < >) apart."""
    lexer = shlex.shlex(script, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    return list(lexer)


def test_start_command_quotes_every_path_and_value() -> None:
    script = process.start_command(HOSTILE, HOSTILE + "/work", "torchrun x", {"NAME": HOSTILE})
    outer = shell_words(script)
    inner = shell_words(outer[outer.index("-c") + 1])  # setsid nohup sh -c '...'
    assert HOSTILE + "/wrapper.pid" in outer
    assert f"NAME={HOSTILE}" in inner and HOSTILE + "/work" in inner and HOSTILE + "/run.log" in inner
    # The hostile value never reaches the shell except as whole words.
    leaked = [w for w in outer + inner if "reboot" in w and not w.startswith((HOSTILE, "NAME=", "echo $$"))]
    assert leaked == []
    assert script.endswith("echo $!")


@pytest.mark.parametrize("name", ["1X", "A-B", "X; rm -rf ~", ""])
def test_start_command_refuses_a_bad_environment_name(name: str) -> None:
    with pytest.raises(ValueError, match="not an environment variable name"):
        process.start_command("/r", "/w", "c", {name: "v"})


def test_start_command_never_starts_a_run_twice() -> None:
    script = process.start_command("/r/rs_1", "/w", "c")
    guard = "if [ -e /r/rs_1/wrapper.pid ]; then echo 'this run was already started' >&2; exit 98; fi"
    assert guard in script


def test_follow_command_starts_at_the_byte_offset() -> None:
    script = process.follow_command(HOSTILE, 4096, "123")
    assert "off=4096;" in script and "tail -c +$((off+1))" in script
    assert shlex.quote(HOSTILE + "/run.log") in script and shlex.quote(HOSTILE + "/exit_code") in script
    with pytest.raises(ValueError):
        process.follow_command("/r", "0; reboot", "1")  # type: ignore[arg-type]


def test_state_and_stop_commands() -> None:
    assert "alive 42" in process.state_command("/r", "42")
    stop = process.stop_command("/r", "42", 3)
    assert "[ $i -lt 30 ]" in stop  # grace in tenths of a second
    assert "kill -KILL -- -42" in stop  # the whole process group
    assert process.find_command("/r d") == "cat '/r d/wrapper.pid' 2>/dev/null; true"


# -- transport helpers -------------------------------------------------------------------------------


def test_sh_join_quotes_every_word() -> None:
    assert sh_join(["echo", "a b", "$HOME", 3]) == "echo 'a b' '$HOME' 3"  # type: ignore[list-item]


def test_command_result_texts() -> None:
    result = CommandResult(2, b"out\n", b"warning\nError: No such container: x\n")
    assert (result.ok, result.text) == (False, "out\n")
    assert result.error_text == "Error: No such container: x"
    assert CommandResult(1, b"", b"").error_text == "exit code 1"
