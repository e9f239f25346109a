"""Configuration: search order, path resolution, strict validation, show and init."""

from __future__ import annotations

from pathlib import Path

import pytest

from cosmos_tui import config as cfg
from cosmos_tui.config_template import starter_text, write_starter
from cosmos_tui.errors import ConfigError, OperationError
from tests.conftest import REPO, write_config

HOST = """
default_host = "gpu"
"""
HOST_TABLE = """
[hosts.gpu]
transport = "ssh"
hostname = "gpu-box"
remote_dir = "/srv/cosmos"
image = "cosmos:latest"
docker = "sudo docker"
gpus = "0,1"
num_gpu = 2
docker_args = ["--shm-size=8g"]
max_concurrent = 2
key_file = "~/.ssh/id_test"

[hosts.gpu.env]
HF_HOME = "/workspace/hf"
"""


def load_text(tmp_path: Path, text: str) -> cfg.Config:
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    return cfg.load(path)


def test_defaults_apply_when_keys_are_left_out(tmp_path: Path) -> None:
    config = load_text(tmp_path, "")
    d = config.defaults
    assert (d.num_steps, d.guidance, d.sigma_max, d.seed, d.fps) == (35, 5.0, 70.0, 1, 24)
    assert (d.blur_strength, d.canny_threshold) == ("medium", "medium")
    assert d.weights.as_dict() == {"vis": 0.25, "edge": 0.25, "depth": 0.25, "seg": 0.25}
    assert config.paths.database == tmp_path / "outputs" / "cosmos.db"


def test_full_host_table_is_read(tmp_path: Path) -> None:
    config = load_text(tmp_path, HOST + HOST_TABLE)
    host = config.host()
    assert host.name == "gpu" and host.transport == "ssh" and host.port == 22
    assert host.docker == "sudo docker" and host.gpus == "0,1" and host.num_gpu == 2
    assert host.docker_args == ("--shm-size=8g",) and host.env == {"HF_HOME": "/workspace/hf"}
    assert host.key_file == Path("~/.ssh/id_test").expanduser()
    assert host.known_hosts is None and host.max_concurrent == 2


def test_relative_paths_resolve_against_the_config_folder(tmp_path: Path) -> None:
    folder = tmp_path / "somewhere"
    folder.mkdir()
    path = folder / "config.toml"
    path.write_text('[paths]\ninputs = "in"\noutputs = "~/out"\ndatabase = "/abs/db.sqlite"\n')
    config = cfg.load(path)
    assert config.paths.inputs == folder / "in"
    assert config.paths.outputs == Path.home() / "out"
    assert config.paths.database == Path("/abs/db.sqlite")


