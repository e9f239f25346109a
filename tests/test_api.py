"""CosmosAPI: prompt validation, verbatim text, delete semantics, dashboard figures."""

from __future__ import annotations

import os
import shutil
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cosmos_tui.api import CosmosAPI, name_from_text
from cosmos_tui.errors import NotFoundError, OperationError, UsageError
from tests.conftest import DEMO
from tests.helpers import add_run

NASTY = "Ünïcödé 日本語 \"double\" 'single' $(rm -rf ~) `whoami` ${HOME} \\n\n  second line\t[bold]x[/]"


def copy_demo(tmp_path: Path, *names: str) -> Path:
    folder = tmp_path / "scene"
    folder.mkdir()
    for name in names:
        shutil.copy(DEMO / ("segmentation.mp4" if name == "seg.mp4" else name), folder / name)
    return folder


def test_prompt_text_is_stored_and_returned_verbatim(api: CosmosAPI) -> None:
    created = api.create_prompt(NASTY, DEMO, negative_prompt="no `blur` $(x)")
    again = api.get_prompt(created.prompt_id)
    assert again.text == NASTY and again.negative_prompt == "no `blur` $(x)"
    assert again.to_json()["text"] == NASTY


def test_inputs_found_and_controls_listed(api: CosmosAPI, tmp_path: Path) -> None:
    p = api.create_prompt("demo", DEMO)
    assert set(p.inputs) == {"video", "depth", "seg"}
    assert p.inputs["video"] == str(DEMO / "color.mp4") and p.controls == ["depth", "seg"]
    only_color = api.create_prompt("c", copy_demo(tmp_path, "color.mp4", "seg.mp4"))
    assert only_color.inputs["seg"].endswith("/seg.mp4")


def test_video_folder_is_looked_up_inside_the_inputs_folder(api: CosmosAPI) -> None:
    scene = api.config.paths.inputs / "videos" / "harbour"
    scene.mkdir(parents=True)
    shutil.copy(DEMO / "color.mp4", scene / "color.mp4")
    assert api.create_prompt("x", "harbour").input_dir == str(scene)


