"""The `cosmos-tui` command: argparse first, textual only when the TUI is actually opened.

Exit codes: 0 ok; 1 the operation failed; 2 usage, bad input or bad config; 3 host unreachable or
authentication failed; 130 interrupted.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NoReturn

from cosmos_tui import __version__
from cosmos_tui.errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    CosmosError,
    UsageError,
    cause_chain,
)
from cosmos_tui.records import escape_controls, rating_text

if TYPE_CHECKING:
    from cosmos_tui.api import CosmosAPI
    from cosmos_tui.cli_output import Output

log = logging.getLogger("cosmos_tui.cli")

Handler = Callable[[argparse.Namespace], int]


# -- command handlers -----------------------------------------------------------------------------


def _api(args: argparse.Namespace) -> CosmosAPI:
    from cosmos_tui.api import CosmosAPI

    return CosmosAPI.from_config(args.config)


def _out(args: argparse.Namespace) -> Output:
    from cosmos_tui.cli_output import Output

    return Output(json_mode=getattr(args, "json", False))


def cmd_prompt_add(args: argparse.Namespace) -> int:
    text = args.text
    if text == "-":
        text = _read_stdin_text()
    with _api(args) as api:
        prompt = api.create_prompt(text, args.input, name=args.name, negative_prompt=args.negative)
    out = _out(args)
    if args.json:
        out.json(prompt.to_json())
    else:
        out.line(prompt.prompt_id)
    return EXIT_OK


def _read_stdin_text() -> str:
    """The prompt text piped in: bounded (`< /dev/zero` must not fill memory) and UTF-8."""
    from cosmos_tui.api import MAX_PROMPT_CHARS

    limit = 4 * MAX_PROMPT_CHARS + 2  # UTF-8 takes up to 4 bytes a character, plus a line end
    data = sys.stdin.buffer.read(limit + 1)
    if len(data) > limit:
        raise UsageError(
            f"standard input holds more than a prompt can ({MAX_PROMPT_CHARS:,} characters); "
            "shorten the text."
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"standard input is not UTF-8 text (byte {exc.start + 1} is not valid); save the text as UTF-8."
        ) from exc
    # `echo text |` and editors end the text with one newline that is not part of the prompt.
    return text.removesuffix("\r\n") if text.endswith("\r\n") else text.removesuffix("\n")


def cmd_prompt_list(args: argparse.Namespace) -> int:
    from cosmos_tui.cli_output import PROMPT_LAYOUT, prompt_rows

    with _api(args) as api:
        prompts = api.list_prompts(limit=args.limit, offset=args.offset)
    out = _out(args)
    if args.json:
        out.json([p.to_json() for p in prompts])
    else:
        out.table(*prompt_rows(prompts), layout=PROMPT_LAYOUT)
    return EXIT_OK


def cmd_prompt_search(args: argparse.Namespace) -> int:
    from cosmos_tui.cli_output import PROMPT_LAYOUT, prompt_rows

    with _api(args) as api:
        prompts = api.search_prompts(args.query, limit=args.limit)
    out = _out(args)
    if args.json:
        out.json([p.to_json() for p in prompts])
    else:
        out.table(*prompt_rows(prompts), layout=PROMPT_LAYOUT)
        if not prompts and out.is_tty:
            print(f'no prompt matches "{args.query}".', file=sys.stderr)
    return EXIT_OK


def cmd_prompt_show(args: argparse.Namespace) -> int:
    from cosmos_tui.cli_output import prompt_fields

    with _api(args) as api:
        prompt = api.get_prompt(args.id)
        children = api.prompt_children(prompt.prompt_id)
        tasks = api.prompt_tasks(prompt)
    out = _out(args)
    if args.json:
        out.json({**prompt.to_json(), "tasks": list(tasks), "children": [c.to_json() for c in children]})
    else:
        out.fields(*prompt_fields(prompt, children, tasks))
    return EXIT_OK


def cmd_prompt_delete(args: argparse.Namespace) -> int:
    with _api(args) as api:
        result = api.delete_prompt(args.id, force=args.force, keep_outputs=args.keep_outputs)
    out = _out(args)
    if args.json:
        out.json(
            {
                "prompt_id": result.prompt_id,
                "deleted_runs": result.deleted_runs,
                "removed_dirs": result.removed_dirs,
                "kept_dirs": result.kept_dirs,
            }
        )
        return EXIT_OK
    out.line(result.prompt_id)
    runs = len(result.deleted_runs)
    summary = f"deleted prompt {result.prompt_id}"
    if runs:
        summary += f" and {runs} run(s); removed {len(result.removed_dirs)} output folder(s)"
        if result.kept_dirs:
            summary += f", kept {len(result.kept_dirs)}: " + ", ".join(result.kept_dirs)
    print(summary + ".", file=sys.stderr)
    return EXIT_OK


def _statuses(value: str | None) -> list[str]:
    return [s.strip() for s in value.split(",") if s.strip()] if value else []


def cmd_run_list(args: argparse.Namespace) -> int:
    from cosmos_tui.cli_output import RUN_LAYOUT, run_rows

    with _api(args) as api:
        runs = api.list_runs(
            status=_statuses(args.status),
            prompt=args.prompt,
            host=args.host,
            model_type=args.model,
            sweep=args.sweep,
            limit=args.limit,
            offset=args.offset,
        )
    out = _out(args)
    if args.json:
        out.json([r.to_json() for r in runs])
    else:
        out.table(*run_rows(runs, api.config.host_label), layout=RUN_LAYOUT)
    return EXIT_OK


def cmd_run_show(args: argparse.Namespace) -> int:
    from cosmos_tui.cli_output import run_fields, sweep_text

    with _api(args) as api:
        run = api.get_run(args.id)
        sweep = None
        if run.sweep_id and not args.json:
            members = api.list_runs(sweep=run.sweep_id, limit=10_000)[::-1]  # in the order queued
            sweep = sweep_text(run, members, api.sweep_labels(members))
        children = api.run_children(run.run_id)
    out = _out(args)
    if args.json:
        # "children" only here: the run object elsewhere (run list, --run --json) stays as documented.
        out.json({**run.to_json(), "children": [c.run_id for c in children]})
    else:
        out.fields(*run_fields(run, api.config.host_label, sweep, children))
    return EXIT_OK


def cmd_stats(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    with _api(args) as api:
        stats = api.dashboard(days=args.days)
    out = _out(args)
    if args.json:
        out.json(asdict(stats))
        return EXIT_OK
    from cosmos_tui.cli_output import duration

    out.table(
        ["day", "runs", "completed", "failed", "cancelled"],
        [
            [d.day, str(d.total), str(d.completed), str(d.failed), str(d.cancelled)]
            for d in stats.runs_per_day
        ],
        title="runs per day",
    )
    out.table(
        ["model", "finished", "success", "mean", "median", "rating"],
        [
            [
                m.model_type,
                str(m.finished),
                "-" if m.success_rate is None else f"{m.success_rate:.0%}",
                duration(m.mean_seconds) or "-",
                duration(m.median_seconds) or "-",
                rating_text(m.mean_rating, m.rated),
            ]
            for m in stats.by_model
        ],
        title="by model type",
    )
    out.table(
        ["input", "runs"],
        [[i.input_dir or "(text only)", str(i.runs)] for i in stats.top_inputs],
        title="most used inputs",
    )
    out.table(
        ["error class", "failures"], [[e.error_class, str(e.count)] for e in stats.failures], title="failures"
    )
    return EXIT_OK


def cmd_config_show(args: argparse.Namespace) -> int:
    with _api(args) as api:
        out = _out(args)
        if args.json:
            out.json(api.config_json())
        else:
            out.stream.write(api.config_toml())
    return EXIT_OK


def cmd_config_init(args: argparse.Namespace) -> int:
    from cosmos_tui.api import CosmosAPI
    from cosmos_tui.command import hint

    path, note = CosmosAPI.write_starter_config(args.path, force=args.force, given=args.config)
    print(path)
    print(f"wrote a starter configuration to {path}; edit it, then `{hint('config show')}`.", file=sys.stderr)
    if note:
        print(f"note: {note}", file=sys.stderr)
    return EXIT_OK


def cmd_tui(args: argparse.Namespace) -> int:
    from cosmos_tui.api import CosmosAPI

    served = os.environ.get("TEXTUAL_DRIVER", "").endswith(":WebDriver")  # under `serve`: a browser
    if not served and not (sys.stdin.isatty() and sys.stdout.isatty()):
        # Escape codes would land in a file or pipe, and nothing could ever quit the app.
        raise UsageError(
            "the terminal UI needs a terminal on standard input and output; run it in a terminal "
            "(or in tmux), or use the commands for scripts (see --help)."
        )
    api = CosmosAPI.from_config(args.config)
    open_log = api.resolve_run_id(args.logs) if getattr(args, "logs", None) else None
    from cosmos_tui.tui.app import CosmosApp  # textual is imported only here

    with api:
        CosmosApp(api, open_log=open_log).run()
    return EXIT_OK


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def cmd_serve(args: argparse.Namespace) -> int:
    """`serve`: the same application in a browser (textual-serve); each page runs its own
    `cosmos-tui` with this configuration."""
    import shlex

    from cosmos_tui.api import CosmosAPI

    with CosmosAPI.from_config(args.config) as api:  # a bad config fails here, not in the browser
        config = api.config.source
    if not 1 <= args.port <= 65535:
        raise UsageError(f"--port must be from 1 to 65535, not {args.port}.")
    if args.host not in LOOPBACK:
        print(
            f"cosmos-tui: warning: serving on {args.host}: anyone who can reach port {args.port} there gets "
            "the app (and the hosts it can reach); prefer 127.0.0.1 and an SSH tunnel.",
            file=sys.stderr,
        )
    command = [sys.executable, "-m", "cosmos_tui"]
    if config is not None:
        command += ["--config", str(config)]
    from textual_serve.server import Server  # only this command needs it

    url = f"http://{'[' + args.host + ']' if ':' in args.host else args.host}:{args.port}"
    print(f"serving cosmos-tui at {url} (Ctrl-C stops)", file=sys.stderr, flush=True)
    Server(shlex.join(command), host=args.host, port=args.port, title="cosmos-tui").serve()
    return EXIT_OK


# -- parser ---------------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse that says what to do next when the input is wrong."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}; see `{self.prog} --help`.\n")


def _common() -> _Parser:
    # SUPPRESS: a value given before the subcommand is not reset by the subparser's default.
    common = _Parser(add_help=False)
    common.add_argument(
        "--config",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="configuration file (default: $COSMOS_TUI_CONFIG, ./config.toml, then the user config folder)",
    )
    common.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=argparse.SUPPRESS,
        help="more detail in the log file (-vv for debug)",
    )
    return common


def _json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON (stable, documented)")


def _limit_flags(parser: argparse.ArgumentParser, offset: bool = True) -> None:
    parser.add_argument("--limit", type=int, default=50, metavar="N", help="at most N rows (50)")
    if offset:
        parser.add_argument("--offset", type=int, default=0, metavar="N", help="skip N rows")


def _sweep_flags(group: argparse._ArgumentGroup) -> None:
    """--seeds, --sweep and --yes: one run per combination (cli_run.sweep_of reads them)."""
    group.add_argument("--seeds", metavar="LIST", help="one run per seed: 1-4, 1,5,9 or 1-3,9")
    group.add_argument(
        "--sweep",
        action="append",
        metavar="KEY=VALUES",
        help="one run per value, e.g. guidance=3,5,7 or vis=0.2,0.5 (repeatable: every combination)",
    )
    group.add_argument("--yes", action="store_true", help="queue a sweep of more than 256 runs")


def build_parser() -> argparse.ArgumentParser:
    from cosmos_tui.command import typed_command

    common = _common()
    parser = _Parser(
        prog=typed_command(),
        description="Run NVIDIA Cosmos video generation on remote GPU hosts. "
        "With no command, opens the terminal UI.",
        parents=[common],
        epilog="exit codes: 0 ok, 1 operation failed, 2 usage/bad input/bad config, "
        "3 host unreachable or authentication failed, 130 interrupted",
    )
    parser.add_argument("--version", action="version", version=f"cosmos-tui {__version__}")
    parser.add_argument("--logs", metavar="RUN_ID", help="open the app on this run's live log")
    run_opts = parser.add_argument_group(f"headless runs ({typed_command()} --run ID ...)")
    run_opts.add_argument("--run", nargs="+", metavar="ID", help="queue and execute runs of these prompts")
    run_opts.add_argument("--prompts-file", metavar="F", help="more prompt IDs, one per line")
    run_opts.add_argument(
        "--weights",
        nargs=4,
        type=float,
        metavar=("VIS", "EDGE", "DEPTH", "SEG"),
        help="control weights (0 turns a control off)",
    )
    run_opts.add_argument("--steps", type=int, metavar="N", help="diffusion steps")
    run_opts.add_argument("--guidance", type=float, metavar="F", help="guidance scale")
    run_opts.add_argument("--seed", type=int, metavar="N", help="random seed")
    run_opts.add_argument("--host", metavar="NAME", help="host to run on (default: default_host)")
    run_opts.add_argument(
        "--task",
        choices=("transfer", "predict", "reason"),
        help="what the model does (default: transfer for a prompt with a control-video folder, else predict)",
    )
    _sweep_flags(run_opts)
    run_opts.add_argument(
        "--enhance",
        action="store_true",
        help="enhance each prompt first (the Pixtral prompt upsampler), then run the enhanced prompt",
    )
    run_opts.add_argument(
        "--detach",
        action="store_true",
        help="start the runs on the host and exit; a later cosmos-tui collects them",
    )
    run_opts.add_argument(
        "--json", action="store_true", default=False, help="print the runs as JSON when they end"
    )
    run_opts.add_argument(
        "--upscale",
        nargs="?",
        type=float,
        const=0.5,
        metavar="W",
        help="queue each run's 4K upscale when it completes (upscale weight W, default 0.5)",
    )
    run_opts.add_argument(
        "--force",
        dest="force_run",
        action="store_true",
        help="start even when the pre-flight check finds too little free GPU memory",
    )
    run_opts.add_argument(
        "--batch",
        action="store_true",
        help="run these prompts as one batch: one model process, loaded once (same settings needed)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def add(
        sub: argparse._SubParsersAction[_Parser], name: str, handler: Handler, help_text: str
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text, parents=[common])
        p.set_defaults(handler=handler)
        return p

    from cosmos_tui import cli_run

    prompt = commands.add_parser(
        "prompt", help="create, list, search, show, enhance and delete prompts", parents=[common]
    )
    psub = prompt.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=_Parser)
    p = add(psub, "add", cmd_prompt_add, "create a prompt and print its ID")
    p.add_argument("text", metavar="TEXT", help="prompt text ('-' reads it from standard input)")
    p.add_argument(
        "input",
        metavar="INPUT",
        nargs="?",
        help="what the prompt reads: a control-video folder (color.mp4 + optional depth.mp4, "
        "segmentation.mp4, edge.mp4; transfer), one video (.mp4, .mov) or image (.jpg, .jpeg, .png, "
        ".webp; predict, reason), or nothing for text alone (predict text2world); "
        "a name inside the inputs folder works too",
    )
    p.add_argument("--name", help="short name (default: made from the text)")
    p.add_argument("--negative", metavar="TEXT", help="negative prompt (default from config)")
    _json_flag(p)
    p = add(psub, "list", cmd_prompt_list, "list prompts, newest first")
    _limit_flags(p)
    _json_flag(p)
    p = add(psub, "search", cmd_prompt_search, "full-text search over prompt names and text")
    p.add_argument("query", metavar="QUERY", help="words to find (each matches as a prefix)")
    _limit_flags(p, offset=False)
    _json_flag(p)
    p = add(psub, "show", cmd_prompt_show, "show one prompt")
    p.add_argument("id", metavar="ID", help="prompt ID or a unique prefix")
    _json_flag(p)
    p = add(
        psub,
        "enhance",
        cli_run.cmd_prompt_enhance,
        "run the Pixtral prompt upsampler on a prompt and its video; print the enhanced child prompt's ID",
    )
    p.add_argument("id", metavar="ID", help="prompt ID or a unique prefix")
    p.add_argument("--host", metavar="NAME", help="host to run on (default: default_host)")
    p.add_argument(
        "--detach",
        action="store_true",
        help="start it on the host and exit; the prompt is made when a cosmos-tui collects it",
    )
    _json_flag(p)
    p = add(psub, "delete", cmd_prompt_delete, "delete a prompt")
    p.add_argument("id", metavar="ID", help="prompt ID or a unique prefix")
    p.add_argument("--force", action="store_true", help="also delete its runs and their output folders")
    p.add_argument(
        "--keep-outputs", action="store_true", help="with --force, keep the runs' output folders on disk"
    )
    _json_flag(p)

    run = commands.add_parser("run", help="list, show, follow, cancel and wait for runs", parents=[common])
    rsub = run.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=_Parser)
    p = add(rsub, "list", cmd_run_list, "list runs, newest first")
    p.add_argument("--status", metavar="S", help="only these statuses (comma-separated)")
    p.add_argument("--prompt", metavar="ID", help="only runs of this prompt (ID or prefix)")
    p.add_argument("--host", metavar="H", help="only runs on this host")
    p.add_argument("--model", metavar="M", help="only this model type")
    p.add_argument("--sweep", metavar="S", help="only runs of this sweep (ID or prefix)")
    _limit_flags(p)
    _json_flag(p)
    p = add(rsub, "show", cmd_run_show, "show one run")
    p.add_argument("id", metavar="ID", help="run ID or a unique prefix")
    _json_flag(p)

    p = add(rsub, "logs", cli_run.cmd_run_logs, "print a run's log")
    p.add_argument("id", metavar="ID", help="run ID or a unique prefix")
    p.add_argument("-f", "--follow", action="store_true", help="keep printing until the run ends")
    p = add(rsub, "cancel", cli_run.cmd_run_cancel, "cancel a run (graceful stop, then kill)")
    p.add_argument("id", metavar="ID", help="run ID or a unique prefix")
    p = add(rsub, "rerun", cli_run.cmd_run_rerun, "queue a run again with the same settings and host")
    p.add_argument("id", metavar="ID", help="run ID or a unique prefix")
    p.add_argument(
        "--exact",
        action="store_true",
        help="refuse unless the host's image and checkpoint files are unchanged",
    )
    _json_flag(p)
    p = add(
        rsub,
        "diff",
        cli_run.cmd_run_diff,
        "what differs between two runs (settings, image, checkpoints, inputs)",
    )
    p.add_argument("first", metavar="A", help="run ID or a unique prefix")
    p.add_argument("second", metavar="B", help="run ID or a unique prefix")
    _json_flag(p)
    p = add(rsub, "rate", cli_run.cmd_run_rate, "rate a completed run's result from 1 to 5 (0 clears)")
    p.add_argument("id", metavar="ID", help="run ID or a unique prefix")
    p.add_argument("rating", type=int, metavar="N", help="1 to 5; 0 clears the rating")
    _json_flag(p)
    p = add(rsub, "wait", cli_run.cmd_run_wait, "wait for a run to end, collecting it here if needed")
    p.add_argument("id", metavar="ID", help="run ID or a unique prefix")
    _json_flag(p)

    p = add(
        commands,
        "upscale",
        cli_run.cmd_upscale,
        "4K-upscale a completed run as a new run linked to it, and execute it (like --run)",
    )
    p.add_argument("id", metavar="RUN_ID", help="a completed transfer run (ID or a unique prefix)")
    p.add_argument("--weight", type=float, metavar="W", help="upscale control weight, above 0 to 1 (0.5)")
    p.add_argument("--host", metavar="NAME", help="host to run on (default: the run's own host)")
    p.add_argument("--detach", action="store_true", help="start it on the host and exit")
    _json_flag(p)

    p = add(commands, "serve", cmd_serve, "serve the terminal UI to a web browser (loopback by default)")
    p.add_argument("--host", default="127.0.0.1", metavar="ADDR", help="address to listen on (127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")

    p = add(commands, "status", cli_run.cmd_status, "hosts: reachable, GPUs, our containers, disk")
    p.add_argument("--host", metavar="NAME", help="only this host")
    _json_flag(p)

    host = commands.add_parser("host", help="manage hosts", parents=[common])
    hsub = host.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=_Parser)
    p = add(hsub, "trust", cli_run.cmd_host_trust, "show a host's SSH key and record it after you confirm")
    p.add_argument("name", metavar="NAME", help="host name from the config")
    p.add_argument("--yes", action="store_true", help="record without asking")
    p.add_argument(
        "--replace",
        action="store_true",
        help="replace a recorded key that changed (after checking the new fingerprint)",
    )
    p = add(
        hsub,
        "check",
        cli_run.cmd_host_check,
        "pre-flight check: reachable, runtime, image, GPUs and free memory, checkpoints or HF token, disk",
    )
    p.add_argument("name", metavar="NAME", help="host name from the config")
    p.add_argument("--force", action="store_true", help="report the GPU memory item without failing it")
    _json_flag(p)
    p = add(
        hsub,
        "clean",
        cli_run.cmd_host_clean,
        "remove run folders of finished runs and unneeded inputs from a host's disk",
    )
    p.add_argument("name", metavar="NAME", help="host name from the config")
    p.add_argument(
        "--older-than",
        type=float,
        metavar="DAYS",
        help="only runs that finished more than DAYS ago (default: every finished run)",
    )
    p.add_argument("--dry-run", action="store_true", help="remove nothing; report what would go")
    _json_flag(p)

    p = add(commands, "worker", cli_run.cmd_worker, "execute queued runs until interrupted")
    p.add_argument("--host", action="append", metavar="NAME", help="only this host (repeatable)")
    p.add_argument("--until-idle", action="store_true", help="exit when no run is queued or active")

    p = add(commands, "stats", cmd_stats, "dashboard figures: runs per day, success, durations")
    p.add_argument("--days", type=int, default=30, metavar="N", help="look back N days (30)")
    _json_flag(p)

    config = commands.add_parser("config", help="show or create the configuration", parents=[common])
    csub = config.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=_Parser)
    p = add(csub, "show", cmd_config_show, "print the resolved configuration and its source")
    _json_flag(p)
    p = add(csub, "init", cmd_config_init, "write a commented starter file to the user config path")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.add_argument("--path", help=argparse.SUPPRESS)
    return parser


# -- entry point ----------------------------------------------------------------------------------

# Paths only: a file name need not be UTF-8 (everything else ends up in the database as text).
_RAW_PATH_ARGS = ("config", "prompts_file", "path")


def _check_arguments(args: argparse.Namespace) -> None:
    """Refuse what argparse lets through but nothing below can use, with one sentence each."""
    from cosmos_tui.api import CosmosAPI

    CosmosAPI.check_current_folder()  # deleted under the shell: say so before a relative path resolves
    for name, value in vars(args).items():
        values = value if isinstance(value, list) else [value]
        for item in values:
            if isinstance(item, str) and name not in _RAW_PATH_ARGS:
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError as exc:
                    shown = name.replace("_", "-")
                    raise UsageError(
                        f"the {shown} argument is not valid UTF-8 text; retype it or fix the terminal's "
                        "encoding."
                    ) from exc


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.config = getattr(args, "config", None)
    args.verbose = getattr(args, "verbose", 0) or 0

    from cosmos_tui.api import CosmosAPI

    log_file = CosmosAPI.setup_logging(args.verbose)
    handler: Handler = getattr(args, "handler", None) or cmd_tui
    if getattr(args, "command", None) is None and (args.run or args.prompts_file):
        from cosmos_tui.cli_run import cmd_run_prompts

        handler = cmd_run_prompts
    try:
        _check_arguments(args)
        return handler(args)
    except CosmosError as exc:
        # Bad input is the user's to fix; anything else (a host down, a refused delete) is a warning.
        # The log keeps the causes behind the sentence (a Paramiko or SQLite error, ...).
        level = logging.INFO if exc.exit_code == EXIT_USAGE else logging.WARNING
        log.log(level, "command failed: %s", cause_chain(exc))
        print(f"cosmos-tui: error: {escape_controls(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("cosmos-tui: interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`| head`); not an error worth a message.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:
        log.exception("unexpected error")
        where = f"; details are in {log_file}" if log_file else ""
        print(
            f"cosmos-tui: error: unexpected {type(exc).__name__}: {escape_controls(str(exc))}{where}.",
            file=sys.stderr,
        )
        return EXIT_FAILED
