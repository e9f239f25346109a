"""The base of every cosmos-tui screen and modal: the app and its API, typed, and failed workers
reported.

`Worker.StateChanged` goes to the node that started the worker and does not bubble, so the base
hands it to the app's one handler (`CosmosApp.on_worker_state_changed`), which turns a failure into
a notification. Without it a worker started with ``exit_on_error=False`` fails silently.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar, cast

from textual.screen import ModalScreen, Screen
from textual.worker import Worker

if TYPE_CHECKING:  # the app imports the screens
    from cosmos_tui.api import CosmosAPI
    from cosmos_tui.tui.app import CosmosApp

ResultType = TypeVar("ResultType")


class CosmosScreen(Screen[ResultType]):
    @property
    def cosmos_app(self) -> CosmosApp:
        return cast("CosmosApp", self.app)

    @property
    def api(self) -> CosmosAPI:
        return self.cosmos_app.api

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.cosmos_app.on_worker_state_changed(event)


class CosmosModal(ModalScreen[ResultType], CosmosScreen[ResultType]):
    """A modal (dims the screen below, its keys come first) with the same base."""
