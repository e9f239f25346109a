# cosmos-tui simulator: shared functions for the simulated `torchrun` running NVIDIA Cosmos
# Transfer1. POSIX sh: runs under busybox ash, dash and bash. Sourced, never executed.
#
# Environment:
#   COSMOS_SIM_SPEED   time scale (1 = realistic minutes, 0.001 = tests); default 1
#   COSMOS_SIM_FAIL    oom | guardrail | missing_checkpoint | hang  (also [sim:oom] etc. in the prompt)
#   COSMOS_SIM_FLOOD   extra log lines per second during diffusion (also [sim:flood=N])
#   COSMOS_SIM_CLIPS   number of 121-frame clips (also [sim:clips=N]); default 1
#   COSMOS_SIM_STATE   folder for "a run is active" markers read by the simulated nvidia-smi

SIM_SPEED=${COSMOS_SIM_SPEED:-1}
SIM_PY=/usr/bin/python
SIM_TRANSFER=cosmos_transfer1/diffusion/inference/transfer.py
SIM_UPSAMPLER=cosmos_transfer1/auxiliary/upsampler/inference/upsampler_pipeline.py
SIM_VALID_HINTS="vis seg edge depth keypoint upscale hdmap lidar"
SIM_HINT_SET="{'vis', 'seg', 'edge', 'depth', 'keypoint', 'upscale', 'hdmap', 'lidar'}"
SIM_LEVELS="very_low low medium high very_high"
SIM_MARKER=""
SIM_CHILD_PID=$$
export LC_ALL=C

sim_state_dir() {
    if [ -n "${COSMOS_SIM_STATE:-}" ]; then
        echo "$COSMOS_SIM_STATE"
    elif [ -d /workspace/.cosmos-sim ] && [ -w /workspace/.cosmos-sim ]; then
        echo /workspace/.cosmos-sim/state
    else
        echo "$SIM_BASE/state"
    fi
}

# --- output helpers -----------------------------------------------------------------------------

# log LEVEL FILE:LINE:FUNCTION MESSAGE  -- loguru format, stdout, one flushed line
log() {
    printf '[%s|%s|%s] %s\n' "$(date '+%m-%d %H:%M:%S')" "$1" "$2" "$3"
}

# torch's glog-style prefix: W1121 09:20:00.000000 42 path:line]
glog() {
    printf '%s%s %s %s %s] %s\n' "$1" "$(date '+%m%d')" "$(date '+%H:%M:%S').000000" "$$" "$2" "$3" >&2
}

# Python tracebacks from the child are prefixed with [rank0]: by torchrun.
rank0() {
    while IFS= read -r sim_line; do
        printf '[rank0]: %s\n' "$sim_line"
    done >&2
}

# scaled SECONDS -> printed with 3 decimals
scaled() {
    awk -v s="$1" -v k="$SIM_SPEED" 'BEGIN { v = s * k; if (v < 0) v = 0; printf "%.3f", v }'
}

# Rewriting the marker refreshes its mtime: nvidia-smi counts markers younger than 30 s as busy.
touch_marker() {
    if [ -n "$SIM_MARKER" ]; then
        echo "${SIM_NPROC:-1} $$" > "$SIM_MARKER" 2>/dev/null
    fi
    return 0
}

# simsleep SECONDS: sleep SECONDS * speed, in slices of at most 2 s so that signals are handled at
# once (sleep runs in the background and `wait` is interruptible) and the active marker stays fresh.
simsleep() {
    sim_left=$(scaled "$1")
    while awk -v l="$sim_left" 'BEGIN { exit !(l > 0) }'; do
        sim_slice=$(awk -v l="$sim_left" 'BEGIN { printf "%.3f", (l > 2 ? 2 : l) }')
        sleep "$sim_slice" &
        SIM_SLEEP_PID=$!
        wait "$SIM_SLEEP_PID"
        SIM_SLEEP_PID=""
        touch_marker
        sim_left=$(awk -v l="$sim_left" -v s="$sim_slice" 'BEGIN { printf "%.3f", l - s }')
    done
}

# --- torchrun's own failure report ----------------------------------------------------------------

