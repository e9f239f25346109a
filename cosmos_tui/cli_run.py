"""Headless execution commands: `--run`, `run logs/cancel/wait`, `status`, `host trust/clean`,
`worker`."""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cosmos_tui.command import hint
from cosmos_tui.errors import (
    EXIT_FAILED,
    EXIT_HOST,
    EXIT_INTERRUPTED,
    EXIT_OK,
    CosmosError,
    HostError,
    OperationError,
    UsageError,
)
from cosmos_tui.records import RunStatus, escape_controls, stars

if TYPE_CHECKING:
    from cosmos_tui.api import CosmosAPI
    from cosmos_tui.records import RunRecord

POLL = 0.5
GIVE_UP_AFTER = 15  # seconds past a host's stop_grace that an interrupted command waits at most


def _api(args: argparse.Namespace) -> CosmosAPI:
    from cosmos_tui.api import CosmosAPI

    return CosmosAPI.from_config(args.config)


def _prompt_ids(args: argparse.Namespace) -> list[str]:
    from cosmos_tui.api import CosmosAPI

    ids = list(args.run or [])
    if args.prompts_file:
        ids += CosmosAPI.prompt_ids_from_file(Path(args.prompts_file))
    if not ids:
        raise UsageError("no prompt to run; give prompt IDs after --run or in --prompts-file.")
    return ids


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    if args.weights:
        overrides["weights"] = dict(zip(("vis", "edge", "depth", "seg"), args.weights, strict=True))
    for name, value in (("num_steps", args.steps), ("guidance", args.guidance), ("seed", args.seed)):
        if value is not None:
            overrides[name] = value
    return overrides


def sweep_of(args: argparse.Namespace) -> dict[str, str]:
    """The options --seeds and --sweep KEY=VALUES vary, as value lists for ``api.run_sweep``."""
    from cosmos_tui.api import CosmosAPI

    sweep: dict[str, str] = {}
    for text in getattr(args, "sweep", None) or []:
        name, values = CosmosAPI.sweep_assignment(text)
        if name in sweep:
            raise UsageError(f"--sweep gives {name} twice; put all its values in one list.", field=name)
        sweep[name] = values
    if getattr(args, "seeds", None) is not None:
        if "seed" in sweep:
            raise UsageError("--seeds and --sweep seed=... both give seeds; use one of them.", field="seed")
        sweep["seed"] = args.seeds
    return sweep


def _queue(
    api: CosmosAPI, args: argparse.Namespace, ids: list[str], overrides: dict[str, Any], host: str
) -> tuple[list[str], str | None]:
    """Queue the runs: one per prompt, or with --seeds/--sweep one per prompt and combination."""
    from cosmos_tui.errors import SweepTooLargeError

    sweep = sweep_of(args)
    if not sweep:
        task = getattr(args, "task", None)
        force = getattr(args, "force_run", False)
        run_ids = api.run_inference(
            ids, overrides, host, task, upscale=args.upscale, batch=args.batch, force=force
        )
        return run_ids, None
    for flag, name in (("--seed", "seed"), ("--steps", "num_steps"), ("--guidance", "guidance")):
        if name in sweep and overrides.get(name) is not None:
            raise UsageError(f"{flag} and a sweep of {name} both set it; give it once.", field=name)
    try:
        run_ids = api.run_sweep(
            ids,
            overrides,
            sweep,
            host,
            confirmed=args.yes,
            upscale=args.upscale,
            batch=args.batch,
            model_type=getattr(args, "task", None),
            force=getattr(args, "force_run", False),
        )
    except SweepTooLargeError as exc:
        raise UsageError(
            f"the sweep makes {exc.runs:,} runs, more than {api.SWEEP_CONFIRM_ABOVE}; add --yes to queue "
            "them all, or narrow it.",
            field="sweep",
        ) from exc
    return run_ids, api.get_run(run_ids[0]).sweep_id


class _Interrupt:
    """Ctrl-C or SIGTERM: remember it; the main loop cancels what this process started."""

    def __init__(self) -> None:
        self.hit = threading.Event()
        self.count = 0
        self.previous: dict[int, Any] = {}

    def _handle(self, *_: object) -> None:
        self.count += 1
        self.hit.set()

    def __enter__(self) -> _Interrupt:
        for sig in (signal.SIGINT, signal.SIGTERM):
            self.previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)


