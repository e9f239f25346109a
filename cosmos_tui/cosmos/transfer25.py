"""NVIDIA Cosmos-Transfer2.5: spec JSON, command line, log stages, outputs, failures.

Facts honoured (nvidia-cosmos/cosmos-transfer2.5: examples/inference.py, cosmos_transfer2/config.py,
cosmos_transfer2/inference.py, packages/cosmos-oss/cosmos_oss/init.py); Predict2.5 shares the
launcher and its wording, so ``predict25`` builds on the pieces here:

- ``python examples/inference.py -i SPEC -o OUT`` (tyro); several GPUs ``torchrun
  --nproc_per_node=N --master_port=12341 examples/inference.py ...`` (we pass ``--standalone``
  instead of a fixed port). ``-i`` also takes a ``.jsonl``
  (one sample per line, the model loaded once).
- Relative paths in a spec or a JSONL line resolve against that FILE's folder (``_from_file``
  changes into ``path.parent`` while it validates); ``-o`` against the working directory (remote_dir).
- The spec: ``name``, ``prompt``, ``video_path``, ``guidance`` (an integer 0..7), ``seed``,
  ``num_steps``, ``negative_prompt`` and one block per control (edge, depth, vis, seg) with
  ``control_weight`` (0..1) and an optional ``control_path`` (without one the model computes the
  control from ``video_path``); edge takes ``preset_edge_threshold``, vis ``preset_blur_strength``.
  ``sigma_max`` (Transfer1's 70 is no default here: 2.5 starts from noise) and ``fps`` (the output
  keeps the input's) are left to the model.
- Outputs, flat in OUT: ``<name>.mp4``, ``<name>.txt`` (the prompt), ``<name>.json`` (resolved
  arguments), ``<name>_control_<key>.mp4``; ``config.yaml``, ``console.log``, ``debug.log``. A single
  run is named ``output`` so its files are what users expect; a batch names its samples ``s<i>``.
- Only lines of cosmos_transfer2/inference.py, examples/, cosmos_oss and the checkpoint download
  reach the console (cosmos_oss filters ``_src`` modules out, so neither ``GUARDRAIL BLOCKED`` nor
  ``Generating chunk k/N`` shows unless COSMOS_VERBOSE=1); tqdm's per-step ``Generating samples`` bar
  goes to stderr on every rank, one bar per chunk.
- ``keep_going`` defaults to True: a blocked prompt is skipped and the process exits 0. A single
  run passes ``--no-keep-going`` (a block then fails the run in the model's words); a batch keeps
  going so one blocked sample does not stop the others.
"""

from __future__ import annotations

import json
import posixpath
import re
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cosmos_tui import families
from cosmos_tui.cosmos.base import (
    LOGURU,
    PY_ERROR,
    SIGNAL,
    Failure,
    LogEvent,
    RunFiles,
    Stage,
    clean,
    exit_failure,
    python_failure,
)
from cosmos_tui.cosmos.transfer import OOM
from cosmos_tui.errors import UsageError

SCRIPT = "examples/inference.py"
SINGLE_NAME = "output"  # a single run's sample name: OUT/output.mp4 is already the local name
CONTROLS = ("edge", "vis", "depth", "seg")  # the model's CONTROL_KEYS order
CONTROL_INPUTS = {"edge": "edge", "depth": "depth", "seg": "seg"}  # control -> inputs key
MODEL_NAMES = ("edge", "depth", "seg", "vis", "edge/distilled")  # --model choices
GUARDRAIL_REPO = "nvidia/Cosmos-Guardrail1"
MAX_GUIDANCE = 7  # the spec's guidance: an integer in [0, 7]
MAX_CONTROL_WEIGHT = 1.0  # a control's control_weight: [0, 1]

# -- reading the log -------------------------------------------------------------------------------

STEPS = re.compile(r"Generating samples:\s*\d+%\|[^|]*\|\s*(\d+)/(\d+) \[")
CHUNK = re.compile(r"^Generating chunk (\d+)/(\d+)")
SAMPLE_START = re.compile(r"^\[\d+/\d+\] Processing sample ")
SAMPLE_NAME = re.compile(r"^s\d+(?=\.|_control_)")  # a batch sample's files: s3.mp4, s3_control_edge.mp4


