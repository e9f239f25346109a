"""The process runtime: the model runs as a detached `setsid nohup` process on the host, with a pid
file, an exit-code file and a log file that is followed by byte offset.

Layout inside the run folder: run.log (stdout and stderr), pid (the model's pid), exit_code
(written when it ends). The wrapper shell's pid is also its process group, which a forced stop
kills as a whole.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping

ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
LOG = "run.log"
PID = "pid"
EXIT = "exit_code"
WRAPPER = "wrapper.pid"


def start_command(run_dir: str, workdir: str, command: str, env: Mapping[str, str] | None = None) -> str:
    """A shell command that starts the model detached and prints the wrapper's pid."""
    q = shlex.quote
    for key in env or {}:
        if not ENV_NAME.fullmatch(key):  # the config refuses these; never splice one into a shell
            raise ValueError(f"not an environment variable name: {key!r}")
    exports = "".join(f"export {key}={q(val)}; " for key, val in (env or {}).items())
    inner = (
        f"echo $$ > {q(run_dir + '/' + WRAPPER)}; {exports}cd {q(workdir)} || exit 127; "
        f"{command} > {q(run_dir + '/' + LOG)} 2>&1 < /dev/null & "
        f"echo $! > {q(run_dir + '/' + PID + '.tmp')} && mv {q(run_dir + '/' + PID + '.tmp')} "
        f"{q(run_dir + '/' + PID)}; wait $!; code=$?; "
        f"echo $code > {q(run_dir + '/' + EXIT + '.tmp')} && mv {q(run_dir + '/' + EXIT + '.tmp')} "
        f"{q(run_dir + '/' + EXIT)}"
    )
    # A run folder that already has a wrapper pid was started before: never start it twice.
    return (
        f"mkdir -p {q(run_dir)} && cd {q(run_dir)} || exit 97; "
        f"if [ -e {q(run_dir + '/' + WRAPPER)} ]; then echo 'this run was already started' >&2; exit 98; fi; "
        f"setsid nohup sh -c {q(inner)} > /dev/null 2>&1 < /dev/null & "
        f"while [ ! -e {q(run_dir + '/' + WRAPPER)} ]; do sleep 0.01; done; echo $!"
    )


def find_command(run_dir: str) -> str:
    """Prints the wrapper pid of a run started earlier (nothing if it never started)."""
    return f"cat {shlex.quote(run_dir + '/' + WRAPPER)} 2>/dev/null; true"


# Alive and not a zombie: an orphan's parent (init in a container) may be slow to reap it.
_ALIVE = (
    'alive() {{ [ -r /proc/$1/stat ] && {{ ! grep -q "^[0-9]* ([^)]*) Z" /proc/$1/stat; }} '
    '|| {{ [ ! -d /proc ] && kill -0 "$1" 2>/dev/null; }}; }}; '
)


def alive_function() -> str:
    """Shell text defining `alive PID` (true while that process lives and is not a zombie)."""
    return _ALIVE.format()


def follow_command(run_dir: str, offset: int, wrapper_pid: str) -> str:
    """Stream the log from a byte offset until the model has ended and every byte is out.

    Polls the file size every 50 ms and sends only what is new (tail -c +N | head -c LEN), so the
    stream ends exactly at the end of the file once the exit-code file exists.
    """
    q = shlex.quote
    log = q(run_dir + "/" + LOG)
    done = q(run_dir + "/" + EXIT)
    return (
        _ALIVE.format() + f"off={offset:d}; "
        f"while :; do "
        f"if [ -f {done} ]; then fin=1; elif alive {q(wrapper_pid)}; then fin=0; else fin=1; fi; "
        f"size=$(wc -c < {log} 2>/dev/null || echo 0); size=$((size+0)); "
        f'if [ "$size" -gt "$off" ]; then tail -c +$((off+1)) {log} | head -c $((size-off)); off=$size; fi; '
        f'[ "$fin" = 1 ] && break; sleep 0.05; done'
    )


def state_command(run_dir: str, wrapper_pid: str) -> str:
    """Prints `running`, or `exited CODE EPOCH` (when the exit-code file was written), or `gone`."""
    q = shlex.quote
    exit_file = q(run_dir + "/" + EXIT)
    return (
        _ALIVE.format() + f"if [ -f {exit_file} ]; then echo exited $(cat {exit_file}) "
        f"$(date -r {exit_file} +%s.%N 2>/dev/null || stat -c %Y {exit_file} 2>/dev/null); "
        f"elif alive {q(wrapper_pid)}; then echo running; else echo gone; fi"
    )


def stop_command(run_dir: str, wrapper_pid: str, grace: int) -> str:
    """SIGTERM the model, wait up to ``grace`` seconds, then SIGKILL the whole process group."""
    q = shlex.quote
    pid_file = q(run_dir + "/" + PID)
    group = q("-" + wrapper_pid)
    return (
        _ALIVE.format()
        + f'model=$(cat {pid_file} 2>/dev/null); [ -n "$model" ] && kill -TERM "$model" 2>/dev/null; '
        f"i=0; while [ ! -f {q(run_dir + '/' + EXIT)} ] && alive {q(wrapper_pid)} "
        f"&& [ $i -lt {grace * 10:d} ]; do "
        f"sleep 0.1; i=$((i+1)); done; kill -KILL -- {group} 2>/dev/null; true"
    )