def _in_background(work: Callable[[], Any]) -> tuple[threading.Event, dict[str, Any]]:
    """Run ``work`` in a daemon thread so the main thread stays free for signals; its result
    or exception lands in the dict once the event is set."""
    done = threading.Event()
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["ok"] = work()
        except Exception as exc:  # surfaced by the caller as one sentence
            outcome["error"] = exc
        finally:
            done.set()

    threading.Thread(target=target, name="cli-work", daemon=True).start()
    return done, outcome


def _json_runs(runs: list[RunRecord]) -> list[dict[str, Any]]:
    return [r.to_json() for r in runs]


def _summary(run: RunRecord) -> str:
    text = f"{run.run_id} {run.status}"
    if run.error_class:
        text += f" [{run.error_class}] {escape_controls(run.error_message or '')}"
    return text


def _report(run: RunRecord) -> list[str]:
    """How a run ended, where its results are and, when it failed, why and where its log is."""
    lines = [_summary(run)]
    if run.status == RunStatus.COMPLETED:
        lines += [f"  {path}" for path in run.outputs if Path(path).name not in ("run.log", "spec.json")]
        if run.output_text is not None:
            lines += ["  answer:", *(f"    {line}" for line in run.output_text.splitlines())]
    if run.status != RunStatus.COMPLETED and run.log_path and Path(run.log_path).exists():
        lines.append(f"  log: {run.log_path}")
    return lines


def _detached_report(run: RunRecord, host_label: str) -> str:
    """One sentence per run left to the host (or still waiting for a slot) by --detach."""
    if run.status == RunStatus.QUEUED:
        return (
            f"{run.run_id} queued: {host_label} has no free slot now; it starts when a cosmos-tui "
            f"executes runs: `{hint('worker')}`, `{hint('run wait ' + run.run_id)}`, or the TUI."
        )
    if run.is_terminal:
        return " ".join(_report(run))
    return (
        f"{run.run_id} {run.status} on {host_label}; it goes on without this process: collect it "
        f"with `{hint('run wait ' + run.run_id)}` (or a worker, or the TUI)."
    )


def cmd_run_prompts(args: argparse.Namespace) -> int:
    """`cosmos-tui --run ID ...`: queue runs and execute them here (or start them, --detach)."""
    from cosmos_tui.cli_output import Output

    if getattr(args, "enhance", False):
        return cmd_run_enhanced(args)
    out = Output(json_mode=args.json)
    with _api(args) as api:
        ids = _prompt_ids(args)
        overrides = _overrides(args)
        host = api.target(args.host)
        for given in ids:
            api.get_prompt(given)  # bad IDs fail here, before anything is queued
        api.check_outputs()
        status = api.reachable(host)
        if not status.reachable:
            print(f"cosmos-tui: error: {status.reason}", file=sys.stderr)
            return EXIT_HOST
        run_ids, sweep_id = _queue(api, args, ids, overrides, host)
        swept = f" as sweep {sweep_id}" if sweep_id else ""
        print("queued " + " ".join(run_ids) + f" on {api.config.host_label(host)}{swept}", file=sys.stderr)
        upscales = None if args.upscale is None else api.runs_queued_after
        return _execute_and_report(api, out, run_ids, host, args, upscales, "4K upscale")


