"""Property-based fuzzing of the command line and the configuration, in this process (issue 9).

Random and hostile argument lists, piped bytes, config documents and run options go through the
real parser, config validation and commands. What must hold: no exception escapes but our own
errors (cosmos_tui/errors.py), so nothing is reported as "unexpected"; exit codes are 0, 1, 2 or
3; nothing is written outside the test's temporary folder. Fixed seeds (``derandomize``) keep CI
deterministic and the whole file takes a few seconds.
"""

from __future__ import annotations

import io
import math
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cosmos_tui import cli
from cosmos_tui.config import as_dict, load, to_toml, toml_value
from cosmos_tui.config_schema import DEFAULTS_KEYS, HOST_KEYS, PATHS_KEYS, WEIGHT_KEYS, Key
from cosmos_tui.errors import CosmosError, UsageError
from cosmos_tui.records import PromptRecord
from tests.conftest import DEMO, write_config

FUZZ = settings(
    derandomize=True,  # the same examples on every run
    database=None,
    deadline=None,
    max_examples=120,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# -- nothing written outside the temporary folder -------------------------------------------------

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_WRITES = {
    "os.mkdir",
    "os.rename",
    "os.replace",
    "os.remove",
    "os.rmdir",
    "shutil.rmtree",
    "os.symlink",
    "os.link",
    "os.truncate",
    "os.chmod",
    "os.chown",
    "os.utime",
    "sqlite3.connect",
}
_watch: dict[str, Any] = {"root": None, "outside": []}


def _audit(event: str, args: tuple[Any, ...]) -> None:
    root = _watch["root"]
    if root is None:
        return
    if event == "open":
        path, mode, flags = args
        if isinstance(mode, str):
            writing = any(c in mode for c in "wax+")
        else:
            writing = bool((flags or 0) & _WRITE_FLAGS)
        paths = [path] if writing else []
    elif event in _WRITES:
        paths = [a for a in args[:2] if isinstance(a, str | bytes | os.PathLike)]
        if event == "sqlite3.connect":
            paths = [p for p in paths[:1] if str(p) != ":memory:"]
    else:
        return
    for path in paths:
        if isinstance(path, int):
            continue
        text = os.fsdecode(path)
        if text.startswith("file:"):  # an SQLite URI
            text = text.removeprefix("file:").split("?", 1)[0]
        if text in (os.devnull, "/dev/tty"):
            continue
        try:
            absolute = os.path.abspath(text)  # noqa: PTH100 - no symlinks followed, no I/O
        except (OSError, ValueError):
            absolute = text
        if not (absolute == root or absolute.startswith(root + os.sep)):
            _watch["outside"].append((event, text))


sys.addaudithook(_audit)  # cannot be removed: inert while _watch["root"] is None


@contextmanager
def only_writes_under(root: Path) -> Iterator[None]:
    _watch["root"], _watch["outside"] = str(root.resolve()), []
    try:
        yield
    finally:
        _watch["root"] = None
    assert not _watch["outside"], f"wrote outside {root}: {_watch['outside'][:5]}"


# -- hostile values -------------------------------------------------------------------------------

NUMBERS = [
    "0",
    "1",
    "-1",
    "35",
    "0.5",
    "inf",
    "-inf",
    "nan",
    "1e309",
    "-0",
    "1e-320",
    "4294967296",
    "99999999999999999999",
    "9223372036854775808",
    "0x10",
    "1_000",
    " 7",
    "\u0663",
    "",
    "1" * 5000,
]
TEXTS = [
    "",
    " ",
    "x",
    "\n",
    "sim\n",
    "\x1b[2J\x1b]0;pwned\x07",
    "\t",
    "a" * 5000,
    "-",
    "--",
    "ps_",
    "rs_",
    "ps_0123456789ab",
    "rs_0",
    "$(touch pwned)",
    "`id`",
    "'\"",
    "\udcff",
    "Ünïcödé",
    "%s%n",
    "../../..",
    "/",
    ".",
    "~",
    "~nouser/x",
    "\u202e",
    "demo",
    "completed,failed",
    "queued,x",
]
FLAGS = [
    "--json",
    "--force",
    "--keep-outputs",
    "--dry-run",
    "-f",
    "--follow",
    "-v",
    "-vv",
    "--help",
    "--limit",
    "--offset",
    "--days",
    "--status",
    "--older-than",
    "--name",
    "--negative",
    "--host",
    "--steps",
    "--guidance",
    "--seed",
    "--weights",
    "--detach",
    "--version",
    "--logs",
    "--prompts-file",
]
# Never "worker", "wait", "trust" or "init": they run until stopped, ask, or write where told.
WORDS = [
    "prompt",
    "run",
    "add",
    "list",
    "search",
    "show",
    "delete",
    "logs",
    "cancel",
    "stats",
    "config",
    "host",
    "clean",
    "status",
    "--run",
    "--config",
]

numbers = st.sampled_from(NUMBERS)
texts = st.one_of(st.sampled_from(TEXTS), st.text(st.characters(exclude_characters="\0"), max_size=12))


def option(flag: str, values: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    return st.one_of(st.just([]), values.map(lambda v: [flag, v]))


def switch(flag: str) -> st.SearchStrategy[list[str]]:
    return st.sampled_from([[], [flag]])


def joined(*parts: st.SearchStrategy[list[str]]) -> st.SearchStrategy[list[str]]:
    return st.tuples(*parts).map(lambda lists: [token for part in lists for token in part])


def argv_strategy(paths: list[str], configs: list[str]) -> st.SearchStrategy[list[str]]:
    where = st.one_of(st.sampled_from(paths), texts)
    ids = st.one_of(st.sampled_from(["ps_", "rs_", "ps_0123456789ab", "fog"]), texts)
    commands = st.one_of(
        joined(
            st.just(["prompt", "add"]),
            st.one_of(st.just(["-"]), texts.map(lambda t: [t])),
            where.map(lambda w: [w]),
            option("--name", texts),
            option("--negative", texts),
            switch("--json"),
        ),
        joined(
            st.just(["prompt", "list"]),
            option("--limit", numbers),
            option("--offset", numbers),
            switch("--json"),
        ),
        joined(st.just(["prompt", "search"]), texts.map(lambda t: [t]), option("--limit", numbers)),
        joined(
            st.sampled_from(
                [
                    ["prompt", "show"],
                    ["prompt", "delete"],
                    ["run", "show"],
                    ["run", "logs"],
                    ["run", "cancel"],
                ]
            ),
            ids.map(lambda i: [i]),
            switch("--force"),
        ),
        joined(
            st.just(["run", "list"]),
            option("--status", texts),
            option("--prompt", ids),
            option("--host", texts),
            option("--model", texts),
            option("--offset", numbers),
        ),
        joined(st.just(["stats"]), option("--days", numbers), switch("--json")),
        joined(st.just(["config", "show"]), switch("--json")),
        joined(st.just(["status"]), option("--host", texts)),
        joined(
            st.just(["host", "clean"]),
            texts.map(lambda t: [t]),
            option("--older-than", numbers),
            st.just(["--dry-run"]),
        ),
        joined(
            st.just(["--run"]),
            st.lists(ids, min_size=1, max_size=2),
            option("--weights", st.lists(numbers, min_size=4, max_size=4).map(" ".join)).map(
                lambda o: [o[0], *o[1].split(" ")] if o else []
            ),
            option("--steps", numbers),
            option("--guidance", numbers),
            option("--seed", numbers),
            option("--host", texts),
        ),
        st.lists(st.one_of(st.sampled_from(WORDS + FLAGS + NUMBERS[:8]), texts), max_size=6),
    )
    return joined(option("--config", st.sampled_from(configs)), commands)


def hostile_files(tmp: Path) -> tuple[list[str], list[str]]:
    """Odd things to name as a video folder or a config file, all inside ``tmp``."""
    odd = tmp / "odd"
    odd.mkdir()
    fifo_scene = odd / "fifo_scene"
    fifo_scene.mkdir()
    os.mkfifo(fifo_scene / "color.mp4")
    (odd / "empty").mkdir()
    (odd / "file").write_text("x")
    loop = odd / "loop"
    loop.symlink_to(loop)
    os.mkfifo(odd / "fifo.toml")
    configs = [str(write_config(_folder(odd, "good")))]
    for name, body in (
        ("inf.toml", "[defaults]\nguidance = inf\n"),
        ("nested.toml", "x = " + "[" * 3000 + "]" * 3000 + "\n"),
        ("long.toml", "[paths]\ninputs = '" + "a" * 5000 + "'\n"),
        ("nul.toml", '[paths]\ndatabase = "x\\u0000y"\n'),
        ("host.toml", '[hosts."sim\\n"]\nremote_dir = "/x"\n'),
        ("bytes.toml", "\udcff"),
    ):
        (odd / name).write_bytes(os.fsencode(body) if name == "bytes.toml" else body.encode())
        configs.append(str(odd / name))
    configs += [str(odd / "fifo.toml"), str(odd / "empty"), str(loop), str(odd / "none.toml"), "/dev/zero"]
    paths = [
        str(DEMO),
        "demo",
        str(fifo_scene),
        str(odd / "empty"),
        str(odd / "file"),
        str(loop),
        "/dev/zero",
        "/dev/null",
        str(odd / "none"),
        "",
        "/",
    ]
    return paths, configs


def _folder(parent: Path, name: str) -> Path:
    folder = parent / name
    folder.mkdir()
    return folder


def _tui_stub(args: Any) -> int:
    """What `cmd_tui` checks before it opens the app (the app itself is not fuzzed here)."""
    from cosmos_tui.api import CosmosAPI

    with CosmosAPI.from_config(args.config) as api:
        if getattr(args, "logs", None):
            api.resolve_run_id(args.logs)
    return 0


# -- the properties -------------------------------------------------------------------------------


def test_the_command_line_survives_random_and_hostile_arguments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    paths, configs = hostile_files(tmp_path)
    monkeypatch.setattr(cli, "cmd_tui", _tui_stub)
    seen: dict[int, int] = {}

    @FUZZ
    @given(argv=argv_strategy(paths, configs), stdin=st.binary(max_size=64))
    def check(argv: list[str], stdin: bytes) -> None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
        with only_writes_under(tmp_path):
            try:
                code = cli.main(argv)
            except SystemExit as exc:  # argparse: --help, --version, a usage error
                code = exc.code if isinstance(exc.code, int) else 2
                assert code in (0, 2), argv
        err = capsys.readouterr().err
        assert code in (0, 1, 2, 3), (argv, code, err)
        assert "unexpected" not in err and "Traceback" not in err, (argv, err)
        seen[code] = seen.get(code, 0) + 1

    check()
    assert seen.get(0) and seen.get(2), seen  # both successes and refusals were reached


def _values_for(key: Key) -> st.SearchStrategy[Any]:
    plausible: dict[str, st.SearchStrategy[Any]] = {
        "int": st.integers(min_value=-(2**70), max_value=2**70),
        "float": st.floats(allow_nan=True, allow_infinity=True),
        "bool": st.booleans(),
        "str": texts,
        "path": st.one_of(texts, st.sampled_from(["x\0y", "~nouser/x", "a/" * 2100])),
        "choice": st.sampled_from([*key.choices, "x"]),
        "str_list": st.lists(texts, max_size=3),
        "str_table": st.dictionaries(texts, texts, max_size=2),
    }
    return st.one_of(plausible[key.kind], ANY_VALUE)


ANY_VALUE = st.recursive(
    st.one_of(st.integers(), st.floats(), st.booleans(), texts),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(texts, inner, max_size=3)),
    max_leaves=6,
)


def _table(keys: tuple[Key, ...], **extra: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional={**{k.name: _values_for(k) for k in keys}, **extra})


HOST_NAMES = st.one_of(st.sampled_from(["sim", "sim\n", "a b", "", "-x", "gpu.1", "x" * 300]), texts)
CONFIG_DOCS = st.fixed_dictionaries(
    {},
    optional={
        "default_host": st.one_of(HOST_NAMES, ANY_VALUE),
        "paths": st.one_of(_table(PATHS_KEYS), ANY_VALUE),
        "defaults": st.one_of(_table(DEFAULTS_KEYS, weights=_table(WEIGHT_KEYS)), ANY_VALUE),
        "hosts": st.one_of(st.dictionaries(HOST_NAMES, _table(HOST_KEYS), max_size=2), ANY_VALUE),
        "colour": ANY_VALUE,
    },
)


def _toml(document: dict[str, Any]) -> str:
    return "".join(f"{toml_value(key)} = {toml_value(value)}\n" for key, value in document.items())


TOML_PIECES = [
    "[paths]\n",
    "[defaults]\n",
    "[hosts.a]\n",
    "guidance = inf\n",
    "seed = -1\n",
    "num_steps = 1e3\n",
    "x = " + "[" * 3000 + "]" * 3000 + "\n",
    'database = "\\u0000"\n',
    "remote_dir = '/x'\n",
    "port = 99999999999999999999\n",
    "[[hosts]]\n",
    "= 1\n",
]
RAW_TOML = st.one_of(
    st.text(max_size=80),
    st.lists(st.sampled_from(TOML_PIECES), max_size=6).map("".join),
)


def test_config_validation_survives_random_and_hostile_documents(tmp_path: Path) -> None:
    path = tmp_path / "fuzz.toml"

    @FUZZ
    @given(text=st.one_of(CONFIG_DOCS.map(_toml), RAW_TOML))
    def check(text: str) -> None:
        path.write_bytes(text.encode("utf-8", "surrogateescape"))
        with only_writes_under(tmp_path):
            try:
                config = load(path)
            except CosmosError:
                return
            as_dict(config)  # `config show --json`
            to_toml(config)  # `config show`
            for host in config.hosts.values():
                assert math.isfinite(host.hang_minutes) and math.isfinite(host.keep_runs_days)
            numbers = [getattr(config.defaults, k.name) for k in DEFAULTS_KEYS if k.kind in ("int", "float")]
            numbers += config.defaults.weights.as_dict().values()
            assert all(math.isfinite(n) for n in numbers), numbers

    check()


def test_run_options_are_finite_and_in_range_or_refused(tmp_path: Path) -> None:
    from cosmos_tui.run_options import build_options

    config = load(
        write_config(
            _folder(tmp_path, "p"), "[hosts.h]\ntransport = 'local'\nruntime = 'process'\nremote_dir = 'r'\n"
        )
    )
    host = config.host("h")
    names = st.sampled_from(
        [
            "num_steps",
            "guidance",
            "sigma_max",
            "seed",
            "fps",
            "num_gpu",
            "blur_strength",
            "canny_threshold",
            "weights",
            "negative_prompt",
            "lidar",
        ]
    )
    edges = st.sampled_from([math.inf, -math.inf, math.nan, 2**64, 2**32, -1, 0, 1, 35, 1001, 0.5, 1e308])
    values = st.one_of(edges, st.floats(), st.integers(), ANY_VALUE)
    weights = st.dictionaries(st.sampled_from(["vis", "edge", "depth", "seg", "lidar"]), values, max_size=3)
    options = st.dictionaries(names, st.one_of(values, weights), max_size=3)

    @FUZZ
    @given(parameters=options, overrides=options)
    def check(parameters: dict[str, Any], overrides: dict[str, Any]) -> None:
        prompt = PromptRecord(
            prompt_id="ps_0",
            name="p",
            text="t",
            negative_prompt="",
            model_type="transfer",
            input_dir="/x",
            inputs={},
            parameters=parameters,
            parent_id=None,
            created_at=None,
        )  # type: ignore[arg-type]
        try:
            options = build_options(config, host, prompt, overrides)
        except UsageError:
            return
        numbers = [options[k] for k in ("num_steps", "guidance", "sigma_max", "seed", "fps", "num_gpu")]
        numbers += list(options["weights"].values())
        assert all(isinstance(n, int | float) and math.isfinite(n) for n in numbers), options
        assert 1 <= options["num_steps"] <= 1000 and 0 <= options["seed"] < 2**32, options

    check()
