"""The Slurm runtime's shell text: the job script, sbatch, and the squeue/scancel/sinfo queries.

A run is one batch job named ``cosmos-<run_id>`` (also its comment). Its script lives in the run
folder on the login node (``job.sh``, mode 0600: it carries the model's environment, which may hold
secrets, so they never appear on a command line) and its output is that folder's run.log
(``--output``), followed by byte offset like the process runtime's. The script writes the model's
exit code to ``exit_code`` when the model ends, so the result outlives Slurm's memory of the job
(``MinJobAge``); a job Slurm ended itself (time limit, node failure, out of memory, scancel)
leaves no such file and is judged by its Slurm state.

Client commands run with the host's ``SLURM_*`` environment variables (for example ``SLURM_CONF``
for a cluster whose slurm.conf is not in the default place); no other variable is passed to them.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cosmos_tui.remote.process import ENV_NAME, EXIT, LOG

SCRIPT = "job.sh"
JOB_ID = "job_id"
PREFIX = "cosmos-"
WORKSPACE = "/workspace"  # where remote_dir is mounted inside a pyxis or apptainer container
# Slurm states of a job that is not over yet (squeue %T).
ACTIVE = ("PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED", "REQUEUED", "RESIZING", "STOPPED")
SCRIPT_HEADER = "#!/bin/sh\n# cosmos-tui: one run as a Slurm batch job.\n"


def job_name(run_id: str) -> str:
    return PREFIX + run_id


def client_env(env: Mapping[str, str]) -> str:
    """``export`` text for the Slurm client commands: the host's ``SLURM_*`` variables only."""
    pairs = [(k, v) for k, v in env.items() if k.startswith("SLURM_") and ENV_NAME.fullmatch(k)]
    return "".join(f"export {k}={shlex.quote(v)}; " for k, v in pairs)


def wrap(command: str, container: str, image: str, remote_dir: str) -> str:
    """The model command as the job runs it: as it is (``none``), or in the image via pyxis or
    apptainer with remote_dir mounted at /workspace (the command then runs from there)."""
    q = shlex.quote
    if container == "pyxis":
        return (
            f"srun --container-image={q(image)} --container-mounts={q(remote_dir + ':' + WORKSPACE)} "
            f"--container-workdir={WORKSPACE} sh -c {q(command)}"
        )
    if container == "apptainer":
        mount = q(remote_dir + ":" + WORKSPACE)
        return f"apptainer exec --nv --bind {mount} --pwd {WORKSPACE} {q(image)} sh -c {q(command)}"
    return command


def script(run_dir: str, workdir: str, command: str, env: Mapping[str, str]) -> str:
    """The job script: the model's environment, the model in the background (so a SIGTERM from
    ``scancel --full --signal=TERM`` is passed on to it), and its exit code written to a file."""
    q = shlex.quote
    for key in env:
        if not ENV_NAME.fullmatch(key):  # the config refuses these; never splice one into a shell
            raise ValueError(f"not an environment variable name: {key!r}")
    exports = "".join(f"export {key}={q(val)}\n" for key, val in env.items())
    exit_file = q(f"{run_dir}/{EXIT}")
    return (
        SCRIPT_HEADER
        + exports
        + f"cd {q(workdir)} || exit 127\n"
        + f"{command} < /dev/null &\n"
        + "model=$!\n"
        + "trap 'kill -TERM $model 2>/dev/null' TERM INT\n"
        + 'wait "$model"; code=$?\n'
        + "# A trapped signal ends wait early: wait for the model itself.\n"
        + 'while kill -0 "$model" 2>/dev/null; do wait "$model"; code=$?; done\n'
        + f"echo $code > {exit_file}.tmp && mv {exit_file}.tmp {exit_file}\n"
        + "exit $code\n"
    )


@dataclass(frozen=True)
class Submit:
    partition: str = ""
    account: str = ""
    gres: str = ""
    time: str = ""
    args: Sequence[str] = ()


