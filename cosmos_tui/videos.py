"""Validating a folder of control videos before a prompt refers to it."""

from __future__ import annotations

from pathlib import Path

from cosmos_tui.errors import UsageError
from cosmos_tui.records import CONTROL_FILES


def find_video_dir(given: str | Path, inputs_root: Path | None) -> Path:
    """Resolve the folder as given, else inside the inputs folder (``demo`` finds inputs/videos/demo)."""
    raw = Path(given).expanduser()
    candidates = [raw]
    if inputs_root is not None and not raw.is_absolute():
        candidates += [inputs_root / raw, inputs_root / "videos" / raw]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate.resolve()
    if raw.exists():
        raise UsageError(f"{raw} is a file, not a folder; give the folder that holds color.mp4.")
    looked = ", ".join(str(c.absolute()) for c in candidates)
    raise UsageError(f"video folder {given} not found (looked in {looked}); check the path.")


def _check_readable_mp4(path: Path) -> None:
    if path.is_dir():
        raise UsageError(f"{path} is a folder, not a video file; replace it with an mp4 file.")
    try:
        with path.open("rb") as handle:
            head = handle.read(12)
    except FileNotFoundError:
        raise UsageError(f"{path} is a broken link or vanished; point it at a real mp4.") from None
    except OSError as exc:
        raise UsageError(f"cannot read {path} ({exc.strerror}); fix its permissions.") from None
    if len(head) < 12 or head[4:8] != b"ftyp":
        raise UsageError(f"{path} is not an MP4 video (empty or wrong format); re-export it as mp4.")


def validate_video_dir(folder: Path) -> dict[str, str]:
    """Return {control: absolute path} for the videos present; color.mp4 is required."""
    found: dict[str, str] = {}
    for control, names in CONTROL_FILES.items():
        for name in names:
            path = folder / name
            if path.exists() or path.is_symlink():
                _check_readable_mp4(path)
                found[control] = str(path)
                break
    if "video" not in found:
        raise UsageError(
            f"{folder} has no color.mp4; every prompt needs one (depth.mp4, segmentation.mp4 "
            "and edge.mp4 are optional)."
        )
    return found