def path_in_spec(files: RunFiles, rel: str) -> str:
    """A path relative to remote_dir as a spec (or a JSONL line beside it) must give it: relative
    to the spec file's folder, which is where the model resolves it."""
    if rel.startswith("/"):
        return rel
    return posixpath.relpath(rel, posixpath.dirname(files.spec_rel))


def guidance_value(value: Any) -> int | float:
    """The model takes guidance as an integer 0..7: an integral value goes as an int, any other as
    it is, for the model to refuse in its own words."""
    number = float(value)
    return int(number) if number.is_integer() else number


def launcher(gpus: int) -> list[str]:
    """``python SCRIPT`` on one GPU, ``torchrun`` over several. ``--standalone`` takes a free port
    for the ranks to meet on, so two multi-GPU runs on one host never clash on a fixed one (the
    README's ``--master_port=12341``, or torchrun's default 29500)."""
    if gpus <= 1:
        return ["python", SCRIPT]
    return ["torchrun", "--standalone", f"--nproc_per_node={gpus}", SCRIPT]


def quoted(argv: list[str]) -> str:
    return " ".join(shlex.quote(a) for a in argv)


def read_progress(line: str, stage_of: Callable[[str], str | None]) -> LogEvent | None:
    """Stage starts (loguru messages), the chunk count (``Generating chunk k/N``, verbose logs)
    and the per-step bar (``Generating samples: 40%|...| 14/35 [...]``) in one cleaned line."""
    match = LOGURU.search(line)
    stage = clips_done = clips_total = None
    if match:
        message = match.group(4)
        stage = stage_of(message)
        if chunk := CHUNK.match(message):
            clips_done, clips_total = int(chunk.group(1)) - 1, int(chunk.group(2))
    # A bar without its newline yet is followed by the next loguru line on the same line.
    bars = STEPS.findall(line[: match.start()] if match else line)
    done = total = None
    if bars:
        done, total = int(bars[-1][0]), int(bars[-1][1])
    if stage is None and clips_total is None and total is None:
        return None
    return LogEvent(
        stage=stage, clips_done=clips_done, clips_total=clips_total, steps_done=done, steps_total=total
    )


def interesting(raw: bytes) -> bool:
    return b"|INFO|" in raw or b"|SUCCESS|" in raw or b"|WARNING|" in raw or b"Generating samples" in raw


# -- failures --------------------------------------------------------------------------------------

GUARDRAIL_REASON = re.compile(r"GUARDRAIL BLOCKED: (.*)")
PROMPT_BLOCKED = re.compile(r"Guardrail blocked (?:text2world )?generation\. (Negative prompt|Prompt): ")
VIDEO_BLOCKED = re.compile(r"Guardrail blocked video2world generation")
HF_GATED = re.compile(
    r"Cannot access gated repo for url https://huggingface\.co/(?:api/models/)?([\w.-]+/[\w.-]+)"
    r"|Access to model ([\w.-]+/[\w.-]+) is restricted"
    r"|(GatedRepoError|401 Client Error|Invalid user token|Invalid credentials in Authorization header)"
)
HF_DOWNLOAD = re.compile(
    r"CalledProcessError: Command '\[.*?'download', '([^']+)'.*returned non-zero exit status"
)
UVX_MISSING = re.compile(r"No such file or directory: '(uvx?)'")
CKPT_MISSING = re.compile(r"Checkpoint (?:path )?'?([^'\s]+?)'? does not exist")
CKPT_UNKNOWN = re.compile(r"Checkpoint '([^']+)' not found\.")
SPEC_ERROR = re.compile(r"Error validating parameters from '([^']*)' at line (\d+)")
PYDANTIC = re.compile(r"^\d+ validation errors? for \w+$")
NOT_UNIQUE = re.compile(r"Error: Inference samplename (.*) is not unique")
VIDEO_BLOCK_MESSAGE = "the guardrail blocked the generated video; try another prompt or seed."
TYRO_ERROR = re.compile(r"(Unrecognized options?: .*|[Ii]nvalid choice: .*)")