def test_default_negative_prompt_and_generated_name(api: CosmosAPI) -> None:
    p = api.create_prompt("  A robot arm, picking up cubes! Slowly and carefully.", DEMO)
    assert p.name == "a-robot-arm-picking-up"
    assert p.negative_prompt == api.config.defaults.negative_prompt
    assert name_from_text("!!!") == "prompt"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the prompt text is empty"),
        ("   \n\t", "the prompt text is empty"),
        ("x" * 10_001, "10,001 characters, over the limit of 10,000"),
    ],
)
def test_bad_prompt_text_is_refused_and_stores_nothing(api: CosmosAPI, text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        api.create_prompt(text, DEMO)
    assert api.count_prompts() == 0


def test_ten_thousand_characters_is_allowed(api: CosmosAPI) -> None:
    assert len(api.create_prompt("y" * 10_000, DEMO).text) == 10_000


def test_bad_video_folders(api: CosmosAPI, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="video folder nowhere not found"):
        api.create_prompt("x", "nowhere")
    notes = tmp_path / "notes.txt"
    notes.write_text("not a video")
    with pytest.raises(UsageError, match=r"notes\.txt is not a video or an image"):
        api.create_prompt("x", notes)
    with pytest.raises(UsageError, match=r"has no color\.mp4"):
        api.create_prompt("x", copy_demo(tmp_path, "depth.mp4"))
    assert api.count_prompts() == 0


@pytest.mark.parametrize("kind", ["broken_link", "folder", "empty", "not_mp4", "unreadable"])
def test_unreadable_or_invalid_video_is_refused(api: CosmosAPI, tmp_path: Path, kind: str) -> None:
    folder = copy_demo(tmp_path, "color.mp4")
    depth = folder / "depth.mp4"
    if kind == "broken_link":
        depth.symlink_to(folder / "gone.mp4")
        expected = "broken link"
    elif kind == "folder":
        depth.mkdir()
        expected = "is a folder"
    elif kind == "empty":
        depth.write_bytes(b"")
        expected = "not an MP4 video"
    elif kind == "not_mp4":
        depth.write_text("hello, I am text and not a video at all")
        expected = "not an MP4 video"
    else:
        if os.geteuid() == 0:
            # root reads anything; a FIFO-free stand-in: a link into a folder root cannot read.
            depth.symlink_to("/proc/1/mem")
            expected = "cannot read"
        else:  # pragma: no cover - CI runs as root
            shutil.copy(DEMO / "depth.mp4", depth)
            depth.chmod(0)
            expected = "cannot read"
    with pytest.raises(UsageError, match=expected):
        api.create_prompt("x", folder)
    assert api.count_prompts() == 0


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "x" * 10_001}, "text"),
        ({"name": "  "}, "name"),
        ({"name": "n" * 201}, "name"),
        ({"name": "a\x1b[2Jb"}, "name"),
        ({"negative_prompt": "n" * 10_001}, "negative_prompt"),
        ({"model_type": "paint"}, "model_type"),
        ({"model_type": "transfer", "input_path": None}, "model_type"),  # no video to transfer
        ({"input_path": "nowhere"}, "input_path"),
        ({"input_path": ""}, "input_path"),
        ({"input_path": DEMO / "missing.jpg"}, "input_path"),
        ({"input_path": Path(__file__)}, "input_path"),  # a .py file: neither video nor image
        ({"input_path": DEMO.parent}, "input_path"),  # no color.mp4 there
    ],
)
def test_every_prompt_refusal_names_the_field_at_fault(api: CosmosAPI, given: dict, field: str) -> None:
    arguments = {"text": "fine", "input_path": DEMO, **given}
    with pytest.raises(UsageError) as refused:
        api.create_prompt(arguments.pop("text"), arguments.pop("input_path"), **arguments)
    assert refused.value.field == field
    assert api.count_prompts() == 0


def test_unknown_ids_and_folders_are_not_found_errors(api: CosmosAPI) -> None:
    with pytest.raises(NotFoundError, match="video folder nowhere not found"):
        api.create_prompt("x", "nowhere")
    with pytest.raises(NotFoundError):
        api.get_run("rs_000000000000")
    with pytest.raises(NotFoundError):
        api.get_prompt("ps_000000000000")


def test_delete_refuses_while_runs_exist_and_changes_nothing(api: CosmosAPI) -> None:
    p = api.create_prompt("keep me", DEMO)
    run = add_run(api, p.prompt_id, "completed")
    with pytest.raises(OperationError, match="has 1 run\\(s\\); add --force"):
        api.delete_prompt(p.prompt_id)
    assert api.get_prompt(p.prompt_id).run_count == 1
    assert api.get_run(run.run_id).status == "completed"


def test_delete_refuses_active_runs_even_when_forced(api: CosmosAPI) -> None:
    p = api.create_prompt("busy", DEMO)
    add_run(api, p.prompt_id, "running")
    with pytest.raises(OperationError, match="still in progress"):
        api.delete_prompt(p.prompt_id, force=True)
    assert api.count_prompts() == 1


def test_forced_delete_removes_runs_and_their_outputs(api: CosmosAPI) -> None:
    p = api.create_prompt("doomed", DEMO)
    runs = [add_run(api, p.prompt_id, s) for s in ("completed", "failed")]
    for run in runs:
        api.run_dir(run.run_id).mkdir(parents=True)
        (api.run_dir(run.run_id) / "run.log").write_text("log")
    result = api.delete_prompt(p.prompt_id[:6], force=True)
    assert sorted(result.deleted_runs) == sorted(r.run_id for r in runs)
    assert len(result.removed_dirs) == 2 and result.kept_dirs == []
    assert not any(api.run_dir(r.run_id).exists() for r in runs)
    assert api.list_runs() == [] and api.count_prompts() == 0
    assert DEMO.joinpath("color.mp4").exists()  # inputs are never touched