child_failed() {
    sim_code=$1
    sim_script=$2
    glog E "torch/distributed/elastic/multiprocessing/api.py:874" \
        "failed (exitcode: $sim_code) local_rank: 0 (pid: $SIM_CHILD_PID) of binary: $SIM_PY"
    {
        echo "Traceback (most recent call last):"
        echo '  File "/usr/local/bin/torchrun", line 8, in <module>'
        echo "    sys.exit(main())"
        echo '  File "/usr/local/lib/python3.10/dist-packages/torch/distributed/elastic/multiprocessing/errors/__init__.py", line 355, in wrapper'
        echo "    return f(*args, **kwargs)"
        echo '  File "/usr/local/lib/python3.10/dist-packages/torch/distributed/run.py", line 919, in main'
        echo "    run(args)"
        echo '  File "/usr/local/lib/python3.10/dist-packages/torch/distributed/launcher/api.py", line 263, in launch_agent'
        echo "    raise ChildFailedError("
        echo "torch.distributed.elastic.multiprocessing.errors.ChildFailedError: "
        echo "============================================================"
        echo "$sim_script FAILED"
        echo "------------------------------------------------------------"
        echo "Failures:"
        echo "  <NO_OTHER_FAILURES>"
        echo "------------------------------------------------------------"
        echo "Root Cause (first observed failure):"
        echo "[0]:"
        echo "  time      : $(date '+%Y-%m-%d_%H:%M:%S')"
        echo "  host      : $(hostname 2>/dev/null || echo localhost)"
        echo "  rank      : 0 (local_rank: 0)"
        echo "  exitcode  : $sim_code (pid: $SIM_CHILD_PID)"
        echo "  error_file: <N/A>"
        echo "  traceback : To enable traceback see: https://pytorch.org/docs/stable/elastic/errors.html"
        echo "============================================================"
    } >&2
    sim_cleanup
    exit 1
}

# python_error EXC_LINE FRAME...  -- a child traceback ending in EXC_LINE, then torchrun's report
# tqdm closes an open bar with a newline when an exception or a signal leaves its loop
close_bar() {
    if [ -n "${SIM_BAR_OPEN:-}" ]; then
        printf '\n' >&2
        SIM_BAR_OPEN=""
    fi
}

python_error() {
    close_bar
    sim_exc=$1
    shift
    {
        echo "Traceback (most recent call last):"
        echo "  File \"/workspace/$SIM_TRANSFER\", line 423, in <module>"
        echo "    demo(args)"
        for sim_frame in "$@"; do
            echo "$sim_frame"
        done
        echo "$sim_exc"
    } | rank0
    child_failed 1 "$SIM_SCRIPT_NAME"
}

usage_error() {
    {
        echo "usage: $SIM_SCRIPT_NAME [-h] [--prompt PROMPT] [--negative_prompt NEGATIVE_PROMPT]"
        echo "                   [--input_video_path INPUT_VIDEO_PATH] [--num_input_frames {1}]"
        echo "                   [--sigma_max SIGMA_MAX] [--blur_strength {very_low,low,medium,high,very_high}]"
        echo "                   [--canny_threshold {very_low,low,medium,high,very_high}] [--is_av_sample]"
        echo "                   [--checkpoint_dir CHECKPOINT_DIR] [--tokenizer_dir TOKENIZER_DIR]"
        echo "                   [--video_save_name VIDEO_SAVE_NAME] [--video_save_folder VIDEO_SAVE_FOLDER]"
        echo "                   [--batch_input_path BATCH_INPUT_PATH] [--batch_size BATCH_SIZE] [--num_steps NUM_STEPS]"
        echo "                   [--guidance GUIDANCE] [--fps FPS] [--seed SEED] [--num_gpus NUM_GPUS]"
        echo "                   [--offload_diffusion_transformer] [--offload_text_encoder_model]"
        echo "                   [--offload_guardrail_models] [--upsample_prompt] [--offload_prompt_upsampler]"
        echo "                   --controlnet_specs CONTROLNET_SPECS"
        echo "$SIM_SCRIPT_NAME: error: $1"
    } | rank0
    child_failed 2 "$SIM_SCRIPT_NAME"
}

# --- JSON access ----------------------------------------------------------------------------------

# flatten FILE -> path<TAB>type<TAB>value lines (see json.awk); non-zero on malformed JSON
flatten() {
    awk -f "$SIM_BASE/lib/json.awk" "$1"
}

