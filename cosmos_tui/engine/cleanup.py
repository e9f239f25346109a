"""Freeing a host's disk: run folders of finished runs, and inputs no unfinished run needs.

Only two kinds of path are ever removed, both under ``remote_dir/.cosmos-tui/``:
``runs/<id>/`` where ``id`` matches the run or batch ID format exactly (a batch's folder holds
the outputs of all its runs), and ``inputs/<sha256><suffix>``. Names come from a listing of the
host, are checked against those patterns, and are quoted in every command; anything else found
there (upload temp files, symlinks, foreign names) is left alone.

A run folder goes when its run is finished (a batch's folder: when every run of it is): the
database knows it as completed, failed or cancelled, or (for a folder this database has no
record of, say after ``prompt delete --force``) it carries the ``.collected`` marker that a
cosmos-tui writes after it has collected and recorded the run. A folder with neither is kept: it
may belong to another cosmos-tui's database whose run is still going. A folder whose container or
process still lives is kept too.

An input goes when no unfinished run needs it (their local inputs, hashed as an upload would
be, and the uploaded files their records name), no run folder that stays refers to it in its
spec.json, and it was not used in the last hour (an upload in another process checks for the
file and then relies on it; using it touches the file).
"""

from __future__ import annotations

import logging
import math
import re
import shlex
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from cosmos_tui.engine.hosts import INPUTS_DIR, RUNS_DIR, HostSession, sha256_file, stale_uploads_command
from cosmos_tui.errors import OperationError
from cosmos_tui.records import CleanReport
from cosmos_tui.remote import docker, process
from cosmos_tui.remote.transport import sh_join
from cosmos_tui.store import hostfiles

log = logging.getLogger(__name__)

RUN_NAME = re.compile(r"(?:rs|bs)_[0-9a-f]{12}")  # a run's folder, or a batch's
INPUT_NAME = re.compile(r"[0-9a-f]{64}(?:\.[a-z0-9]{1,10})?")
INPUT_REF = r"inputs/[0-9a-f]\{64\}[.a-z0-9]*"  # grep BRE: an input path inside a spec.json
MARKER = ".collected"
INPUT_GRACE_MINUTES = 60
AUTO_EVERY = 600.0  # seconds between automatic cleans of one host by one process
BATCH = 400
DAY = 86400.0
LIVE_CONTAINER = ("running", "restarting", "paused", "removing")

Hasher = Callable[[Path], str]


@dataclass
class Scan:
    """What one listing of remote_dir/.cosmos-tui/ found."""

    now: int = 0  # the host's clock, epoch seconds
    runs: set[str] = field(default_factory=set)
    marks: dict[str, int] = field(default_factory=dict)  # run ID -> marker mtime
    refs: dict[str, set[str]] = field(default_factory=dict)  # run ID -> input names in its spec
    inputs: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> (size, mtime)


def scan_command(state_dir: str) -> str:
    """One command listing run folders, their markers and spec references, and the inputs."""
    runs = shlex.quote(f"{state_dir}/runs")
    inputs = shlex.quote(f"{state_dir}/inputs")
    return (
        'echo "now $(date +%s)"; '
        f"if cd {runs} 2>/dev/null; then "
        "echo @runs; find . -mindepth 1 -maxdepth 1 -type d \\( -name 'rs_*' -o -name 'bs_*' \\) -print; "
        f"echo @marks; find . -mindepth 2 -maxdepth 2 -type f -name {MARKER} -exec stat -c '%Y %n' {{}} +; "
        "echo @refs; find . -mindepth 2 -maxdepth 2 -type f -name spec.json "
        f"-exec grep -oH {shlex.quote(INPUT_REF)} {{}} +; "
        "fi; "
        f"if cd {inputs} 2>/dev/null; then "
        "echo @inputs; find . -mindepth 1 -maxdepth 1 -type f -exec stat -c '%s %Y %n' {} +; "
        "fi; true"
    )


