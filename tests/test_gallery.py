"""The gallery: completed runs with a video (the demo scene's real mp4 files), thumbnails made once
with ffmpeg, filter, sort, rating keys, and playing a video in the terminal with half blocks."""

from __future__ import annotations

import io
import shutil
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image as PILImage
from rich.console import Console
from textual.widgets import Static
from textual_image.renderable.halfcell import Image as HalfcellRenderable
from textual_image.widget import Image

from cosmos_tui.api import CosmosAPI
from cosmos_tui.config import load
from cosmos_tui.records import RunRecord
from cosmos_tui.tui.app import CosmosApp
from cosmos_tui.tui.screens.preview import PreviewScreen
from cosmos_tui.tui.widgets.gallery_list import FRAME_WIDTH, GalleryList, half_blocks
from tests.conftest import DEMO
from tests.harness import local_host_table
from tests.helpers import add_run
from tests.waiting import pilot_wait_until as wait_until

SIZE = (140, 40)


@pytest.fixture
def gallery_api(tmp_path: Path):
    body = (
        'default_host = "sim"\n[paths]\noutputs = "outputs"\ndatabase = "outputs/cosmos.db"\n'
        + local_host_table("sim", tmp_path / "remote")
    )
    (tmp_path / "config.toml").write_text(body)
    with CosmosAPI(load(tmp_path / "config.toml")) as api:
        yield api


def finished(api: CosmosAPI, text: str, video: str, minutes: int, **fields) -> RunRecord:
    """A completed run whose output.mp4 is one of the demo scene's real videos."""
    prompt = api.create_prompt(text, DEMO)
    when = datetime(2026, 11, 20, 9, 0, tzinfo=UTC) + timedelta(minutes=minutes)
    run = add_run(api, prompt.prompt_id, "completed", created=when, seconds=95, host="sim", **fields)
    folder = api.run_dir(run.run_id)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(DEMO / video, folder / "output.mp4")
    from cosmos_tui.store.models import Run

    Run.update(outputs=[str(folder / "output.mp4")]).where(Run.id == run.run_id).execute()
    return api.get_run(run.run_id)


def test_the_gallery_lists_completed_videos_filtered_and_sorted(gallery_api: CosmosAPI) -> None:
    api = gallery_api
    dusk = finished(api, "a harbour at dusk", "color.mp4", 1, rating=3)
    robot = finished(api, "a robot arm stacking cups", "depth.mp4", 2, rating=5)
    plain = finished(api, "an empty street", "segmentation.mp4", 3)
    add_run(api, None, "failed")  # no video: never in the gallery
    assert [i.run_id for i in api.gallery()] == [plain.run_id, robot.run_id, dusk.run_id]
    assert [i.run_id for i in api.gallery(sort="rating")] == [robot.run_id, dusk.run_id, plain.run_id]
    assert [i.run_id for i in api.gallery("robot")] == [robot.run_id]
    assert [i.run_id for i in api.gallery("rating>=3")] == [robot.run_id, dusk.run_id]
    assert [i.run_id for i in api.gallery("★5")] == [robot.run_id]
    assert [i.run_id for i in api.gallery("rating=0")] == [plain.run_id]
    assert [i.run_id for i in api.gallery("transfer harbour")] == [dusk.run_id]


def test_thumbnails_are_the_first_middle_and_last_frames_made_once(gallery_api: CosmosAPI) -> None:
    run = finished(gallery_api, "thumbs", "color.mp4", 1)
    paths = gallery_api.thumbnails(run.run_id)
    assert [p.name for p in paths] == ["first.png", "middle.png", "last.png"]
    assert all(p.parent == gallery_api.run_dir(run.run_id) / "thumbs" for p in paths)
    sizes = {PILImage.open(p).size for p in paths}
    assert len(sizes) == 1 and next(iter(sizes))[0] == 192
    stamps = [p.stat().st_mtime_ns for p in paths]
    assert [p.stat().st_mtime_ns for p in gallery_api.thumbnails(run.run_id)] == stamps  # kept, not remade


def test_thumbnails_asked_for_at_once_by_several_threads_are_all_whole(gallery_api: CosmosAPI) -> None:
    """The gallery asks from two workers (the list's entry and the highlighted one's large frames);
    neither may read a frame the other is still writing, or move it away from under it."""
    runs = [finished(gallery_api, f"race {n}", "color.mp4", n) for n in range(3)]
    for run in runs:
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(gallery_api.thumbnails, [run.run_id] * 4))
        assert all(paths == results[0] for paths in results)
        for path in results[0]:
            with PILImage.open(path) as image:
                image.load()  # a half-written PNG raises here
        assert not list((gallery_api.run_dir(run.run_id) / "thumbs").glob("*part*"))


