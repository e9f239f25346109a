"""The configuration schema: every key, its type, default, allowed values and help text.

One table feeds strict validation, `config init`'s commented starter file and `config show`, so
the three can never disagree.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cosmos_tui.families import DEFAULT_FAMILY, FAMILIES

MAX_SEED = 2**32 - 1  # numpy's seed range
LEVELS = ("very_low", "low", "medium", "high", "very_high")
CONTROLS = ("vis", "edge", "depth", "seg")

DEFAULT_NEGATIVE_PROMPT = (
    "The video captures a series of frames showing ugly scenes, static with no motion, motion "
    "blur, over-saturation, shaky footage, low resolution, grainy texture, pixelated images, "
    "poorly lit areas, underexposed and overexposed scenes, poor color contrast, unclear subject "
    "focus, and distorted proportions."
)


@dataclass(frozen=True)
class Key:
    """One configuration key."""

    name: str
    kind: str  # str | int | float | bool | path | str_list | str_table | choice
    default: Any
    help: str
    choices: tuple[str, ...] = ()
    check: Callable[[Any], str | None] | None = None  # returns what is allowed, or None if fine
    required: bool = False
    # Numbers: the range allowed. Every number must also be finite (TOML and argparse take inf
    # and nan); an absurd value fails here instead of deep in the database or on the GPU host.
    low: float | None = None
    high: float | None = None
    why: str = ""  # where the range comes from, when that is not obvious

    def allowed_range(self) -> str:
        """ "from 1 to 1000", or "" for a key without a range."""
        if self.low is None or self.high is None:
            return ""
        return f"from {_number(self.low)} to {_number(self.high)}{self.why}"


ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def env_names(value: dict[str, str]) -> str | None:
    """Variable names go into a shell on the host: only plain names, never code."""
    if all(ENV_NAME.fullmatch(name) for name in value):
        return None
    return "a table whose names are letters, digits and _ (not starting with a digit)"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def non_empty(value: str) -> str | None:
    return None if value.strip() else "a non-empty string"


PATHS_KEYS = (
    Key("inputs", "path", "inputs", "Folder of input videos (one folder per scene)."),
    Key("outputs", "path", "outputs", "Folder for run outputs: outputs/run_<id>/."),
    Key("database", "path", "outputs/cosmos.db", "SQLite database of prompts and runs."),
)

DEFAULTS_KEYS = (
    Key("negative_prompt", "str", DEFAULT_NEGATIVE_PROMPT, "Negative prompt for new prompts."),
    Key("num_steps", "int", 35, "Diffusion steps.", low=1, high=1000),
    Key("guidance", "float", 5.0, "Classifier-free guidance scale.", low=0, high=100),
    Key("sigma_max", "float", 70.0, "Noise level; >= 80 ignores the input video.", low=0, high=1000),
    Key("seed", "int", 1, "Random seed.", low=0, high=MAX_SEED, why="; the model seeds numpy with it"),
    Key("fps", "int", 24, "Frames per second of the output video.", low=1, high=240),
    Key("blur_strength", "choice", "medium", "Blur applied to the vis control.", choices=LEVELS),
    Key(
        "canny_threshold", "choice", "medium", "Edge detector threshold for the edge control.", choices=LEVELS
    ),
)

WEIGHT_KEYS = tuple(
    Key(name, "float", 0.25, f"Weight of the {name} control (0 turns it off).", low=0, high=10)
    for name in CONTROLS
)

HOST_KEYS = (
    Key("transport", "choice", "ssh", "How to reach the host.", choices=("ssh", "local")),
    Key("hostname", "str", "", "Host name, address or ~/.ssh/config alias (ssh only)."),
    Key("port", "int", 22, "SSH port.", low=1, high=65535),
    Key("user", "str", "", "SSH user; empty uses ~/.ssh/config or your login name."),
    Key("key_file", "path", "", "Private key file; empty uses ~/.ssh/config and ssh-agent."),
    Key("known_hosts", "path", "", "known_hosts file; empty uses ~/.ssh/known_hosts."),
    Key(
        "remote_dir",
        "str",
        "",
        "Folder on the host holding the model checkout and run folders.",
        check=non_empty,
        required=True,
    ),
    Key(
        "model",
        "choice",
        DEFAULT_FAMILY,
        "The Cosmos model family the host runs (its image or checkout).",
        choices=tuple(FAMILIES),
    ),
    Key(
        "checkpoint",
        "str",
        "",
        'The checkpoint the family loads, e.g. "Cosmos3-Nano"; empty: the family\'s default.',
    ),
    Key("runtime", "choice", "docker", "How the model is started.", choices=("docker", "process", "slurm")),
    Key(
        "docker",
        "str",
        "docker",
        'The docker command, e.g. "sudo docker" or "docker -H unix:///x".',
        check=non_empty,
    ),
    Key("image", "str", "", "Docker image with the model (runtime = docker)."),
    Key("gpus", "str", "all", 'Value for --gpus: "all", "0,1", or "" for no --gpus flag.'),
    Key("num_gpu", "int", 1, "GPUs per run (torchrun --nproc_per_node).", low=1, high=64),
    Key("docker_args", "str_list", [], "Extra arguments for docker run."),
    Key("slurm_partition", "str", "", "Slurm partition for sbatch --partition (runtime = slurm)."),
    Key("slurm_account", "str", "", "Slurm account for sbatch --account."),
    Key("slurm_gres", "str", "", 'Generic resources for sbatch --gres, e.g. "gpu:1".'),
    Key("slurm_time", "str", "", 'Time limit for sbatch --time, e.g. "02:00:00".'),
    Key("slurm_args", "str_list", [], "Extra arguments for sbatch."),
    Key(
        "slurm_container",
        "choice",
        "none",
        "How a Slurm job starts the model: as a process, or in the image with pyxis or apptainer.",
        choices=("none", "pyxis", "apptainer"),
    ),
    Key("env", "str_table", {}, "Environment variables for the model.", check=env_names),
    Key("max_concurrent", "int", 1, "Runs this host executes at once.", low=1, high=1000),
    Key("simulated", "bool", False, "The host runs the cosmos-tui simulator, not the real model."),
    Key(
        "hang_minutes",
        "float",
        30.0,
        "Minutes without log output before a run is flagged as hung.",
        low=0.01,
        high=7 * 24 * 60,
    ),
    Key(
        "stop_grace",
        "int",
        30,
        "Seconds a cancelled model gets to stop before it is killed.",
        low=0,
        high=3600,
    ),
    Key(
        "keep_runs_days",
        "float",
        14.0,
        "Days the host keeps a finished run's folder; cleaned after each collection (0: never).",
        low=0,
        high=36500,
    ),
    Key(
        "max_batch",
        "int",
        8,
        "Queued runs that can share one model process (same model and per-process settings) are "
        "started together, up to this many; 1 turns batching off.",
        low=1,
        high=256,
    ),
)

TOP_KEYS = (Key("default_host", "str", "", 'Host (or pool, or "any") used when none is named.'),)
POOL_KEYS = (
    Key("hosts", "str_list", [], "The hosts a run queued to this pool may be placed on.", required=True),
)

# [keys] is not a fixed set of keys: its entries are checked against the TUI's key table
# (cosmos_tui/keymap.py) by keymap.check, which config.from_mapping calls.
KEYS_HELP = (
    'Rebind the TUI\'s keys: "<screen>.<action>" = "key" (the README lists every action ID); '
    "an unknown action or two actions on one key is an error."
)
KEYS_EXAMPLE = {"runs.cancel": "x", "log.follow": "f,end"}


def describe_kind(key: Key) -> str:
    """What the key accepts, in words, for error messages."""
    if key.kind == "choice":
        return "one of " + ", ".join(f'"{c}"' for c in key.choices)
    return {
        "str": "a string",
        "int": "an integer",
        "float": "a number",
        "bool": "true or false",
        "path": "a path string",
        "str_list": "a list of strings",
        "str_table": "a table of string values",
    }[key.kind]


def check_value(key: Key, value: Any) -> tuple[Any, str | None]:
    """Return the value converted to the key's kind and None, or (value, what is allowed)."""
    kind = key.kind
    ok: bool
    if kind in ("str", "path", "choice"):
        ok = isinstance(value, str)
    elif kind == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "float":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok:
            try:
                value = float(value)
            except OverflowError:  # an integer beyond any float
                ok = False
    elif kind == "bool":
        ok = isinstance(value, bool)
    elif kind == "str_list":
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    elif kind == "str_table":
        ok = isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    else:  # pragma: no cover - a typo in the schema table
        raise ValueError(f"unknown kind {kind}")
    if not ok:
        return value, describe_kind(key)
    if kind == "choice" and value not in key.choices:
        return value, describe_kind(key)
    if kind in ("int", "float"):
        span = key.allowed_range()
        finite = kind == "int" or math.isfinite(value)
        in_range = finite and (not span or key.low <= value <= key.high)
        if not in_range:
            return value, f"{describe_kind(key)} {span}" if span else "a finite number"
    if key.check is not None:
        problem = key.check(value)
        if problem:
            return value, problem
    return value, None