def _run_of(path: str) -> str | None:
    """The run ID of `./rs_x` or `./rs_x/file`, if it is a valid one."""
    parts = path.split("/")
    if len(parts) < 2 or parts[0] != ".":
        return None
    return parts[1] if RUN_NAME.fullmatch(parts[1]) else None


def parse_scan(text: str) -> Scan:
    scan = Scan()
    section = ""
    for line in text.splitlines():
        if line.startswith("now "):
            scan.now = int(line.split()[1])
        elif line.startswith("@"):
            section = line
        elif section == "@runs":
            run_id = _run_of(line)
            if run_id and line == f"./{run_id}":
                scan.runs.add(run_id)
        elif section == "@marks":
            mtime, _, path = line.partition(" ")
            run_id = _run_of(path)
            if run_id and mtime.isdigit() and path == f"./{run_id}/{MARKER}":
                scan.marks[run_id] = int(mtime)
        elif section == "@refs":
            path, _, ref = line.partition(":")
            run_id = _run_of(path)
            name = ref.rpartition("/")[2]
            if run_id and INPUT_NAME.fullmatch(name):
                scan.refs.setdefault(run_id, set()).add(name)
        elif section == "@inputs":
            parts = line.split(" ", 2)
            if len(parts) == 3 and parts[0].isdigit() and parts[1].isdigit() and parts[2].startswith("./"):
                name = parts[2][2:]
                if INPUT_NAME.fullmatch(name):
                    scan.inputs[name] = (int(parts[0]), int(parts[1]))
    return scan


@dataclass
class RunPlan:
    candidates: list[str] = field(default_factory=list)
    unfinished: list[str] = field(default_factory=list)
    recent: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


def plan_runs(
    scan: Scan,
    finished: dict[str, datetime | None],
    known: set[str],
    now: datetime,
    older_than_days: float,
) -> RunPlan:
    """Sort the run folders found: which may go, and why each other one stays.

    ``finished``: runs the database knows as finished, with when; ``known``: every run it
    knows; ``now`` is naive UTC like the database's times.
    """
    plan = RunPlan()
    cutoff = now - timedelta(days=older_than_days)
    for run_id in sorted(scan.runs):
        if run_id in finished:
            when = finished[run_id]
            (plan.candidates if when is None or when <= cutoff else plan.recent).append(run_id)
        elif run_id in known:
            plan.unfinished.append(run_id)
        elif run_id in scan.marks:
            old = scan.now - scan.marks[run_id] >= older_than_days * DAY
            (plan.candidates if old else plan.recent).append(run_id)
        else:
            plan.unknown.append(run_id)
    return plan


def remove_runs_command(runs_dir: str, run_ids: list[str], dry_run: bool) -> str:
    """Per run: `ok ID KB`, `busy ID` (its process lives), `gone ID`, or `fail ID KB reason`."""
    for run_id in run_ids:
        if not RUN_NAME.fullmatch(run_id):  # never reached: callers pass scanned, checked names
            raise ValueError(f"not a run ID: {run_id!r}")
    remove = (
        'echo "ok $id $kb"'
        if dry_run
        else 'if err=$(rm -rf -- "$id" 2>&1); then echo "ok $id $kb"; '
        'else echo "fail $id $kb $(printf "%s" "$err" | tail -n 1)"; fi'
    )
    return (
        process.alive_function() + f"cd {shlex.quote(runs_dir)} || exit 0; "
        f"for id in {sh_join(run_ids)}; do "
        'if [ ! -d "$id" ] || [ -L "$id" ]; then echo "gone $id"; continue; fi; '
        f'if [ -f "$id/{process.WRAPPER}" ] && [ ! -f "$id/{process.EXIT}" ] '
        f'&& alive "$(cat "$id/{process.WRAPPER}")"; then echo "busy $id"; continue; fi; '
        'kb=$(du -sk "$id" 2>/dev/null | cut -f1); kb=${kb:-0}; '
        f"{remove}; done"
    )