def pydantic_problem(lines: list[str], start: int) -> str | None:
    """The first error of a pydantic ValidationError printed from ``start`` on: "field: message"."""
    for i in range(start, min(len(lines), start + 40)):
        if not PYDANTIC.match(lines[i].strip()):
            continue
        for j in range(i + 1, min(len(lines), i + 12)):
            text = lines[j]
            if text.startswith("  ") and not text.startswith("    "):
                message = text.strip().split(" [type=")[0].removeprefix("Value error, ").rstrip(".")
                field = lines[j - 1].strip() if j - 1 > i and not lines[j - 1].startswith(" ") else ""
                return f"{field}: {message}" if field else message
        return None
    return None


def silent_video_block(lines: list[str]) -> bool:
    """Transfer2.5 with --keep-going: the video guardrail's verdict is logged only to debug.log, so
    a blocked video shows on the console as "Running guardrail check on video..." and then nothing
    (no saved video, no error)."""
    last = None
    for i, line in enumerate(lines):
        if (match := LOGURU.search(line)) is not None:
            last = (i, match.group(4))
    if last is None or not last[1].startswith("Running guardrail check on video"):
        return False
    return not any("Traceback" in line or PY_ERROR.match(line) for line in lines[last[0] + 1 :])


def classify_25(lines: list[str], exit_code: int | None, oom_advice: str, silent_block: bool) -> Failure:
    """Why a Transfer2.5 / Predict2.5 run failed, in one sentence, from its log's end."""
    text = "\n".join(lines)
    reason = GUARDRAIL_REASON.search(text)
    detail = f" ({reason.group(1).strip()})" if reason else ""
    if blocked := PROMPT_BLOCKED.search(text):
        what = "negative prompt" if blocked.group(1) == "Negative prompt" else "prompt"
        return Failure(
            "guardrail", f"the guardrail blocked the {what}{detail}; reword the {what} and run it again."
        )
    if VIDEO_BLOCKED.search(text):
        return Failure(
            "guardrail",
            f"the guardrail blocked the generated video{detail}; try another prompt or seed.",
        )
    if reason:
        return Failure(
            "guardrail", f"the guardrail blocked this run{detail}; reword the prompt and run it again."
        )
    if OOM.search(text):
        return Failure("oom", f"the GPU ran out of memory; {oom_advice}")
    if failure := checkpoint_failure(text):
        return failure
    for i, line in enumerate(lines):
        if spec := SPEC_ERROR.search(line):
            where = f" (line {spec.group(2)} of the batch)" if spec.group(1).endswith(".jsonl") else ""
            problem = pydantic_problem(lines, i + 1) or "see the run log"
            return Failure("invalid_input", f"the model rejected its spec{where}: {problem}.")
    if match := NOT_UNIQUE.search(text):
        return Failure(
            "invalid_input", f"the model rejected its spec: the sample name {match.group(1)} is not unique."
        )
    for i, line in enumerate(lines):
        if PYDANTIC.match(line.strip()):
            problem = pydantic_problem(lines, i) or "see the run log"
            return Failure("invalid_input", f"the model rejected its arguments: {problem}.")
    for line in reversed(lines):
        if match := TYRO_ERROR.search(line):
            problem = match.group(1).strip(" │|").rstrip(".")
            return Failure("invalid_input", f"the model rejected its command line: {problem}.")
    if match := SIGNAL.search(text):
        return Failure("cancelled", f"the model was stopped by signal {match.group(1)}.")
    found = python_failure(lines)
    if found is not None:
        return found
    if silent_block and exit_code == 1 and silent_video_block(lines):
        return Failure("guardrail", VIDEO_BLOCK_MESSAGE)
    return exit_failure(exit_code)