def _execute_and_report(
    api: CosmosAPI,
    out: Any,
    run_ids: list[str],
    host: str,
    args: argparse.Namespace,
    then: Callable[[list[str]], list[str]] | None = None,
    then_what: str = "",
    each_needs_then: bool = False,
) -> int:
    """Execute queued runs here (or start them, ``args.detach``), showing progress, then print how
    they ended; the exit code. ``then`` names the runs they queued when they completed (4K upscales,
    the runs of enhanced prompts): those are executed and reported too (not with --detach: whoever
    collects the first runs queues them). With ``each_needs_then``, every run must have led to one
    for exit 0."""
    first = len(run_ids)
    interrupted = _execute_showing(api, out, run_ids, host, args.detach)
    more: list[str] = []
    if then is not None and not interrupted and not args.detach:
        more = then(run_ids)
        if more:
            print(
                "queued " + " ".join(more) + f" on {api.config.host_label(host)} ({then_what})",
                file=sys.stderr,
            )
            interrupted = _execute_showing(api, out, more, host, False)
            run_ids = run_ids + more
    runs = [api.get_run(r) for r in run_ids]
    label = api.config.host_label(host)
    if args.json:
        out.json(_json_runs(runs))
    elif args.detach and not interrupted:
        for run in runs:
            out.line(run.run_id)
            print(_detached_report(run, label), file=sys.stderr)
    else:
        for run in runs:
            for line in _report(run):
                out.line(line)
    if interrupted:
        return EXIT_INTERRUPTED
    if args.detach:
        fine = (*RunStatus.ACTIVE, RunStatus.COMPLETED)  # left going, or already done
        return EXIT_OK if all(r.status in fine for r in runs) else EXIT_FAILED
    if any(r.error_class == "ssh" for r in runs):
        return EXIT_HOST
    complete = all(r.status == RunStatus.COMPLETED for r in runs)
    if each_needs_then and not args.detach:
        complete = complete and len(more) == first
    return EXIT_OK if complete else EXIT_FAILED


def _execute_showing(api: CosmosAPI, out: Any, run_ids: list[str], host: str, detach: bool) -> bool:
    """Execute the runs with a progress display until they end (or, ``detach``, are started);
    True when interrupted (the runs started here are then cancelled)."""
    with _Interrupt() as interrupt:
        done, outcome = _in_background(lambda: api.execute(run_ids, detach=detach))
        display = _Display(out, run_ids, api)
        interrupted = False
        give_up = 0.0
        try:
            while not done.wait(POLL):
                display.update()
                if interrupt.hit.is_set() and not interrupted:
                    interrupted = True
                    print(
                        "cosmos-tui: interrupted; cancelling the runs started here "
                        "(again to stop waiting)...",
                        file=sys.stderr,
                    )
                    for run_id in run_ids:
                        if not api.get_run(run_id).is_terminal:
                            with contextlib.suppress(OperationError):  # it ended meanwhile
                                api.cancel_run(run_id)
                    give_up = time.monotonic() + api.stop_grace(host) + GIVE_UP_AFTER
                if interrupted and (interrupt.count > 1 or time.monotonic() > give_up):
                    # Whatever a run thread is doing, an interrupt ends this command.
                    left = [r for r in run_ids if not api.get_run(r).is_terminal]
                    if left:
                        print(
                            f"cosmos-tui: stopped waiting for {', '.join(left)}; the next cosmos-tui "
                            f"finishes the cancel (`{hint('run wait ' + left[0])}`).",
                            file=sys.stderr,
                        )
                    break
            display.update()
        finally:
            display.close()
        if "error" in outcome and not interrupted:
            raise outcome["error"]
    return interrupted


def cmd_upscale(args: argparse.Namespace) -> int:
    """`cosmos-tui upscale RUN_ID`: queue the 4K upscale of a completed run and execute it here
    (or start it, --detach), like `--run`."""
    from cosmos_tui.cli_output import Output

    out = Output(json_mode=args.json)
    with _api(args) as api:
        parent = api.check_upscale(args.id, args.weight)  # refusals before the host is asked
        host = api.config.host(args.host or parent.host).name
        api.check_outputs()
        status = api.host_status(host)
        if not status.reachable:
            print(f"cosmos-tui: error: {status.reason}", file=sys.stderr)
            return EXIT_HOST
        run_id = api.upscale(parent.run_id, args.weight, host)
        print(
            f"queued {run_id} on {api.config.host_label(host)}: 4K upscale of {parent.run_id}",
            file=sys.stderr,
        )
        return _execute_and_report(api, out, [run_id], host, args)


