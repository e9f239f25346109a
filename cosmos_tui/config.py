"""Finding, loading and strictly validating the TOML configuration.

Search order: ``--config PATH``, ``$COSMOS_TUI_CONFIG``, ``./config.toml``,
``platformdirs.user_config_path("cosmos-tui")/config.toml``, then ``$COSMOS_TUI_FALLBACK_CONFIG``
(set by ``scripts/run`` to the checkout's config.toml); with none of them, built-in defaults.
Relative paths resolve against the folder of the file they come from; ``~`` is expanded.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):  # noqa: UP036 - tomli serves older interpreters
    import tomllib
else:  # pragma: no cover - the package targets 3.11+
    import tomli as tomllib

import platformdirs

from cosmos_tui.config_schema import (
    DEFAULTS_KEYS,
    HOST_KEYS,
    PATHS_KEYS,
    POOL_KEYS,
    TOP_KEYS,
    WEIGHT_KEYS,
    Key,
    check_value,
)
from cosmos_tui.errors import ConfigError, UsageError
from cosmos_tui.files import MB, NAME_MAX, PATH_MAX, path_problem, read_up_to, too_long
from cosmos_tui.keymap import KeymapError
from cosmos_tui.keymap import check as check_keys

APP_NAME = "cosmos-tui"
ENV_VAR = "COSMOS_TUI_CONFIG"
FALLBACK_VAR = "COSMOS_TUI_FALLBACK_CONFIG"
FOUND_VIA_FALLBACK = "scripts/run (the checkout's config.toml)"
HOST_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")  # use fullmatch
ANY = "any"  # as a host: the pool of every host
MAX_CONFIG_BYTES = MB


@dataclass(frozen=True)
class Paths:
    inputs: Path
    outputs: Path
    database: Path


@dataclass(frozen=True)
class Weights:
    vis: float = 0.25
    edge: float = 0.25
    depth: float = 0.25
    seg: float = 0.25

    def as_dict(self) -> dict[str, float]:
        return {"vis": self.vis, "edge": self.edge, "depth": self.depth, "seg": self.seg}


@dataclass(frozen=True)
class Defaults:
    negative_prompt: str
    num_steps: int
    guidance: float
    sigma_max: float
    seed: int
    fps: int
    blur_strength: str
    canny_threshold: str
    weights: Weights


@dataclass(frozen=True)
class HostConfig:
    name: str
    transport: str
    hostname: str
    port: int
    user: str
    key_file: Path | None
    known_hosts: Path | None
    remote_dir: str
    runtime: str
    docker: str
    image: str
    gpus: str
    num_gpu: int
    docker_args: tuple[str, ...]
    env: Mapping[str, str]
    max_concurrent: int
    simulated: bool
    hang_minutes: float = 30.0
    stop_grace: int = 30
    keep_runs_days: float = 14.0
    max_batch: int = 8
    model: str = "transfer1"  # the model family (cosmos_tui/families.py)
    slurm_partition: str = ""
    slurm_account: str = ""
    slurm_gres: str = ""
    slurm_time: str = ""
    slurm_args: tuple[str, ...] = ()
    slurm_container: str = "none"  # none | pyxis | apptainer
    checkpoint: str = ""  # empty: the family's default checkpoint

    def run_options(self) -> dict[str, Any]:
        """The options a run takes from the host it runs on (a pool's run: where it is placed)."""
        options: dict[str, Any] = {"num_gpu": self.num_gpu}
        if self.checkpoint:  # else the family's default, which the adapter knows
            options["checkpoint"] = self.checkpoint
        return options


@dataclass(frozen=True)
class Config:
    paths: Paths
    defaults: Defaults
    default_host: str
    hosts: Mapping[str, HostConfig] = field(default_factory=dict)
    source: Path | None = None
    found_via: str = "built-in defaults"
    shadows: Path | None = None  # the user config file, when one exists but another file comes first
    keys: Mapping[str, str] = field(default_factory=dict)  # [keys]: action ID -> key(s), see keymap.py
    pools: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # [pools.NAME] hosts = [...]

    def is_pool(self, name: str | None) -> bool:
        """Whether ``name`` (or the default target) is a pool: ``any`` or a [pools.*] table."""
        wanted = name or self.default_host
        return wanted == ANY or wanted in self.pools

    def pool_hosts(self, name: str) -> tuple[str, ...]:
        """The hosts of a pool (``any``: every host), in config order."""
        if name == ANY:
            return tuple(self.hosts)
        return self.pools[name]

    def pools_of(self, host: str) -> tuple[str, ...]:
        """The pools a host belongs to, ``any`` included."""
        return (ANY, *(name for name, members in self.pools.items() if host in members))

    def target(self, name: str | None = None) -> str:
        """What a run named with ``--host NAME`` goes to: a host's or a pool's name (``any``
        included), else default_host, else the only host; a clear error otherwise."""
        wanted = name or self.default_host
        if wanted and (wanted in self.hosts or self.is_pool(wanted)):
            if wanted == ANY and not self.hosts:
                raise ConfigError(f"{self._where()}: no hosts are configured; add a [hosts.NAME] table.")
            return wanted
        return self.host(name).name

    def target_hosts(self, name: str | None = None) -> tuple[str, ...]:
        """The hosts a target can run on: a pool's hosts, or the one host."""
        wanted = self.target(name)
        return self.pool_hosts(wanted) if self.is_pool(wanted) else (wanted,)

    def host(self, name: str | None = None) -> HostConfig:
        """The named host, else the default host, else the only host; a clear error otherwise."""
        wanted = name or self.default_host
        if not wanted and len(self.hosts) == 1:
            return next(iter(self.hosts.values()))
        if not wanted:
            raise ConfigError(
                f"{self._where()}: no host named and no default_host set; add default_host = "
                '"NAME" or pass --host NAME.'
            )
        try:
            return self.hosts[wanted]
        except KeyError as exc:
            if self.is_pool(wanted):
                members = ", ".join(self.pool_hosts(wanted)) or "no hosts"
                raise ConfigError(
                    f'"{wanted}" is a pool of hosts ({members}); name one of them with --host.'
                ) from None
            known = (
                ", ".join([*sorted(self.hosts), *sorted(self.pools), ANY])
                if self.hosts
                else ("none are configured")
            )
            raise ConfigError(
                f'{self._where()}: there is no host or pool "{wanted}"; known: {known}.'
            ) from exc

    def host_label(self, name: str) -> str:
        """A host's (or pool's) name as shown to users: simulated hosts and pools say so."""
        if self.is_pool(name) and name not in self.hosts:
            return f"pool {name} ({', '.join(self.pool_hosts(name))})"
        host = self.hosts.get(name)
        return f"{name} (simulated)" if host is not None and host.simulated else name

    def _where(self) -> str:
        return str(self.source) if self.source else "configuration"


def user_config_file() -> Path:
    return platformdirs.user_config_path(APP_NAME) / "config.toml"


def _named_file(path: Path, how: str) -> Path:
    """The config file the user named; a clear error when it cannot be one."""
    problem = path_problem(path)
    if problem:
        hint = "" if problem.kind == "missing" else "; give a TOML file"
        raise ConfigError(f"config file {path} ({how}) {problem}{hint}.")
    return path


def _present(path: Path) -> bool:
    """A config file found by searching: there, and a regular file (an odd entry is skipped)."""
    return path_problem(path) is None


def locate(cli_path: str | os.PathLike[str] | None = None) -> tuple[Path | None, str]:
    """Return the config file to use and how it was found (None: use built-in defaults)."""
    if cli_path:
        return _named_file(Path(cli_path).expanduser(), "given with --config"), "--config"
    env_value = os.environ.get(ENV_VAR)
    if env_value:
        return _named_file(Path(env_value).expanduser(), f"named by ${ENV_VAR}"), f"${ENV_VAR}"
    local = current_folder() / "config.toml"
    if _present(local):
        return local, "./config.toml"
    user = user_config_file()
    if _present(user):
        return user, "user config"
    fallback = os.environ.get(FALLBACK_VAR)
    if fallback and _present(Path(fallback)):
        return Path(fallback), FOUND_VIA_FALLBACK
    return None, "built-in defaults"


def current_folder() -> Path:
    """The current folder; a clear error when it was deleted under the running shell."""
    try:
        return Path.cwd()
    except FileNotFoundError as exc:
        raise UsageError(
            "the current folder no longer exists (it was deleted or moved); cd to an existing folder "
            "and run the command again."
        ) from exc


def load(cli_path: str | os.PathLike[str] | None = None) -> Config:
    """Find, read and validate the configuration."""
    path, how = locate(cli_path)
    if path is None:
        return from_mapping({}, base=platformdirs.user_data_path(APP_NAME), source=None, how=how)
    try:
        raw = read_up_to(path, MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}.") from exc
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"{path} is over {MAX_CONFIG_BYTES // MB} MB, far more than a configuration needs; "
            "check that --config names the right file."
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: the file is not UTF-8 text.") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); fix the syntax there.") from exc
    except RecursionError as exc:
        raise ConfigError(f"{path}: values are nested too deeply to read; flatten them.") from exc
    config = from_mapping(data, base=path.resolve().parent, source=path.resolve(), how=how)
    user = user_config_file()
    if how != "user config" and how != FOUND_VIA_FALLBACK and _present(user):
        config = replace(config, shadows=user)
    return config


