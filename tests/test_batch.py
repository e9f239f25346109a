"""Batches against the real daemons (sshd + dockerd + sim image) and the local process host:
several runs served by one model process, each with its own record, log slice and outputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from cosmos_tui.api import CosmosAPI
from cosmos_tui.config import load
from tests.conftest import DEMO
from tests.harness import Harness
from tests.test_engine import make_config

pytestmark = pytest.mark.integration

LOAD = b"Start creating base model"
TEXTS = ["a harbour at dawn", "a desert road", "a snowy forest"]


@pytest.fixture(params=["test", "local"])
def host_name(request) -> str:
    return request.param


@pytest.fixture
def api_for(tmp_path: Path, harness: Harness):
    made: list[CosmosAPI] = []

    def build(host: str, **kwargs: object) -> CosmosAPI:
        api = CosmosAPI(load(make_config(tmp_path, harness, host=host, **kwargs)))
        made.append(api)
        return api

    yield build
    for api in made:
        api.close()


def queue(api: CosmosAPI, texts: list[str], *, batch: bool = False, **overrides: object) -> list[str]:
    prompts = [api.create_prompt(text, DEMO).prompt_id for text in texts]
    return api.run_inference(prompts, overrides or None, batch=batch)


def model_loads(api: CosmosAPI, run_ids: list[str]) -> int:
    """How many times the model was loaded for these runs, from their own run.logs."""
    return sum(api.run_dir(r).joinpath("run.log").read_bytes().count(LOAD) for r in run_ids)


def test_a_batch_of_three_loads_the_model_once_and_each_run_has_its_own_output_and_log(
    api_for, host_name: str
) -> None:
    api = api_for(host_name)
    run_ids = queue(api, TEXTS, batch=True)
    assert api.execute(run_ids, timeout=120)
    runs = [api.get_run(r) for r in run_ids]
    assert [r.status for r in runs] == ["completed"] * 3, [(r.error_class, r.error_message) for r in runs]
    assert len({r.batch_id for r in runs}) == 1 and runs[0].batch_id
    assert [r.batch_index for r in runs] == [0, 1, 2]
    assert model_loads(api, run_ids) == 1
    batch_log = api.config.paths.outputs / f"batch_{runs[0].batch_id}" / "model.log"
    assert batch_log.read_bytes().count(LOAD) == 1
    for index, run in enumerate(runs):
        folder = api.run_dir(run.run_id)
        assert (folder / "output.mp4").stat().st_size > 0
        assert (folder / "prompt.txt").read_text().strip() == TEXTS[index]
        log = (folder / "run.log").read_text()
        assert f"video_{index}/prompt.txt" in log
        assert all(f"video_{other}/" not in log for other in range(3) if other != index)
        assert run.progress == 100.0 and run.duration_seconds and run.duration_seconds > 0
