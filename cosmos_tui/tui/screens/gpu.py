"""The GPU screen: per host and per GPU, load, memory, temperature and power with a fixed-width
sparkline of the recent samples; the runs executing on each host (containers, or processes on a
`process` host), cancellable; an unreachable host with the reason and a retry countdown. Polls
never overlap and stop while the screen is hidden."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Header, Static

from cosmos_tui.records import HostStatus
from cosmos_tui.tui.base import CosmosScreen
from cosmos_tui.tui.keymap import bindings
from cosmos_tui.tui.widgets.cancel import confirm_and_cancel
from cosmos_tui.tui.widgets.footer import Footer
from cosmos_tui.tui.widgets.tables import Column, RecordTable, Rows, selected_key

POLL_SECONDS = 2.0
RETRY_SECONDS = 15.0
SPARK_MAX = 16  # samples shown (and kept) per metric at most
SPARK_MIN = 3
NAME_MIN = 12
# The cells each GPU row needs besides its name and four sparklines: index, the numbers
# (" 100%", " 139.8/141 GiB", " 100°C", " 1000/1000 W"), the gaps between six columns, a margin.
NUMBERS_WIDTH = 3 + 5 + 14 + 6 + 12 + 5 * 2 + 2
BLOCKS = "▁▂▃▄▅▆▇█"
RUN_COLUMNS = (
    Column("host", "host", 15, drop=1),
    Column("container", "container / process", 20, flex=True),
    Column("run", "run", 15),
    Column("state", "state", 10),
    Column("created", "started", 14, drop=2),
)


def sparkline(values: list[float], top: float, width: int) -> str:
    """The last ``width`` samples as blocks, right-aligned in exactly ``width`` cells."""
    values = values[-width:] if width > 0 else []
    top = top or max(values, default=0.0) or 1.0
    blocks = "".join(BLOCKS[max(0, min(len(BLOCKS) - 1, int(v / top * (len(BLOCKS) - 1))))] for v in values)
    return blocks.rjust(width)


def gpu_layout(width: int, longest_name: int) -> tuple[int, int]:
    """(sparkline width, name width) so that a GPU row fits in ``width`` cells, numbers whole:
    the sparklines shrink first (to SPARK_MIN), then the GPU name (to NAME_MIN), then the
    sparklines go."""
    name = longest_name
    spark = (width - NUMBERS_WIDTH - name) // 4
    if spark < SPARK_MIN:
        name = max(min(NAME_MIN, longest_name), width - NUMBERS_WIDTH - 4 * SPARK_MIN)
        spark = (width - NUMBERS_WIDTH - name) // 4
    return max(0, min(SPARK_MAX, spark if spark >= SPARK_MIN else 0)), min(name, longest_name)


class GpuScreen(CosmosScreen[None]):
    BINDINGS = bindings("gpu")

    @dataclass
    class Polled(Message):
        statuses: list[HostStatus]

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[tuple[str, int, str], deque[float]] = defaultdict(lambda: deque(maxlen=SPARK_MAX))
        self.statuses: list[HostStatus] = []
        self.next_retry: dict[str, float] = {}
        self.sampled: dict[str, float] = {}
        self.polling = threading.Lock()
        self.container_rows: list[object] | None = None  # as last shown

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Static("polling hosts…", id="gpu-hosts")
            yield Static(Text("runs executing on the hosts", style="bold"), classes="title")
            yield RecordTable(RUN_COLUMNS, id="containers")
            yield Static("", id="no-runs", classes="hint")
        yield Footer()

    def on_mount(self) -> None:
        self.timer = self.set_interval(POLL_SECONDS, self.poll)
        self.ticker = self.set_interval(1.0, self.tick)
        # The first poll comes from on_screen_resume, which also runs when the screen first shows.

    def on_resize(self) -> None:
        self.render_hosts()

    def tick(self) -> None:
        """Between polls only an unreachable host's "retry in N s" moves: redraw for that alone."""
        if any(not status.reachable for status in self.statuses):
            self.render_hosts()

    def on_screen_suspend(self) -> None:
        self.timer.pause()
        self.ticker.pause()

    def on_screen_resume(self) -> None:
        self.timer.resume()
        self.ticker.resume()
        self.poll()

    def action_poll_now(self) -> None:
        self.next_retry.clear()
        self.poll()

    @work(thread=True, group="gpu", exit_on_error=False)
    def poll(self) -> None:
        if not self.polling.acquire(blocking=False):
            return  # the previous poll is still out: never overlap
        try:
            api = self.api
            statuses = []
            now = time.monotonic()
            for name in api.config.hosts:
                if self.next_retry.get(name, 0) > now:
                    previous = next((s for s in self.statuses if s.name == name), None)
                    if previous is not None:
                        statuses.append(previous)
                    continue
                status = api.host_status(name)
                if not status.reachable:
                    self.next_retry[name] = time.monotonic() + RETRY_SECONDS
                statuses.append(status)
            self.post_message(self.Polled(statuses))
        finally:
            self.polling.release()

    def on_gpu_screen_polled(self, message: Polled) -> None:
        self.statuses = message.statuses
        now = time.monotonic()
        for status in message.statuses:
            # One sample per poll period, even when a resume and the timer poll back to back.
            if now - self.sampled.get(status.name, -POLL_SECONDS) < POLL_SECONDS / 2:
                continue
            self.sampled[status.name] = now
            for gpu in status.gpus:
                for metric, value in (
                    ("util", gpu.utilization),
                    ("mem", gpu.memory_used_mib),
                    ("temp", gpu.temperature_c),
                    ("power", gpu.power_w or 0.0),
                ):
                    self.history[(status.name, gpu.index, metric)].append(value)
        rows: Rows = [
            (
                c.run_id,
                {
                    "host": status.label,
                    "container": c.name,
                    "run": c.run_id,
                    "state": c.state,
                    "created": c.running_for,
                },
            )
            for status in message.statuses
            for c in status.containers
        ]
        if rows != self.container_rows:  # unchanged between most polls: leave the table be
            self.container_rows = list(rows)
            self.query_one("#containers", RecordTable).show(rows)
            self.query_one("#no-runs", Static).update(
                "" if rows else Text("nothing executing on the hosts", style="dim")
            )
        self.render_hosts()

    def render_hosts(self) -> None:
        parts: list[RenderableType] = []
        now = time.monotonic()
        width = self.query_one("#gpu-hosts", Static).content_region.width or self.app.size.width - 2
        longest = max((len(g.name) for s in self.statuses for g in s.gpus), default=NAME_MIN)
        spark_width, name_width = gpu_layout(width, longest)
        for status in self.statuses:
            title = Text(status.label, style="bold")
            if status.pools:
                title.append(f"  pools: {', '.join(status.pools)}", style="cyan")
            if not status.reachable:
                wait = max(0, int(self.next_retry.get(status.name, now) - now))
                title.append(f"  unreachable: {status.reason}  (retry in {wait} s)", style="red")
                parts.append(title)
                continue
            if status.free_disk_bytes is not None:
                title.append(f"  free disk {status.free_disk_bytes / 1e9:.1f} GB", style="dim")
            parts.append(title)
            for node in status.nodes:  # a Slurm host: its partition's nodes, not GPU readings
                parts.append(
                    Text(
                        f"  node {node.name} {node.state}: {node.gpus_allocated} of {node.gpus_total} "
                        f"GPU(s) allocated, CPUs {node.cpus}"
                    )
                )
            if status.nodes:
                continue
            table = Table(box=None, pad_edge=False, expand=False)
            table.add_column("GPU", no_wrap=True)
            table.add_column("name", width=name_width, no_wrap=True, overflow="ellipsis")
            for column in ("util", "memory", "temp", "power"):
                table.add_column(column, no_wrap=True)
            for gpu in status.gpus:

                def spark(metric: str, top: float, key: tuple[str, int] = (status.name, gpu.index)) -> str:
                    return sparkline(list(self.history[(key[0], key[1], metric)]), top, spark_width)

                table.add_row(
                    str(gpu.index),
                    gpu.name,
                    f"{spark('util', 100)} {gpu.utilization:3.0f}%",
                    f"{spark('mem', gpu.memory_total_mib)} {gpu.memory_used_mib / 1024:5.1f}/"
                    f"{gpu.memory_total_mib / 1024:.0f} GiB",
                    f"{spark('temp', 100)} {gpu.temperature_c:3.0f}°C",
                    f"{spark('power', gpu.power_limit_w or 0)} {gpu.power_w or 0:4.0f}/"
                    f"{gpu.power_limit_w or 0:.0f} W",
                )
            parts.append(table if status.gpus else Text("  no GPUs reported", style="dim"))
        self.query_one("#gpu-hosts", Static).update(Group(*parts) if parts else Text("no hosts"))

    def action_cancel_container(self) -> None:
        run_id = selected_key(self.query_one("#containers", RecordTable))
        if run_id:
            confirm_and_cancel(self, run_id)
        else:
            self.notify("nothing to cancel: no run is executing on the hosts", severity="warning")
