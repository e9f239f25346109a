"""Which tasks a prompt can run, by what it reads, and the one it runs when none is named.

Transfer restyles a video (a control-video folder, or one video whose controls are computed from
it); reasoning describes a video or an image; prediction takes a video, an image or text alone.
"""

from __future__ import annotations

from cosmos_tui.errors import UsageError
from cosmos_tui.records import InputKind, PromptRecord

TASKS = ("transfer", "predict", "reason")  # what a prompt can be run as, in the order users read them

_VIDEO = (InputKind.FOLDER, InputKind.VIDEO)
NEEDS: dict[str, tuple[InputKind, ...]] = {
    "transfer": _VIDEO,
    "predict": tuple(InputKind),
    "reason": (*_VIDEO, InputKind.IMAGE),
    "enhance": _VIDEO,  # the prompt upsampler reads the prompt's video
}
_WANTS = {
    "transfer": "a video (a control-video folder or one video file)",
    "reason": "a video or an image",
    "enhance": "a video (a control-video folder or one video file)",
}
_DOING = {"transfer": "a transfer run", "reason": "a reason run", "enhance": "the prompt upsampler (enhance)"}
_HAS = {
    InputKind.FOLDER: "a control-video folder",
    InputKind.VIDEO: "a video",
    InputKind.IMAGE: "an image",
    InputKind.NONE: "no input",
}


def _kind(prompt: PromptRecord | InputKind) -> InputKind:
    return prompt if isinstance(prompt, InputKind) else prompt.input_kind


def default_task(prompt: PromptRecord | InputKind) -> str:
    """Transfer for a control-video folder, else predict (image2world, video2world, text2world)."""
    return "transfer" if _kind(prompt) is InputKind.FOLDER else "predict"


def allowed_tasks(prompt: PromptRecord | InputKind) -> tuple[str, ...]:
    """The tasks of ``TASKS`` this prompt's input can feed, the default first."""
    kind = _kind(prompt)
    first = default_task(kind)
    return (first, *(t for t in TASKS if t != first and kind in NEEDS[t]))


def check_task(prompt: PromptRecord | InputKind, task: str) -> None:
    """Refuse, in one sentence, a task the prompt's input cannot feed (``field="task"``).

    Model types that are not prompt tasks (``upscale`` reads a run's output) pass.
    """
    kind = _kind(prompt)
    needs = NEEDS.get(task)
    if needs is None or kind in needs:
        return
    who = f"prompt {prompt.prompt_id}" if isinstance(prompt, PromptRecord) else "this prompt"
    instead = f"run it as {' or '.join(allowed_tasks(kind))} instead, or " if task in TASKS else ""
    raise UsageError(
        f"{who} has {_HAS[kind]}, and {_DOING[task]} needs {_WANTS[task]}; "
        f"{instead}make a new prompt with such an input.",
        field="task",
    )