def checkpoint_failure(text: str) -> Failure | None:
    """A checkpoint the model could not get: a refused or failed Hugging Face download, no uvx, or
    a checkpoint path that is not on the host."""
    if gated := HF_GATED.search(text):
        repo = gated.group(1) or gated.group(2)
        if repo is None and (download := HF_DOWNLOAD.search(text)):
            repo = download.group(1)
        licences = GUARDRAIL_REPO if repo in (None, GUARDRAIL_REPO) else f"{repo} and {GUARDRAIL_REPO}"
        return Failure(
            "missing_checkpoint",
            f"Hugging Face refused to download {repo or 'the checkpoints'}; set HF_TOKEN in the host's "
            f"env to a token whose account accepted the licences of {licences}.",
        )
    if download := HF_DOWNLOAD.search(text):
        return Failure(
            "missing_checkpoint",
            f"downloading {download.group(1)} from Hugging Face failed; set HF_TOKEN in the host's env "
            f"(its account must have accepted the {GUARDRAIL_REPO} licence) and check the host's "
            "network and free disk.",
        )
    if match := UVX_MISSING.search(text):
        return Failure(
            "missing_checkpoint",
            f"the model downloads its checkpoints with {match.group(1)}, which is not on the host's "
            "PATH; install uv in the model's image.",
        )
    if match := CKPT_MISSING.search(text):
        return Failure(
            "missing_checkpoint",
            f"the checkpoint {match.group(1)} does not exist on the host; fix the host's checkpoint "
            "setting or copy the checkpoint there.",
        )
    if match := CKPT_UNKNOWN.search(text):
        return Failure(
            "missing_checkpoint",
            f"the model does not know the checkpoint {match.group(1)}; set the host's checkpoint to "
            "one of its model names or to a path on the host.",
        )
    return None


# -- the adapter -----------------------------------------------------------------------------------


class Family25Adapter:
    """What Transfer2.5 and Predict2.5 share: one ``examples/inference.py`` that writes every
    sample flat into OUT as ``<name>.*``, logs in the same words, and batches a JSONL of whole
    samples (named ``s<index>``) with the model loaded once. A subclass gives its log's stage
    starts, its saved-line pattern, its file kinds, its OOM advice and its spec and command."""

    model_type = ""
    family_name = ""
    stage_starts: tuple[tuple[str, str], ...] = ()
    sample_saved: re.Pattern[str] = re.compile(r"$^")
    saved_marker = b""
    kinds: tuple[str, ...] = (".mp4",)  # the files of one sample: <name> + each of these
    oom_advice = ""
    silent_block = False  # a blocked video leaves no console line (Transfer2.5)

    def build_spec(self, config: dict[str, Any], files: RunFiles, name: str = SINGLE_NAME) -> dict[str, Any]:
        raise NotImplementedError

    def check(self, config: dict[str, Any]) -> None:
        """The 2.5 models take guidance only as a whole number from 0 to 7 (their spec schema)."""
        guidance = float(config["guidance"])
        if not (guidance.is_integer() and 0 <= guidance <= MAX_GUIDANCE):
            label = families.family(self.family_name).label
            raise UsageError(
                f"{label} takes guidance as a whole number from 0 to {MAX_GUIDANCE}, not {guidance:g}; "
                "run it with another guidance.",
                field="guidance",
            )

    def _argv(self, config: dict[str, Any], files: RunFiles, spec_rel: str, keep_going: bool) -> list[str]:
        raise NotImplementedError

    def command(self, config: dict[str, Any], files: RunFiles) -> str:
        return quoted(self._argv(config, files, files.spec_rel, keep_going=False))

    def output_patterns(self) -> tuple[str, ...]:
        return tuple(SINGLE_NAME + kind for kind in self.kinds)

    def local_name_for(self, name: str) -> str:
        """A batch sample's files (``s3.mp4``, ``s3.txt``, ``s3_control_edge.mp4``) under the names
        a single run's files have (``output.mp4``, ...)."""
        return SAMPLE_NAME.sub(SINGLE_NAME, name, count=1)

    def interesting(self, raw: bytes) -> bool:
        return interesting(raw)

    def stage_of(self, message: str) -> str | None:
        if SAMPLE_START.match(message):
            return "guardrail"  # the prompt guardrail runs first thing for each sample
        return next((stage for start, stage in self.stage_starts if message.startswith(start)), None)

    def read_line(self, line: str) -> LogEvent | None:
        return read_progress(line, self.stage_of)

    def classify(self, lines: list[str], exit_code: int | None) -> Failure:
        return classify_25(lines, exit_code, self.oom_advice, silent_block=self.silent_block)

    # -- batch mode: one model process for the lines of a JSONL ----------------------------------

    def batch_spec(self, config: dict[str, Any], files: RunFiles) -> dict[str, Any]:
        """Nothing is shared through a file: every JSONL line is a whole sample."""
        return {}

    def batch_line(self, config: dict[str, Any], files: RunFiles, index: int) -> dict[str, Any]:
        """Sample ``index``'s line, named ``s<index>``; batch.jsonl sits beside spec.json, so its
        paths are relative to the same folder."""
        return self.build_spec(config, files, name=f"s{index}")

    def sample_spec(self, spec: dict[str, Any], line: dict[str, Any]) -> dict[str, Any]:
        return dict(line)

    def batch_command(self, config: dict[str, Any], files: RunFiles, jsonl_rel: str) -> str:
        return quoted(self._argv(config, files, jsonl_rel, keep_going=True))

    def sample_folder(self, index: int) -> str:
        return ""  # every sample writes into OUT itself

    def sample_output_patterns(self) -> tuple[str, ...]:
        return ()  # the files are named by the sample: see sample_outputs

    def sample_outputs(self, index: int) -> tuple[str, ...]:
        return tuple(f"s{index}{kind}" for kind in self.kinds)

    def sample_marker(self, raw: bytes) -> bool:
        return b"Processing sample" in raw or self.saved_marker in raw or b"Guardrail blocked" in raw

    def sample_event(self, line: str) -> tuple[str, int | None] | None:
        """("start", None) at ``[i/N] Processing sample``, ("saved", i) at the line that saved
        ``OUT/s<i>``, ("blocked", None) when the prompt guardrail skips the sample."""
        match = LOGURU.search(line)
        if match is None:
            return None
        message = match.group(4)
        if SAMPLE_START.match(message):
            return ("start", None)
        if saved := self.sample_saved.match(message):
            return ("saved", int(saved.group(1)))
        if message.startswith("Guardrail blocked"):
            return ("blocked", None)
        return None