def test_a_frame_is_drawn_with_half_blocks_of_its_colours() -> None:
    """Two pixel rows make one cell: the upper as the foreground of "▀", the lower as its background."""
    frame = PILImage.new("RGB", (2, 2))
    frame.putpixel((0, 0), (255, 0, 0))
    frame.putpixel((1, 0), (255, 0, 0))
    frame.putpixel((0, 1), (0, 0, 255))
    frame.putpixel((1, 1), (0, 0, 255))
    console = Console(file=io.StringIO(), width=2, color_system="truecolor", force_terminal=True)
    segments = list(console.render(HalfcellRenderable(frame, width=2, height=1), console.options))
    cells = [s for s in segments if s.text.strip()]
    assert cells and all(s.text == "▀" * len(s.text) for s in cells)
    style = cells[0].style
    assert style is not None and style.color is not None and style.bgcolor is not None
    assert style.color.get_truecolor() == (255, 0, 0) and style.bgcolor.get_truecolor() == (0, 0, 255)


def test_an_entry_frame_is_half_blocks_cropped_to_fill() -> None:
    """The list's small frames: the upper pixel of each cell its foreground, the lower its
    background; a picture of another shape is cropped, never stretched."""
    frame = PILImage.new("RGB", (40, 4), (0, 255, 0))  # wide: only its middle (x 16-24) fits 4 by 2
    for x in range(10, 30):
        for y, colour in enumerate([(255, 0, 0), (255, 0, 0), (0, 0, 255), (0, 0, 255)]):
            frame.putpixel((x, y), colour)
    (line,) = half_blocks(frame, width=4, rows=1)
    assert line.plain == "▀▀▀▀"
    for offset in range(4):  # stretched, the ends would be green
        style = line.get_style_at_offset(Console(), offset)
        assert style.color is not None and style.bgcolor is not None
        assert style.color.get_truecolor() == (255, 0, 0) and style.bgcolor.get_truecolor() == (0, 0, 255)


async def test_the_gallery_screen_shows_frames_rates_filters_and_plays(gallery_api: CosmosAPI) -> None:
    api = gallery_api
    first = finished(api, "a harbour at dusk", "color.mp4", 1)
    second = finished(api, "a robot arm", "depth.mp4", 2, rating=2)
    from cosmos_tui.store.models import Run

    inputs = {"vis": str(DEMO / "color.mp4")}
    Run.update(config={"num_steps": 35, "inputs": inputs}).where(Run.id == second.run_id).execute()
    app = CosmosApp(api, start_engine=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        await wait_until(
            pilot, lambda: app.screen.query("#gallery") and app.screen.query_one("#gallery").option_count == 2
        )
        # The newest first; its three frames load in a worker.
        await wait_until(
            pilot, lambda: app.screen.query_one("#thumb-last", Image).image is not None, timeout=30
        )
        assert "a robot arm" in str(app.screen.query_one("#gallery-details", Static).render())
        # Each entry gets its own three small frames (half blocks), made in a worker.
        listed = app.screen.query_one("#gallery", GalleryList)
        await wait_until(
            pilot, lambda: all(text.plain.count("▀") == 3 * 3 * FRAME_WIDTH for _, text in listed.entries)
        )
        await pilot.press("4")  # rates the highlighted run (on the gallery, digits rate)
        await wait_until(pilot, lambda: api.get_run(second.run_id).rating == 4)
        await wait_until(
            pilot, lambda: "★★★★☆" in str(app.screen.query_one("#gallery-details", Static).render())
        )
        await pilot.press("slash")
        await pilot.press(*"harbour")
        await wait_until(pilot, lambda: app.screen.query_one("#gallery").option_count == 1)
        await pilot.press("enter", "escape")  # leave the filter box, then clear it
        await wait_until(pilot, lambda: app.screen.query_one("#gallery").option_count == 2)
        await pilot.press("s")  # best rated first
        await wait_until(pilot, lambda: app.screen.sort == "rating")
        await pilot.press("home")  # the best rated: the robot arm, 4 stars
        await wait_until(pilot, lambda: app.screen.selected().run_id == second.run_id)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, PreviewScreen))
        screen = app.screen
        await wait_until(pilot, lambda: len(screen.frames) > 10, timeout=30)
        await pilot.press("space")
        assert not screen.playing
        shown = screen.index
        await pilot.press("right")
        assert screen.index == (shown + 1) % len(screen.frames)
        await pilot.press("c")  # beside its input video
        await wait_until(
            pilot, lambda: len(screen.other) > 10 and "input vis" in screen.other_label, timeout=30
        )
        assert not screen.query_one("#preview-other").has_class("hidden")
        await pilot.press("c")  # nothing else to compare with: alone again
        await wait_until(pilot, lambda: screen.query_one("#preview-other").has_class("hidden"))
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen.query("#gallery"))
    assert api.get_run(first.run_id).rating is None


