"""`prompt add TEXT [INPUT]` with each kind of input (a control-video folder, one video, one image,
nothing) and each refusal, through the real command line and database; and the TUI form."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from textual.widgets import Input, Static, TextArea

from cosmos_tui.api import CosmosAPI
from cosmos_tui.config import load
from cosmos_tui.errors import UsageError
from cosmos_tui.tui.app import CosmosApp
from tests.conftest import DEMO
from tests.test_cli import assert_one_clear_error, cli
from tests.waiting import pilot_wait_until as wait_until

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00" + bytes(64)


@pytest.fixture
def inputs(config_file: Path) -> Path:
    """The project's inputs folder with a video and an image beside the demo folder."""
    folder = config_file.parent / "inputs"
    shutil.copytree(DEMO, folder / "videos" / "demo")
    shutil.copy(DEMO / "color.mp4", folder / "robot.mp4")
    (folder / "images").mkdir()
    (folder / "images" / "robot.jpg").write_bytes(JPEG)
    return folder


def added(config_file: Path, *args: str) -> dict:
    result = cli("prompt", "add", *args, "--json", config=config_file)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_prompt_add_takes_a_folder_a_video_an_image_or_nothing(config_file: Path, inputs: Path) -> None:
    folder = added(config_file, "restyle the demo", "demo")
    assert folder["input_kind"] == "folder" and folder["model_type"] == "transfer"
    assert folder["input_dir"] == str(inputs / "videos" / "demo") and set(folder["inputs"]) == {
        "video",
        "depth",
        "seg",
    }

    video = added(config_file, "what happens next", "robot.mp4")
    assert video["input_kind"] == "video" and video["model_type"] == "predict"
    assert video["inputs"] == {"video": str(inputs / "robot.mp4")}

    image = added(config_file, "bring it to life", str(inputs / "images" / "robot.jpg"))
    assert image["input_kind"] == "image" and image["inputs"] == {
        "image": str(inputs / "images" / "robot.jpg")
    }

    text = added(config_file, "a lighthouse at dusk")
    assert text["input_kind"] == "none" and text["inputs"] == {} and text["input_dir"] == ""

    shown = json.loads(cli("prompt", "show", image["prompt_id"], "--json", config=config_file).stdout)
    assert shown["input_kind"] == "image" and shown["tasks"] == ["predict", "reason"]
    shown = json.loads(cli("prompt", "show", folder["prompt_id"], "--json", config=config_file).stdout)
    assert shown["tasks"] == ["transfer", "predict", "reason"]

    table = cli("prompt", "list", config=config_file).stdout.splitlines()
    assert table[0].split("\t")[3] == "input"
    assert [line.split("\t")[3] for line in table[1:]] == [
        "text only",
        "robot.jpg",
        "robot.mp4",
        "demo/ (depth,seg)",
    ]

    human = cli("prompt", "show", text["prompt_id"], config=config_file).stdout
    assert "input: none (text only)\n" in human and "tasks: predict (default)\n" in human
    human = cli("prompt", "show", video["prompt_id"], config=config_file).stdout
    assert f"input: video {inputs / 'robot.mp4'}\n" in human
    assert "tasks: predict (default), transfer, reason\n" in human


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ("", "the input is empty; give a control-video folder, a video (.mp4, .mov) or an image"),
        ("nowhere", "video folder nowhere not found (looked in "),
        ("gone.mp4", "video gone.mp4 not found"),
        ("gone.png", "image gone.png not found"),
        ("NOTES", "notes.txt is not a video or an image; give a control-video folder"),
        ("FAKE", "fake.jpg is not a JPEG image (empty or wrong format); re-export it as .jpg."),
        ("EMPTY_FOLDER", "has no color.mp4; a control-video folder needs one"),
        ("FIFO", "clip.mp4 is a FIFO (named pipe), not a regular file; give a regular video file."),
        ("UNREADABLE", "cannot read"),
    ],
)
def test_prompt_add_refuses_a_bad_input_in_one_sentence(
    config_file: Path, inputs: Path, tmp_path: Path, given: str, words: str
) -> None:
    if given == "NOTES":
        given = str(tmp_path / "notes.txt")
        Path(given).write_text("a shopping list")
    elif given == "FAKE":
        given = str(tmp_path / "fake.jpg")
        Path(given).write_text("not a picture")
    elif given == "EMPTY_FOLDER":
        given = str(tmp_path / "empty")
        Path(given).mkdir()
    elif given == "FIFO":
        given = str(tmp_path / "clip.mp4")
        os.mkfifo(given)  # never opened: reading it would block for ever
    elif given == "UNREADABLE":
        given = str(tmp_path / "mem.mp4")
        if os.geteuid() == 0:
            Path(given).symlink_to("/proc/1/mem")  # root reads anything but this
        else:  # pragma: no cover - CI runs as root
            shutil.copy(DEMO / "color.mp4", given)
            Path(given).chmod(0)
    result = cli("prompt", "add", "x", given, config=config_file)
    assert_one_clear_error(result, 2, words)
    assert json.loads(cli("prompt", "list", "--json", config=config_file).stdout) == []


