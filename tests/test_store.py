"""The store: migrations, refusal of newer schemas, FTS, ID prefixes, concurrent writers."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cosmos_tui.errors import AmbiguousIdError, NotFoundError, StoreError, UsageError
from cosmos_tui.store import Store
from cosmos_tui.store.db import open_database
from cosmos_tui.store.migrations import LATEST, STEPS, schema_version
from cosmos_tui.store.models import MODELS
from cosmos_tui.store.prompts import fts_query
from tests.conftest import DEMO, REPO
from tests.helpers import add_run


def make_v1_database(path: Path) -> None:
    """A database as the first schema version left it, with a prompt and a run in it."""
    db = open_database(path)
    db.connect()
    with db.atomic():
        STEPS[0](db)
        db.execute_sql("PRAGMA user_version = 1")
    db.execute_sql(
        "INSERT INTO prompt (id, name, text, negative_prompt, model_type, input_dir, inputs, "
        "parameters, created_at) VALUES ('ps_0123456789ab', 'old-one', 'A foggy harbour at dawn', "
        "'', 'transfer', '/in', '{\"video\": \"/in/color.mp4\"}', '{}', '2026-01-01 10:00:00')"
    )
    db.execute_sql(
        "INSERT INTO run (id, prompt_id, model_type, host, status, config, created_at, progress, "
        "outputs) VALUES ('rs_0123456789ab', 'ps_0123456789ab', 'transfer', 'gpu', 'completed', "
        "'{}', '2026-01-01 10:05:00', 100, '[]')"
    )
    db.close()


def test_old_schema_is_migrated_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    make_v1_database(path)
    store = Store(path)
    assert store.version == LATEST == schema_version(store.db)
    from cosmos_tui.store import prompts, runs

    [hit] = prompts.search("harbour")
    assert hit.prompt_id == "ps_0123456789ab" and hit.run_count == 1
    run = runs.get("rs_0123456789ab", tmp_path)
    assert run.status == "completed" and run.duration_seconds is None
    store.close()


def test_migrated_schema_matches_the_models(tmp_path: Path) -> None:
    store = Store(tmp_path / "new.db")
    for model in MODELS:
        table = model._meta.table_name
        columns = {c.name for c in store.db.get_columns(table)}
        assert columns == {f.column_name for f in model._meta.sorted_fields}, table
    store.close()


@pytest.mark.parametrize("start", ["new", "v1"])
def test_every_migration_keeps_the_run_change_triggers(tmp_path: Path, start: str) -> None:
    # Regression: a migrator-added NOT NULL column rebuilt the run table and dropped the triggers
    # of step 5, so screens never saw new runs.
    path = tmp_path / "c.db"
    if start == "v1":
        make_v1_database(path)
    store = Store(path)
    listed = store.db.execute_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    triggers = {row[0] for row in listed}
    assert {"run_change_insert", "run_change_update", "run_change_delete"} <= triggers
    store.db.execute_sql(
        "INSERT INTO run (id, model_type, host, status, config, created_at, progress, outputs, "
        "cancel_requested) "
        "VALUES ('rs_00000000000c', 'transfer', 'gpu', 'queued', '{}', '2026-01-01 10:05:00', 0, '[]', 0)"
    )
    [(seq,)] = store.db.execute_sql('SELECT "seq" FROM "run_change"').fetchall()
    assert seq >= 1
    store.close()


def test_database_from_a_newer_version_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    Store(path).close()
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version = {LATEST + 5}")
    con.commit()
    con.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match=r"newer than this cosmos-tui understands"):
        Store(path)
    assert path.read_bytes() == before


def test_a_file_that_is_not_a_database_gets_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="is not a cosmos-tui database or is damaged"):
        Store(path)


@pytest.mark.parametrize(
    "query",
    ['"', "AND", "NEAR(", "a*b", "col:val", "-x", "^", "'); DROP TABLE prompt; --", "(", "ü"],
)
def test_fts_never_parses_user_syntax(api, query: str) -> None:
    api.create_prompt('robot AND arm "quoted" col:val ü', DEMO)
    try:
        assert isinstance(api.search_prompts(query), list)
    except UsageError as exc:  # punctuation alone has nothing to search for
        assert "has no words" in str(exc)


def test_fts_query_has_no_words_for_punctuation_only() -> None:
    with pytest.raises(UsageError, match="has no words"):
        fts_query("?!")


def test_fts_matches_words_as_prefixes_in_text_and_name(api) -> None:
    a = api.create_prompt("A red robot arm stacks wooden cubes", DEMO, name="stacker")
    b = api.create_prompt("Rain on a neon street at night", DEMO, name="night-walk")
    api.create_prompt("Café au lait on a wooden table", DEMO)
    assert [p.prompt_id for p in api.search_prompts("rob cub")] == [a.prompt_id]
    assert [p.prompt_id for p in api.search_prompts("night-walk")] == [b.prompt_id]
    assert {p.name for p in api.search_prompts("wooden")} == {"stacker", "café-au-lait-on-a"}
    assert [p.name for p in api.search_prompts("cafe")] == ["café-au-lait-on-a"]  # diacritics


def test_fts_follows_deletes(api) -> None:
    p = api.create_prompt("Ephemeral lighthouse", DEMO)
    api.delete_prompt(p.prompt_id)
    assert api.search_prompts("lighthouse") == []


def test_full_id_prefix_upper_case_and_bare_digits_all_resolve(api) -> None:
    created = [api.create_prompt(f"prompt number {i}", DEMO) for i in range(5)]
    target = created[0].prompt_id
    for given in (target, target.upper(), target[3:], f"  {target}  "):
        assert api.get_prompt(given).prompt_id == target


def test_ambiguous_and_unknown_prefixes(api) -> None:
    from cosmos_tui import ids

    ids.seed(None)
    for i in range(40):
        api.create_prompt(f"prompt number {i}", DEMO)
    # 40 random IDs: some first hex digit is shared by at least two of them.
    firsts = [p.prompt_id[3] for p in api.list_prompts(limit=100)]
    shared = next(d for d in "0123456789abcdef" if firsts.count(d) > 1)
    with pytest.raises(AmbiguousIdError) as info:
        api.get_prompt(f"ps_{shared}")
    assert len(info.value.candidates) == firsts.count(shared) or len(info.value.candidates) == 10
    assert "type more of it" in str(info.value)
    with pytest.raises(NotFoundError, match="no prompt has the ID ps_ffffffffffff"):
        api.get_prompt("ps_ffffffffffff")
    with pytest.raises(AmbiguousIdError, match="the prompt ID prefix ps_ matches several prompts") as info:
        api.get_prompt("ps_")  # the type prefix alone lists candidates like any ambiguous prefix
    assert len(info.value.candidates) == 10 and "..." in str(info.value)
    with pytest.raises(UsageError, match="is not a run ID"):
        api.get_run("rs_xyz")
    with pytest.raises(NotFoundError, match="there are no runs yet"):
        api.get_run("rs_")


@pytest.fixture
def sim_api(tmp_path: Path):
    from cosmos_tui.api import CosmosAPI
    from cosmos_tui.config import load
    from tests.conftest import write_config

    folder = tmp_path / "sim-project"
    folder.mkdir()
    body = '[hosts.sim]\ntransport = "local"\nremote_dir = "host"\nruntime = "process"\nsimulated = true\n'
    with CosmosAPI(load(write_config(folder, body))) as instance:
        yield instance


def test_a_prompt_name_works_wherever_an_id_does(sim_api) -> None:
    from tests.helpers import add_run

    api = sim_api
    robot = api.create_prompt("a robot arm", DEMO, name="robot")
    assert api.get_prompt("ps_").prompt_id == robot.prompt_id  # one prompt: the bare prefix finds it
    assert api.get_prompt("robot").prompt_id == robot.prompt_id
    assert api.get_prompt("  robot ").prompt_id == robot.prompt_id
    with pytest.raises(NotFoundError, match='no prompt has the name or ID "Robot"'):
        api.get_prompt("Robot")  # names match exactly
    # IDs come first: a name that is another prompt's ID prefix does not hide that prompt.
    decoy = api.create_prompt("decoy", DEMO, name=robot.prompt_id[3:8])
    assert api.get_prompt(robot.prompt_id[3:8]).prompt_id == robot.prompt_id
    assert decoy.prompt_id != robot.prompt_id
    run = add_run(api, robot.prompt_id)
    assert [r.run_id for r in api.list_runs(prompt="robot")] == [run.run_id]
    [queued] = api.run_inference(["robot"])  # what `--run robot` does
    assert api.get_run(queued).prompt_id == robot.prompt_id
    twin = api.create_prompt("another robot", DEMO, name="robot")
    with pytest.raises(AmbiguousIdError, match='the name "robot" belongs to several prompts') as info:
        api.get_prompt("robot")
    assert sorted(info.value.candidates) == sorted([robot.prompt_id, twin.prompt_id])
    with pytest.raises(NotFoundError, match="list them with `cosmos-tui prompt list`"):
        api.get_prompt("nobody")


WRITER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {repo!r})
    from cosmos_tui.api import CosmosAPI
    api = CosmosAPI.from_config({config!r})
    for i in range({count}):
        api.create_prompt(f"writer {{sys.argv[1]}} prompt {{i}}", {demo!r})
    print("done")
    """
)


