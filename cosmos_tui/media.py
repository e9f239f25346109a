"""What ffprobe (from ffmpeg) says about a local video; nothing when ffprobe is not installed."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=256)
def _frames(path: str, size: int, mtime: float) -> int | None:
    ffprobe = shutil.which("ffprobe")
    if ffprobe is None:
        return None
    argv = [ffprobe, "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=nb_frames"]
    try:
        done = subprocess.run([*argv, "-of", "csv=p=0", path], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    text = done.stdout.strip().splitlines()[0] if done.stdout.strip() else ""
    return int(text) if done.returncode == 0 and text.isdigit() and int(text) > 0 else None


def frame_count(path: Path) -> int | None:
    """The number of frames of a video's first video stream, read from its header (no decoding);
    None when the file or ffprobe is missing or the count is not recorded."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return _frames(str(path), stat.st_size, stat.st_mtime)


FFMPEG_MISSING = (
    "ffmpeg is not installed, so videos cannot be shown here; install it (Debian: apt-get install "
    "ffmpeg) and open the gallery again."
)
THUMB_WIDTH = 192  # pixels: wide enough for a 96-column half-block picture
THUMBS = ("first", "middle", "last")


class MediaError(Exception):
    """A video could not be read; the message is one sentence for the user."""


def _ffmpeg() -> str:
    found = shutil.which("ffmpeg")
    if found is None:
        raise MediaError(FFMPEG_MISSING)
    return found


def thumbnails(video: Path, folder: Path, width: int = THUMB_WIDTH) -> list[Path]:
    """The first, middle and last frames of ``video`` as PNG files in ``folder`` (made once: the
    files are kept). Safe to call from several threads at once: one makes them while the others
    wait; each frame is written under a name of its own first, so no caller (nor another process)
    ever reads a half-made one."""
    wanted = [folder / f"{name}.png" for name in THUMBS]
    if all(path.exists() for path in wanted):
        return wanted
    with _maker(folder):
        if all(path.exists() for path in wanted):
            return wanted  # made while this call waited
        count = frame_count(video) or 1
        picks = (0, count // 2, max(0, count - 1))
        folder.mkdir(parents=True, exist_ok=True)
        for path, index in zip(wanted, picks, strict=True):
            part = path.with_name(f".{path.stem}.{os.getpid()}.{threading.get_ident()}.part.png")
            argv = [
                _ffmpeg(), "-v", "error", "-y", "-i", str(video),
                "-vf", f"select=eq(n\\,{index}),scale={width}:-2", "-frames:v", "1", str(part),
            ]  # fmt: skip
            try:
                done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
            except (OSError, subprocess.SubprocessError) as exc:
                part.unlink(missing_ok=True)
                raise MediaError(f"ffmpeg could not read {video.name} ({exc}).") from exc
            if done.returncode != 0 or not part.exists():
                part.unlink(missing_ok=True)
                why = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "no frame"
                raise MediaError(f"ffmpeg could not read {video.name} ({why}); the file may be damaged.")
            part.replace(path)
    return wanted


_makers: dict[Path, threading.Lock] = {}
_makers_lock = threading.Lock()


def _maker(folder: Path) -> threading.Lock:
    """The lock of one thumbnail folder: a second caller waits for the first to finish."""
    with _makers_lock:
        return _makers.setdefault(folder, threading.Lock())


def frames(video: Path, width: int, height: int, fps: float | None = None) -> subprocess.Popen[bytes]:
    """ffmpeg decoding ``video`` to raw RGB24 frames of ``width`` x ``height`` on its stdout (for
    playing a preview); at the video's own rate unless ``fps`` is given."""
    rate = f",fps={fps}" if fps else ""
    argv = [
        _ffmpeg(), "-v", "error", "-i", str(video),
        "-vf", f"scale={width}:{height}{rate}", "-f", "rawvideo", "-pix_fmt", "rgb24", "-",
    ]  # fmt: skip
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)


def frame_rate(path: Path) -> float:
    """A video's frame rate from its header (ffprobe); 24 when it cannot be read."""
    ffprobe = shutil.which("ffprobe")
    if ffprobe is None:
        return 24.0
    argv = [ffprobe, "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=r_frame_rate"]
    try:
        done = subprocess.run(
            [*argv, "-of", "csv=p=0", str(path)], capture_output=True, text=True, timeout=20
        )
    except (OSError, subprocess.SubprocessError):
        return 24.0
    top, _, bottom = done.stdout.strip().partition("/")
    try:
        rate = float(top) / float(bottom or 1)
    except (ValueError, ZeroDivisionError):
        return 24.0
    return rate if 0 < rate <= 240 else 24.0


def decode(video: Path, width: int, height: int) -> list[bytes]:
    """Every frame of ``video`` scaled to ``width`` x ``height``, as raw RGB24 bytes."""
    process = frames(video, width, height)
    size = width * height * 3
    out: list[bytes] = []
    assert process.stdout is not None
    with process:
        while True:
            chunk = process.stdout.read(size)
            if len(chunk) < size:
                break
            out.append(chunk)
    if not out:
        raise MediaError(f"ffmpeg could not decode {video.name}; the file may be damaged.")
    return out