def test_a_prompt_with_no_video_cannot_be_stored_or_enhanced_as_transfer(api: CosmosAPI) -> None:
    with pytest.raises(UsageError, match="has no input, and a transfer run needs a video") as refused:
        api.create_prompt("x", None, model_type="transfer")
    assert refused.value.field == "model_type"
    text = api.create_prompt("a lighthouse at dusk")
    with pytest.raises(UsageError, match=r"the prompt upsampler \(enhance\) needs a video"):
        api.enhance_prompt(text.prompt_id)
    assert api.list_runs() == []
    assert api.default_task(text) == "predict" and api.prompt_tasks(text) == ("predict",)


# -- the TUI form -------------------------------------------------------------------------------------


@pytest.fixture
def form_api(tmp_path: Path):
    (tmp_path / "config.toml").write_text(
        '[paths]\ninputs = "inputs"\noutputs = "outputs"\ndatabase = "outputs/cosmos.db"\n'
    )
    (tmp_path / "inputs").mkdir()
    (tmp_path / "inputs" / "robot.jpg").write_bytes(JPEG)
    with CosmosAPI(load(tmp_path / "config.toml")) as api:
        yield api


async def test_new_prompt_form_takes_an_image_file(form_api: CosmosAPI) -> None:
    app = CosmosApp(form_api, start_engine=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        info = form.query_one("#folder-info", Static)
        await wait_until(pilot, lambda: "in inputs/: robot.jpg" in str(info.render()))
        form.query_one("#text", TextArea).text = "bring the robot to life"
        form.query_one("#folder", Input).value = "nope.jpg"
        await wait_until(pilot, lambda: "image nope.jpg not found" in str(info.render()))
        form.query_one("#folder", Input).value = "robot.jpg"
        await wait_until(pilot, lambda: "image " in str(info.render()) and "robot.jpg" in str(info.render()))
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: form_api.count_prompts() == 1)
        [prompt] = form_api.list_prompts()
        image = str(form_api.config.paths.inputs / "robot.jpg")
        assert prompt.input_kind == "image" and prompt.inputs == {"image": image}
        await wait_until(pilot, lambda: "robot.jpg" in str(app.screen.query_one("#prompts").get_row_at(0)))
        await pilot.press("enter")  # the detail screen says what the prompt reads
        await wait_until(pilot, lambda: bool(app.screen.query("#prompt-input")))
        assert str(app.screen.query_one("#prompt-input", Static).render()) == f"input (image): {image}"


async def test_new_prompt_form_with_no_input_makes_a_text_prompt(form_api: CosmosAPI) -> None:
    app = CosmosApp(form_api, start_engine=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        info = form.query_one("#folder-info", Static)
        folder = form.query_one("#folder", Input)
        folder.value = "nowhere"  # a refusal first: clearing the field takes it away again
        await wait_until(pilot, lambda: "video folder nowhere not found" in str(info.render()))
        folder.value = ""
        await wait_until(pilot, lambda: "empty: a prompt of text alone" in str(info.render()))
        form.query_one("#text", TextArea).text = "a lighthouse at dusk"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: form_api.count_prompts() == 1)
        [prompt] = form_api.list_prompts()
        assert prompt.input_kind == "none" and prompt.model_type == "predict"
        await wait_until(pilot, lambda: "text only" in str(app.screen.query_one("#prompts").get_row_at(0)))


def test_stats_names_text_only_prompts_among_the_most_used_inputs(api: CosmosAPI, config_file: Path) -> None:
    from tests.helpers import add_run

    add_run(api, api.create_prompt("a lighthouse at dusk").prompt_id, "completed", model_type="predict")
    api.close()
    table = cli("stats", config=config_file).stdout
    assert "(text only)\t1" in table.splitlines()


def test_a_run_the_prompt_input_cannot_feed_is_refused_before_it_is_queued(tmp_path: Path) -> None:
    from tests.harness import local_host_table

    (tmp_path / "config.toml").write_text(
        'default_host = "sim"\n[paths]\ninputs = "inputs"\noutputs = "outputs"\n'
        'database = "outputs/cosmos.db"\n' + local_host_table("sim", tmp_path / "remote", speed="0.003")
    )
    with CosmosAPI(load(tmp_path / "config.toml")) as api:
        refused_before_queueing(api)


def refused_before_queueing(api: CosmosAPI) -> None:
    video = api.create_prompt("restyle it", DEMO / "color.mp4")  # one video: transfer is fine
    text = api.create_prompt("a lighthouse at dusk")
    with pytest.raises(UsageError, match=f"prompt {text.prompt_id} has no input, and a transfer run needs"):
        api.run_inference([video.prompt_id, text.prompt_id], {}, model_type="transfer")
    assert api.list_runs() == []