def remove_inputs_command(inputs_dir: str, names: list[str], min_minutes: int, dry_run: bool) -> str:
    """Prints `./NAME` for each of these inputs unused for ``min_minutes`` (and deletes it)."""
    for name in names:
        if not INPUT_NAME.fullmatch(name):
            raise ValueError(f"not an input name: {name!r}")
    alternatives = " -o ".join(f"-name {shlex.quote(n)}" for n in names)
    # `-exec rm` rather than -delete (busybox find lacks it); -print only once rm succeeded.
    action = "-print" if dry_run else "-exec rm -f {} \\; -print"
    return (
        f"cd {shlex.quote(inputs_dir)} || exit 0; "
        f"find . -mindepth 1 -maxdepth 1 -type f -mmin +{min_minutes:d} \\( {alternatives} \\) {action}"
    )


def needed_inputs(hasher: Hasher) -> set[str] | None:
    """Input names unfinished runs need on their hosts; None when that cannot be told."""
    from cosmos_tui.cosmos.base import adapter_for

    needed: set[str] = set()
    for run_id, model_type, family, config in hostfiles.unfinished_configs():
        for rel in dict(config.get("_files") or {}).values():
            needed.add(str(rel).rpartition("/")[2])
        try:
            local = adapter_for(model_type, family).local_inputs(config)
        except Exception as exc:  # an adapter we cannot ask: keep every input to be safe
            log.warning("cannot tell which inputs run %s needs (%s); keeping all inputs", run_id, exc)
            return None
        for name in local:
            path = Path(name)
            if path.is_file():  # a missing file can never be uploaded, so it needs nothing
                needed.add(hasher(path) + path.suffix.lower())
    return needed


def folders_in_use(session: HostSession) -> set[str]:
    """Run folders whose files an unfinished run uses where they are (an upscale reads its parent's
    output.mp4 in the parent's folder): kept like the folders of unfinished runs."""
    from cosmos_tui.cosmos.base import RunFiles, adapter_for, placed_inputs

    used: set[str] = set()
    for run_id, model_type, family, config in hostfiles.unfinished_configs():
        paths = list(dict(config.get("_files") or {}).values())
        try:
            files = RunFiles(session.run_rel(run_id))
            paths += placed_inputs(adapter_for(model_type, family), config, files).values()
        except Exception as exc:  # an adapter we cannot ask: its files, if any, are in _files
            log.debug("no placed inputs for %s: %s", run_id, exc)
        for rel in paths:
            parts = str(rel).split("/")
            if str(rel).startswith(RUNS_DIR + "/") and len(parts) > 3 and RUN_NAME.fullmatch(parts[2]):
                used.add(parts[2])
    return used