# jget FLAT KEY -> the value of KEY (one line, escaped) or nothing
jget() {
    printf '%s\n' "$1" | awk -F '\t' -v k="$2" '$1 == k { print $3; exit }'
}

# jtype FLAT KEY -> o a s n b z, or nothing when absent
jtype() {
    printf '%s\n' "$1" | awk -F '\t' -v k="$2" '$1 == k { print $2; exit }'
}

# top-level keys whose values are objects
jobjects() {
    printf '%s\n' "$1" | awk -F '\t' '$2 == "o" && $1 != "" && index($1, ".") == 0 { print $1 }'
}

# unescape a flattened value (\\ \n \t \r) into real text
unescape() {
    printf '%s\n' "$1" | awk '{
        out = ""; s = $0
        for (i = 1; i <= length(s); i++) {
            c = substr(s, i, 1)
            if (c == "\\" && i < length(s)) {
                e = substr(s, ++i, 1)
                if (e == "n") c = "\n"; else if (e == "t") c = "\t"; else if (e == "r") c = "\r"; else c = e
            }
            out = out c
        }
        printf "%s", out
    }'
}

# --- failure injection ----------------------------------------------------------------------------

# marker TEXT NAME -> prints the value of [sim:NAME] / [sim:NAME=V] found in TEXT ("1" when bare)
marker() {
    printf '%s\n' "$1" | awk -v name="$2" '{
        s = $0
        while ((i = index(s, "[sim:" name)) > 0) {
            rest = substr(s, i + 5 + length(name))
            if (substr(rest, 1, 1) == "]") { print "1"; exit }
            if (substr(rest, 1, 1) == "=") { j = index(rest, "]"); if (j > 0) { print substr(rest, 2, j - 2); exit } }
            s = substr(s, i + 1)
        }
    }'
}

sim_setup_failures() {
    SIM_FAIL=${COSMOS_SIM_FAIL:-}
    for sim_kind in oom guardrail missing_checkpoint hang; do
        [ -n "$(marker "$1" "$sim_kind")" ] && SIM_FAIL=$sim_kind
    done
    SIM_FLOOD=$(marker "$1" flood)
    SIM_FLOOD=${SIM_FLOOD:-${COSMOS_SIM_FLOOD:-0}}
    SIM_CLIPS=$(marker "$1" clips)
    SIM_CLIPS=${SIM_CLIPS:-${COSMOS_SIM_CLIPS:-1}}
}

# --- lifecycle ------------------------------------------------------------------------------------

sim_cleanup() {
    [ -n "${SIM_SLEEP_PID:-}" ] && kill "$SIM_SLEEP_PID" 2>/dev/null
    [ -n "$SIM_MARKER" ] && rm -f "$SIM_MARKER"
    SIM_MARKER=""
}

on_signal() {
    sim_signal=$1
    sim_number=15
    [ "$sim_signal" = SIGINT ] && sim_number=2
    close_bar
    glog W "torch/distributed/elastic/agent/server/api.py:704" \
        "Received Signals.$sim_signal death signal, shutting down workers"
    glog W "torch/distributed/elastic/multiprocessing/api.py:897" \
        "Sending process $SIM_CHILD_PID closing signal $sim_signal"
    {
        echo "Traceback (most recent call last):"
        echo '  File "/usr/local/bin/torchrun", line 8, in <module>'
        echo "    sys.exit(main())"
        echo '  File "/usr/local/lib/python3.10/dist-packages/torch/distributed/elastic/multiprocessing/api.py", line 84, in _terminate_process_handler'
        echo "    raise SignalException(f\"Process {os.getpid()} got signal: {sigval}\", sigval=sigval)"
        echo "torch.distributed.elastic.multiprocessing.api.SignalException: Process $$ got signal: $sim_number"
    } >&2
    sim_cleanup
    exit 1
}

sim_start() {
    trap 'on_signal SIGTERM' TERM
    trap 'on_signal SIGINT' INT
    sim_state=$(sim_state_dir)
    if mkdir -p "$sim_state" 2>/dev/null; then
        SIM_MARKER="$sim_state/active.$$"
        touch_marker
    fi
}