def test_search_order(tmp_path: Path, isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    user = cfg.user_config_file()
    user.parent.mkdir(parents=True)
    user.write_text("")
    assert cfg.locate() == (user, "user config")

    local = isolated / "config.toml"
    local.write_text("")
    assert cfg.locate() == (local, "./config.toml")

    env_file = tmp_path / "env.toml"
    env_file.write_text("")
    monkeypatch.setenv("COSMOS_TUI_CONFIG", str(env_file))
    assert cfg.locate() == (env_file, "$COSMOS_TUI_CONFIG")

    cli_file = tmp_path / "cli.toml"
    cli_file.write_text("")
    assert cfg.locate(cli_file) == (cli_file, "--config")


def test_no_file_anywhere_uses_built_in_defaults() -> None:
    config = cfg.load()
    assert config.source is None and config.found_via == "built-in defaults"
    assert "cosmos-tui" in str(config.paths.database)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("colour = 1\n", 'unknown key "colour"'),
        ("[paths]\ninputz = 'x'\n", 'unknown key "paths.inputz"'),
        ("[defaults]\nnum_steps = '35'\n", 'defaults.num_steps = "35" is not allowed; use an integer'),
        ("[defaults]\nnum_steps = 0\n", "num_steps = 0 is not allowed; use an integer from 1 to 1000"),
        ("[defaults]\nguidance = true\n", "defaults.guidance = true is not allowed; use a number"),
        ("[defaults]\nblur_strength = 'max'\n", '"very_low", "low", "medium", "high", "very_high"'),
        ("[defaults.weights]\nvis = -1\n", "defaults.weights.vis = -1 is not allowed"),
        ("[defaults.weights]\nlidar = 1\n", 'unknown key "defaults.weights.lidar"'),
        ("[hosts.a]\ntransport = 'telnet'\nremote_dir = '/x'\n", 'use one of "ssh", "local"'),
        (
            "[hosts.a]\nhostname = 'h'\nremote_dir = '/x'\nimage = 'i'\nport = 70000\n",
            "hosts.a.port = 70000 is not allowed; use an integer from 1 to 65535",
        ),
        ("[hosts.a]\nhostname = 'h'\nimage = 'i'\n", "hosts.a.remote_dir is required"),
        ("[hosts.a]\nremote_dir = '/x'\nimage = 'i'\n", "hosts.a.hostname is required"),
        ("[hosts.a]\nhostname = 'h'\nremote_dir = '/x'\n", "hosts.a.image is required"),
        (
            "[hosts.a]\nhostname = 'h'\nremote_dir = '/x'\nimage = 'i'\ndocker_args = '-it'\n",
            "use a list of strings",
        ),
        (
            "[hosts.a]\nhostname = 'h'\nremote_dir = '/x'\nimage = 'i'\nusr = 'me'\n",
            'unknown key "hosts.a.usr"',
        ),
        ("default_host = 'nope'\n", 'default_host = "nope" names no [hosts.*] or [pools.*] table'),
        ("[hosts.'bad name']\nremote_dir = '/x'\n", 'host name "bad name" is not allowed'),
        ("paths = 3\n", "paths must be a table"),
        ("[paths\n", "not valid TOML"),
    ],
)
def test_bad_config_is_one_clear_error_naming_file_and_key(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_text(tmp_path, text)
    message = str(info.value)
    assert message.startswith(str(tmp_path / "c.toml")), message
    assert expected in message
    assert "\n" not in message and "Traceback" not in message


def test_missing_explicit_config_file_is_an_error(tmp_path: Path, monkeypatch) -> None:
    with pytest.raises(ConfigError, match="given with --config"):
        cfg.load(tmp_path / "absent.toml")
    monkeypatch.setenv("COSMOS_TUI_CONFIG", str(tmp_path / "absent.toml"))
    with pytest.raises(ConfigError, match=r"named by \$COSMOS_TUI_CONFIG"):
        cfg.load()


def test_unknown_host_name_lists_the_known_ones(tmp_path: Path) -> None:
    config = load_text(tmp_path, HOST + HOST_TABLE)
    with pytest.raises(ConfigError, match='there is no host or pool "other"; known: gpu, any'):
        config.host("other")


def test_repo_config_toml_is_valid_and_defaults_to_the_simulated_host() -> None:
    config = cfg.load(REPO / "config.toml")
    assert config.paths.inputs == REPO / "inputs"
    sim = config.host()
    assert (sim.name, sim.transport, sim.runtime, sim.simulated) == ("sim", "local", "process", True)
    assert sim.remote_dir == str(REPO / "outputs" / "sim-host")  # local: resolved like any path
    assert config.host_label("sim") == "sim (simulated)"
    assert "[hosts.sim]  # simulated" in cfg.to_toml(config)


def test_show_round_trips_as_valid_toml(tmp_path: Path) -> None:
    config = load_text(tmp_path, HOST + HOST_TABLE)
    text = cfg.to_toml(config)
    assert text.startswith(f"# source: {tmp_path / 'c.toml'}\n# found via: --config\n")
    again = load_text(tmp_path, text)
    assert cfg.as_dict(again)["hosts"] == cfg.as_dict(config)["hosts"]
    assert again.defaults == config.defaults and again.paths == config.paths


def test_init_writes_a_valid_commented_starter_and_never_overwrites(tmp_path: Path) -> None:
    path = cfg.user_config_file()
    assert write_starter(path) == path
    text = path.read_text()
    assert text.startswith("# cosmos-tui configuration.")
    assert "# [hosts.gpu-box]" in text
    loaded = cfg.load(path)
    assert loaded.defaults.num_steps == 35
    assert loaded.paths.database.is_absolute()

    path.write_text("# mine\n")
    with pytest.raises(OperationError, match="already exists; pass --force"):
        write_starter(path)
    assert path.read_text() == "# mine\n"
    write_starter(path, force=True)
    assert path.read_text() == starter_text()


def test_config_fixture_helper(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    assert cfg.load(path).paths.outputs == tmp_path / "outputs"


def test_readme_documents_every_config_key() -> None:
    from cosmos_tui.config_schema import DEFAULTS_KEYS, HOST_KEYS, PATHS_KEYS, WEIGHT_KEYS

    readme = (REPO / "README.md").read_text()
    for key in (*PATHS_KEYS, *DEFAULTS_KEYS, *WEIGHT_KEYS, *HOST_KEYS):
        assert f"`{key.name}`" in readme, key.name


def test_search_order_ends_with_the_checkout_config_under_scripts_run(
    tmp_path: Path, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout = write_config(tmp_path)
    monkeypatch.setenv("COSMOS_TUI_FALLBACK_CONFIG", str(checkout))
    assert cfg.locate() == (checkout, cfg.FOUND_VIA_FALLBACK)
    user = cfg.user_config_file()
    user.parent.mkdir(parents=True)
    user.write_text("")
    assert cfg.locate() == (user, "user config")
    assert cfg.load().shadows is None


def test_starter_file_reproduces_the_built_in_defaults_exactly() -> None:
    built_in = cfg.as_dict(cfg.load())
    path = write_starter(cfg.user_config_file())
    from_starter = cfg.as_dict(cfg.load())
    assert from_starter["source"] == str(path)
    for key in ("source", "found_via", "shadows"):
        built_in.pop(key, None), from_starter.pop(key, None)
    assert from_starter == built_in  # same database, outputs and inputs: nothing seems to vanish


def uncomment_examples(text: str) -> tuple[str, int]:
    """Uncomment every commented line that is TOML (a key = value or a [table]); leave prose alone."""
    import tomllib

    lines, count = [], 0
    for line in text.splitlines():
        body = line.lstrip()[1:].strip() if line.lstrip().startswith("#") else ""
        try:
            example = bool(body) and bool(tomllib.loads(body))
        except tomllib.TOMLDecodeError:
            example = False
        lines.append(body if example else line)
        count += example
    return "\n".join(lines) + "\n", count


@pytest.mark.parametrize("source", ["starter", "repo config.toml"])
def test_every_commented_example_loads_when_uncommented(tmp_path: Path, source: str) -> None:
    text = starter_text() if source == "starter" else (REPO / "config.toml").read_text(encoding="utf-8")
    uncommented, count = uncomment_examples(text)
    assert count >= 15
    config = load_text(tmp_path, uncommented)
    host = config.hosts["gpu-box"]
    assert host.transport == "ssh" and host.image and host.env == {"HF_HOME": "/workspace/checkpoints/hf"}


def test_config_show_says_when_a_local_file_shadows_the_user_config(isolated: Path) -> None:
    user = write_starter(cfg.user_config_file())
    local = write_config(isolated)
    config = cfg.load()
    assert config.source == local and config.shadows == user
    shown = cfg.to_toml(config)
    assert f"# note: {local} (found via ./config.toml) comes before the user config file {user}" in shown
    assert cfg.as_dict(config)["shadows"] == str(user)


TWO_HOSTS = HOST_TABLE + HOST_TABLE.split("[hosts.gpu.env]")[0].replace("[hosts.gpu]", "[hosts.gpu2]")


@pytest.mark.parametrize(
    ("pools", "problem"),
    [
        (
            '[pools.lab]\nhosts = ["gpu", "nope"]\n',
            'pools.lab.hosts names no host "nope"; known hosts: gpu, gpu2',
        ),
        ("[pools.lab]\nhosts = []\n", "pools.lab.hosts is empty; name at least one host"),
        ('[pools.gpu]\nhosts = ["gpu"]\n', "[pools.gpu] has the name of a host"),
        ('[pools.any]\nhosts = ["gpu"]\n', 'pool name "any" is not allowed'),
        ('[pools.lab]\nhosts = ["gpu"]\nextra = 1\n', "pools.lab"),
    ],
)
def test_bad_pools_are_one_clear_error(tmp_path: Path, pools: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_text(tmp_path, TWO_HOSTS + pools)
    assert problem in str(caught.value)


def test_a_pool_or_any_may_be_the_default_host_and_runs_are_sent_to_it(tmp_path: Path) -> None:
    config = load_text(
        tmp_path, 'default_host = "lab"\n' + TWO_HOSTS + '[pools.lab]\nhosts = ["gpu2", "gpu"]\n'
    )
    assert config.target() == "lab" and config.target_hosts() == ("gpu2", "gpu")
    assert config.target("any") == "any" and config.target_hosts("any") == ("gpu", "gpu2")
    assert config.target("gpu") == "gpu" and config.pools_of("gpu") == ("any", "lab")
    assert config.host_label("lab") == "pool lab (gpu2, gpu)"
    with pytest.raises(
        ConfigError, match=r'"lab" is a pool of hosts \(gpu2, gpu\); name one of them with --host'
    ):
        config.host()
    shown = cfg.to_toml(config)
    assert '[pools.lab]\nhosts = ["gpu2", "gpu"]' in shown
    assert load_text(tmp_path, shown).pools == {"lab": ("gpu2", "gpu")}


def test_no_host_may_be_called_any(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match='host name "any" is not allowed'):
        load_text(
            tmp_path, HOST_TABLE.replace("[hosts.gpu]", "[hosts.any]").replace("hosts.gpu.", "hosts.any.")
        )