def test_two_processes_writing_at_once_lose_nothing(tmp_path: Path, config_file: Path) -> None:
    script = tmp_path / "writer.py"
    script.write_text(WRITER.format(repo=str(REPO), config=str(config_file), count=150, demo=str(DEMO)))
    # Neither writer finds a database: they race the creation and migration too.
    procs = [
        subprocess.Popen([sys.executable, str(script), name], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for name in ("a", "b")
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
        assert out.decode().strip() == "done"
    from cosmos_tui.api import CosmosAPI

    with CosmosAPI.from_config(config_file) as api:
        assert api.count_prompts() == 300
        assert len(api.search_prompts("writer a")) == 50  # default limit
        assert len(api.search_prompts("writer b", limit=500)) == 150


def test_runs_list_filters(api) -> None:
    p = api.create_prompt("filters", DEMO)
    q = api.create_prompt("other", DEMO)
    add_run(api, p.prompt_id, "failed", error_class="oom")
    add_run(api, p.prompt_id, "completed", host="local")
    add_run(api, q.prompt_id, "failed", model_type="upscale")
    add_run(api, q.prompt_id, "running")
    assert len(api.list_runs()) == 4
    assert {r.status for r in api.list_runs(status="failed")} == {"failed"}
    assert len(api.list_runs(status=["failed", "running"])) == 3
    assert len(api.list_runs(prompt=p.prompt_id[:8])) == 2
    assert [r.host for r in api.list_runs(host="local")] == ["local"]
    assert [r.model_type for r in api.list_runs(model_type="upscale")] == ["upscale"]
    assert api.get_prompt(p.prompt_id).run_count == 2