def clean_host(
    session: HostSession,
    *,
    now: datetime,
    older_than_days: float = 0.0,
    dry_run: bool = False,
    hasher: Hasher = sha256_file,
) -> CleanReport:
    """Remove (or with ``dry_run`` only measure) what this host no longer needs.

    ``now`` is naive UTC. Raises HostError when the host cannot be reached.
    """
    transport = session.transport
    runs_dir = session.abs(RUNS_DIR)
    inputs_dir = session.abs(INPUTS_DIR)
    state_dir = runs_dir.rpartition("/")[0]
    listing = transport.run(scan_command(state_dir), timeout=300)
    if not listing.ok:
        raise OperationError(
            f"could not list {state_dir} on host {session.name} ({listing.error_text}); check remote_dir."
        )
    scan = parse_scan(listing.text)
    finished = hostfiles.finished_at(scan.runs)
    plan = plan_runs(scan, finished, hostfiles.known(scan.runs), now, older_than_days)
    in_use = folders_in_use(session) & set(plan.candidates)
    if in_use:
        plan.candidates = [r for r in plan.candidates if r not in in_use]
        plan.unfinished = sorted({*plan.unfinished, *in_use})
    errors: list[str] = []
    running: list[str] = []
    candidates = plan.candidates
    is_docker = session.host.runtime == "docker"
    if candidates and is_docker:
        candidates, running = _settle_containers(session, candidates, dry_run)

    removed, removed_kb, failed = _remove_run_folders(session, runs_dir, candidates, dry_run, running, errors)
    if failed and is_docker:
        failed = _wipe_as_root(session, runs_dir, failed, removed)
    if failed:
        sample = next(iter(failed.values()))
        errors.append(
            f"could not remove {len(failed)} run folder(s) under {runs_dir} ({sample}); files the model "
            "wrote as root may need `sudo rm -rf` on the host."
        )

    # Inputs: only after the run folders, so a folder that stayed keeps what its spec names.
    staying = scan.runs - set(removed)
    referenced = set().union(*(scan.refs.get(r, set()) for r in staying))
    inputs_removed = _remove_inputs(
        session, inputs_dir, scan, referenced, needed_inputs(hasher), older_than_days, dry_run, errors
    )
    stale = transport.run(stale_uploads_command(inputs_dir, dry_run), timeout=600)
    report = CleanReport(
        host=session.name,
        dry_run=dry_run,
        older_than_days=older_than_days,
        runs_removed=removed,
        runs_removed_bytes=removed_kb * 1024,
        inputs_removed=inputs_removed,
        inputs_removed_bytes=sum(scan.inputs[n][0] for n in inputs_removed),
        kept_unfinished=plan.unfinished,
        kept_recent=plan.recent,
        kept_running=sorted(running),
        kept_unknown=plan.unknown,
        inputs_kept=len(scan.inputs) - len(inputs_removed),
        errors=errors,
        stale_uploads_removed=sum(1 for line in stale.text.splitlines() if ".part-" in line),
    )
    log.info(
        "%s %s: %d run folder(s) and %d input(s), %d bytes",
        "would clean" if dry_run else "cleaned",
        session.name,
        len(removed),
        len(inputs_removed),
        report.freed_bytes,
    )
    return report


def _remove_run_folders(
    session: HostSession,
    runs_dir: str,
    candidates: list[str],
    dry_run: bool,
    running: list[str],
    errors: list[str],
) -> tuple[list[str], int, dict[str, str]]:
    """Remove the candidates' folders in batches: (removed, their size in KB, failed with why).
    A folder whose run turned out to be busy is added to ``running``; batch failures to ``errors``."""
    removed: list[str] = []
    removed_kb = 0
    failed: dict[str, str] = {}
    for start in range(0, len(candidates), BATCH):
        batch = candidates[start : start + BATCH]
        result = session.transport.run(remove_runs_command(runs_dir, batch, dry_run), timeout=1800)
        for line in result.text.splitlines():
            word, _, rest = line.partition(" ")
            run_id, _, rest = rest.partition(" ")
            if run_id not in batch:
                continue
            if word == "busy":
                running.append(run_id)
            elif word == "ok":
                removed.append(run_id)
                removed_kb += _int(rest)
            elif word == "fail":
                failed[run_id] = rest.partition(" ")[2] or "rm failed"
        if not result.ok:
            errors.append(f"removing run folders on {session.name} failed ({result.error_text}).")
    return removed, removed_kb, failed


def _remove_inputs(
    session: HostSession,
    inputs_dir: str,
    scan: Scan,
    referenced: set[str],
    needed: set[str] | None,
    older_than_days: float,
    dry_run: bool,
    errors: list[str],
) -> list[str]:
    """Remove inputs no staying run folder names and no unfinished run needs (``needed`` is None
    when that is unknown: then nothing goes); the names removed."""
    if needed is None:
        return []
    min_minutes = max(INPUT_GRACE_MINUTES, math.ceil(older_than_days * 24 * 60))
    wanted = [
        name
        for name, (_size, mtime) in sorted(scan.inputs.items())
        if name not in needed and name not in referenced and scan.now - mtime > min_minutes * 60
    ]
    removed: list[str] = []
    for start in range(0, len(wanted), BATCH):
        batch = wanted[start : start + BATCH]
        command = remove_inputs_command(inputs_dir, batch, min_minutes, dry_run)
        result = session.transport.run(command, timeout=600)
        printed = (line.removeprefix("./") for line in result.text.splitlines())
        removed += [name for name in printed if name in batch]
        if not result.ok:
            errors.append(f"removing inputs on {session.name} failed ({result.error_text}).")
    return removed