def test_forced_delete_can_keep_outputs(api: CosmosAPI) -> None:
    p = api.create_prompt("doomed", DEMO)
    run = add_run(api, p.prompt_id, "completed")
    api.run_dir(run.run_id).mkdir(parents=True)
    result = api.delete_prompt(p.prompt_id, force=True, keep_outputs=True)
    assert result.kept_dirs == [str(api.run_dir(run.run_id))]
    assert api.run_dir(run.run_id).is_dir()


def test_dashboard_figures(api: CosmosAPI) -> None:
    a = api.create_prompt("a", DEMO)
    day1 = datetime(2026, 10, 30, 9, 0, tzinfo=UTC)
    day2 = day1 + timedelta(days=1)
    add_run(api, a.prompt_id, "completed", created=day1, seconds=100)
    add_run(api, a.prompt_id, "completed", created=day1, seconds=300)
    add_run(api, a.prompt_id, "completed", created=day2, seconds=200)
    add_run(api, a.prompt_id, "completed", created=day2, seconds=1000)
    add_run(api, a.prompt_id, "failed", created=day2, error_class="oom")
    add_run(api, a.prompt_id, "failed", created=day2, error_class="oom")
    add_run(api, a.prompt_id, "cancelled", created=day2)
    add_run(api, None, "completed", model_type="upscale", created=day2, seconds=50)
    add_run(api, a.prompt_id, "running", created=day2)
    stats = api.dashboard(days=30)
    assert [(d.day, d.total, d.completed, d.failed, d.cancelled) for d in stats.runs_per_day] == [
        ("2026-10-30", 2, 2, 0, 0),
        ("2026-10-31", 7, 3, 2, 1),
    ]
    transfer = next(m for m in stats.by_model if m.model_type == "transfer")
    assert (transfer.finished, transfer.completed) == (7, 4)
    assert transfer.success_rate == pytest.approx(4 / 7)
    assert transfer.mean_seconds == pytest.approx(400.0)
    assert transfer.median_seconds == pytest.approx(250.0)
    upscale = next(m for m in stats.by_model if m.model_type == "upscale")
    assert upscale.median_seconds == 50.0 and upscale.success_rate == 1.0
    assert [(i.input_dir, i.runs) for i in stats.top_inputs] == [(str(DEMO), 8)]
    assert [(f.error_class, f.count) for f in stats.failures] == [("oom", 2)]


def test_records_are_plain_dataclasses_not_peewee_objects(api: CosmosAPI) -> None:
    import dataclasses

    p = api.create_prompt("plain", DEMO)
    run = add_run(api, p.prompt_id)
    for record in (p, api.get_prompt(p.prompt_id), api.get_run(run.run_id), *api.list_runs()):
        assert dataclasses.is_dataclass(record)
        assert "peewee" not in type(record).__module__


# -- what the UI polls: counts in SQL, changes since a version, the one log follower -------------

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def test_count_runs_counts_by_status_and_creation_time(api: CosmosAPI) -> None:
    p = api.create_prompt("counted", DEMO)
    for _ in range(3):
        add_run(api, p.prompt_id, "failed", created=T0)
    add_run(api, p.prompt_id, "failed", created=T0 - timedelta(days=2))
    add_run(api, p.prompt_id, "running", created=T0)
    add_run(api, p.prompt_id, "queued", created=T0)
    assert api.count_runs("failed") == 4
    assert api.count_runs("failed", since=T0 - timedelta(hours=1)) == 3
    assert api.count_runs(["running", "queued", "claimed"]) == 2
    assert api.count_runs() == 6
    with pytest.raises(UsageError, match='unknown run status "lost"'):
        api.count_runs("lost")