class _Display:
    """A Rich progress display on a terminal; one plain line per stage change when piped."""

    def __init__(self, out: Any, run_ids: list[str], api: CosmosAPI) -> None:
        self.api = api
        self.run_ids = run_ids
        self.last: dict[str, tuple[str, str | None]] = {}
        self.notes: dict[str, str | None] = {}
        self.progress = None
        self.quiet = out.json_mode
        if out.is_tty and not self.quiet:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self.progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.percentage:>3.0f}%"),
                TextColumn("{task.fields[stage]}"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self.tasks = {r: self.progress.add_task(r, total=100, stage=RunStatus.QUEUED) for r in run_ids}
            self.progress.start()

    def update(self) -> None:
        for run_id in self.run_ids:
            run = self.api.get_run(run_id)
            self._note(run)
            if self.progress is not None:
                stage = (run.stage or "") if run.status == RunStatus.RUNNING else run.status
                self.progress.update(
                    self.tasks[run_id],
                    completed=100 if run.status == RunStatus.COMPLETED else run.progress,
                    stage=stage,
                )
                continue
            key = (run.status, run.stage)
            if self.last.get(run_id) != key and not self.quiet:
                self.last[run_id] = key
                running = run.status == RunStatus.RUNNING and run.stage
                detail = f" {run.stage} {run.progress:.0f}%" if running else ""
                print(f"{run_id} {run.status}{detail}", file=sys.stderr, flush=True)

    def _note(self, run: RunRecord) -> None:
        """Say on the terminal why a run that is not over is stuck (a full disk, a lost host)."""
        note = None if run.is_terminal else run.error_message
        if note == self.notes.get(run.run_id):
            return
        self.notes[run.run_id] = note
        if note:
            text = f"cosmos-tui: {run.run_id}: {escape_controls(note)}"
            if self.progress is not None:
                self.progress.console.print(text, markup=False, highlight=False)
            else:
                print(text, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def cmd_run_logs(args: argparse.Namespace) -> int:
    with _api(args) as api:
        run = api.get_run(args.id)
        if not args.follow and not (run.log_path and Path(run.log_path).exists()):
            raise OperationError(_no_log(run))
        if args.follow and not run.is_terminal:
            # Drive the run here if no live process does, so the log keeps growing.
            def drive() -> None:
                try:
                    api.execute([run.run_id])
                except CosmosError as exc:  # e.g. its host left the config: the log still shows
                    print(f"cosmos-tui: {exc}", file=sys.stderr)

            threading.Thread(target=drive, daemon=True).start()
        # A terminal gets the log as the TUI shows it (nothing in it can act on the terminal); a
        # file or pipe gets the bytes as the model wrote them.
        tty = sys.stdout.isatty()
        with _Interrupt() as interrupt:
            for lines in api.follow_log(run.run_id, follow=args.follow, stop=interrupt.hit, terminal=tty):
                sys.stdout.write("".join(line + "\n" for line in lines))
                sys.stdout.flush()
                if interrupt.hit.is_set():
                    return EXIT_INTERRUPTED
    return EXIT_OK


def _no_log(run: RunRecord) -> str:
    if run.is_terminal:
        return f"run {run.run_id} ({run.status}) has no log: it ended before its model wrote any."
    return (
        f"run {run.run_id} ({run.status}) has no log yet; follow it as it comes with "
        f"`{hint('run logs -f ' + run.run_id)}`."
    )


def cmd_run_rerun(args: argparse.Namespace) -> int:
    """`run rerun ID [--exact]`: queue it again (a worker, `run wait` or the TUI executes it)."""
    from cosmos_tui.cli_output import Output

    out = Output(json_mode=args.json)
    with _api(args) as api:
        run = api.get_run(api.rerun(args.id, exact=args.exact))
    if args.json:
        out.json(run.to_json())
        return EXIT_OK
    out.line(run.run_id)
    notes = run.config.get("_rerun", {}).get("differences") or []
    for note in notes:
        print(f"cosmos-tui: differs from the original: {note}", file=sys.stderr)
    print(f"queued; run it with `{hint('run wait ' + run.run_id)}`.", file=sys.stderr)
    return EXIT_OK


def cmd_run_diff(args: argparse.Namespace) -> int:
    from cosmos_tui.cli_output import Output

    out = Output(json_mode=args.json)
    with _api(args) as api:
        first, second = api.resolve_run_id(args.first), api.resolve_run_id(args.second)
        found = api.diff_runs(first, second)
    if args.json:
        out.json([{"what": what, first: a, second: b} for what, a, b in found])
    elif not found:
        out.line(f"{first} and {second} were made the same way.")
    else:
        out.table(["what", first, second], [[what, _shown(a), _shown(b)] for what, a, b in found])
    return EXIT_OK


def _shown(value: Any) -> str:
    if value is None:
        return "-"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def cmd_run_rate(args: argparse.Namespace) -> int:
    from cosmos_tui.cli_output import Output

    out = Output(json_mode=args.json)
    with _api(args) as api:
        run = api.rate_run(args.id, args.rating)
    if args.json:
        out.json(run.to_json())
    else:
        out.line(f"{run.run_id} rated {stars(run.rating)}" if run.rating else f"{run.run_id}: rating cleared")
    return EXIT_OK


def cmd_run_cancel(args: argparse.Namespace) -> int:
    with _api(args) as api:
        run = api.cancel_run(args.id)
        deadline = (
            time.monotonic() + api.config.host(run.host).stop_grace + 60
            if run.host in api.config.hosts
            else time.monotonic() + 60
        )
        while not run.is_terminal and time.monotonic() < deadline:
            time.sleep(POLL)
            run = api.get_run(run.run_id)
        if run.is_terminal:
            api.wait_executors([run.run_id], timeout=60)  # lets a stop done here finish its cleanup
        for line in _report(run):
            print(line)
        if run.status == RunStatus.COMPLETED:
            print(
                f"cosmos-tui: {run.run_id} had already finished on its host; its results are kept.",
                file=sys.stderr,
            )
    return EXIT_OK if run.status == RunStatus.CANCELLED else EXIT_FAILED


def cmd_run_wait(args: argparse.Namespace) -> int:
    from cosmos_tui.cli_output import Output

    out = Output(json_mode=args.json)
    with _api(args) as api, _Interrupt() as interrupt:
        run_id = api.resolve_run_id(args.id)
        api.check_hosts([run_id])
        done, outcome = _in_background(lambda: api.wait_run(run_id))
        display = _Display(out, [run_id], api)
        try:
            while not done.wait(POLL):
                display.update()
                if interrupt.hit.is_set():
                    print("cosmos-tui: stopped waiting; the run goes on.", file=sys.stderr)
                    return EXIT_INTERRUPTED
            display.update()
        finally:
            display.close()
        if "error" in outcome:
            raise outcome["error"]
        run = api.get_run(run_id)
    if args.json:
        out.json(run.to_json())
    else:
        for line in _report(run):
            out.line(line)
    return EXIT_OK if run.status == RunStatus.COMPLETED else EXIT_FAILED


def cmd_status(args: argparse.Namespace) -> int:
    from cosmos_tui.cli_output import Output

    out = Output(json_mode=args.json)
    with _api(args) as api:
        names = api.target_hosts(args.host) if args.host else list(api.config.hosts)
        if not names:
            raise UsageError("no hosts are configured; add a [hosts.NAME] table to the config.")
        statuses = [api.host_status(name) for name in names]
    if args.json:
        out.json([s.to_json() for s in statuses])
    else:
        for status in statuses:
            state = "reachable" if status.reachable else f"UNREACHABLE: {status.reason}"
            out.line(f"{status.label}: {state}")
            if status.pools:
                out.line(f"  pools: {', '.join(status.pools)}")
            if status.free_disk_bytes is not None:
                out.line(f"  free disk in remote_dir: {status.free_disk_bytes / 1e9:.1f} GB")
            for node in status.nodes:
                out.line(
                    f"  node {node.name} {node.state}: {node.gpus_allocated} of {node.gpus_total} GPU(s) "
                    f"allocated, CPUs {node.cpus}"
                )
            for gpu in status.gpus:
                out.line(
                    f"  GPU {gpu.index} {gpu.name}: {gpu.utilization:.0f}% util, "
                    f"{gpu.memory_used_mib:.0f}/{gpu.memory_total_mib:.0f} MiB, {gpu.temperature_c:.0f} C, "
                    f"{gpu.power_w or 0:.0f} W"
                )
            for container in status.containers:
                out.line(
                    f"  container {container.name} ({container.run_id}): {container.state}, "
                    f"created {container.running_for}"
                )
    return EXIT_OK if all(s.reachable for s in statuses) else EXIT_HOST


def cmd_host_trust(args: argparse.Namespace) -> int:
    with _api(args) as api:
        check = api.host_key(args.name)
        if check.state == "trusted":
            print(
                f"host {check.host} presents the key {check.shown}, already trusted in "
                f"{check.known_hosts}; nothing to record."
            )
            return EXIT_OK
        if check.state == "changed":
            print(
                f"host {check.host}'s key has CHANGED: {check.known_hosts} has "
                f"{', '.join(check.recorded)}, but the host now presents {check.shown}."
            )
            if not args.replace:
                raise OperationError(
                    "the recorded key was kept. Someone may be intercepting the connection; if the host "
                    f"was reinstalled, check the new fingerprint with its admin, then run "
                    f"`{hint('host trust ' + check.host + ' --replace')}`."
                )
            question = "Replace the recorded key with the new one? [y/N] "
        else:
            print(f"host {check.host} presents the key {check.shown}")
            question = "Trust this key and record it in known_hosts? [y/N] "
        if not args.yes:
            try:
                answer = input(question)
            except EOFError:
                answer = ""
            if answer.strip().lower() not in ("y", "yes"):
                print("not recorded.", file=sys.stderr)
                return EXIT_FAILED
        path = api.trust_host(check.host, check.key, replace=check.state == "changed")
        print(f"{'replaced' if check.state == 'changed' else 'recorded'} in {path}", file=sys.stderr)
    return EXIT_OK


def cmd_host_check(args: argparse.Namespace) -> int:
    """`host check NAME`: the pre-flight check, one line per item; non-zero when an item failed."""
    from cosmos_tui.cli_output import Output

    out = Output(json_mode=args.json)
    with _api(args) as api:
        check = api.check_host(args.name, force=args.force)
    if args.json:
        out.json(check.to_json())
    else:
        out.line(f"host {check.label}: {check.family} {check.checkpoint}")
        for item in check.items:
            state = "FAILED" if item.state == "failed" else item.state
            out.line(f"  {state:<7} {item.name:<10} {escape_controls(item.message)}")
    if check.ok:
        return EXIT_OK
    return EXIT_HOST if check.item("reachable").state == "failed" else EXIT_FAILED


def _size(count: int) -> str:
    if count < 1000:
        return f"{count} B"
    value = float(count)
    for unit in ("KB", "MB", "GB"):
        value /= 1000
        if value < 1000 or unit == "GB":
            break
    return f"{value:.1f} {unit}"


def cmd_host_clean(args: argparse.Namespace) -> int:
    from cosmos_tui.cli_output import Output

    out = Output(json_mode=args.json)
    with _api(args) as api:
        report = api.clean_host(args.name, older_than_days=args.older_than, dry_run=args.dry_run)
    if args.json:
        out.json(report.to_json())
    else:
        verb, freed = ("would remove", "would free") if report.dry_run else ("removed", "freed")
        out.line(
            f"host {report.host}: {verb} {len(report.runs_removed)} run folder(s) "
            f"({_size(report.runs_removed_bytes)}) and {len(report.inputs_removed)} input(s) "
            f"({_size(report.inputs_removed_bytes)}); {freed} {_size(report.freed_bytes)}."
        )
        kept = [
            (len(report.kept_unfinished), "of unfinished runs"),
            (len(report.kept_recent), "finished too recently" if args.older_than else "finished just now"),
            (len(report.kept_running), "whose container or process still runs"),
            (len(report.kept_unknown), "unknown to this database (no collected marker)"),
        ]
        parts = [f"{count} {why}" for count, why in kept if count]
        if parts:
            out.line("kept run folders: " + "; ".join(parts) + ".")
        if report.inputs_kept:
            days = report.older_than_days
            window = f"{days:g} day(s)" if days * 24 > 1 else "hour"
            out.line(f"kept {report.inputs_kept} input(s): still needed, or used in the last {window}.")
    for error in report.errors:
        print(f"cosmos-tui: error: {error}", file=sys.stderr)
    return EXIT_FAILED if report.errors else EXIT_OK


def cmd_worker(args: argparse.Namespace) -> int:
    """Execute queued runs for the given hosts until interrupted (or idle, with --until-idle)."""
    with _api(args) as api, _Interrupt() as interrupt:
        hosts = (
            [h for given in args.host for h in api.target_hosts(given)]
            if args.host
            else list(api.config.hosts)
        )
        hosts = list(dict.fromkeys(hosts))
        api.start_execution(hosts)
        idle_since = None
        while not interrupt.hit.wait(POLL):
            if args.until_idle:
                busy = api.executing() or api.count_runs(RunStatus.ACTIVE)
                if busy:
                    idle_since = None
                elif idle_since is None:
                    idle_since = time.monotonic()
                elif time.monotonic() - idle_since > 1.0:
                    break
        api.stop_execution(wait=not interrupt.hit.is_set())
    return EXIT_INTERRUPTED if interrupt.hit.is_set() else EXIT_OK


# -- prompt enhancement: `prompt enhance ID`, `--run ID --enhance` ----------------------------------


def _reachable(api: CosmosAPI, host: str) -> None:
    status = api.host_status(host)
    if not status.reachable:
        raise HostError(status.reason or f"host {host} cannot be reached.")


def cmd_prompt_enhance(args: argparse.Namespace) -> int:
    """`prompt enhance ID`: run the prompt upsampler; the enhanced prompt becomes a child prompt."""
    from cosmos_tui.cli_output import Output

    out = Output(json_mode=args.json)
    with _api(args) as api:
        prompt = api.get_prompt(args.id)
        host = api.config.host(args.host).name
        label = api.config.host_label(host)
        api.check_outputs()
        _reachable(api, host)
        run_id = api.enhance_prompt(prompt.prompt_id, host=host)
        print(f"queued {run_id} to enhance {prompt.prompt_id} on {label}", file=sys.stderr)
        if _execute_showing(api, out, [run_id], host, args.detach):
            return EXIT_INTERRUPTED
        run = api.get_run(run_id)
        child = api.enhanced_prompt(run_id)
        if args.detach and not run.is_terminal:
            if args.json:
                out.json(run.to_json())
            else:
                out.line(run_id)
            print(
                f"{_detached_report(run, label)} The enhanced prompt is made when it is collected; "
                f"`{hint('prompt show ' + prompt.prompt_id)}` then lists it.",
                file=sys.stderr,
            )
            return EXIT_OK
        if run.status != RunStatus.COMPLETED or child is None:
            for line in _report(run):
                print(line, file=sys.stderr)
            return EXIT_HOST if run.error_class == "ssh" else EXIT_FAILED
    if args.json:
        out.json(child.to_json())
    else:
        out.line(child.prompt_id)
        print(
            f"enhanced {prompt.prompt_id} into {child.prompt_id}: {escape_controls(child.text)}",
            file=sys.stderr,
        )
    return EXIT_OK


def cmd_run_enhanced(args: argparse.Namespace) -> int:
    """`--run ID ... --enhance`: enhance each prompt, then run each enhanced prompt (queued by the
    enhance run's follow-up, so a detached chain goes on in whichever process collects it)."""
    from cosmos_tui.cli_output import Output

    if getattr(args, "seeds", None) or getattr(args, "sweep", None):
        raise UsageError(
            "--enhance runs each enhanced prompt once; leave out --seeds and --sweep, or sweep "
            "the enhanced prompts afterwards."
        )
    out = Output(json_mode=args.json)
    with _api(args) as api:
        ids = _prompt_ids(args)
        overrides = _overrides(args)
        host = api.config.host(args.host).name
        label = api.config.host_label(host)
        for given in ids:
            api.get_prompt(given)  # bad IDs fail here, before anything is queued
        api.check_outputs()
        _reachable(api, host)
        enhance_ids = [
            api.enhance_prompt(given, host=host, run_after=True, overrides=overrides) for given in ids
        ]
        print(
            f"queued {' '.join(enhance_ids)} on {label} to enhance the prompts; each enhanced prompt "
            "runs when its enhancement completes",
            file=sys.stderr,
        )
        return _execute_and_report(
            api,
            out,
            enhance_ids,
            host,
            args,
            api.runs_queued_after,
            "the enhanced prompts",
            each_needs_then=True,
        )
