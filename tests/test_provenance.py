"""Provenance over the real sshd + dockerd: what produced a run is recorded (image digest as docker
inspect says, checkpoint manifest, GPUs, env keys without values, inputs' sha256), an exact re-run is
refused once the host's image changed, and `run diff` says what differs."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cosmos_tui.api import CosmosAPI
from cosmos_tui.config import load
from cosmos_tui.errors import UsageError
from tests.conftest import DEMO
from tests.harness import Harness, local_host_table

pytestmark = pytest.mark.integration

BIN = Path(sys.executable).parent / "cosmos-tui"
SECRET = "hf_do_not_store_me"


@pytest.fixture
def tagged(harness: Harness):
    """A tag of the sim image of this test's own, so changing what it points to touches no other test."""
    name = f"cosmos-sim:prov-{os.getpid()}"
    harness.dockerd.docker("tag", harness.image, name)
    yield name
    harness.dockerd.docker("rmi", "-f", name, check=False)


def config_for(tmp_path: Path, harness: Harness, image: str) -> Path:
    folder = tmp_path / "project"
    folder.mkdir(exist_ok=True)
    body = 'default_host = "test"\n[paths]\noutputs = "outputs"\ndatabase = "outputs/cosmos.db"\n'
    body += harness.host_table(
        "test", remote_dir=tmp_path / "remote-ssh", speed="0.002", image=image, env={"HF_TOKEN": SECRET}
    )
    body += local_host_table("local", tmp_path / "remote-local")
    path = folder / "config.toml"
    path.write_text(body)
    return path


def test_a_run_records_what_produced_it_and_an_exact_rerun_notices_a_new_image(
    tmp_path: Path, harness: Harness, tagged: str
) -> None:
    config = config_for(tmp_path, harness, tagged)
    with CosmosAPI(load(config)) as api:
        prompt = api.create_prompt("a lighthouse in fog", DEMO)
        [run_id] = api.run_inference([prompt.prompt_id])
        assert api.execute([run_id], timeout=120)
        run = api.get_run(run_id)
        assert run.status == "completed", (run.error_class, run.error_message)
        made = run.provenance or {}
        image_id = (
            harness.dockerd.docker("image", "inspect", "--format", "{{.Id}}", tagged).stdout.decode().strip()
        )
        assert made["runtime"]["image_id"] == image_id and made["runtime"]["image"] == tagged
        assert made["family"] == "transfer1" and made["checkpoint"]
        assert made["command"] == run.config["_command"] and made["spec"]
        assert made["gpus"] and made["gpus"][0].startswith("NVIDIA") and made["driver"]
        assert "HF_TOKEN" in made["env_keys"] and SECRET not in json.dumps(made)
        manifest = made["checkpoint_manifest"]
        assert manifest["folder"].endswith("checkpoints/nvidia/Cosmos-Transfer1-7B") and manifest["digest"]
        for name in ("color.mp4", "depth.mp4", "segmentation.mp4"):
            assert made["inputs"][name] == hashlib.sha256((DEMO / name).read_bytes()).hexdigest()
        document = json.loads((api.run_dir(run_id) / "run.json").read_text())
        assert document["provenance"]["runtime"]["image_id"] == image_id
        assert SECRET not in (api.run_dir(run_id) / "run.json").read_text()
        assert SECRET not in api.config.paths.database.read_bytes().decode("utf-8", "replace")

        # Nothing changed yet: the exact re-run is queued.
        same = api.get_run(api.rerun(run_id, exact=True))
        assert same.config["_rerun"] == {"of": run_id, "exact": True, "differences": []}
        api.cancel_run(same.run_id)

        # The host's image changes under the same name.
        harness.dockerd.docker("rm", "-f", "prov-commit", check=False)
        harness.dockerd.docker("create", "--name", "prov-commit", tagged, "true")
        harness.dockerd.docker("commit", "-m", "changed", "prov-commit", tagged)
        harness.dockerd.docker("rm", "-f", "prov-commit", check=False)
        with pytest.raises(
            UsageError, match=rf"run {run_id} cannot be re-run exactly: host test now has image"
        ):
            api.rerun(run_id, exact=True)
        again = api.get_run(api.rerun(run_id))  # without --exact: queued, the difference recorded
        assert "host test now has image" in again.config["_rerun"]["differences"][0]
        assert api.execute([again.run_id], timeout=120)
        diff = {what: (a, b) for what, a, b in api.diff_runs(run_id, again.run_id)}
    assert "image" in diff and diff["image"][0] == image_id
    assert not any(what.startswith(("setting", "input")) for what in diff)
    env = {**os.environ, "COSMOS_TUI_CONFIG": str(config)}
    shown = subprocess.run(
        [BIN, "run", "diff", run_id, again.run_id], env=env, capture_output=True, text=True
    )
    assert shown.returncode == 0 and "image" in shown.stdout
    refused = subprocess.run(
        [BIN, "run", "rerun", run_id, "--exact"], env=env, capture_output=True, text=True
    )
    assert refused.returncode == 2 and "cannot be re-run exactly" in refused.stderr
    assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr


def test_a_process_host_records_its_programs_and_the_same_run_diffs_as_nothing(
    tmp_path: Path, harness: Harness
) -> None:
    config = config_for(tmp_path, harness, harness.image)
    with CosmosAPI(load(config)) as api:
        prompt = api.create_prompt("same twice", DEMO)
        [first] = api.run_inference([prompt.prompt_id], host="local")
        assert api.execute([first], timeout=120)
        made = api.get_run(first).provenance or {}
        assert made["runtime"]["kind"] == "process" and "python" in made["runtime"]["programs"]
        second = api.rerun(first, exact=True)
        assert api.execute([second], timeout=120)
        assert api.diff_runs(first, second) == []
