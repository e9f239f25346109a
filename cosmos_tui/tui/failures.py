"""Failed workers reach the app's one handler (`CosmosApp.on_worker_state_changed`).

`Worker.StateChanged` goes to the node that started the worker and does not bubble, so every
screen that starts workers mixes this in: it hands the event to the app, which turns a failure
into a notification. Without it a worker started with ``exit_on_error=False`` fails silently.
"""

from __future__ import annotations

from textual.worker import Worker


class ReportsWorkerFailures:
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        handler = getattr(event.worker.node.app, "on_worker_state_changed", None)
        if handler is not None:
            handler(event)
