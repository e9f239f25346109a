"""Cancelling a run from any screen: confirm, then cancel in a thread worker."""

from __future__ import annotations

from typing import Any

from cosmos_tui.errors import CosmosError
from cosmos_tui.tui.base import CosmosScreen
from cosmos_tui.tui.widgets.confirm import ConfirmModal


def confirm_and_cancel(screen: CosmosScreen[Any], run_id: str, where: str = "") -> None:
    def cancel() -> None:
        try:
            screen.api.cancel_run(run_id)
        except CosmosError as exc:
            screen.app.call_from_thread(screen.notify, str(exc), severity="error")
            return
        screen.app.call_from_thread(screen.notify, f"cancelling {run_id}")

    def answer(yes: bool | None) -> None:
        if yes:
            screen.run_worker(cancel, thread=True, group="cancel", exit_on_error=False)

    suffix = f" on {where}" if where else ""
    question = ConfirmModal(f"Cancel run {run_id}{suffix}?", "Cancel run", "Keep running")
    screen.app.push_screen(question, answer)