def _int(text: str) -> int:
    head = text.split(" ", 1)[0]
    return int(head) if head.isdigit() else 0


def _settle_containers(
    session: HostSession, run_ids: list[str], dry_run: bool
) -> tuple[list[str], list[str]]:
    """Split runs into (removable, still running); remove the stopped containers of the first.

    A container left behind by a finished run (its removal after collection failed) is removed
    here, without -f: a live one is never killed, its folder simply stays.
    """
    host = session.host
    listing = session.transport.run(sh_join(docker.ps_argv(host.docker)), timeout=120)
    if not listing.ok:
        raise OperationError(
            f"docker on host {session.name} failed ({listing.error_text}); nothing was removed. "
            "Check the docker command in the config."
        )
    states: dict[str, str] = {}
    for line in listing.text.splitlines():
        parts = line.split("\t")
        if len(parts) == 4:
            states[parts[1]] = parts[2]
    live = [r for r in run_ids if states.get(r) in LIVE_CONTAINER]
    stopped = [r for r in run_ids if r in states and r not in live]
    if stopped and not dry_run:
        result = session.transport.run(sh_join(docker.remove_stopped_argv(host.docker, stopped)), timeout=300)
        if not result.ok:
            log.warning("removing leftover containers on %s: %s", session.name, result.error_text)
    return [r for r in run_ids if r not in live], live


def _wipe_as_root(
    session: HostSession, runs_dir: str, failed: dict[str, str], removed: list[str]
) -> dict[str, str]:
    """Empty folders plain rm could not (root-owned files from the container) with the host's
    docker, then remove them; return those that still failed."""
    still: dict[str, str] = {}
    host = session.host
    for run_id, reason in failed.items():
        if not RUN_NAME.fullmatch(run_id):  # only ever one run's own folder
            still[run_id] = reason
            continue
        run_dir = f"{runs_dir}/{run_id}"
        wipe = session.transport.run(sh_join(docker.wipe_argv(host.docker, host.image, run_dir)), timeout=600)
        again = session.transport.run(f"rm -rf -- {shlex.quote(run_dir)}", timeout=600)
        if again.ok:
            log.info("removed %s on %s through docker (%s)", run_id, session.name, reason)
            removed.append(run_id)
        else:
            still[run_id] = wipe.error_text if not wipe.ok else again.error_text
    return still


# -- after each collection ------------------------------------------------------------------------

_last_auto: weakref.WeakKeyDictionary[HostSession, float] = weakref.WeakKeyDictionary()
_auto_lock = threading.Lock()


def after_collect(session: HostSession, run_id: str, now: datetime, hasher: Callable[[Path], str]) -> None:
    """Mark a collected run's folder, then apply the host's keep_runs_days (at most every
    AUTO_EVERY seconds per host). Never raises: cleaning must not fail a run."""
    try:
        if not RUN_NAME.fullmatch(run_id):
            return
        run_dir = session.abs(f"{RUNS_DIR}/{run_id}")
        session.transport.run(
            f"[ -d {shlex.quote(run_dir)} ] && : > {shlex.quote(run_dir + '/' + MARKER)}; true", timeout=60
        )
        days = session.host.keep_runs_days
        if days <= 0:
            return
        with _auto_lock:
            last = _last_auto.get(session)
            if last is not None and time.monotonic() - last < AUTO_EVERY:
                return
            _last_auto[session] = time.monotonic()
        report = clean_host(session, now=now, older_than_days=days, hasher=hasher)
        for error in report.errors:
            log.warning("cleaning host %s: %s", session.name, error)
    except Exception as exc:
        log.warning("cleaning host %s after collecting %s failed: %s", session.name, run_id, exc)
        log.debug("cleaning failure", exc_info=True)