def submit_command(run_id: str, run_dir: str, options: Submit, env: Mapping[str, str]) -> str:
    """Write the job script from stdin into the run folder and submit it; prints the job ID. A run
    folder that has a job ID already was submitted before: it is never submitted twice."""
    q = shlex.quote
    name = job_name(run_id)
    argv = [
        "sbatch",
        "--parsable",
        f"--job-name={name}",
        f"--comment={name}",
        f"--output={run_dir}/{LOG}",
        "--open-mode=append",
        f"--chdir={run_dir}",
    ]
    for flag, value in (
        ("partition", options.partition),
        ("account", options.account),
        ("gres", options.gres),
        ("time", options.time),
    ):
        if value:
            argv.append(f"--{flag}={value}")
    argv += [*options.args, f"{run_dir}/{SCRIPT}"]
    job_file = q(f"{run_dir}/{JOB_ID}")
    return (
        f"mkdir -p {q(run_dir)} || exit 97; "
        f"if [ -e {job_file} ]; then echo 'this run was already submitted' >&2; exit 98; fi; "
        f"(umask 077 && cat > {q(run_dir + '/' + SCRIPT)}) || exit 97; "
        f"{client_env(env)}id=$({shlex.join(argv)}) || exit $?; id=${{id%%;*}}; "
        f'echo "$id" > {job_file}; echo "$id"'
    )


def find_command(run_id: str, run_dir: str, env: Mapping[str, str]) -> str:
    """Prints the job ID of a run submitted earlier: from its run folder, else by its job name."""
    q = shlex.quote
    return (
        f"cat {q(run_dir + '/' + JOB_ID)} 2>/dev/null || "
        f"{{ {client_env(env)}squeue -h -t all -o %i -n {q(job_name(run_id))} 2>/dev/null "
        "| head -n 1; }; true"
    )


def _active_function(env: Mapping[str, str]) -> str:
    states = "|".join(ACTIVE)
    return (
        f'active() {{ st=$({client_env(env)}squeue -h -t all -j "$1" -o %T 2>/dev/null); '
        f'case "$st" in {states}) return 0;; *) return 1;; esac; }}; '
    )


def follow_command(run_dir: str, offset: int, job_id: str, env: Mapping[str, str]) -> str:
    """Stream run.log from a byte offset until the job is over and every byte is out. The file
    is polled every 50 ms; Slurm is asked whether the job is still on about every 2 s."""
    q = shlex.quote
    log = q(run_dir + "/" + LOG)
    done = q(run_dir + "/" + EXIT)
    return (
        _active_function(env) + f"off={offset:d}; i=0; "
        "while :; do "
        f"if [ -f {done} ]; then fin=1; "
        f"elif [ $((i % 40)) -eq 0 ] && ! active {q(job_id)}; then fin=1; else fin=0; fi; i=$((i+1)); "
        f"size=$(wc -c < {log} 2>/dev/null || echo 0); size=$((size+0)); "
        f'if [ "$size" -gt "$off" ]; then tail -c +$((off+1)) {log} | head -c $((size-off)); off=$size; fi; '
        f'[ "$fin" = 1 ] && break; sleep 0.05; done'
    )


def state_command(run_dir: str, job_id: str, env: Mapping[str, str]) -> str:
    """Prints ``exit CODE EPOCH`` when the script wrote the model's exit code, then a line
    ``slurm STATE|REASON|EXITCODE`` from squeue/scontrol (``slurm ?`` when Slurm forgot the job)."""
    q = shlex.quote
    exit_file = q(run_dir + "/" + EXIT)
    job = q(job_id)
    return (
        f"if [ -f {exit_file} ]; then echo exit $(cat {exit_file}) "
        f"$(date -r {exit_file} +%s.%N 2>/dev/null || stat -c %Y {exit_file} 2>/dev/null); fi; "
        f"{client_env(env)}"
        f"line=$(scontrol -o show job {job} 2>/dev/null); "
        'if [ -n "$line" ]; then '
        "st=$(echo \"$line\" | tr ' ' '\\n' | sed -n 's/^JobState=//p'); "
        "why=$(echo \"$line\" | tr ' ' '\\n' | sed -n 's/^Reason=//p'); "
        "ec=$(echo \"$line\" | tr ' ' '\\n' | sed -n 's/^ExitCode=//p'); "
        'echo "slurm $st|$why|$ec"; else echo "slurm ?"; fi'
    )


