"""Hostile configuration and host keys: nothing from a config reaches a shell as code, and a changed
SSH host key is never silently trusted."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.harness import Harness
from tests.test_engine import BIN, cli, make_config

pytestmark = pytest.mark.integration


def test_an_environment_variable_name_is_never_code(tmp_path: Path) -> None:
    config = make_config(tmp_path, None, host="local")
    marker = tmp_path / "pwned"
    config.write_text(config.read_text() + f'"X=1; touch {marker}; Y" = "1"\n')  # into [hosts.local.env]
    prompt = cli(config, "prompt", "add", "env", str(Path(__file__).parent.parent / "inputs/videos/demo"))
    assert prompt.returncode == 2, prompt.stderr
    assert "letters, digits and _" in prompt.stderr and prompt.stderr.count("\n") == 1
    assert not marker.exists()


def test_a_changed_host_key_is_shown_as_changed_and_replaced_only_when_asked(
    tmp_path: Path, harness: Harness
) -> None:
    other = tmp_path / "other_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    name = f"[127.0.0.1]:{harness.sshd.port}"
    known = tmp_path / "known_hosts"
    stale = f"{name} {' '.join(Path(str(other) + '.pub').read_text().split()[:2])}\n"
    unrelated = (
        "example.org ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n"
    )
    known.write_text(unrelated + stale)
    config = make_config(tmp_path, harness, known_hosts=str(known))
    env = {**os.environ, "COSMOS_TUI_CONFIG": str(config)}

    refused = subprocess.run([BIN, "host", "trust", "test", "--yes"], env=env, capture_output=True, text=True)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "CHANGED" in refused.stdout and refused.stdout.count("SHA256:") == 2
    assert "--replace" in refused.stderr
    assert known.read_text() == unrelated + stale  # nothing recorded

    asked = subprocess.run(
        [BIN, "host", "trust", "test", "--replace"], env=env, input="n\n", capture_output=True, text=True
    )
    assert asked.returncode == 1 and known.read_text() == unrelated + stale

    replaced = subprocess.run(
        [BIN, "host", "trust", "test", "--replace"], env=env, input="y\n", capture_output=True, text=True
    )
    assert replaced.returncode == 0, replaced.stderr
    lines = known.read_text().splitlines()
    assert lines[0] == unrelated.strip() and len(lines) == 2 and lines[1].startswith(name)
    assert subprocess.run([BIN, "status", "--host", "test"], env=env, capture_output=True).returncode == 0

    again = subprocess.run([BIN, "host", "trust", "test", "--yes"], env=env, capture_output=True, text=True)
    assert again.returncode == 0 and "already trusted" in again.stdout
    assert known.read_text().splitlines() == lines  # no duplicate line