STAGE_STARTS: tuple[tuple[str, str], ...] = (
    ("Log saved to", "load"),
    ("Downloading checkpoint", "load"),
    ("Processing the following paths", "generate"),
    ("Running guardrail check on video", "postguard"),
    ("Guardrail checks on video are disabled", "postguard"),
    ("Generated video saved to", "save"),
)
SAMPLE_SAVED = re.compile(r"^Generated video saved to (?:.*/)?s(\d+)\.(?:mp4|jpg)\s*$")
OOM_ADVICE = (
    "Transfer2.5 needs about 65 GB on one GPU; use more GPUs (num_gpu), shorter inputs, fewer "
    "controls, or free the GPU of other jobs."
)


class Transfer25Adapter(Family25Adapter):
    model_type = "transfer"
    family_name = "transfer2.5"
    stage_starts = STAGE_STARTS
    sample_saved = SAMPLE_SAVED
    saved_marker = b"Generated video saved to"
    kinds = (".mp4", ".jpg", ".txt", "_control_*.mp4")
    oom_advice = OOM_ADVICE
    silent_block = True
    stages = (
        Stage("load", "loading model", 120),
        Stage("guardrail", "prompt guardrail", 10),
        Stage("generate", "generating video", 500),
        Stage("postguard", "output guardrail", 10),
        Stage("save", "saving", 2),
    )

    def check(self, config: dict[str, Any]) -> None:
        super().check(config)
        weights = {c: float(w) for c, w in config.get("weights", {}).items()}
        if not any(w > 0 for w in weights.values()):
            raise UsageError("a Transfer2.5 run needs at least one control weight above 0.", field="weights")
        for control, weight in weights.items():
            if weight > MAX_CONTROL_WEIGHT:
                raise UsageError(
                    f"Transfer2.5 takes control weights from 0 to 1, not {weight:g} for {control}; lower it.",
                    field=control,
                )

    def local_inputs(self, config: dict[str, Any]) -> list[str]:
        inputs = config.get("inputs", {})
        wanted = [inputs["video"]]
        weights = config.get("weights", {})
        for control, key in CONTROL_INPUTS.items():
            if key in inputs and float(weights.get(control, 0)) > 0:
                wanted.append(inputs[key])
        return wanted

    def build_spec(self, config: dict[str, Any], files: RunFiles, name: str = SINGLE_NAME) -> dict[str, Any]:
        inputs = config.get("inputs", {})
        spec: dict[str, Any] = {
            "name": name,
            "prompt": config["prompt"],
            "video_path": path_in_spec(files, files.inputs[inputs["video"]]),
            "guidance": guidance_value(config["guidance"]),
            "seed": int(config["seed"]),
            "num_steps": int(config["num_steps"]),
        }
        if config.get("negative_prompt"):
            spec["negative_prompt"] = config["negative_prompt"]
        for control in CONTROLS:
            weight = float(config.get("weights", {}).get(control, 0))
            if weight <= 0:
                continue  # a control left out is off
            block: dict[str, Any] = {"control_weight": weight}
            key = CONTROL_INPUTS.get(control)
            if key and key in inputs:
                block["control_path"] = path_in_spec(files, files.inputs[inputs[key]])
            if control == "edge" and config.get("canny_threshold"):
                block["preset_edge_threshold"] = config["canny_threshold"]
            if control == "vis" and config.get("blur_strength"):
                block["preset_blur_strength"] = config["blur_strength"]
            spec[control] = block
        return spec

    def checkpoint_args(self, config: dict[str, Any]) -> list[str]:
        """The model picks its checkpoint from the spec's control (downloading it); a host's
        checkpoint is a ``--model`` name or a post-trained checkpoint's path."""
        checkpoint = config.get("checkpoint") or ""
        if not checkpoint or checkpoint == families.family(self.family_name).default_checkpoint:
            return []
        if checkpoint in MODEL_NAMES:
            return [f"--model={checkpoint}"]
        return ["--checkpoint-path", checkpoint]

    def _argv(self, config: dict[str, Any], files: RunFiles, spec_rel: str, keep_going: bool) -> list[str]:
        return [
            *launcher(int(config.get("num_gpu", 1))),
            "-i",
            spec_rel,
            "-o",
            files.out_rel,
            *self.checkpoint_args(config),
            "--keep-going" if keep_going else "--no-keep-going",
        ]

    def sample_failure(self, run_dir: Path) -> Failure | None:
        """A batch sample whose generated video the guardrail blocked: with --keep-going the model
        says so only in debug.log and goes on (or exits 0 after the last sample)."""
        try:
            name = json.loads((run_dir / "spec.json").read_text(encoding="utf-8")).get("name")
            with (run_dir / "run.log").open("rb") as handle:
                handle.seek(0, 2)
                handle.seek(max(0, handle.tell() - 65536))
                tail = handle.read()
        except (OSError, ValueError, AttributeError):
            return None
        if name == SINGLE_NAME:
            return None  # a single run runs with --no-keep-going: a block is an error in its log
        lines = [clean(raw.decode("utf-8", errors="replace")) for raw in tail.split(b"\n")]
        if silent_video_block(lines):
            return Failure(
                "guardrail", "the guardrail blocked the generated video; try another prompt or seed."
            )
        return None

    # -- batch mode: one model process for the lines of a JSONL ----------------------------------

    def batch_key(self, config: dict[str, Any]) -> str | None:
        """Runs with the same controls on (the model loads one checkpoint per control set; mixed
        sets load the multicontrol model, whose results differ), checkpoint and GPUs."""
        controls = sorted(c for c, w in config.get("weights", {}).items() if float(w) > 0)
        checkpoint = config.get("checkpoint") or families.family(self.family_name).default_checkpoint
        return json.dumps(
            {"controls": controls, "checkpoint": checkpoint, "num_gpu": int(config.get("num_gpu", 1))},
            sort_keys=True,
        )


ADAPTER = Transfer25Adapter()