def test_run_changes_sends_only_the_runs_written_since_a_version(api: CosmosAPI) -> None:
    p = api.create_prompt("watched", DEMO)
    a = add_run(api, p.prompt_id, "queued", created=T0).run_id
    b = add_run(api, p.prompt_id, "completed", created=T0 + timedelta(minutes=1)).run_id
    first = api.run_changes(None, limit=10)
    assert first.ids == [b, a] and {r.run_id for r in first.runs} == {a, b}
    assert api.run_changes(first.version, limit=10).ids is None  # nothing written: nothing read

    api.cancel_run(a)
    second = api.run_changes(first.version, limit=10, known=first.ids or [])
    assert second.ids == [b, a] and [(r.run_id, r.status) for r in second.runs] == [(a, "cancelled")]

    c = add_run(api, p.prompt_id, "running", created=T0 + timedelta(minutes=2)).run_id
    third = api.run_changes(second.version, limit=10, known=second.ids or [])
    assert third.ids == [c, b, a] and [r.run_id for r in third.runs] == [c]

    # A page of two: when the newest run goes, an older one comes onto the page unchanged; the
    # caller does not hold it, so it is sent.
    top = api.run_changes(None, limit=2)
    assert top.ids == [c, b]
    api.store.db.execute_sql("DELETE FROM run WHERE id = ?", (c,))
    moved = api.run_changes(top.version, limit=2, known=top.ids or [])
    assert moved.ids == [b, a] and [r.run_id for r in moved.runs] == [a]

    # Filtered by statuses (one query per status, merged newest first).
    d = add_run(api, p.prompt_id, "running", created=T0 + timedelta(minutes=3)).run_id
    e = add_run(api, p.prompt_id, "queued", created=T0 + timedelta(minutes=4)).run_id
    assert api.run_changes(None, status=["queued", "running", "cancelled"], limit=10).ids == [e, d, a]
    assert api.run_changes(None, status=["queued", "running", "cancelled"], limit=2).ids == [e, d]


def test_follow_log_gives_the_tail_then_what_is_appended_until_the_run_ends(api: CosmosAPI) -> None:
    from cosmos_tui.store import lifecycle

    p = api.create_prompt("followed", DEMO)
    run = add_run(api, p.prompt_id, "running")
    path = Path(run.log_path or "")
    path.parent.mkdir(parents=True)
    path.write_text("".join(f"line {i}\n" for i in range(20)))
    follower = api.follow_log(run.run_id, tail=5)
    got: list[str] = []
    reader = threading.Thread(target=lambda: [got.extend(lines) for lines in follower], daemon=True)
    reader.start()
    deadline = time.monotonic() + 30
    while len(got) < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert got == [f"line {i}" for i in range(15, 20)] and follower.skipped == 15
    with path.open("a") as handle:  # the model's last words, the last without a newline
        handle.write("line 20 \x1b[31mred\x1b[0m\nthe end")
    lifecycle.update(api.store.db, run.run_id, status="completed")
    reader.join(timeout=30)
    assert not reader.is_alive()
    assert got[5:] == ["line 20 \x1b[31mred\x1b[0m", "the end"]  # as written
    assert follower.total == 7
    # For a terminal: colours dropped, the whole log (tail None), and the run is over: no waiting.
    lines = [line for batch in api.follow_log(run.run_id, terminal=True) for line in batch]
    assert lines[20:] == ["line 20 red", "the end"]


def test_follow_log_stops_when_told(api: CosmosAPI) -> None:
    p = api.create_prompt("stopped", DEMO)
    run = add_run(api, p.prompt_id, "running")  # never ends
    stop = threading.Event()
    follower = api.follow_log(run.run_id, stop=stop)  # no log yet: it waits for one
    reader = threading.Thread(target=lambda: list(follower), daemon=True)
    reader.start()
    stop.set()
    reader.join(timeout=30)
    assert not reader.is_alive()