def cancel_command(job_id: str, grace: int, env: Mapping[str, str]) -> str:
    """SIGTERM to the job's script and steps (the script passes it to the model), up to ``grace``
    seconds for it to end, then ``scancel``. A pending job is cancelled at once."""
    q = shlex.quote
    job = q(job_id)
    return (
        _active_function(env) + client_env(env) + f"st=$(squeue -h -j {job} -o %T 2>/dev/null); "
        f'if [ "$st" = PENDING ]; then scancel {job}; exit 0; fi; '
        f"scancel --full --signal=TERM {job} 2>/dev/null; "
        f"i=0; while active {job} && [ $i -lt {grace * 10:d} ]; do sleep 0.1; i=$((i+1)); done; "
        f"active {job} && scancel {job}; true"
    )


NODE_FIELDS = "NodeList:|,Gres:|,GresUsed:|,StateLong:|,CPUsState:|"


def nodes_command(partition: str, env: Mapping[str, str]) -> str:
    """One line per node of the partition (every node when none): name|gres|gres used|state|CPUs
    (allocated/idle/other/total). GresUsed counts GPUs whether or not Slurm accounts for them."""
    q = shlex.quote
    where = f"-p {q(partition)} " if partition else ""
    return f"{client_env(env)}sinfo -h -N {where}-O {q(NODE_FIELDS)}"


@dataclass(frozen=True)
class Node:
    name: str
    state: str
    gpus_total: int
    gpus_used: int
    cpus: str = ""


def _gpu_count(text: str) -> int:
    """GPUs in a gres or TRES text: ``gpu:2``, ``gpu:h100:4(S:0-1)``, ``cpu=1,gres/gpu=2``."""
    total = 0
    for part in text.split(","):
        part = part.strip()
        if part.startswith("gres/gpu="):
            value = part.split("=", 1)[1]
            total += int(value) if value.isdigit() else 0
        elif part.startswith("gpu:") and ":" in part:
            count = part.split("(", 1)[0].rsplit(":", 1)[1]
            total += int(count) if count.isdigit() else 0
    return total


def parse_nodes(text: str) -> list[Node]:
    nodes: dict[str, Node] = {}  # a node in two partitions is listed twice
    for line in text.splitlines():
        fields = [field.strip() for field in line.split("|")]
        if len(fields) < 5 or not fields[0]:
            continue
        name, gres, used, state, cpus = fields[:5]
        parts = cpus.split("/")
        shown = f"{parts[0]}/{parts[3]}" if len(parts) == 4 else cpus
        nodes[name] = Node(name, state.upper(), _gpu_count(gres), _gpu_count(used), shown)
    return list(nodes.values())


# Slurm's own endings of a job the script did not see through: our error class and sentence.
ENDINGS = {
    "TIMEOUT": (
        "time_limit",
        "Slurm ended the job at its time limit{limit}; raise slurm_time for host {host} and run it again.",
    ),
    "NODE_FAIL": (
        "node_fail",
        "the Slurm node running the job failed; run it again (Slurm will place it on a working node).",
    ),
    "OUT_OF_MEMORY": (
        "oom",
        "Slurm killed the job for using more memory than it was given; ask for more memory in "
        'slurm_args (e.g. "--mem=64G") for host {host}.',
    ),
    "PREEMPTED": ("preempted", "Slurm preempted the job for a higher-priority one; run it again."),
    "BOOT_FAIL": ("node_fail", "the Slurm node for the job failed to boot; run it again."),
    "DEADLINE": ("time_limit", "Slurm ended the job at its deadline; run it again."),
}
