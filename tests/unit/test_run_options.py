"""A run's generation options: config defaults, then the prompt's own parameters, then this run's
overrides, each checked like the config file's keys; a refusal is one sentence naming the key."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from cosmos_tui.config import Config, from_mapping
from cosmos_tui.errors import UsageError
from cosmos_tui.records import PromptRecord
from cosmos_tui.run_options import build_options, check_parameters


def config(tmp_path: Path, defaults: dict[str, Any] | None = None) -> Config:
    document = {
        "default_host": "gpu",
        "defaults": defaults or {},
        "hosts": {
            "gpu": {"hostname": "gpu.example", "remote_dir": "/srv/cosmos", "image": "cosmos:1", "num_gpu": 2}
        },
    }
    return from_mapping(document, tmp_path, None, "test")


def prompt(parameters: dict[str, Any] | None = None) -> PromptRecord:
    return PromptRecord(
        prompt_id="ps_0123456789ab",
        name="robot",
        text="A robot arm stacks cubes",
        negative_prompt="blurry",
        model_type="transfer",
        input_dir="/in",
        inputs={"video": "/in/color.mp4", "depth": "/in/depth.mp4"},
        parameters=parameters or {},
        parent_id=None,
        created_at=datetime(2026, 11, 1, 12, 0),
    )


def options(tmp_path: Path, parameters: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
    cfg = config(tmp_path, {"num_steps": 20, "weights": {"edge": 0.5}})
    return build_options(cfg, cfg.host(), prompt(parameters), overrides)


def test_defaults_then_the_prompts_parameters_then_the_overrides(tmp_path: Path) -> None:
    built = options(tmp_path, {"num_steps": 30, "seed": 5, "weights": {"vis": 0}}, seed=9, num_gpu=1)
    assert built["num_steps"] == 30  # the prompt's parameter beats the config default (20)
    assert built["seed"] == 9  # the override beats the prompt's parameter
    assert built["num_gpu"] == 1  # the host says 2
    assert built["weights"] == {"vis": 0, "edge": 0.5, "depth": 0.25, "seg": 0.25}
    assert (built["guidance"], built["fps"], built["blur_strength"]) == (5.0, 24, "medium")
    assert built["prompt"] == "A robot arm stacks cubes" and built["negative_prompt"] == "blurry"
    assert built["inputs"] == {"video": "/in/color.mp4", "depth": "/in/depth.mp4"}
    assert built["prompt_id"] == "ps_0123456789ab"


def test_an_override_of_none_keeps_what_was_there(tmp_path: Path) -> None:
    assert options(tmp_path, {"num_steps": 30}, num_steps=None)["num_steps"] == 30
    assert options(tmp_path)["num_gpu"] == 2  # the host's


def test_the_built_options_are_a_fresh_copy(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    first = build_options(cfg, cfg.host(), prompt(), {"weights": {"vis": 1}})
    second = build_options(cfg, cfg.host(), prompt(), {})
    assert first["weights"]["vis"] == 1 and second["weights"]["vis"] == 0.25


@pytest.mark.parametrize(
    ("parameters", "overrides", "says"),
    [
        ({}, {"num_steps": 0}, "num_steps = 0 is not allowed; use an integer from 1 to 1000."),
        ({"num_steps": 0}, {}, "the prompt's parameters: num_steps = 0 is not allowed"),
        ({}, {"blur_strength": "max"}, "blur_strength = 'max' is not allowed; use one of"),
        ({}, {"steps": 3}, 'unknown option "steps".'),
        ({}, {"negative_prompt": "x"}, 'unknown option "negative_prompt".'),  # the prompt's own text
        ({}, {"weights": {"rgb": 1}}, 'unknown control "rgb"; use vis, edge, depth, seg.'),
        ({}, {"weights": 1}, "weights must give vis, edge, depth and seg."),
        ({}, {"weights": {"edge": -1}}, "weight edge = -1 is not allowed"),
        ({}, {"num_gpu": 65}, "num_gpu = 65 is not allowed"),
        ({}, {"seed": 10**400}, "seed = 1000000000000000000000000000000000000... is not allowed"),
        ({}, {"seed": 10**5000}, "seed = a huge number is not allowed"),  # more digits than repr gives
        ({}, {"prompt_id": "x" * 100}, 'unknown option "prompt_id".'),
        (
            {},
            {"weights": {"vis": 0, "edge": 0, "depth": 0, "seg": 0}},
            "every control weight is 0; give at least one control a weight above 0.",
        ),
    ],
)
def test_refusals_name_the_key_in_one_sentence(
    tmp_path: Path, parameters: dict[str, Any], overrides: dict[str, Any], says: str
) -> None:
    with pytest.raises(UsageError) as caught:
        options(tmp_path, parameters, **overrides)
    assert says in caught.value.message
    assert caught.value.message.endswith(".")


def test_a_long_value_is_shortened_in_the_message(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        options(tmp_path, blur_strength="x" * 100)
    assert "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx..." in caught.value.message
    assert "x" * 50 not in caught.value.message


def test_check_parameters_refuses_what_no_run_could_use_and_lets_the_rest_pass() -> None:
    check_parameters({"num_steps": 10, "weights": {"seg": 0}})
    check_parameters({"weights": {"vis": 0, "edge": 0, "depth": 0, "seg": 0}})  # overrides may turn one on
    with pytest.raises(UsageError, match="the prompt's parameters: guidance = 101"):
        check_parameters({"guidance": 101})
