"""Shared fixtures: every test gets its own config, database, XDG folders and working directory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cosmos_tui import ids
from cosmos_tui.api import CosmosAPI
from cosmos_tui.config import load

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "inputs" / "videos" / "demo"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test reads the user's real config, data or log folders, or ./config.toml of the repo."""
    home = tmp_path / "home"
    for var, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_CACHE_HOME", "cache"),
    ):
        (home / sub).mkdir(parents=True)
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("COSMOS_TUI_CONFIG", raising=False)
    monkeypatch.delenv("COSMOS_TUI_FALLBACK_CONFIG", raising=False)
    monkeypatch.delenv("COSMOS_TUI_PROG", raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    ids.seed(None)
    return work


def write_config(folder: Path, body: str = "") -> Path:
    path = folder / "config.toml"
    path.write_text(
        '[paths]\ninputs = "inputs"\noutputs = "outputs"\ndatabase = "outputs/cosmos.db"\n' + body,
        encoding="utf-8",
    )
    (folder / "inputs").mkdir(exist_ok=True)
    return path


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    return write_config(folder)


class StepClock:
    """A clock that starts at a fixed moment and advances one second per reading."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def api(config_file: Path):
    ids.seed(7)
    with CosmosAPI(load(config_file), clock=StepClock()) as instance:
        yield instance


# -- real daemons ------------------------------------------------------------------------------------

HARNESS_TIMES: dict[str, float] = {}


@pytest.fixture(scope="session")
def harness():
    """sshd + dockerd + the sim image for the whole session; torn down and checked at the end.

    A missing binary fails the test under CI=true (with the install command) and skips it
    elsewhere, so a laptop without docker can still run the unit tests.
    """
    import os
    import time

    from tests.harness import Harness, MissingInfrastructure

    t0 = time.perf_counter()
    instance = Harness.create()
    try:
        instance.start()
    except MissingInfrastructure as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"integration infrastructure missing: {exc}", pytrace=False)
        pytest.skip(f"integration infrastructure missing: {exc}")
    HARNESS_TIMES.update(instance.startup_seconds, total=time.perf_counter() - t0)
    yield instance
    instance.stop()
    left = instance.leftovers()
    instance.cleanup_files()
    assert not left, f"harness left these running: {left}"


@pytest.fixture(scope="session")
def slurm():
    """A one-node Slurm cluster (munged + slurmctld + slurmd on 127.0.0.1) for the whole session.

    Started only when a test asks for it; a missing binary fails under CI=true and skips elsewhere,
    as for `harness`. Client commands reach it through `slurm.env` (SLURM_CONF).
    """
    import os

    from tests.harness import MissingInfrastructure
    from tests.slurm_harness import SlurmCluster

    cluster = SlurmCluster.create()
    try:
        cluster.start()
    except MissingInfrastructure as exc:
        cluster.cleanup_files()
        if os.environ.get("CI") == "true":
            pytest.fail(f"integration infrastructure missing: {exc}", pytrace=False)
        pytest.skip(f"integration infrastructure missing: {exc}")
    HARNESS_TIMES["slurm"] = cluster.startup_seconds
    yield cluster
    cluster.stop()
    left = cluster.leftovers()
    cluster.cleanup_files()
    assert not left, f"slurm cluster left these running: {left}"


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    if HARNESS_TIMES:
        parts = ", ".join(f"{k} {v:.2f} s" for k, v in HARNESS_TIMES.items())
        terminalreporter.write_line(f"harness start-up: {parts}")


@pytest.fixture
def hosts_config(tmp_path: Path, harness) -> Path:
    """A config with both ready hosts: `test` (ssh + docker on the harness) and `local` (process)."""
    from tests.harness import local_host_table

    folder = tmp_path / "hosts-project"
    folder.mkdir()
    body = (
        'default_host = "test"\n'
        '[paths]\ninputs = "inputs"\noutputs = "outputs"\ndatabase = "outputs/cosmos.db"\n'
        + harness.host_table("test", remote_dir=tmp_path / "remote-ssh")
        + local_host_table("local", tmp_path / "remote-local")
    )
    path = folder / "config.toml"
    path.write_text(body, encoding="utf-8")
    return path
