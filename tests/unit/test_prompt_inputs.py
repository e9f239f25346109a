"""What a prompt reads (a control-video folder, one video, one image, or nothing): how its kind is
found and told, and which tasks each kind can run."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest

from cosmos_tui.errors import NotFoundError, UsageError
from cosmos_tui.records import InputKind, PromptRecord
from cosmos_tui.tasks import TASKS, allowed_tasks, check_task, default_task
from cosmos_tui.videos import input_names, kind_of_file, resolve_input

MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 "
MOV_OLD = b"\x00\x00\x00\x08wide\x00\x00\x00\x00"


def prompt(input_dir: str, inputs: dict[str, str]) -> PromptRecord:
    return PromptRecord(
        prompt_id="ps_0123456789ab",
        name="n",
        text="t",
        negative_prompt="",
        model_type="predict",
        input_dir=input_dir,
        inputs=inputs,
        parameters={},
        parent_id=None,
        created_at=datetime(2026, 11, 1),
    )


FOLDER = prompt("/in/demo", {"video": "/in/demo/color.mp4", "depth": "/in/demo/depth.mp4", "seg": "/s.mp4"})
COLOR_ONLY = prompt("/in/demo", {"video": "/in/demo/color.mp4"})
VIDEO = prompt("/in/robot.mp4", {"video": "/in/robot.mp4"})
IMAGE = prompt("/in/robot.jpg", {"image": "/in/robot.jpg"})
TEXT = prompt("", {})


# -- the kind, read from what is stored ------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "kind", "label"),
    [
        (FOLDER, InputKind.FOLDER, "demo/ (depth,seg)"),
        (COLOR_ONLY, InputKind.FOLDER, "demo/ (color only)"),
        (VIDEO, InputKind.VIDEO, "robot.mp4"),
        (IMAGE, InputKind.IMAGE, "robot.jpg"),
        (TEXT, InputKind.NONE, "text only"),
    ],
)
def test_the_kind_and_label_come_from_the_stored_inputs(
    record: PromptRecord, kind: InputKind, label: str
) -> None:
    assert record.input_kind is kind and record.input_label == label


def test_json_gives_the_kind_beside_the_inputs() -> None:
    data = IMAGE.to_json()
    keys = list(data)
    assert data["input_kind"] == "image" and keys.index("input_kind") == keys.index("inputs") + 1
    assert TEXT.to_json()["input_kind"] == "none" and FOLDER.to_json()["input_kind"] == "folder"


# -- tasks ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "default", "allowed"),
    [
        (FOLDER, "transfer", ("transfer", "predict", "reason")),
        (VIDEO, "predict", ("predict", "transfer", "reason")),
        (IMAGE, "predict", ("predict", "reason")),
        (TEXT, "predict", ("predict",)),
    ],
)
def test_default_and_allowed_tasks_follow_the_input(
    record: PromptRecord, default: str, allowed: tuple[str, ...]
) -> None:
    assert default_task(record) == default == default_task(record.input_kind)
    assert allowed_tasks(record) == allowed and set(allowed) <= set(TASKS)
    for task in allowed:
        check_task(record, task)


@pytest.mark.parametrize(
    ("record", "task", "words"),
    [
        (IMAGE, "transfer", "has an image, and a transfer run needs a video"),
        (TEXT, "transfer", "has no input, and a transfer run needs a video"),
        (TEXT, "reason", "has no input, and a reason run needs a video or an image; run it as predict"),
        (IMAGE, "enhance", "the prompt upsampler (enhance) needs a video"),
    ],
)
def test_a_task_the_input_cannot_feed_is_refused_in_one_sentence(
    record: PromptRecord, task: str, words: str
) -> None:
    with pytest.raises(UsageError) as refused:
        check_task(record, task)
    message = str(refused.value)
    assert words in message and message.startswith("prompt ps_0123456789ab ")
    assert message.count(".") == 1 and message.endswith(".") and refused.value.field == "task"


def test_model_types_that_are_not_prompt_tasks_pass() -> None:
    check_task(TEXT, "upscale")  # reads a run's output, not the prompt's input


# -- finding and checking the input on disk -------------------------------------------------------


def test_no_input_is_a_text_prompt() -> None:
    assert resolve_input(None, None) == (InputKind.NONE, "", {})


@pytest.mark.parametrize(
    ("name", "head", "kind"),
    [
        ("robot.mp4", MP4, InputKind.VIDEO),
        ("ROBOT.MP4", MP4, InputKind.VIDEO),
        ("old.mov", MOV_OLD, InputKind.VIDEO),
        ("robot.jpg", JPEG, InputKind.IMAGE),
        ("robot.JPEG", JPEG, InputKind.IMAGE),
        ("robot.png", PNG, InputKind.IMAGE),
        ("robot.webp", WEBP, InputKind.IMAGE),
    ],
)
def test_a_video_or_image_file_is_taken_by_its_extension_and_first_bytes(
    tmp_path: Path, name: str, head: bytes, kind: InputKind
) -> None:
    path = tmp_path / name
    path.write_bytes(head + b"rest")
    assert resolve_input(path, None) == (kind, str(path), {kind.value: str(path)})


def test_a_name_is_looked_up_in_the_inputs_folder(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "robot.jpg").write_bytes(JPEG)
    (tmp_path / "clip.mp4").write_bytes(MP4)
    scene = tmp_path / "videos" / "scene"
    scene.mkdir(parents=True)
    (scene / "color.mp4").write_bytes(MP4)
    (tmp_path / "notes.txt").write_text("x")
    assert resolve_input("robot.jpg", tmp_path)[:2] == (
        InputKind.IMAGE,
        str(tmp_path / "images" / "robot.jpg"),
    )
    assert resolve_input("clip.mp4", tmp_path)[0] is InputKind.VIDEO
    assert resolve_input("scene", tmp_path) == (
        InputKind.FOLDER,
        str(scene),
        {"video": str(scene / "color.mp4")},
    )
    assert input_names(tmp_path) == ["clip.mp4", "scene", "robot.jpg"]


def test_a_link_keeps_the_name_it_was_given(tmp_path: Path) -> None:
    target = tmp_path / "frame-0001"  # no extension: the link's name says what it is
    target.write_bytes(PNG)
    link = tmp_path / "still.png"
    link.symlink_to(target)
    assert resolve_input(link, None) == (InputKind.IMAGE, str(link), {"image": str(link)})


@pytest.mark.parametrize(
    ("setup", "given", "words", "error"),
    [
        (None, "", "the input is empty; give a control-video folder, a video", UsageError),
        (None, "nowhere", "video folder nowhere not found", NotFoundError),
        (None, "gone.mp4", "video gone.mp4 not found", NotFoundError),
        (None, "gone.webp", "image gone.webp not found", NotFoundError),
        (
            "text",
            "notes.txt",
            "notes.txt is not a video or an image; give a control-video folder",
            UsageError,
        ),
        (
            "text",
            "fake.jpg",
            "fake.jpg is not a JPEG image (empty or wrong format); re-export it as .jpg",
            UsageError,
        ),
        ("empty", "empty.mp4", "empty.mp4 is not an MP4 video (empty or wrong format)", UsageError),
        ("jpeg", "swapped.png", "swapped.png is not a PNG image", UsageError),
        ("riff", "sound.webp", "sound.webp is not a WebP image", UsageError),
        ("folder", "folder", "has no color.mp4; a control-video folder needs one", UsageError),
        (
            "fifo",
            "pipe.mp4",
            "pipe.mp4 is a FIFO (named pipe), not a regular file; give a regular video file",
            UsageError,
        ),
        (
            "dangling",
            "dangling.jpg",
            "dangling.jpg is a broken link or vanished; point it at a real image",
            UsageError,
        ),
    ],
)
def test_each_problem_is_one_sentence_on_the_input_field(
    tmp_path: Path, setup: str | None, given: str, words: str, error: type[UsageError]
) -> None:
    path = tmp_path / given
    if setup == "text":
        path.write_text("hello, not a picture")
    elif setup == "empty":
        path.write_bytes(b"")
    elif setup == "jpeg":
        path.write_bytes(JPEG)
    elif setup == "riff":
        path.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt ")
    elif setup == "folder":
        path.mkdir()
    elif setup == "fifo":
        os.mkfifo(path)  # never opened: a read would block for ever
    elif setup == "dangling":
        path.symlink_to(tmp_path / "nothing-here")
    with pytest.raises(error) as refused:
        resolve_input(given if setup is None else path, tmp_path)
    message = str(refused.value)
    assert words in message and refused.value.field == "input_path"
    assert message.endswith(".") and "\n" not in message


def test_kind_of_file_ignores_case_and_knows_nothing_else() -> None:
    assert kind_of_file(Path("a.Mp4")) is InputKind.VIDEO and kind_of_file(Path("a.WEBP")) is InputKind.IMAGE
    assert kind_of_file(Path("a.gif")) is None and kind_of_file(Path("mp4")) is None