async def test_the_gallery_built_ahead_makes_no_frames_until_shown(gallery_api: CosmosAPI) -> None:
    """The app builds the gallery while the first screen is read (outside tests it does so on a
    timer); it lists the results, but runs no ffmpeg until the user opens it."""
    run = finished(gallery_api, "built ahead", "color.mp4", 1)
    thumbs = gallery_api.run_dir(run.run_id) / "thumbs"
    app = CosmosApp(gallery_api, start_engine=False)
    async with app.run_test(size=SIZE) as pilot:
        app.prepare_gallery()
        await wait_until(pilot, lambda: "gallery" in app._screen_stacks)  # Textual's modes
        (gallery,) = app._screen_stacks["gallery"]
        await wait_until(
            pilot,
            lambda: (
                gallery.query("#gallery") and gallery.query_one("#gallery", GalleryList).option_count == 1
            ),
        )
        await pilot.pause(0.3)
        assert app.current_mode == "prompts" and not thumbs.exists()
        await pilot.press("5")
        await wait_until(pilot, lambda: app.screen is gallery)
        listed = gallery.query_one("#gallery", GalleryList)
        await wait_until(pilot, lambda: "▀" in listed.entries[0][1].plain, timeout=30)
        assert len(list(thumbs.glob("*.png"))) == 3


async def test_the_gallery_is_built_only_in_a_quiet_moment(gallery_api: CosmosAPI) -> None:
    """Never while a dialog is open or a key was just pressed: keys typed while the event loop is
    busy mounting could reach a field before an earlier Tab moved the focus out of it."""
    finished(gallery_api, "quiet", "color.mp4", 1)
    app = CosmosApp(gallery_api, start_engine=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await wait_until(pilot, lambda: len(app.screen_stack) == 2)
        app.prepare_gallery()
        await pilot.pause(0.3)
        assert "gallery" not in app._screen_stacks  # a dialog is open
        await pilot.press("escape")
        await wait_until(pilot, lambda: len(app.screen_stack) == 1)
        assert "gallery" not in app._screen_stacks  # a key was just pressed
        await wait_until(pilot, lambda: "gallery" in app._screen_stacks, timeout=10)  # then quiet


async def test_a_missing_video_says_so_in_one_sentence(gallery_api: CosmosAPI) -> None:
    run = finished(gallery_api, "gone", "color.mp4", 1)
    (gallery_api.run_dir(run.run_id) / "output.mp4").unlink()
    app = CosmosApp(gallery_api, start_engine=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        await wait_until(
            pilot,
            lambda: "has no output.mp4" in str(app.screen.query_one("#gallery-details", Static).render()),
            timeout=30,
        )


async def test_a_page_read_ahead_is_in_the_first_paint_and_not_read_again(
    gallery_api: CosmosAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`5` pressed before the gallery is built: the page the app read at start is listed when the
    screen mounts (no query competing with its first paint); an old page is read again on a show."""
    from cosmos_tui.tui.screens import gallery as gallery_screen

    run = finished(gallery_api, "read ahead", "color.mp4", 1)
    app = CosmosApp(gallery_api, start_engine=False)
    async with app.run_test(size=SIZE) as pilot:
        app.read_gallery_ahead()
        await wait_until(pilot, lambda: app.gallery_ahead is not None)
        reads: list[str] = []
        real = gallery_api.gallery
        monkeypatch.setattr(gallery_api, "gallery", lambda *a: reads.append("read") or real(*a))
        await pilot.press("5")
        listed = app.screen.query_one("#gallery", GalleryList)
        assert listed.selected_id() == run.run_id  # listed in on_mount, before any paint
        await pilot.pause(0.3)
        assert reads == []
        monkeypatch.setattr(gallery_screen, "FRESH_SECONDS", 0.0)
        app.switch_mode("dashboard")  # (1-5 rate the run in the gallery)
        await pilot.pause()
        app.switch_mode("gallery")
        await wait_until(pilot, lambda: reads == ["read"])


async def test_the_list_holds_a_screenful_first_and_the_rest_a_moment_later(
    gallery_api: CosmosAPI,
) -> None:
    from cosmos_tui.tui.screens.gallery import read_page

    for minute in range(GalleryList.FIRST + 6):
        finished(gallery_api, f"result {minute}", "color.mp4", minute)
    page = read_page(gallery_api)
    app = CosmosApp(gallery_api, start_engine=False)
    async with app.run_test(size=SIZE) as pilot:
        listed = GalleryList()
        await app.screen.mount(listed)
        listed.show(page.entries)
        assert listed.option_count == GalleryList.FIRST
        last_id, last_text = page.entries[-1]
        listed.update_entry(last_id, last_text + "  changed")  # not an option yet: kept for later
        await wait_until(pilot, lambda: listed.option_count == len(page.entries))
        assert "changed" in str(listed.get_option(last_id).prompt)
        listed.highlighted = listed.get_option_index(last_id)
        listed.show(page.entries[1:] + page.entries[:1])  # the highlight stays on its run, past FIRST
        assert listed.option_count == len(page.entries) and listed.selected_id() == last_id
