"""Validating a folder of control videos before a prompt refers to it. Every refusal names the
``video_dir`` field, so a form shows it under the folder."""

from __future__ import annotations

import errno
from pathlib import Path

from cosmos_tui.errors import NotFoundError, UsageError
from cosmos_tui.files import PathProblem, path_problem, read_up_to
from cosmos_tui.records import CONTROL_FILES

FIELD = "video_dir"  # the CosmosAPI parameter these errors are about


def find_video_dir(given: str | Path, inputs_root: Path | None) -> Path:
    """Resolve the folder as given, else inside the inputs folder (``demo`` finds inputs/videos/demo)."""
    if not str(given).strip():
        # Path("") is the current folder: never take that silently.
        raise UsageError("the video folder is empty; give the folder that holds color.mp4.", field=FIELD)
    raw = Path(given).expanduser()
    candidates = [raw]
    if inputs_root is not None and not raw.is_absolute():
        candidates += [inputs_root / raw, inputs_root / "videos" / raw]
    for candidate in candidates:
        try:
            if candidate.is_dir():
                return candidate.resolve()
        except OSError as exc:  # a name too long, a loop: the next candidate may still do
            if candidate is raw and exc.errno in (errno.ENAMETOOLONG, errno.ELOOP):
                raise UsageError(
                    f"video folder {_short(given)} cannot be used ({exc.strerror}).", field=FIELD
                ) from exc
    if _exists(raw):
        raise UsageError(f"{raw} is a file, not a folder; give the folder that holds color.mp4.", field=FIELD)
    looked = ", ".join(_short(c.absolute()) for c in candidates)
    raise NotFoundError(
        f"video folder {_short(given)} not found (looked in {looked}); check the path.", field=FIELD
    )


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:
        return False


def _short(path: str | Path, limit: int = 200) -> str:
    text = str(path)
    return text if len(text) <= limit else text[: limit // 2] + "..." + text[-limit // 2 :]


def _check_readable_mp4(path: Path, problem: PathProblem | None) -> None:
    if problem is not None and problem.kind == "folder":
        raise UsageError(f"{path} is a folder, not a video file; replace it with an mp4 file.", field=FIELD)
    if problem is not None and problem.kind in ("broken_link", "missing"):
        raise UsageError(f"{path} is a broken link or vanished; point it at a real mp4.", field=FIELD)
    if problem is not None:
        raise UsageError(f"{path} {problem}; replace it with an mp4 file.", field=FIELD)
    try:
        head = read_up_to(path, 12)
    except OSError as exc:
        raise UsageError(f"cannot read {path} ({exc.strerror}); fix its permissions.", field=FIELD) from exc
    if len(head) < 12 or head[4:8] != b"ftyp":
        raise UsageError(
            f"{path} is not an MP4 video (empty or wrong format); re-export it as mp4.", field=FIELD
        )


def validate_video_dir(folder: Path) -> dict[str, str]:
    """Return {control: absolute path} for the videos present; color.mp4 is required."""
    found: dict[str, str] = {}
    for control, names in CONTROL_FILES.items():
        for name in names:
            path = folder / name
            problem = path_problem(path)  # stat only: a FIFO named color.mp4 is never opened
            if problem is None or problem.kind != "missing":
                _check_readable_mp4(path, problem)
                found[control] = str(path)
                break
    if "video" not in found:
        raise UsageError(
            f"{folder} has no color.mp4; every prompt needs one (depth.mp4, segmentation.mp4 "
            "and edge.mp4 are optional).",
            field=FIELD,
        )
    return found
