"""Sweeps: one run per combination of several seeds or settings (``--seeds 1-4``,
``--sweep guidance=3,5,7``, comma lists in the run form). Pure: parsing the value lists, counting and
listing the combinations, and naming what differs between the runs of a sweep."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cosmos_tui.config_schema import CONTROLS, DEFAULTS_KEYS, HOST_KEYS, WEIGHT_KEYS, Key, check_value
from cosmos_tui.errors import UsageError

CONFIRM_ABOVE = 256  # more runs than this are queued only when the user confirms (--yes)
MAX_RUNS = 10_000  # never more than this from one sweep, confirmed or not

# What a sweep may vary: the run options (run_options.py) a run accepts as an override. Seed last:
# it varies fastest, so the runs of one setting come together.
_OPTIONS = [k for k in DEFAULTS_KEYS if k.name not in ("negative_prompt", "seed")]
KEYS: dict[str, Key] = {
    **{k.name: k for k in _OPTIONS},
    **{k.name: k for k in WEIGHT_KEYS},
    **{k.name: k for k in HOST_KEYS if k.name == "num_gpu"},
    **{k.name: k for k in DEFAULTS_KEYS if k.name == "seed"},
}
ALIASES = {"steps": "num_steps", "seeds": "seed"}  # as the --steps flag and the form call them

_INT = re.compile(r"\d{1,30}")
_RANGE = re.compile(r"(\d{1,30})\s*-\s*(\d{1,30})")
_FLOAT = re.compile(r"[+-]?(\d{1,30}(\.\d{0,30})?|\.\d{1,30})([eE][+-]?\d{1,3})?")


def key_name(given: str) -> str:
    """The option a sweep key names (``steps`` is ``num_steps``), or a UsageError listing them."""
    name = ALIASES.get(given.strip().lower(), given.strip().lower())
    if name not in KEYS:
        shown = given if len(given) <= 40 else given[:37] + "..."
        raise UsageError(
            f'"{shown}" cannot be swept; use one of {", ".join(KEYS)} (steps and seeds also work).',
            field="sweep",
        )
    return name


def parse_assignment(text: str) -> tuple[str, str]:
    """``guidance=3,5,7`` as (``guidance``, ``3,5,7``)."""
    name, sep, values = text.partition("=")
    if not sep or not name.strip():
        raise UsageError(
            f'a sweep is KEY=VALUES such as guidance=3,5,7 or vis=0.2,0.5, not "{_shown(text)}".',
            field="sweep",
        )
    return key_name(name), values


def parse_values(name: str, text: str) -> list[Any]:
    """The values a list such as ``1-4``, ``1,5,9``, ``1-3,9`` (integers) or ``0.2,0.5`` gives for
    the option ``name``, each checked like the config file's key, duplicates dropped, in order."""
    key = KEYS[key_name(name)]
    items = [item.strip() for item in text.split(",")]
    if not any(items):
        raise UsageError(f"no {key.name} value given; {_example(key)}.", field=key.name)
    values: list[Any] = []
    total = 0
    for item in items:
        if not item:
            raise UsageError(
                f'the {key.name} list "{_shown(text)}" has an empty item; {_example(key)}.', field=key.name
            )
        segment = _segment(key, item)
        total += len(segment)
        if total > MAX_RUNS:
            raise UsageError(
                f"the {key.name} list gives more than {MAX_RUNS:,} values, more runs than a sweep may "
                "queue; narrow it.",
                field=key.name,
            )
        values.extend(segment)
    return [_checked(key, value) for value in dict.fromkeys(values)]


