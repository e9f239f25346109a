"""`host clean` planning, pure: what the host scan says, which run folders may go, and the commands
that remove them (validated names only). The runs against real hosts are in tests/test_cleanup.py."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from cosmos_tui.config import load
from cosmos_tui.engine import cleanup
from cosmos_tui.errors import ConfigError
from cosmos_tui.remote import docker
from cosmos_tui.remote.transport import CommandResult
from tests.harness import local_host_table

UNNEEDED = "a" * 64 + ".mp4"
REFERENCED = "b" * 64 + ".mp4"


def test_scan_keeps_only_valid_names_and_plain_paths() -> None:
    text = "\n".join(
        [
            "now 1000",
            "@runs",
            "./rs_0123456789ab",
            "./rs_0123456789ab/../x",
            "./rs_xyz",
            "./rs_0123456789abc",
            "@marks",
            "900 ./rs_0123456789ab/.collected",
            "900 ./rs_0123456789ab/../../.collected",
            "@refs",
            f"./rs_0123456789ab/spec.json:.cosmos-tui/inputs/{REFERENCED}",
            "./rs_0123456789ab/spec.json:inputs/../../etc.mp4",
            "@inputs",
            f"12 800 ./{UNNEEDED}",
            "3 800 ./" + "a" * 64 + ".mp4.part-1234",
            "4 800 ./name with spaces",
        ]
    )
    scan = cleanup.parse_scan(text)
    assert scan.now == 1000
    assert scan.runs == {"rs_0123456789ab"}
    assert scan.marks == {"rs_0123456789ab": 900}
    assert scan.refs == {"rs_0123456789ab": {REFERENCED}}
    assert scan.inputs == {UNNEEDED: (12, 800)}


def test_plan_sorts_folders_by_what_the_database_knows() -> None:
    now = datetime(2026, 11, 20, 12, 0)
    scan = cleanup.Scan(
        now=10 * 86400,
        runs={"rs_00000000000a", "rs_00000000000b", "rs_00000000000c", "rs_00000000000d", "rs_00000000000e"},
        marks={"rs_00000000000d": 10 * 86400 - 3 * 86400, "rs_00000000000e": 10 * 86400 - 3600},
    )
    finished = {"rs_00000000000a": now - timedelta(days=8), "rs_00000000000b": now - timedelta(days=1)}
    known = {"rs_00000000000a", "rs_00000000000b", "rs_00000000000c"}
    plan = cleanup.plan_runs(scan, finished, known, now, older_than_days=2)
    assert plan.candidates == ["rs_00000000000a", "rs_00000000000d"]  # old; unknown but marked long ago
    assert plan.recent == ["rs_00000000000b", "rs_00000000000e"]
    assert plan.unfinished == ["rs_00000000000c"]
    assert plan.unknown == []
    unmarked = cleanup.Scan(now=1, runs={"rs_00000000000f"})
    assert cleanup.plan_runs(unmarked, {}, set(), now, 0).unknown == ["rs_00000000000f"]


def test_removal_commands_refuse_anything_but_validated_names() -> None:
    with pytest.raises(ValueError):
        cleanup.remove_runs_command("/r/.cosmos-tui/runs", ["rs_0123456789ab", "../../home"], dry_run=False)
    with pytest.raises(ValueError):
        cleanup.remove_inputs_command("/r/.cosmos-tui/inputs", ["x; rm -rf ~"], 60, dry_run=False)
    command = cleanup.remove_runs_command("/r d/.cosmos-tui/runs", ["rs_0123456789ab"], dry_run=True)
    assert "cd '/r d/.cosmos-tui/runs'" in command and "rm -rf" not in command


def test_docker_argv_for_leftovers_and_root_owned_files() -> None:
    assert docker.remove_stopped_argv("sudo docker", ["rs_1"]) == ["sudo", "docker", "rm", "cosmos-rs_1"]
    argv = docker.wipe_argv("docker", "img:1", "/r/.cosmos-tui/runs/rs_1")
    assert argv[:3] == ["docker", "run", "--rm"]
    assert "/r/.cosmos-tui/runs/rs_1:/cosmos-tui-clean" in argv
    assert argv[-4:] == ["rm", "-rf", "{}", "+"] and "img:1" in argv


class _RootOwnedFiles:
    """A transport whose plain `rm -rf` of a run folder fails once, like root-owned files do."""

    name = "fake"

    def __init__(self) -> None:
        self.commands: list[str] = []
        self.wiped = False

    def run(self, command: str, *, timeout: float | None = 120, stdin: bytes | None = None) -> CommandResult:
        self.commands.append(command)
        if "docker" in command and " run --rm " in command:
            self.wiped = True
            return CommandResult(0, b"", b"")
        if command.startswith("rm -rf"):
            return CommandResult(0 if self.wiped else 1, b"", b"rm: Permission denied")
        return CommandResult(0, b"", b"")


def test_root_owned_files_are_removed_through_docker() -> None:
    from types import SimpleNamespace

    transport = _RootOwnedFiles()
    session = SimpleNamespace(
        transport=transport, name="gpu", host=SimpleNamespace(docker="sudo docker", image="img:1")
    )
    removed: list[str] = []
    left = cleanup._wipe_as_root(session, "/r/.cosmos-tui/runs", {"rs_0123456789ab": "denied"}, removed)
    assert left == {} and removed == ["rs_0123456789ab"]
    assert transport.commands[0].startswith("sudo docker run --rm")


def test_keep_runs_days_defaults_to_14_and_refuses_negatives(tmp_path: Path) -> None:
    table = local_host_table("h", tmp_path / "r")
    path = tmp_path / "config.toml"
    path.write_text(table)
    assert load(path).hosts["h"].keep_runs_days == 14
    path.write_text(local_host_table("h", tmp_path / "r", keep_runs_days=-1))
    with pytest.raises(ConfigError, match="keep_runs_days"):
        load(path)
