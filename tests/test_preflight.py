"""The pre-flight check (`host check`, and before the first run on a host) against the real sshd +
dockerd + sim image and the local process host."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cosmos_tui.api import CosmosAPI
from cosmos_tui.config import load
from cosmos_tui.engine import preflight
from cosmos_tui.records import RunStatus
from tests.conftest import DEMO
from tests.harness import Harness, local_host_table, toml_table

pytestmark = pytest.mark.integration

BIN = Path(sys.executable).parent / "cosmos-tui"
ITEMS = ["reachable", "runtime", "image", "gpus", "gpu_memory", "weights", "disk"]
TRANSFER1_CKPT = "checkpoints/nvidia/Cosmos-Transfer1-7B"


def local_host(name: str, remote: Path, env: dict[str, str] | None = None, **extra: object) -> str:
    values: dict[str, object] = {
        "transport": "local",
        "remote_dir": str(remote),
        "runtime": "process",
        "gpus": "",
        "simulated": True,
        **extra,
    }
    return toml_table(f"hosts.{name}", values) + toml_table(
        f"hosts.{name}.env", {"COSMOS_SIM_SPEED": "0.001", **(env or {})}
    )


@pytest.fixture
def config_path(tmp_path: Path, harness: Harness, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)
    monkeypatch.delenv("HF_HOME", raising=False)
    folder = tmp_path / "project"
    folder.mkdir()
    body = (
        'default_host = "local"\n[paths]\noutputs = "outputs"\ndatabase = "outputs/cosmos.db"\n'
        + harness.host_table("test", remote_dir=tmp_path / "remote-ssh", speed="0.001")
        + harness.host_table("noimage", remote_dir=tmp_path / "remote-noimage", image="cosmos-sim:not-there")
        + local_host_table("local", tmp_path / "remote-local")
        + local_host("small", tmp_path / "remote-small", {"COSMOS_SIM_GPU_MEMORY_MIB": "81559/70000"})
        + local_host("c3", tmp_path / "remote-c3", model="cosmos3")
        + local_host("c3token", tmp_path / "remote-c3t", {"HF_TOKEN": "hf_sim"}, model="cosmos3")
        + local_host("c3cached", tmp_path / "remote-c3c", {"HF_HOME": str(tmp_path / "hf")}, model="cosmos3")
        + local_host("c3relative", tmp_path / "remote-c3r", {"HF_HOME": ".hf"}, model="cosmos3")
    )
    path = folder / "config.toml"
    path.write_text(body, encoding="utf-8")
    return path


@pytest.fixture
def api(config_path: Path):
    with CosmosAPI(load(config_path)) as instance:
        yield instance


def states(check) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {item.name: item.state for item in check.items}


def cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, COSMOS_TUI_CONFIG=str(config))
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, env=env, timeout=120)


def run_on(api: CosmosAPI, host: str, **kwargs: object):  # type: ignore[no-untyped-def]
    prompt = api.create_prompt("A lighthouse in fog", DEMO)
    [run_id] = api.run_inference([prompt.prompt_id], host=host, **kwargs)  # type: ignore[arg-type]
    assert api.execute([run_id], timeout=120)
    return api.get_run(run_id)


@pytest.mark.parametrize("host", ["test", "local"])
def test_a_ready_host_passes_every_item(api: CosmosAPI, host: str) -> None:
    check = api.check_host(host)
    assert [item.name for item in check.items] == ITEMS
    assert check.ok, check.items
    assert (check.family, check.checkpoint) == ("transfer1", "Cosmos-Transfer1-7B")
    assert states(check)["image"] == ("ok" if host == "test" else "skipped")
    if host == "test":  # the image's digest (an imported image has no repo digest: its ID)
        assert check.item("image").detail["digest"].startswith("sha256:")
    assert check.item("gpu_memory").detail == {"need_gib": 43.0, "free_gib": {"0": 79.6}}
    assert TRANSFER1_CKPT in check.item("weights").message


def test_a_missing_image_fails_its_item_and_refuses_the_run(api: CosmosAPI, tmp_path: Path) -> None:
    check = api.check_host("noimage")
    assert states(check)["image"] == "failed" and states(check)["runtime"] == "ok"
    assert "cosmos-sim:not-there is not on host noimage" in check.item("image").message
    assert check.item("image").blocks_run and not check.ok
    run = run_on(api, "noimage")
    assert (run.status, run.error_class) == (RunStatus.FAILED, "preflight")
    assert run.error_message == check.item("image").message
    assert run.handle is None  # nothing was started
    assert not (tmp_path / "remote-noimage" / ".cosmos-tui" / "runs" / run.run_id).exists()


def test_too_little_gpu_memory_refuses_the_run_before_loading_and_force_lets_it_through(
    api: CosmosAPI, tmp_path: Path
) -> None:
    check = api.check_host("small")
    memory = check.item("gpu_memory")
    assert memory.state == "failed" and memory.blocks_run
    assert memory.message.startswith(
        "GPU 0 on host small has 11.3 GiB free but Cosmos-Transfer1-7B needs 43 GiB"
    )
    assert memory.message.endswith("or pass --force to try anyway.") and memory.message.count(".") <= 2
    assert states(api.check_host("small", force=True))["gpu_memory"] == "skipped"

    refused = run_on(api, "small")
    assert (refused.status, refused.error_class) == (RunStatus.FAILED, "preflight")
    assert refused.error_message == memory.message
    assert refused.handle is None and refused.stage == "uploading"
    assert not (tmp_path / "remote-small" / ".cosmos-tui" / "runs" / refused.run_id).exists()
    assert "cosmos-tui: GPU 0 on host small" in Path(refused.log_path or "").read_text()

    forced = run_on(api, "small", force=True)
    assert forced.status == RunStatus.COMPLETED, forced.error_message


def test_a_missing_checkpoint_folder_fails_the_weights_item(api: CosmosAPI, tmp_path: Path) -> None:
    assert api.check_host("local").ok  # the simulator made the folder a real Transfer1 host has
    shutil.rmtree(tmp_path / "remote-local" / TRANSFER1_CKPT)
    check = api.check_host("local")
    weights = check.item("weights")
    assert (weights.state, weights.blocks_run) == ("failed", True)
    assert f"the checkpoint folder remote_dir/{TRANSFER1_CKPT} is missing on host local" in weights.message
    run = run_on(api, "local")
    assert (run.status, run.error_class) == (RunStatus.FAILED, "preflight")
    assert run.error_message == weights.message


def test_a_hugging_face_family_needs_a_token_or_the_cached_checkpoint(api: CosmosAPI, tmp_path: Path) -> None:
    check = api.check_host("c3")
    assert (check.family, check.checkpoint) == ("cosmos3", "Cosmos3-Nano")
    weights = check.item("weights")
    assert (weights.state, weights.blocks_run) == ("failed", True)
    assert weights.message.startswith(
        "nvidia/Cosmos3-Nano is not in the Hugging Face cache on host c3 and no Hugging Face token"
    )
    assert "add HF_TOKEN to [hosts.c3.env]" in weights.message
    assert check.item("gpu_memory").detail["need_gib"] == 34.0

    token = api.check_host("c3token").item("weights")
    assert token.state == "ok" and "env table has HF_TOKEN" in token.message

    assert api.check_host("c3cached").item("weights").state == "failed"
    (tmp_path / "hf" / "hub" / "models--nvidia--Cosmos3-Nano").mkdir(parents=True)
    cached = api.check_host("c3cached").item("weights")
    assert cached.state == "ok" and "already in the Hugging Face cache" in cached.message


def test_the_automatic_check_costs_one_probe_per_host_per_process(
    api: CosmosAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    probes: list[str] = []
    original = preflight.probe

    def counting(session, target):  # type: ignore[no-untyped-def]
        probes.append(session.name)
        return original(session, target)

    monkeypatch.setattr(preflight, "probe", counting)
    assert run_on(api, "local").status == RunStatus.COMPLETED
    assert run_on(api, "local").status == RunStatus.COMPLETED
    assert probes == ["local"]


def test_host_check_cli_prints_one_line_per_item_and_json(config_path: Path) -> None:
    ok = cli(config_path, "host", "check", "local")
    assert ok.returncode == 0, ok.stderr
    lines = ok.stdout.splitlines()
    assert lines[0] == "host local (simulated): transfer1 Cosmos-Transfer1-7B"
    assert [line.split()[1] for line in lines[1:]] == ITEMS
    assert lines[3].split()[0] == "skipped"

    bad = cli(config_path, "host", "check", "small", "--json")
    assert bad.returncode == 1, bad.stderr
    data = json.loads(bad.stdout)
    assert set(data) == {"host", "label", "family", "checkpoint", "items", "ok"}
    assert (data["host"], data["ok"]) == ("small", False)
    assert [item["name"] for item in data["items"]] == ITEMS
    assert set(data["items"][0]) == {"name", "state", "message", "blocks_run", "detail"}
    memory = data["items"][ITEMS.index("gpu_memory")]
    assert (memory["state"], memory["blocks_run"]) == ("failed", True)
    assert memory["detail"] == {"need_gib": 43.0, "free_gib": {"0": 11.3}}


def test_a_relative_hf_home_is_looked_up_under_remote_dir_where_the_model_starts(
    api: CosmosAPI, tmp_path: Path
) -> None:
    # Regression: it was looked up relative to the login's home, so a cache the model finds failed.
    cache = tmp_path / "remote-c3r" / ".hf" / "hub" / "models--nvidia--Cosmos3-Nano" / "snapshots"
    cache.mkdir(parents=True)
    weights = api.check_host("c3relative").item("weights")
    assert weights.state == "ok", weights.message