def shadow_note(used: Path, how: str, user: Path) -> str:
    """One sentence saying that ``used`` comes before the user config file ``user``, and what to do."""
    if how == "./config.toml":
        advice = "run from another folder, or remove or rename that file, to use the user config"
    elif how == f"${ENV_VAR}":
        advice = f"unset {ENV_VAR} to use the user config"
    else:
        advice = "leave out --config to use the user config"
    return (
        f"{used} (found via {how}) comes before the user config file {user}, which is not used "
        f"here; {advice}."
    )


class _Reader:
    """Validates one TOML table against a tuple of keys, naming the file and the key on error."""

    def __init__(self, source: Path | None, base: Path) -> None:
        self.where = str(source) if source else "built-in configuration"
        self.base = base

    def fail(self, message: str) -> ConfigError:
        return ConfigError(f"{self.where}: {message}")

    def table(
        self, data: Any, keys: tuple[Key, ...], prefix: str, extra: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        label = f"[{prefix}]" if prefix else "the top level"
        if not isinstance(data, dict):
            raise self.fail(f"{prefix} must be a table ([{prefix}]).")
        known = {k.name: k for k in keys}
        for name in data:
            if name not in known and name not in extra:
                allowed = ", ".join([*known, *extra])
                raise self.fail(f'unknown key "{_dotted(prefix, name)}"; {label} allows: {allowed}.')
        out: dict[str, Any] = {}
        for key in keys:
            dotted = _dotted(prefix, key.name)
            if key.name not in data:
                if key.required:
                    raise self.fail(f"{dotted} is required ({key.help})")
                value = key.default
            else:
                value, problem = check_value(key, data[key.name])
                if problem:
                    raise self.fail(f"{dotted} = {_show(data[key.name])} is not allowed; use {problem}.")
            if key.kind == "path":
                value = self.path(value, dotted)
            out[key.name] = value
        return out

    def path(self, value: str, dotted: str = "") -> Path | None:
        if not value:
            return None
        if "\0" in value:
            raise self.fail(f"{dotted or 'a path'} = {_show(value)} holds a NUL character; remove it.")
        try:
            path = Path(value).expanduser()
        except RuntimeError as exc:  # "~user" with no such user, or no home folder at all
            where = dotted or "a path"
            raise self.fail(f"{where} = {_show(value)}: the ~ in it names no home folder.") from exc
        path = path if path.is_absolute() else (self.base / path).resolve()
        if dotted and too_long(path):
            raise self.fail(
                f"{dotted} = {_show(value)} is longer than the system allows "
                f"({PATH_MAX - 1} bytes, {NAME_MAX} per name); use a shorter path."
            )
        return path


def from_mapping(data: Mapping[str, Any], base: Path, source: Path | None, how: str) -> Config:
    """Validate a parsed TOML document and build a Config."""
    reader = _Reader(source, base)
    top = reader.table(dict(data), TOP_KEYS, "", extra=("paths", "defaults", "hosts", "pools", "keys"))
    paths = Paths(**reader.table(data.get("paths", {}), PATHS_KEYS, "paths"))
    raw_defaults = data.get("defaults", {})
    defaults_values = reader.table(raw_defaults, DEFAULTS_KEYS, "defaults", extra=("weights",))
    weights = Weights(
        **reader.table(
            raw_defaults.get("weights", {}) if isinstance(raw_defaults, dict) else {},
            WEIGHT_KEYS,
            "defaults.weights",
        )
    )
    defaults = Defaults(**defaults_values, weights=weights)

    raw_hosts = data.get("hosts", {})
    if not isinstance(raw_hosts, dict):
        raise reader.fail("hosts must be tables like [hosts.NAME].")
    hosts: dict[str, HostConfig] = {}
    for name, raw in raw_hosts.items():
        if not HOST_NAME_RE.fullmatch(name) or name == ANY:
            raise reader.fail(
                f'host name {_show(name)} is not allowed; use letters, digits, ".", "_" and "-" '
                f'(and not "{ANY}", which means every host).'
            )
        prefix = f"hosts.{name}"
        values = reader.table(raw, HOST_KEYS, prefix)
        if values["transport"] == "ssh" and not values["hostname"]:
            raise reader.fail(f'{prefix}.hostname is required when transport = "ssh".')
        if values["runtime"] == "docker" and not values["image"]:
            raise reader.fail(f'{prefix}.image is required when runtime = "docker".')
        if values["runtime"] == "slurm" and values["slurm_container"] != "none" and not values["image"]:
            raise reader.fail(
                f'{prefix}.image is required when slurm_container = "{values["slurm_container"]}".'
            )
        values["slurm_args"] = tuple(values["slurm_args"])
        if values["transport"] == "local":
            # On this machine remote_dir is a local path: resolve it like the others.
            values["remote_dir"] = str(reader.path(values["remote_dir"]))
        values["docker_args"] = tuple(values["docker_args"])
        values["env"] = dict(values["env"])
        hosts[name] = HostConfig(name=name, **values)

    pools = _pools(reader, data.get("pools", {}), hosts)
    default_host = top["default_host"]
    if default_host and default_host not in hosts and default_host not in pools and default_host != ANY:
        known = ", ".join([*sorted(hosts), *sorted(pools), ANY]) if hosts else "none are configured"
        raise reader.fail(
            f'default_host = "{default_host}" names no [hosts.*] or [pools.*] table; known: {known}.'
        )
    raw_keys = data.get("keys", {})
    if not isinstance(raw_keys, dict):
        raise reader.fail('keys must be a table ([keys]) of "<screen>.<action>" = "key" entries.')
    try:
        keys = check_keys(raw_keys)
    except KeymapError as exc:
        raise reader.fail(f"[keys] {exc}") from None
    return Config(
        paths=paths,
        defaults=defaults,
        default_host=default_host,
        hosts=hosts,
        source=source,
        found_via=how,
        keys=keys,
        pools=pools,
    )


def _pools(reader: _Reader, raw: Any, hosts: Mapping[str, HostConfig]) -> dict[str, tuple[str, ...]]:
    """[pools.NAME] tables: each names hosts that exist; a pool's name is not a host's or "any"."""
    if not isinstance(raw, dict):
        raise reader.fail("pools must be tables like [pools.NAME] with hosts = [...].")
    pools: dict[str, tuple[str, ...]] = {}
    for name, table in raw.items():
        prefix = f"pools.{name}"
        if not HOST_NAME_RE.fullmatch(name) or name == ANY:
            raise reader.fail(
                f'pool name {_show(name)} is not allowed; use letters, digits, ".", "_" and "-" '
                f'(and not "{ANY}", which means every host).'
            )
        if name in hosts:
            raise reader.fail(f"[{prefix}] has the name of a host; give the pool a name of its own.")
        members = reader.table(table, POOL_KEYS, prefix)["hosts"]
        unknown = [host for host in members if host not in hosts]
        if unknown:
            known = ", ".join(sorted(hosts)) or "none are configured"
            raise reader.fail(f"{prefix}.hosts names no host {_show(unknown[0])}; known hosts: {known}.")
        if not members:
            raise reader.fail(f"{prefix}.hosts is empty; name at least one host.")
        pools[name] = tuple(dict.fromkeys(members))
    return pools


def _dotted(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _show(value: Any) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # as TOML writes it: inf, nan
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (RecursionError, ValueError):
        return "(a deeply nested value)"
    return text if len(text) <= 60 else text[:57] + "..."


def as_dict(config: Config) -> dict[str, Any]:
    """The resolved configuration as plain data (for `config show --json` and the TOML dump)."""

    def plain(value: Any) -> Any:
        if isinstance(value, Path):
            return str(value)
        if value is None:
            return ""
        if isinstance(value, tuple):
            return list(value)
        if isinstance(value, Mapping):
            return {k: plain(v) for k, v in value.items()}
        return value

    defaults = {k.name: getattr(config.defaults, k.name) for k in DEFAULTS_KEYS}
    defaults["weights"] = config.defaults.weights.as_dict()
    hosts = {
        name: {k.name: plain(getattr(host, k.name)) for k in HOST_KEYS} for name, host in config.hosts.items()
    }
    return {
        "source": str(config.source) if config.source else None,
        "found_via": config.found_via,
        "shadows": str(config.shadows) if config.shadows else None,
        "default_host": config.default_host,
        "paths": {k.name: str(getattr(config.paths, k.name)) for k in PATHS_KEYS},
        "defaults": defaults,
        "hosts": hosts,
        "pools": {name: list(members) for name, members in config.pools.items()},
        "keys": dict(config.keys),
    }


def to_toml(config: Config) -> str:
    """The resolved configuration as TOML text, headed by where it came from."""
    data = as_dict(config)
    source = data["source"] or "(no file)"
    lines = [f"# source: {source}", f"# found via: {data['found_via']}"]
    if config.shadows and config.source:
        lines.append("# note: " + shadow_note(config.source, config.found_via, config.shadows))
    lines.append(f"default_host = {toml_value(data['default_host'])}")
    lines += ["", "[paths]", *_toml_pairs(data["paths"])]
    weights = data["defaults"].pop("weights")
    lines += ["", "[defaults]", *_toml_pairs(data["defaults"])]
    lines += ["", "[defaults.weights]", *_toml_pairs(weights)]
    for name, host in data["hosts"].items():
        env = host.pop("env")
        note = "  # simulated: cosmos-tui's stand-in for the model" if host["simulated"] else ""
        lines += ["", f"[hosts.{name}]{note}", *_toml_pairs(host)]
        if env:
            lines += ["", f"[hosts.{name}.env]", *_toml_pairs(env)]
    for name, members in data["pools"].items():
        lines += ["", f"[pools.{name}]", *_toml_pairs({"hosts": members})]
    if data["keys"]:
        lines += ["", "[keys]", *_toml_pairs(data["keys"])]
    return "\n".join(lines) + "\n"


def _toml_pairs(table: Mapping[str, Any]) -> list[str]:
    return [f"{_toml_key(k)} = {toml_value(v)}" for k, v in table.items()]


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        pairs = ", ".join(f"{_toml_key(str(k))} = {toml_value(v)}" for k, v in value.items())
        return "{ " + pairs + " }" if pairs else "{}"
    # JSON string escapes are valid TOML basic-string escapes.
    return json.dumps(str(value), ensure_ascii=False)
