"""What ffprobe (from ffmpeg) says about a local video; nothing when ffprobe is not installed."""

from __future__ import annotations

import shutil
import subprocess
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
