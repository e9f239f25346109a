"""CosmosAPI: the one facade the CLI and the TUI use.

It validates input, talks to the store and the engine and returns frozen dataclasses from
``records``. The UI imports nothing of the core but this module, ``records`` and ``errors``
(import-linter contracts in pyproject.toml). Nothing here or below imports textual or rich. Heavy
modules (Paramiko, the engine) are imported lazily so a headless ``prompt list`` stays fast.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cosmos_tui import families, ids, sweeps, tasks
from cosmos_tui.applog import log_run_outcome
from cosmos_tui.config import ANY, Config
from cosmos_tui.config import load as load_config
from cosmos_tui.cosmos.base import LOG_PREFIXES, adapter_for, check_options, clean, show_prefix
from cosmos_tui.errors import (
    ConfigError,
    CosmosError,
    NotFoundError,
    OperationError,
    SweepTooLargeError,
    UsageError,
)
from cosmos_tui.files import MB, path_problem, read_up_to
from cosmos_tui.records import (
    MODEL_TYPES,
    STATUSES,
    CleanReport,
    Dashboard,
    DeleteResult,
    GalleryItem,
    HostCheck,
    HostKeyCheck,
    HostStatus,
    InputKind,
    PromptRecord,
    RunChanges,
    RunRecord,
    RunStatus,
)
from cosmos_tui.runlog import LogFollower
from cosmos_tui.store import Store
from cosmos_tui.store import dashboard as dashboard_queries
from cosmos_tui.store import prompts as prompt_queries
from cosmos_tui.store import runs as run_queries
from cosmos_tui.store.lifecycle import PLACED_KEY
from cosmos_tui.store.lookup import resolve
from cosmos_tui.store.models import Prompt, Run
from cosmos_tui.text import has_controls
from cosmos_tui.videos import input_names, resolve_input

if TYPE_CHECKING:
    from cosmos_tui.engine.engine import Engine

log = logging.getLogger(__name__)

MAX_PROMPT_CHARS = 10_000
MAX_NAME_CHARS = 200
NAME_WORDS = 5
NAME_CHARS = 40
MAX_DAYS = 36_500  # a century: what a look-back period can sensibly span
MAX_OFFSET = 1_000_000_000
MAX_PROMPTS_FILE = 4 * MB  # some 250,000 IDs

Clock = Callable[[], datetime]


def _utc_clock() -> datetime:
    return datetime.now(UTC)


def name_from_text(text: str) -> str:
    """A short readable name from the first words of the prompt text."""
    words = re.findall(r"\w+", text.lower())[:NAME_WORDS]
    name = "-".join(words)[:NAME_CHARS].strip("-_")
    return name or "prompt"


class CosmosAPI:
    """Prompts, runs and statistics over one configuration and its database."""

    def __init__(self, config: Config, *, clock: Clock | None = None) -> None:
        self.config = config
        self._clock = clock or _utc_clock
        self._store: Store | None = None
        self._store_lock = threading.Lock()
        self._engine: Engine | None = None

    @classmethod
    def from_config(cls, path: str | Path | None = None, **kwargs: Any) -> CosmosAPI:
        """Load the configuration (search order in ``config.locate``) and build the API."""
        return cls(load_config(path), **kwargs)

    # -- before there is an API: logging, the working folder, the starter config ---------------

    @staticmethod
    def setup_logging(verbose: int = 0) -> Path | None:
        """The application log (see ``applog``); its file, if one could be opened."""
        from cosmos_tui.applog import setup_logging

        return setup_logging(verbose)

    @staticmethod
    def check_current_folder() -> None:
        """Refuse, in one sentence, a current folder deleted under the shell (relative paths
        would resolve nowhere)."""
        from cosmos_tui.config import current_folder

        current_folder()

    @staticmethod
    def write_starter_config(
        path: str | Path | None, *, force: bool = False, given: str | Path | None = None
    ) -> tuple[Path, str | None]:
        """Write a commented starter configuration to ``path`` (default: the user config file).
        Also returns a note when another file (``given``, or the search order) would be used
        instead of it, else None."""
        from cosmos_tui.config import locate, shadow_note, user_config_file
        from cosmos_tui.config_template import write_starter

        written = write_starter(Path(path) if path else user_config_file(), force=force)
        try:
            used, how = locate(given)
        except CosmosError:
            return written, None
        if used is not None and used.resolve() != written.resolve():
            return written, shadow_note(used, how, written)
        return written, None

    @staticmethod
    def prompt_ids_from_file(path: Path) -> list[str]:
        """The prompt IDs a file lists (whitespace-separated, ``#`` starts a comment). At most
        MAX_PROMPTS_FILE bytes are read (`/dev/zero` must not fill memory); UTF-8. A pipe
        (`--prompts-file <(grep ...)`) is fine; a folder or a device is not."""
        problem = path_problem(path)
        if problem and problem.kind != "fifo":
            raise UsageError(f"the prompts file {path} {problem}; give a text file of prompt IDs.")
        try:
            data = read_up_to(path, MAX_PROMPTS_FILE + 1, regular=False)
        except OSError as exc:
            raise UsageError(f"cannot read the prompts file {path} ({exc.strerror}).") from exc
        if len(data) > MAX_PROMPTS_FILE:
            raise UsageError(
                f"the prompts file {path} holds more than {MAX_PROMPTS_FILE // MB} MB; it should list "
                "prompt IDs, one per line."
            )
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UsageError(
                f"the prompts file {path} is not UTF-8 text (byte {exc.start + 1} is not valid); "
                "save it as UTF-8."
            ) from exc
        ids: list[str] = []
        for line in text.splitlines():
            ids += line.split("#", 1)[0].split()
        return ids

    def config_toml(self) -> str:
        """The configuration in effect, as TOML (``config show``)."""
        from cosmos_tui.config import to_toml

        return to_toml(self.config)

    def config_json(self) -> dict[str, Any]:
        """The configuration in effect, as plain data (``config show --json``)."""
        from cosmos_tui.config import as_dict

        return as_dict(self.config)

    # -- plumbing -----------------------------------------------------------------------------

    @property
    def store(self) -> Store:
        # Opened on first use, which in the TUI is several worker threads at once.
        with self._store_lock:
            if self._store is None:
                self._store = Store(self.config.paths.database)
            return self._store

    def close(self) -> None:
        if self._engine is not None:
            self._engine.stop(wait=False)
            self._engine = None
        if self._store is not None:
            self._store.close()
            self._store = None

    def __enter__(self) -> CosmosAPI:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _now(self) -> datetime:
        """Now, as the naive UTC the database stores."""
        return self._clock().astimezone(UTC).replace(tzinfo=None)

    def run_dir(self, run_id: str) -> Path:
        return run_queries.run_dir(self.config.paths.outputs, run_id)

    # -- prompts ------------------------------------------------------------------------------

    def create_prompt(
        self,
        text: str,
        input_path: str | Path | None = None,
        *,
        name: str | None = None,
        negative_prompt: str | None = None,
        model_type: str | None = None,
        parameters: dict[str, Any] | None = None,
        parent_id: str | None = None,
    ) -> PromptRecord:
        """Validate and store a prompt; the text is kept verbatim. ``input_path`` is a
        control-video folder, one video or image file (a path, or a name in the inputs folder),
        or None for text alone. ``model_type`` defaults to the input's default task."""
        if not text or not text.strip():
            raise UsageError("the prompt text is empty; describe the video you want.", field="text")
        if len(text) > MAX_PROMPT_CHARS:
            raise UsageError(
                f"the prompt text has {len(text):,} characters, over the limit of "
                f"{MAX_PROMPT_CHARS:,}; shorten it (the model reads only the first 512 tokens).",
                field="text",
            )
        if name is not None:
            name = name.strip()
            if not name:
                raise UsageError("the prompt name is empty; give a name or leave --name out.", field="name")
            if len(name) > MAX_NAME_CHARS:
                raise UsageError(
                    f"the prompt name is over {MAX_NAME_CHARS} characters; shorten it.", field="name"
                )
            if has_controls(name):
                raise UsageError(
                    "the prompt name holds a control character (an escape, a newline, a tab...); "
                    "use printable characters only.",
                    field="name",
                )
        if negative_prompt is not None and len(negative_prompt) > MAX_PROMPT_CHARS:
            raise UsageError(
                f"the negative prompt is over {MAX_PROMPT_CHARS:,} characters; shorten it.",
                field="negative_prompt",
            )
        if model_type is not None and model_type not in MODEL_TYPES:
            raise UsageError(
                f'unknown model type "{model_type}"; use one of {", ".join(MODEL_TYPES)}.', field="model_type"
            )
        if parameters:
            from cosmos_tui.run_options import check_parameters

            check_parameters(parameters)
        kind, input_dir, inputs = resolve_input(input_path, self.config.paths.inputs)
        if model_type is None:
            model_type = tasks.default_task(kind)
        else:
            try:
                tasks.check_task(kind, model_type)
            except UsageError as exc:
                raise UsageError(str(exc), field="model_type") from exc
        with self.store.guard():
            if parent_id is not None:
                parent_id = self.resolve_prompt_id(parent_id)
            record = prompt_queries.insert(
                self.store.db,
                id=ids.new_id(ids.PROMPT),
                name=name or name_from_text(text),
                text=text,
                negative_prompt=(
                    self.config.defaults.negative_prompt if negative_prompt is None else negative_prompt
                ),
                model_type=model_type,
                input_dir=input_dir,
                inputs=inputs,
                parameters=parameters or {},
                parent=parent_id,
                created_at=self._now(),
            )
        log.info("created prompt %s from %s (%s)", record.prompt_id, input_dir or "no input", kind)
        return record

    def input_names(self) -> list[str]:
        """Names a user may type for a prompt's input: folders with a color.mp4, videos and images
        in inputs/, inputs/videos/ and inputs/images/."""
        return input_names(self.config.paths.inputs)

    def check_prompt_input(self, given: str | Path | None) -> tuple[InputKind, str, dict[str, str]]:
        """What a prompt would read for ``given`` (a path, a name in inputs/, or None): its kind,
        the folder or file, and its inputs ({control: path}); a UsageError says what is wrong."""
        return resolve_input(given, self.config.paths.inputs)

    @staticmethod
    def prompt_tasks(prompt: PromptRecord) -> tuple[str, ...]:
        """The tasks (transfer, predict, reason) this prompt's input can feed, its default first."""
        return tasks.allowed_tasks(prompt)

    @staticmethod
    def default_task(prompt: PromptRecord) -> str:
        """Transfer for a prompt with a control-video folder, else predict."""
        return tasks.default_task(prompt)

    @staticmethod
    def check_task(prompt: PromptRecord, task: str) -> None:
        """Refuse, in one sentence (``field="task"``), a task the prompt's input cannot feed."""
        tasks.check_task(prompt, task)

    def resolve_prompt_id(self, given: str) -> str:
        with self.store.guard():
            return resolve(Prompt.id, given, ids.PROMPT, "prompt", name_field=Prompt.name)

    def get_prompt(self, given: str) -> PromptRecord:
        with self.store.guard():
            return prompt_queries.get(self.resolve_prompt_id(given))

    def list_prompts(self, limit: int = 50, offset: int = 0) -> list[PromptRecord]:
        _check_page(limit, offset)
        with self.store.guard():
            return prompt_queries.page(limit, offset)

    def count_prompts(self) -> int:
        with self.store.guard():
            return prompt_queries.count()

    def search_prompts(self, query: str, limit: int = 50) -> list[PromptRecord]:
        """Full-text search over prompt names and text; every word must match (as a prefix)."""
        _check_page(limit, 0)
        with self.store.guard():
            return prompt_queries.search(query, limit)

    def delete_prompt(self, given: str, *, force: bool = False, keep_outputs: bool = False) -> DeleteResult:
        """Delete a prompt.

        Without ``force`` a prompt that has runs is kept. With ``force`` its runs go too, and
        so do their local output folders (``outputs/run_<id>/``) unless ``keep_outputs``. Input
        videos are never touched, and a prompt with a run still in progress is always kept.
        """
        with self.store.guard():
            prompt_id = self.resolve_prompt_id(given)
            run_ids = prompt_queries.delete(self.store.db, prompt_id, force)
        removed: list[str] = []
        kept: list[str] = []
        for run_id in run_ids:
            folder = self.run_dir(run_id)
            if not folder.exists():
                continue
            if keep_outputs:
                kept.append(str(folder))
                continue
            try:
                shutil.rmtree(folder)
                removed.append(str(folder))
            except OSError as exc:
                log.warning("could not remove %s: %s", folder, exc)
                kept.append(str(folder))
        log.info("deleted prompt %s and %d run(s)", prompt_id, len(run_ids))
        return DeleteResult(prompt_id, run_ids, removed, kept)

    # -- runs ---------------------------------------------------------------------------------

    def resolve_run_id(self, given: str) -> str:
        with self.store.guard():
            return resolve(Run.id, given, ids.RUN, "run")

    def get_run(self, given: str) -> RunRecord:
        with self.store.guard():
            return run_queries.get(self.resolve_run_id(given), self.config.paths.outputs)

    def list_runs(
        self,
        *,
        status: str | Iterable[str] | None = None,
        prompt: str | None = None,
        host: str | None = None,
        model_type: str | None = None,
        sweep: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[RunRecord]:
        """Runs, newest first, filtered by status(es), prompt (ID or prefix), host, model type,
        sweep (ID or prefix)."""
        _check_page(limit, offset)
        statuses = _statuses(status)
        if model_type is not None and model_type not in MODEL_TYPES:
            raise UsageError(f'unknown model type "{model_type}"; use one of {", ".join(MODEL_TYPES)}.')
        with self.store.guard():
            prompt_id = self.resolve_prompt_id(prompt) if prompt else None
            sweep_id = self.resolve_sweep_id(sweep) if sweep else None
            return run_queries.page(
                self.config.paths.outputs,
                statuses=statuses,
                prompt_id=prompt_id,
                host=host,
                model_type=model_type,
                sweep_id=sweep_id,
                limit=limit,
                offset=offset,
            )

    def count_runs(self, status: str | Iterable[str] | None = None, *, since: datetime | None = None) -> int:
        """How many runs have this status (one of these statuses; any, if None), counting only
        those created at ``since`` or later when given."""
        statuses = _statuses(status)
        after = since.astimezone(UTC).replace(tzinfo=None) if since is not None else None
        with self.store.guard():
            return run_queries.count(statuses, after)

    def run_changes(
        self,
        since: int | None,
        *,
        status: str | Iterable[str] | None = None,
        limit: int = 50,
        known: Iterable[str] = (),
    ) -> RunChanges:
        """The newest ``limit`` runs with this status (these statuses; any, if None) as changed
        since ``since``, a ``version`` of an earlier answer (None: everything). ``runs`` holds the
        runs of the page written since then and those not in ``known`` (the IDs the caller holds).
        When no run was written since, ``ids`` is None and nothing else is read: a screen can
        poll this every second at any number of runs."""
        _check_page(limit, 0)
        statuses = _statuses(status)
        with self.store.guard():
            # The version first: a run written meanwhile is read now and again next time, never missed.
            version = run_queries.change_seq()
            if since is not None and version == since:
                return RunChanges(version, None)
            ids = run_queries.page_ids(statuses, limit)
            if since is None:
                since, known = -1, ()
            held = set(known)
            missing = [run_id for run_id in ids if run_id not in held]
            runs = run_queries.changed(ids, since, self.config.paths.outputs, missing)
        return RunChanges(version, ids, runs)

    # -- running ------------------------------------------------------------------------------

    def execution_config(
        self,
        prompt: PromptRecord,
        host: str,
        overrides: dict[str, Any] | None = None,
        task: str = "transfer",
    ) -> dict[str, Any]:
        """Every generation option for a run: config defaults, then the prompt's, then overrides.
        For a pool (``host`` names one) the host's own options (GPUs, checkpoint) are left out: the
        run takes those of the host it is placed on."""
        from cosmos_tui.run_options import build_options

        where = (
            None if self.config.is_pool(host) and host not in self.config.hosts else self.config.host(host)
        )
        return build_options(self.config, where, prompt, overrides or {}, task)

    def run_inference(
        self,
        prompt_ids: Iterable[str],
        overrides: dict[str, Any] | None = None,
        host: str | None = None,
        model_type: str | None = None,
        upscale: float | None = None,
        batch: bool = False,
        force: bool = False,
    ) -> list[str]:
        """Queue one run per prompt on ``host`` (default host if None); return the run IDs.

        Nothing executes until an engine picks the runs up (``execute`` or a worker). With
        ``upscale`` (a weight), each run queues its 4K upscale when it completes; with ``batch``
        they are queued as one batch (one model process).
        """
        return self.run_sweep(
            prompt_ids, overrides, {}, host, model_type=model_type, upscale=upscale, batch=batch, force=force
        )

    # -- sweeps: one run per combination of seeds or settings ----------------------------------

    def run_sweep(
        self,
        prompt_ids: Iterable[str],
        overrides: dict[str, Any] | None,
        sweep: Mapping[str, str | Sequence[Any]],
        host: str | None = None,
        *,
        confirmed: bool = False,
        model_type: str | None = None,
        upscale: float | None = None,
        batch: bool = False,
        force: bool = False,
    ) -> list[str]:
        """Queue one run per prompt and combination of the swept options (``{"seed": "1-4",
        "guidance": "3,5,7"}``: lists as ``sweeps.parse_values`` reads them, or lists of values) on
        top of ``overrides``; return the run IDs. When there is more than one combination the runs
        share a new sweep ID. More than ``sweeps.CONFIRM_ABOVE`` runs raise SweepTooLargeError
        unless ``confirmed``; more than ``sweeps.MAX_RUNS`` are always refused. With ``upscale`` (a
        weight), each run queues its 4K upscale when it completes; with ``batch`` all the runs are
        one batch (one model process; UsageError when they cannot share one). ``model_type`` is
        the task (transfer, predict, reason); by default the prompts' own (``default_task``). With
        ``force`` the pre-flight check does not refuse them for want of GPU memory."""
        target = self.config.target(host)
        pool = target if target not in self.config.hosts else None
        prompts = [self.get_prompt(given) for given in prompt_ids]
        if not prompts:
            raise UsageError("no prompt given to run; pass at least one prompt ID.")
        wanted = {model_type or self.default_task(prompt) for prompt in prompts}
        if len(wanted) > 1:
            raise UsageError(
                "these prompts run different tasks by default (" + ", ".join(sorted(wanted)) + "); "
                "queue them apart or name one with --task.",
                field="task",
            )
        model_type = wanted.pop()
        able = self.hosts_for(target, model_type)  # the hosts it may run on, by family
        family = self.config.hosts[able[0]].model
        base = dict(overrides or {})
        axes = sweeps.parse_axes(sweep)
        clash = sweeps.clashes(base, axes)
        if clash:
            raise UsageError(f"{clash} is given both as one value and as a sweep; give it once.", field=clash)
        for prompt in prompts:  # a transfer of an image would fail on the host, minutes later
            tasks.check_task(prompt, model_type)
        count = len(prompts) * sweeps.size(axes)
        if count > sweeps.MAX_RUNS:
            raise UsageError(
                f"the sweep makes {count:,} runs, more than the {sweeps.MAX_RUNS:,} one sweep may queue; "
                "narrow it.",
                field="sweep",
            )
        if count > sweeps.CONFIRM_ABOVE and not confirmed:
            raise SweepTooLargeError(
                f"the sweep makes {count:,} runs, more than {sweeps.CONFIRM_ABOVE}; confirm to queue them "
                "all.",
                count,
            )
        combinations = sweeps.combinations(axes)
        planned = [
            (
                prompt,
                self.execution_config(prompt, target, sweeps.overrides_for(base, combination), model_type),
            )
            for prompt in prompts
            for combination in combinations
        ]
        for name in {self.config.hosts[h].model: h for h in able}.values():
            # What the model would refuse only after loading, as each family able to run it sees it.
            placed = self.config.hosts[name]
            adapter = adapter_for(model_type, placed.model)
            for _prompt, options in planned:
                check_options(adapter, {**placed.run_options(), **options} if pool else options)
        if upscale is not None:
            self._wish_upscale([options for _prompt, options in planned], upscale)
        if force:
            from cosmos_tui.engine.preflight import FORCE_KEY

            for _prompt, options in planned:
                options[FORCE_KEY] = True
        first_host = self.config.hosts[able[0]].run_options() if pool else {}
        batch_id = (
            self._batch_for(model_type, [{**first_host, **options} for _prompt, options in planned], family)
            if batch
            else None
        )
        sweep_id = ids.new_id(ids.SWEEP) if len(combinations) > 1 else None
        run_ids = []
        now = self._now()
        with self.store.guard(), self.store.db.atomic():
            for index, (prompt, options) in enumerate(planned):
                record = run_queries.insert(
                    self.store.db,
                    self.config.paths.outputs,
                    id=ids.new_id(ids.RUN),
                    prompt=prompt.prompt_id,
                    model_type=model_type,
                    family=family,
                    host="" if pool else target,
                    pool=pool,
                    status=RunStatus.QUEUED,
                    config=options,
                    sweep_id=sweep_id,
                    # Apart by a microsecond each: claimed, and listed, in the order of the sweep.
                    created_at=now + timedelta(microseconds=index),
                    **({"batch_id": batch_id, "batch_index": index} if batch_id else {}),
                )
                run_ids.append(record.run_id)
        log.info("queued %d run(s) on %s as sweep %s", len(run_ids), target, sweep_id)
        return run_ids

    SWEEP_CONFIRM_ABOVE = sweeps.CONFIRM_ABOVE

    def hosts_for(self, target: str, task: str) -> list[str]:
        """The hosts of a target (a host, or a pool's hosts) whose model family runs ``task``;
        UsageError naming the hosts that can when there are none."""
        members = self.config.target_hosts(target)
        if len(members) == 1 and members[0] == target:
            self.family_for(target, task)
            return [target]
        able = [name for name in members if task in families.family(self.config.hosts[name].model).tasks]
        if not able:
            elsewhere = sorted(
                name
                for name, other in self.config.hosts.items()
                if task in families.family(other.model).tasks
            )
            where = (
                f"run it on {', '.join(elsewhere)}"
                if elsewhere
                else f"set model on a host to a family that runs {task}"
            )
            raise UsageError(
                f"no host of pool {target} runs {task} runs ({', '.join(members)}); {where}.", field="task"
            )
        return able

    def family_for(self, host: str, task: str) -> str:
        """The model family of ``host``, checked to run ``task`` (UsageError with the hosts that can)."""
        host_config = self.config.host(host)
        try:
            adapter_for(task, host_config.model)
        except (NotImplementedError, ValueError):
            able = sorted(
                name
                for name, other in self.config.hosts.items()
                if task in families.family(other.model).tasks
            )
            label = families.family(host_config.model).label
            where = (
                f"run it on {', '.join(able)}"
                if able
                else f"set model on a host to a family that runs {task}"
            )
            raise UsageError(
                f"host {host_config.name} runs {label}, which cannot run {task} runs; {where}.", field="task"
            ) from None
        return host_config.model

    @staticmethod
    def sweep_assignment(text: str) -> tuple[str, str]:
        """``guidance=3,5,7`` as the option it sweeps and its value list (``--sweep``)."""
        return sweeps.parse_assignment(text)

    def resolve_sweep_id(self, given: str) -> str:
        with self.store.guard():
            return resolve(Run.sweep_id, given, ids.SWEEP, "sweep", listing="run list")

    @staticmethod
    def sweep_labels(runs: Iterable[RunRecord]) -> dict[str, str]:
        """What sets each run of a sweep apart from the others given (``guidance=5 seed=3``), by run
        ID; runs without a sweep are left out, and a sweep given with one run only gets ""."""
        groups: dict[str, dict[str, dict[str, Any]]] = {}
        for run in runs:
            if run.sweep_id:
                groups.setdefault(run.sweep_id, {})[run.run_id] = run.config
        found: dict[str, str] = {}
        for configs in groups.values():
            found.update(sweeps.labels(configs) if len(configs) > 1 else dict.fromkeys(configs, ""))
        return found

    def _batch_for(self, model_type: str, configs: list[dict[str, Any]], family: str | None = None) -> str:
        """A new batch ID for runs that can share one model process; UsageError when they cannot."""
        from cosmos_tui.cosmos.base import batch_adapter_for

        adapter = batch_adapter_for(model_type, family)
        if adapter is None:
            raise UsageError(f'the model type "{model_type}" cannot run as a batch; run without --batch.')
        keys = {adapter.batch_key(config) for config in configs}
        if None in keys or len(keys) > 1:
            raise UsageError(
                "these prompts cannot share one model process (their steps, guidance, seed, GPUs or "
                "controls differ); run them without --batch."
            )
        return ids.new_id(ids.BATCH)

    def check_hosts(self, run_ids: Iterable[str]) -> None:
        """A run whose host left the config cannot go on here: say so (and note it on the run)."""
        from cosmos_tui.engine.executor import host_missing_message

        for given in run_ids:
            run = self.get_run(given)
            if run.pool and not run.host and not run.is_terminal:
                if not self.config.is_pool(run.pool):
                    raise ConfigError(
                        f"run {run.run_id} waits for pool {run.pool}, which is not in the config any more; "
                        f"add [pools.{run.pool}] back, or cancel it and queue it again."
                    )
                continue
            if run.host not in self.config.hosts and not run.is_terminal:
                self.engine().reconcile(only=[run.run_id])  # puts the sentence on the run
                raise ConfigError(f"run {run.run_id} waits: {host_missing_message(run.host)}")

    def check_outputs(self) -> None:
        """Fail early, with one sentence, when the outputs folder cannot hold run folders."""
        outputs = self.config.paths.outputs
        probe = outputs / f".cosmos-tui-write-test-{os.getpid()}"
        try:
            outputs.mkdir(parents=True, exist_ok=True)
            probe.touch()
            probe.unlink()
        except OSError as exc:
            where = f" in {self.config.source}" if self.config.source else ""
            raise ConfigError(
                f"[paths] outputs = {outputs} cannot hold run outputs ({exc.strerror or exc}); "
                f"point it at a writable folder{where}."
            ) from exc

    def engine(self) -> Engine:
        """This process's engine (created on first use). For the core and tests: the UI uses
        ``start_execution``, ``stop_execution``, ``executing`` and the run methods."""
        if self._engine is None:
            from cosmos_tui.engine.engine import Engine

            self._engine = Engine(self.config, self.store.db, clock=self._clock)
        return self._engine

    def start_execution(self, hosts: Iterable[str] | None = None) -> None:
        """Execute queued runs on these hosts (default: every configured one) in background threads
        of this process until ``stop_execution`` or ``close``; runs left mid-flight by a process
        that is gone are re-attached first."""
        names = [self.config.host(h).name for h in hosts] if hosts is not None else None
        engine = self.engine()
        engine.reconcile()
        engine.start_workers(names)

    def stop_execution(self, wait: bool = True) -> None:
        """Stop claiming runs; with ``wait``, also wait for the runs executing here to end (without,
        they are left on their hosts for the next cosmos-tui to collect)."""
        if self._engine is not None:
            self._engine.stop(wait=wait)

    def executing(self) -> list[str]:
        """IDs of the runs this process is executing right now."""
        return self._engine.executing() if self._engine is not None else []

    def wait_executors(self, run_ids: Iterable[str], timeout: float | None = None) -> bool:
        """Wait until these runs have ended and this process's executors of them have cleaned up
        (removed the container, collected); False on timeout."""
        return self.engine().wait([self.resolve_run_id(r) for r in run_ids], timeout)

    def execute(self, run_ids: list[str], *, detach: bool = False, timeout: float | None = None) -> bool:
        """Execute these runs in this process (claiming them from the queue, or re-attaching to
        them when their process is gone) and wait until they finish. False on timeout.

        With ``detach``, start what fits on the hosts now and return without waiting for a slot:
        runs already over on these hosts are collected first, the rest stay queued."""
        engine = self.engine()
        wanted = [self.resolve_run_id(r) for r in run_ids]
        self.check_hosts(wanted)
        needed: set[str] = set()
        for run_id in wanted:
            run = self.get_run(run_id)
            needed.update(self.config.pool_hosts(run.pool) if run.pool and not run.host else (run.host,))
        # In config order: the first hosts of a pool are tried first.
        hosts = [h for h in self.config.hosts if h in needed] + sorted(needed - set(self.config.hosts))
        if detach:
            engine.start_detached(wanted, hosts, timeout)
            return True
        return engine.execute(wanted, hosts, timeout)

    def rerun(self, given: str, *, exact: bool = False) -> str:
        """Queue a new run with the same prompt, host, model and settings as an earlier one. With
        ``exact``, first check that the host still has the same image (digest) and checkpoint files
        as the run recorded, and refuse in one sentence naming what differs; without it, what
        differs is recorded with the new run (``config["_rerun"]``)."""
        run = self.get_run(given)
        differences: list[str] = []
        if exact or (run.provenance and run.host):
            try:
                differences = self.host_differences(run)
            except CosmosError as exc:
                if exact:
                    raise
                differences = [f"not compared: {exc}"]
        if exact and differences:
            raise UsageError(
                f"run {run.run_id} cannot be re-run exactly: " + "; ".join(differences) + "; re-run it "
                "without --exact to run it anyway (the differences are recorded)."
            )
        run = self.get_run(given)
        if run.model_type == "upscale" and run.parent_id:  # an upscale again: linked to the same parent
            return self.upscale(run.parent_id, run.config.get("control_weight"), run.host)
        if run.prompt_id is None:
            raise OperationError(f"run {run.run_id} has no prompt any more; it cannot be run again.")
        options = {k: v for k, v in run.config.items() if not k.startswith("_")}
        for name in run.config.get(PLACED_KEY, []) if run.pool else []:
            options.pop(name, None)
        options["_rerun"] = {"of": run.run_id, "exact": exact, "differences": differences}
        with self.store.guard():
            record = run_queries.insert(
                self.store.db,
                self.config.paths.outputs,
                id=ids.new_id(ids.RUN),
                prompt=run.prompt_id,
                model_type=run.model_type,
                family=run.family,
                # A pool's run goes to its pool again, with what it took from its host taken off.
                host="" if run.pool else run.host,
                pool=run.pool,
                status=RunStatus.QUEUED,
                config=options,
                created_at=self._now(),
            )
        log.info("queued %s as a re-run of %s", record.run_id, run.run_id)
        return record.run_id

    def host_differences(self, run: RunRecord) -> list[str]:
        """How the run's host differs now from what produced the run: its image (digest) and its
        checkpoint files; one phrase each. Asks the host (blocking)."""
        from cosmos_tui.engine import provenance

        made = run.provenance or {}
        if not made or "error" in made:
            return [f"run {run.run_id} has no recorded provenance to compare with"]
        if run.host not in self.config.hosts:
            return [f"its host {run.host} is not in the config any more"]
        session = self.engine().hosts.get(run.host)
        now = provenance.collect(session, run.family, dict(run.config), None)
        found = []
        before, after = provenance.fingerprint(made), provenance.fingerprint(now)
        if before["image"] != after["image"]:
            found.append(
                f"host {run.host} now has image {_short(after['image'])}, not {_short(before['image'])}"
            )
        if before["checkpoint"] != after["checkpoint"]:
            old = {f[0]: f for f in (made.get("checkpoint_manifest") or {}).get("files", [])}
            new = {f[0]: f for f in now["checkpoint_manifest"]["files"]}
            changed = sorted(name for name in old.keys() | new.keys() if old.get(name) != new.get(name))
            shown = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
            found.append(f"its checkpoint files differ ({shown or 'the folder'})")
        return found

    def diff_runs(self, first: str, second: str) -> list[tuple[str, Any, Any]]:
        """What differs between two runs: settings, prompt, task and family, host, image,
        checkpoint files, inputs, command; (what, first's, second's) for each difference."""
        a, b = self.get_run(first), self.get_run(second)
        found: list[tuple[str, Any, Any]] = []

        def compare(what: str, left: Any, right: Any) -> None:
            if left != right:
                found.append((what, left, right))

        for name in ("model_type", "family", "host", "prompt_id"):
            compare(name, getattr(a, name), getattr(b, name))
        settings_a = {k: v for k, v in a.config.items() if not k.startswith("_")}
        settings_b = {k: v for k, v in b.config.items() if not k.startswith("_")}
        for name in sorted(settings_a.keys() | settings_b.keys()):
            compare(f"setting {name}", settings_a.get(name), settings_b.get(name))
        made_a, made_b = a.provenance or {}, b.provenance or {}
        from cosmos_tui.engine import provenance

        fa, fb = provenance.fingerprint(made_a), provenance.fingerprint(made_b)
        compare("image", fa["image"], fb["image"])
        compare("checkpoint", made_a.get("checkpoint"), made_b.get("checkpoint"))
        compare("checkpoint files", fa["checkpoint"], fb["checkpoint"])
        inputs_a, inputs_b = made_a.get("inputs") or {}, made_b.get("inputs") or {}
        for name in sorted(inputs_a.keys() | inputs_b.keys()):
            compare(f"input {name}", inputs_a.get(name), inputs_b.get(name))
        compare("gpus", made_a.get("gpus"), made_b.get("gpus"))
        compare("driver", made_a.get("driver"), made_b.get("driver"))
        compare("cosmos-tui", made_a.get("cosmos_tui"), made_b.get("cosmos_tui"))
        return found

    # -- 4K upscale: a run of its own, linked to its parent ------------------------------------

    def upscale(self, given: str, weight: float | None = None, host: str | None = None) -> str:
        """Queue the 4K upscale of a completed transfer run (its ID or a prefix) on ``host`` (default:
        the run's own host, where its output already is); the new run's ID. ``weight`` is the
        upscale control weight (default 0.5). A run that is not completed, or is itself an upscale,
        is refused with one sentence (UsageError)."""
        from cosmos_tui.engine import upscale

        parent = self.get_run(given)
        host_config = self.config.host(host or parent.host)
        family = self.family_for(host_config.name, upscale.MODEL_TYPE)
        with self.store.guard():
            return upscale.queue(
                parent.run_id,
                weight=upscale.DEFAULT_WEIGHT if weight is None else weight,
                host=host_config.name,
                family=family,
                num_gpu=host_config.num_gpu,
                now=self._now(),
            )

    def check_upscale(self, given: str, weight: float | None = None) -> RunRecord:
        """The run ``upscale`` would upscale, or the UsageError it would refuse with (nothing is
        queued): lets a command check the run before it checks the host."""
        from cosmos_tui.engine import upscale

        parent = self.get_run(given)
        with self.store.guard():
            upscale.check_parent(parent.run_id)
        if weight is not None:
            upscale.check_weight(weight)
        return parent

    def run_children(self, given: str) -> list[RunRecord]:
        """The runs made from this run (its 4K upscales), oldest first."""
        from cosmos_tui.store import links

        run_id = self.resolve_run_id(given)
        with self.store.guard():
            return [run_queries.get(child, self.config.paths.outputs) for child in links.children(run_id)]

    @staticmethod
    def _wish_upscale(configs: list[dict[str, Any]], weight: float) -> None:
        """Note in each run's options that it is to be upscaled once it completes."""
        from cosmos_tui.engine import upscale

        wish = {"weight": upscale.check_weight(weight)}
        for options in configs:
            options[upscale.WISH] = wish

    LOG_PREFIXES = LOG_PREFIXES

    @staticmethod
    def format_log_line(line: str, prefix: str = "compact") -> str:
        """A model log line for reading: its loguru prefix ``compact`` (time, level, file name),
        ``full`` or ``none`` (see ``LOG_PREFIXES``)."""
        return show_prefix(line, prefix)

    @staticmethod
    def terminal_log_line(line: str) -> str:
        """A raw model log line fit for a terminal: colours stripped, ``\\r`` updates folded, every
        other control character escaped as ``\\xNN`` (as the TUI's log view shows it)."""
        return clean(line)

    def now(self) -> datetime:
        """The API's clock (UTC); the UI uses it so tests and snapshots can fix time."""
        return self._clock().astimezone(UTC)

    # -- the gallery: results to look at -----------------------------------------------------------

    def gallery(self, filter_text: str = "", sort: str = "date") -> list[GalleryItem]:
        """Completed runs with a video, newest first (``sort="rating"``: best rated first), filtered
        by words (prompt, task, family, host) and ``rating>=N`` / ``rating=N`` / ``★N``."""
        from cosmos_tui.store import gallery

        if sort not in gallery.SORTS:
            raise UsageError(f"sort by {' or '.join(gallery.SORTS)}, not {sort!r}.")
        with self.store.guard():
            return gallery.items(filter_text, sort)

    def thumbnails(self, run_id: str) -> list[Path]:
        """The first, middle and last frames of a run's video as PNG files, made once and kept in
        its run folder (``thumbs/``). Slow the first time (ffmpeg): call it from a worker thread.
        OperationError with one sentence when the video cannot be read or ffmpeg is missing."""
        from cosmos_tui import media

        video = self.run_dir(run_id) / "output.mp4"
        if not video.exists():
            raise NotFoundError(
                f"run {run_id} has no output.mp4 in {video.parent}; it may have been removed."
            )
        try:
            return media.thumbnails(video, self.run_dir(run_id) / "thumbs")
        except media.MediaError as exc:
            raise OperationError(str(exc)) from None

    def compare_sources(self, run_id: str) -> list[tuple[str, str]]:
        """(label, local video path) of what a run's video can be compared with, side by side: its
        input videos, its parent run's video (an upscale's, a re-run's original) and its children's
        (its upscales, its re-runs). Only videos that exist here."""
        run = self.get_run(run_id)
        found: list[tuple[str, str]] = []
        for role, path in sorted(dict(run.config.get("inputs") or {}).items()):
            if str(path).endswith((".mp4", ".mov", ".mkv", ".webm")) and Path(path).is_file():
                found.append((f"input {role}", str(path)))
        relatives = []
        parent = run.parent_id or (run.config.get("_rerun") or {}).get("of")
        if parent:
            relatives.append(("parent", parent))
        relatives += [("upscale", child.run_id) for child in self.run_children(run_id)]
        with self.store.guard():
            maybe = Run.select(Run.id, Run.config).where(Run.config.contains(run_id)).limit(50)
            relatives += [
                ("re-run", row.id)
                for row in maybe
                if (dict(row.config or {}).get("_rerun") or {}).get("of") == run_id
            ]
        for label, other in relatives:
            video = self.run_dir(other) / "output.mp4"
            if video.is_file():
                found.append((f"{label} {other}", str(video)))
        return found

    def video_frames(
        self, run_id: str, width: int, height: int, source: str | None = None
    ) -> tuple[float, list[bytes]]:
        """A run's video (or ``source``, a path from ``compare_sources``) decoded for playing in
        the terminal: its frame rate, and every frame as raw RGB24 bytes of ``width`` x ``height``
        pixels. Slow: call it from a worker thread. OperationError with one sentence when ffmpeg
        is missing or the video cannot be read."""
        from cosmos_tui import media

        video = Path(source) if source else self.run_dir(run_id) / "output.mp4"
        if not video.exists():
            raise NotFoundError(f"{video} is not there any more; it may have been removed.")
        try:
            return media.frame_rate(video), media.decode(video, width, height)
        except media.MediaError as exc:
            raise OperationError(str(exc)) from None

    def rate_run(self, given: str, rating: int | None) -> RunRecord:
        """Rate a completed run's result from 1 to 5 (None or 0 clears the rating)."""
        run_id = self.resolve_run_id(given)
        if rating == 0:
            rating = None
        if rating is not None and (isinstance(rating, bool) or not 1 <= rating <= 5):
            raise UsageError("a rating is a whole number from 1 to 5 (0 clears it).", field="rating")
        with self.store.guard():
            run = self.get_run(run_id)
            if run.status != RunStatus.COMPLETED:
                raise OperationError(
                    f"run {run_id} is {run.status}; only a completed run has a result to rate."
                )
            with self.store.db.atomic():
                Run.update(rating=rating).where(Run.id == run_id).execute()
        return self.get_run(run_id)

    def cancel_run(self, given: str) -> RunRecord:
        """Cancel a run: a queued one at once; a started one with a graceful stop, then a kill."""
        run_id = self.resolve_run_id(given)
        with self.store.guard():
            from cosmos_tui.store import lifecycle

            if lifecycle.cancel_if_waiting(self.store.db, run_id, self._now()):
                run = self.get_run(run_id)
                log_run_outcome(run_id, run.host, run.status, run.error_class, run.error_message)
                return run
            run = self.get_run(run_id)
            if run.is_terminal:
                raise OperationError(f"run {run_id} already ended ({run.status}); nothing to cancel.")
            lifecycle.request_cancel(self.store.db, run_id, self._now())
        engine = self.engine()
        engine.cancel_event(run_id).set()
        if run_id not in engine.executing():
            # Nobody here executes it: if its process is gone, adopt it so the stop happens now.
            engine.reconcile(only=[run_id])
        return self.get_run(run_id)

    def wait_run(self, given: str, timeout: float | None = None) -> RunRecord:
        """Wait for a run to end, collecting it here if no live process owns it."""
        run_id = self.resolve_run_id(given)
        self.execute([run_id], timeout=timeout)
        return self.get_run(run_id)

    def follow_log(
        self,
        given: str,
        *,
        tail: int | None = None,
        follow: bool = True,
        stop: threading.Event | None = None,
        terminal: bool = False,
    ) -> LogFollower:
        """The run's local log (outputs/run_<id>/run.log) in batches of lines: the last ``tail``
        lines (all, if None), then, with ``follow``, new lines until the run has ended or ``stop``
        is set. ``terminal`` lines are made fit for a terminal (``terminal_log_line``). Blocking:
        iterate it in a thread, not on an event loop."""
        run_id = self.resolve_run_id(given)
        return LogFollower(
            self.run_dir(run_id) / "run.log",
            ended=lambda: self.get_run(run_id).is_terminal,
            tail=tail,
            follow=follow,
            stop=stop,
            terminal=terminal,
        )

    def target(self, name: str | None = None) -> str:
        """Where ``--host NAME`` sends runs: a host or a pool (``any``); default_host when None."""
        return self.config.target(name)

    def run_targets(self) -> list[tuple[str, str]]:
        """(label, name) of every place a run can be sent: the hosts, the pools, and ``any`` when
        there is more than one host."""
        found = [(self.config.host_label(name), name) for name in self.config.hosts]
        found += [(self.config.host_label(name), name) for name in self.config.pools]
        if len(self.config.hosts) > 1:
            found.append(("any host (placed when a slot frees)", ANY))
        return found

    def target_hosts(self, name: str | None = None) -> list[str]:
        """The hosts a target stands for (a pool's, in config order; a host itself)."""
        return list(self.config.target_hosts(name))

    def stop_grace(self, target: str) -> int:
        """Seconds a cancel may take on a target (the longest of a pool's hosts)."""
        return max(self.config.hosts[h].stop_grace for h in self.config.target_hosts(target))

    def reachable(self, target: str) -> HostStatus:
        """A target's first reachable host's status (for a pool: the first host that answers);
        when none answers, the status of the last one tried, its reason naming every host's."""
        names = self.config.target_hosts(target)
        reasons = []
        status = None
        for name in names:
            status = self.host_status(name)
            if status.reachable:
                return status
            reasons.append(f"{name}: {status.reason}")
        assert status is not None
        if len(names) > 1:
            from dataclasses import replace

            why = f"no host of pool {target} can be reached ({'; '.join(reasons)})."
            status = replace(status, reason=why)
        return status

    def host_status(self, host: str | None = None) -> HostStatus:
        """Reachability (or why not), GPUs from nvidia-smi, our containers, free disk in remote_dir."""
        from dataclasses import replace

        from cosmos_tui.host_status import probe

        name = self.config.host(host).name
        status = probe(self.engine().hosts.get(name), self.config)
        return replace(status, pools=[pool for pool in self.config.pools_of(name) if pool != ANY])

    def check_host(
        self,
        host: str | None = None,
        *,
        checkpoint: str | None = None,
        num_gpu: int | None = None,
        force: bool = False,
    ) -> HostCheck:
        """The pre-flight check of a host (default: default_host) for its model family: reachable,
        runtime, image, GPUs and their free memory, weights, disk; one round of commands. With
        ``force`` the GPU memory item is reported but not failed (as `--run --force` skips it)."""
        from cosmos_tui.engine import preflight

        config = self.config.host(host)
        try:
            target = preflight.Target.of(config, None, checkpoint, num_gpu)
        except ValueError:
            raise ConfigError(f"host {config.name} names an unknown model family {config.model!r}.") from None
        session = self.engine().hosts.get(config.name)
        return preflight.check(session, self.config.host_label(config.name), target, force=force)

    def host_key(self, host: str) -> HostKeyCheck:
        """The key the host presents, fetched without trusting it, against what known_hosts has."""
        from cosmos_tui.remote.ssh import fetch_host_key, fingerprint, recorded_host_keys, target_for

        config = self.config.host(host)
        if config.transport != "ssh":
            raise UsageError(f"host {config.name} is local; there is no host key to trust.")
        target = target_for(config)
        key = fetch_host_key(target)
        recorded = recorded_host_keys(target)
        if any(k.asbytes() == key.asbytes() for k in recorded.values()):
            state = "trusted"
        else:
            state = "changed" if recorded else "new"
        return HostKeyCheck(
            host=config.name,
            shown=f"{key.get_name()} {fingerprint(key)}",
            state=state,
            recorded=tuple(f"{k.get_name()} {fingerprint(k)}" for k in recorded.values()),
            known_hosts=str(target.known_hosts),
            key=key,
        )

    def trust_host(self, host: str, key: Any, *, replace: bool = False) -> Path:
        """Record a host key (after the user confirmed its fingerprint) in known_hosts; ``replace``
        drops the host's old, different keys first."""
        from cosmos_tui.remote.ssh import record_host_key, target_for

        return record_host_key(target_for(self.config.host(host)), key, replace=replace)

    def clean_host(
        self, host: str, *, older_than_days: float | None = None, dry_run: bool = False
    ) -> CleanReport:
        """Remove the host's run folders of finished runs (finished more than ``older_than_days``
        ago; all of them when None) and the inputs no unfinished run needs. Only paths under
        remote_dir/.cosmos-tui/ are touched; ``dry_run`` removes nothing and reports the same."""
        from cosmos_tui.engine.cleanup import clean_host

        days = 0.0 if older_than_days is None else float(older_than_days)
        if not 0 <= days <= MAX_DAYS:  # also refuses NaN and infinity
            raise UsageError(f"--older-than must be a number of days from 0 to {MAX_DAYS}.")
        name = self.config.host(host).name
        engine = self.engine()
        with self.store.guard():
            return clean_host(
                engine.hosts.get(name),
                now=self._now(),
                older_than_days=days,
                dry_run=dry_run,
                hasher=engine.hash_file,
            )

    # -- prompt enhancement -------------------------------------------------------------------

    def enhance_prompt(
        self,
        given: str,
        *,
        host: str | None = None,
        run_after: bool = False,
        overrides: dict[str, Any] | None = None,
    ) -> str:
        """Queue a run of the prompt upsampler (model type ``enhance``) on a prompt and its video;
        return the run ID. When it completes, its enhanced text becomes a new prompt whose parent
        is this one (``enhanced_prompt``); with ``run_after`` a transfer run of that new prompt, with
        these overrides, is queued then (find it with ``runs_queued_after``). The active controls
        (the prompt's and the overrides' weights) choose the upsampler's variant and video."""
        from cosmos_tui.store.enhanced import THEN_KEY

        prompt = self.get_prompt(given)
        tasks.check_task(prompt, "enhance")  # an image or text alone has no video to read
        host_config = self.config.host(host)
        family = self.family_for(host_config.name, "enhance")
        options = self.execution_config(prompt, host_config.name, overrides)
        config: dict[str, Any] = dict(options)
        if run_after:
            config[THEN_KEY] = {"host": host_config.name, "model_type": "transfer", "options": options}
        with self.store.guard():
            record = run_queries.insert(
                self.store.db,
                self.config.paths.outputs,
                id=ids.new_id(ids.RUN),
                prompt=prompt.prompt_id,
                model_type="enhance",
                family=family,
                host=host_config.name,
                status=RunStatus.QUEUED,
                config=config,
                created_at=self._now(),
            )
        log.info("queued %s to enhance %s on %s", record.run_id, prompt.prompt_id, host_config.name)
        return record.run_id

    def enhanced_prompt(self, run_given: str) -> PromptRecord | None:
        """The prompt an ``enhance`` run made (None until it completed, or when it failed)."""
        from cosmos_tui.store.enhanced import CHILD_KEY

        run = self.get_run(run_given)
        child = run.config.get(CHILD_KEY) if run.model_type == "enhance" else None
        if not child:
            return None
        with self.store.guard():
            try:
                return prompt_queries.get(str(child))
            except NotFoundError:
                return None  # deleted since

    def prompt_children(self, given: str) -> list[PromptRecord]:
        """The prompts made from this one (its enhanced versions), oldest first."""
        from cosmos_tui.store.enhanced import children

        with self.store.guard():
            return [prompt_queries.get(child) for child in children(self.resolve_prompt_id(given))]

    def runs_queued_after(self, run_ids: Iterable[str]) -> list[str]:
        """The runs queued when these runs completed (their child runs, e.g. the run of an enhanced
        prompt after its enhance run), oldest first."""
        from cosmos_tui.store import links

        with self.store.guard():
            return links.children_of([self.resolve_run_id(r) for r in run_ids])

    # -- statistics ---------------------------------------------------------------------------

    def dashboard(self, days: int = 30) -> Dashboard:
        """Runs per day, success rate and durations per model type, top inputs, failures."""
        if not 1 <= days <= MAX_DAYS:
            raise UsageError(f"the dashboard period must be from 1 to {MAX_DAYS} days.")
        since = self._now() - timedelta(days=days)
        with self.store.guard():
            return Dashboard(
                runs_per_day=dashboard_queries.runs_per_day(since),
                by_model=dashboard_queries.by_model(since),
                top_inputs=dashboard_queries.top_inputs(since),
                failures=dashboard_queries.failures(since),
            )


def _statuses(status: str | Iterable[str] | None) -> list[str]:
    statuses = [status] if isinstance(status, str) else list(status or [])
    for value in statuses:
        if value not in STATUSES:
            raise UsageError(f'unknown run status "{value}"; use one of {", ".join(STATUSES)}.')
    return statuses


def _check_page(limit: int, offset: int) -> None:
    if limit < 1 or limit > 10_000:
        raise UsageError("the limit must be between 1 and 10000.")
    if not 0 <= offset <= MAX_OFFSET:
        raise UsageError(f"the offset must be from 0 to {MAX_OFFSET:,}.")


def _short(value: Any) -> str:
    """An image ID or program paths as a short phrase for a sentence."""
    if isinstance(value, str):
        return value.removeprefix("sha256:")[:12] or "none"
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in sorted(value.items())) or "none"
    return "none"
