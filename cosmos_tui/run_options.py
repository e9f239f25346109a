"""The generation options of a run: config defaults, then the prompt's own parameters, then the
overrides given for this run, each checked like the config file's keys."""

from __future__ import annotations

from typing import Any

from cosmos_tui.config import Config, HostConfig
from cosmos_tui.config_schema import CONTROLS, DEFAULTS_KEYS, HOST_KEYS, WEIGHT_KEYS, Key, check_value
from cosmos_tui.errors import UsageError
from cosmos_tui.records import PromptRecord

TUNABLE = {k.name: k for k in DEFAULTS_KEYS if k.name != "negative_prompt"}
NUM_GPU = next(k for k in HOST_KEYS if k.name == "num_gpu")
WEIGHTS = {k.name: k for k in WEIGHT_KEYS}


def _check(key: Key, value: Any, where: str) -> Any:
    checked, problem = check_value(key, value)
    if problem:
        raise UsageError(f"{where}{key.name} = {_shown(value)} is not allowed; use {problem}.")
    return checked


def _shown(value: Any) -> str:
    try:
        text = repr(value)
    except ValueError:  # an integer with more digits than Python will print
        return "a huge number"
    return text if len(text) <= 40 else text[:37] + "..."


def build_options(
    config: Config,
    host: HostConfig | None,
    prompt: PromptRecord,
    overrides: dict[str, Any],
    task: str = "transfer",
) -> dict[str, Any]:
    """Every option of a run of ``task``: config defaults, the prompt's, then ``overrides``. With
    no ``host`` (a run queued to a pool) the host's own options are left for its placement."""
    d = config.defaults
    options: dict[str, Any] = {name: getattr(d, name) for name in TUNABLE}
    options["weights"] = d.weights.as_dict()
    if host is not None:
        options["num_gpu"] = host.num_gpu
    _apply(options, prompt.parameters, "the prompt's parameters: ")
    _apply(options, overrides, "")
    if task == "transfer" and not any(w > 0 for w in options["weights"].values()):
        raise UsageError("every control weight is 0; give at least one control a weight above 0.")
    options["prompt"] = prompt.text
    options["negative_prompt"] = prompt.negative_prompt
    options["inputs"] = dict(prompt.inputs)
    options["prompt_id"] = prompt.prompt_id
    if host is not None and host.checkpoint:
        options["checkpoint"] = host.checkpoint
    return options


def check_parameters(parameters: dict[str, Any]) -> None:
    """Refuse a prompt's own parameters that no run could use, before they are stored."""
    _apply({"weights": {}}, parameters, "the prompt's parameters: ")


def _apply(options: dict[str, Any], source: dict[str, Any], label: str) -> None:
    """Check each option in ``source`` against the schema and set it in ``options``."""
    for name, value in source.items():
        if value is None:
            continue
        if name == "weights":
            if not isinstance(value, dict):
                raise UsageError(f"{label}weights must give vis, edge, depth and seg.")
            for control, weight in value.items():
                if control not in WEIGHTS:
                    raise UsageError(f'{label}unknown control "{control}"; use {", ".join(CONTROLS)}.')
                options["weights"][control] = _check(WEIGHTS[control], weight, f"{label}weight ")
        elif name == "num_gpu":
            options["num_gpu"] = _check(NUM_GPU, value, label)
        elif name in TUNABLE:
            options[name] = _check(TUNABLE[name], value, label)
        else:
            raise UsageError(f'{label}unknown option "{name}".')