def _segment(key: Key, item: str) -> Sequence[Any]:
    """One item of a list: a value, or (integers) an inclusive range ``a-b``."""
    if key.kind == "int":
        if _INT.fullmatch(item):
            return [int(item)]
        match = _RANGE.fullmatch(item)
        if match:
            low, high = int(match.group(1)), int(match.group(2))
            if high < low:
                raise UsageError(
                    f"the {key.name} range {low}-{high} runs backwards; write it {high}-{low}.",
                    field=key.name,
                )
            if high - low >= MAX_RUNS:
                raise UsageError(
                    f"the {key.name} range {low}-{high} gives more than {MAX_RUNS:,} values, more runs "
                    "than a sweep may queue; narrow it.",
                    field=key.name,
                )
            return range(low, high + 1)
        raise UsageError(f'{key.name} "{_shown(item)}" is not an integer; {_example(key)}.', field=key.name)
    if key.kind == "float":
        if not _FLOAT.fullmatch(item):
            raise UsageError(f'{key.name} "{_shown(item)}" is not a number; {_example(key)}.', field=key.name)
        return [float(item)]
    return [item]  # a choice: checked with the others


def _checked(key: Key, value: Any) -> Any:
    checked, problem = check_value(key, value)
    if problem:
        raise UsageError(f"{key.name} = {_shown(str(value))} is not allowed; use {problem}.", field=key.name)
    return checked


def _example(key: Key) -> str:
    if key.kind == "int":
        return "give integers or ranges separated by commas, such as 1-4 or 1,5,9"
    if key.kind == "float":
        return "give numbers separated by commas, such as 0.2,0.5"
    return "give values separated by commas, such as " + ",".join(key.choices[:2])


def _shown(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


def parse_axes(sweep: Mapping[str, str | Sequence[Any]]) -> dict[str, list[Any]]:
    """Each swept option (aliases resolved) and its values, in the order of ``KEYS``. A value may
    be a list text (``"1-4"``) or a sequence of values (each checked)."""
    axes: dict[str, list[Any]] = {}
    for given, raw in sweep.items():
        name = key_name(given)
        if name in axes:
            raise UsageError(f"{name} is swept twice; give all its values in one list.", field=name)
        if isinstance(raw, str):
            axes[name] = parse_values(name, raw)
        else:
            if not raw:
                raise UsageError(f"no {name} value given; {_example(KEYS[name])}.", field=name)
            if len(raw) > MAX_RUNS:
                raise UsageError(
                    f"the {name} list gives more than {MAX_RUNS:,} values; narrow it.", field=name
                )
            axes[name] = list(dict.fromkeys(_checked(KEYS[name], v) for v in raw))
    return {name: axes[name] for name in KEYS if name in axes}


def size(axes: Mapping[str, Sequence[Any]]) -> int:
    """How many combinations the axes make."""
    count = 1
    for values in axes.values():
        count *= len(values)
    return count


def combinations(axes: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of the axes' values, the last axis varying fastest."""
    names = list(axes)
    return [dict(zip(names, values, strict=True)) for values in itertools.product(*axes.values())]


def overrides_for(base: Mapping[str, Any], combination: Mapping[str, Any]) -> dict[str, Any]:
    """A run's overrides: ``base`` with the combination's values (a weight goes into ``weights``)."""
    overrides = dict(base)
    weights = dict(overrides.get("weights") or {})
    for name, value in combination.items():
        if name in CONTROLS:
            weights[name] = value
        else:
            overrides[name] = value
    if weights:
        overrides["weights"] = weights
    return overrides


def clashes(overrides: Mapping[str, Any], axes: Iterable[str]) -> str | None:
    """An option given both as one value and as a sweep (a weight may be both: the sweep wins)."""
    return next((name for name in axes if name not in CONTROLS and overrides.get(name) is not None), None)


def flat_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """A run's sweepable options, weights as vis/edge/depth/seg."""
    weights = config.get("weights") or {}
    return {name: weights.get(name) if name in CONTROLS else config.get(name) for name in KEYS}


def labels(configs: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """For the runs of one sweep ({run ID: config}), what sets each apart: ``guidance=5 seed=3``
    (the options whose values differ between them; "" when they do not)."""
    flat = {run_id: flat_options(config) for run_id, config in configs.items()}
    varying = [name for name in KEYS if len({_shown_value(f[name]) for f in flat.values()}) > 1]
    return {
        run_id: " ".join(f"{name}={_shown_value(options[name])}" for name in varying)
        for run_id, options in flat.items()
    }


def _shown_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
