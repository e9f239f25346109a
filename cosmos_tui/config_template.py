"""The commented starter file that `cosmos-tui config init` writes."""

from __future__ import annotations

import json
from pathlib import Path

import platformdirs

from cosmos_tui.config import APP_NAME, toml_value
from cosmos_tui.config_schema import (
    DEFAULTS_KEYS,
    HOST_KEYS,
    KEYS_EXAMPLE,
    KEYS_HELP,
    PATHS_KEYS,
    WEIGHT_KEYS,
    Key,
)
from cosmos_tui.errors import OperationError

HEADER = """\
# cosmos-tui configuration.
# Every key is shown with its default. Relative paths resolve against this file's folder; ~ is
# expanded. Run `cosmos-tui config show` to see the resolved values and where they came from.
"""

EXAMPLE_HOST = {
    "transport": "ssh",
    "hostname": "gpu-box",
    "port": 22,
    "user": "ubuntu",
    "key_file": "~/.ssh/id_ed25519",
    "remote_dir": "/home/ubuntu/cosmos-transfer1",
    "runtime": "docker",
    "docker": "sudo docker",
    "image": "nvcr.io/nvidia/cosmos/cosmos-transfer1:latest",
    "gpus": "all",
    "num_gpu": 1,
    "env": {"HF_HOME": "/workspace/checkpoints/hf"},
    "max_concurrent": 1,
}


def _commented(keys: tuple[Key, ...], values: dict[str, object], active: bool) -> list[str]:
    lines = []
    for key in keys:
        span = key.allowed_range()
        lines.append(f"# {key.help} Allowed: {span.removeprefix('from ')}." if span else f"# {key.help}")
        value = values.get(key.name, key.default)
        line = f"{key.name} = {toml_value(value)}"
        lines.append(line if active else f"# {line}")
    return lines


def starter_text() -> str:
    # Without a config file the paths resolve against the user data folder; written out absolute,
    # the starter keeps them exactly where they were (the same database, the same outputs).
    data = platformdirs.user_data_path(APP_NAME)
    lines = [HEADER, "# Host used when none is named.", '# default_host = "gpu-box"', "", "[paths]"]
    lines += _commented(PATHS_KEYS, {k.name: str(data / k.default) for k in PATHS_KEYS}, active=True)
    lines += ["", "[defaults]"]
    lines += _commented(DEFAULTS_KEYS, {}, active=True)
    lines += ["", "[defaults.weights]"]
    lines += _commented(WEIGHT_KEYS, {}, active=True)
    lines += ["", "# A real GPU host reached over SSH, running the model in Docker:", "# [hosts.gpu-box]"]
    lines += _commented(HOST_KEYS, EXAMPLE_HOST, active=False)
    lines += ["", f"# {KEYS_HELP}", "# [keys]"]
    lines += [f"# {json.dumps(name)} = {toml_value(key)}" for name, key in KEYS_EXAMPLE.items()]
    return "\n".join(lines) + "\n"


def write_starter(path: Path, force: bool = False) -> Path:
    """Write the starter file; never overwrite an existing one unless forced."""
    if path.exists() and not force:
        raise OperationError(f"{path} already exists; pass --force to overwrite it.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(starter_text(), encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise OperationError(f"cannot write {path}: {exc.strerror}.") from exc
    return path
