"""Validating what a prompt reads before it refers to it: a folder of control videos, one video,
one image, or nothing. Every refusal names the ``input_path`` field, so a form shows it under the
input."""

from __future__ import annotations

import errno
from pathlib import Path

from cosmos_tui.errors import NotFoundError, UsageError
from cosmos_tui.files import PathProblem, path_problem, read_up_to
from cosmos_tui.records import CONTROL_FILES, InputKind

FIELD = "input_path"  # the CosmosAPI parameter these errors are about
VIDEO_SUFFIXES = (".mp4", ".mov")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
# Where a relative name is also looked for inside the inputs folder (``demo`` finds inputs/videos/demo).
LOOK_IN = (".", "videos", "images")
WHAT_TO_GIVE = (
    f"give a control-video folder, a video ({', '.join(VIDEO_SUFFIXES)}) or an image "
    f"({', '.join(IMAGE_SUFFIXES)})"
)
# How each format starts: its name for messages and the ways it may begin, each a set of
# (offset, bytes) that must all match.
_Signature = tuple[tuple[int, bytes], ...]
_FORMATS: dict[str, tuple[str, tuple[_Signature, ...]]] = {
    ".mp4": ("an MP4 video", (((4, b"ftyp"),),)),
    # QuickTime: an ftyp box in files of this century, a bare top-level atom in older ones.
    ".mov": ("a QuickTime video", tuple(((4, atom),) for atom in (b"ftyp", b"moov", b"mdat", b"wide"))),
    ".jpg": ("a JPEG image", (((0, b"\xff\xd8\xff"),),)),
    ".jpeg": ("a JPEG image", (((0, b"\xff\xd8\xff"),),)),
    ".png": ("a PNG image", (((0, b"\x89PNG\r\n\x1a\n"),),)),
    ".webp": ("a WebP image", (((0, b"RIFF"), (8, b"WEBP")),)),
}


def kind_of_file(path: Path) -> InputKind | None:
    """A file's kind by its extension (any case); None when it is neither a video nor an image."""
    suffix = path.suffix.lower()
    if suffix in VIDEO_SUFFIXES:
        return InputKind.VIDEO
    if suffix in IMAGE_SUFFIXES:
        return InputKind.IMAGE
    return None


def resolve_input(
    given: str | Path | None, inputs_root: Path | None
) -> tuple[InputKind, str, dict[str, str]]:
    """What a prompt reads: (kind, the folder or file as stored in ``input_dir``, ``inputs``).

    A folder gives ``{control: path}`` with color.mp4 as ``video``; a video file ``{"video": path}``;
    an image ``{"image": path}``; None (no input) ``{}``. A UsageError says what is wrong.
    """
    if given is None:
        return InputKind.NONE, "", {}
    kind, path = find_input(given, inputs_root)
    if kind is InputKind.FOLDER:
        return kind, str(path), validate_video_dir(path)
    return kind, str(path), validate_file(kind, path)


def find_input(given: str | Path, inputs_root: Path | None) -> tuple[InputKind, Path]:
    """Find a folder or file as given, else inside the inputs folder, and tell which it is."""
    if not str(given).strip():
        # Path("") is the current folder: never take that silently.
        raise UsageError(
            f"the input is empty; {WHAT_TO_GIVE}, or leave it out for a prompt of text alone.", field=FIELD
        )
    raw = Path(given).expanduser()
    candidates = [raw]
    if inputs_root is not None and not raw.is_absolute():
        candidates += [(inputs_root / sub / raw) if sub != "." else inputs_root / raw for sub in LOOK_IN]
    for candidate in candidates:
        try:
            if candidate.is_dir():
                return InputKind.FOLDER, candidate.resolve()
            if candidate.is_symlink() or candidate.exists():
                # The folder resolved, the name kept: a link's kind is the name the user gave.
                return _file_kind(candidate), candidate.parent.resolve() / candidate.name
        except OSError as exc:  # a name too long, a loop: the next candidate may still do
            if candidate is raw and exc.errno in (errno.ENAMETOOLONG, errno.ELOOP):
                raise UsageError(f"{_short(given)} cannot be used ({exc.strerror}).", field=FIELD) from exc
    looked = ", ".join(_short(c.absolute()) for c in candidates)
    what = {InputKind.VIDEO: "video", InputKind.IMAGE: "image", None: "video folder"}[kind_of_file(raw)]
    raise NotFoundError(
        f"{what} {_short(given)} not found (looked in {looked}); check the path.", field=FIELD
    )


def _file_kind(path: Path) -> InputKind:
    kind = kind_of_file(path)
    if kind is None:
        raise UsageError(f"{_short(path)} is not a video or an image; {WHAT_TO_GIVE}.", field=FIELD)
    return kind


def validate_file(kind: InputKind, path: Path) -> dict[str, str]:
    """``{"video": path}`` or ``{"image": path}`` for a regular, readable file that starts like
    its extension says; looked at with ``stat`` first, so a FIFO is never opened."""
    label = "video" if kind is InputKind.VIDEO else "image"
    problem = path_problem(path)
    if problem is not None and problem.kind in ("broken_link", "missing"):
        raise UsageError(f"{path} is a broken link or vanished; point it at a real {label}.", field=FIELD)
    if problem is not None:
        raise UsageError(f"{path} {problem}; give a regular {label} file.", field=FIELD)
    try:
        head = read_up_to(path, 12)
    except OSError as exc:
        raise UsageError(f"cannot read {path} ({exc.strerror}); fix its permissions.", field=FIELD) from exc
    suffix = path.suffix.lower()
    name, signatures = _FORMATS[suffix]
    if not any(all(head[at : at + len(magic)] == magic for at, magic in sig) for sig in signatures):
        raise UsageError(
            f"{path} is not {name} (empty or wrong format); re-export it as {suffix}.", field=FIELD
        )
    return {kind.value: str(path)}


def input_names(inputs_root: Path) -> list[str]:
    """Names a user may type for a prompt's input: the folders with a color.mp4, videos and images
    directly under the inputs folder and its videos/ and images/ folders."""
    found: list[str] = []
    for sub in LOOK_IN:
        base = inputs_root / sub if sub != "." else inputs_root
        if not base.is_dir():
            continue
        for entry in sorted(base.iterdir()):
            if (entry / "color.mp4").is_file() or (kind_of_file(entry) and entry.is_file()):
                found.append(entry.name)
    return found


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
            f"{folder} has no color.mp4; a control-video folder needs one (depth.mp4, "
            "segmentation.mp4 and edge.mp4 are optional), or give one video or image file instead.",
            field=FIELD,
        )
    return found
