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

# --- shared by the newer families (Cosmos 3, Transfer2.5, Predict2.5) --------------------------------
# Launched by bin/python (SIM_LAUNCHER=python: one process, tracebacks straight to stderr, exit 1) or
# by torchrun (SIM_LAUNCHER=torchrun: child stderr prefixed [rank0]:, then torchrun's failure report).

SIM_LAUNCHER=${SIM_LAUNCHER:-torchrun}
SIM_CONSOLE=""     # OUT/console.log once the model opened it
SIM_DEBUGLOG=""    # OUT/debug.log
SIM_LOG_JOB=""     # "job=|" for Cosmos 3's log format

# flog LEVEL FILE:LINE:FUNCTION MESSAGE -- the family's loguru line on stdout (and console/debug log)
flog() {
    sim_line=$(printf '[%s|%s%s|%s] %s' "$(date '+%m-%d %H:%M:%S')" "$SIM_LOG_JOB" "$1" "$2" "$3")
    printf '%s\n' "$sim_line"
    [ -n "$SIM_CONSOLE" ] && printf '%s\n' "$sim_line" >> "$SIM_CONSOLE"
    [ -n "$SIM_DEBUGLOG" ] && printf '%s\n' "$sim_line" >> "$SIM_DEBUGLOG"
    return 0
}

# child stderr: straight through under python, [rank0]: prefixed under torchrun
to_err() {
    if [ "$SIM_LAUNCHER" = python ]; then cat >&2; else rank0; fi
}

# py_exit CODE: the Python process ends with CODE (under torchrun: torchrun's report, exit 1)
py_exit() {
    close_bar
    if [ "$SIM_LAUNCHER" = python ]; then
        sim_cleanup
        exit "$1"
    fi
    child_failed "$1" "$SIM_SCRIPT"
}

# py_raise EXCEPTION_LINE FRAME... -- an uncaught exception: traceback on stderr, exit 1
py_raise() {
    close_bar
    sim_exc=$1
    shift
    {
        echo "Traceback (most recent call last):"
        for sim_frame in "$@"; do
            printf '%s\n' "$sim_frame"
        done
        printf '%s\n' "$sim_exc"
    } | to_err
    py_exit 1
}

# json_str TEXT -> TEXT as a JSON string literal (quotes included)
json_str() {
    printf '%s' "$1" | awk 'BEGIN { ORS = "" } {
        gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); gsub(/\t/, "\\t"); gsub(/\r/, "\\r")
        out = out (NR > 1 ? "\\n" : "") $0
    } END { printf "\"%s\"", out }'
}

# py_repr TEXT -> TEXT as Python's repr() of a str (single quotes unless the text has one)
py_repr() {
    printf '%s' "$1" | awk 'BEGIN { ORS = "" } {
        gsub(/\\/, "\\\\"); gsub(/\t/, "\\t"); gsub(/\r/, "\\r")
        out = out (NR > 1 ? "\\n" : "") $0
    } END {
        if (index(out, "\047") > 0 && index(out, "\"") == 0) printf "\"%s\"", out
        else { gsub(/\047/, "\\\047", out); printf "\047%s\047", out }
    }'
}

# abspath PATH -> PATH made absolute against the current folder (no symlink resolution, like Path.absolute)
abspath() {
    case $1 in
        /*) printf '%s\n' "$1" ;;
        *) printf '%s/%s\n' "$(pwd)" "${1#./}" ;;
    esac
}

# mp4_frames FILE -> the frame count of an mp4's first track (the sample count of its first stsz
# box), or nothing when it cannot be read. Files over 64 MB are not read: the sim stays quick.
mp4_frames() {
    [ -f "$1" ] || return 0
    mp4_size=$(wc -c < "$1" 2>/dev/null) || return 0
    [ "$mp4_size" -le 67108864 ] || return 0
    mp4_hex=$(od -An -v -tx1 "$1" | tr -d ' \n' | grep -o '7374737a00000000................' | head -n 1)
    [ -n "$mp4_hex" ] || return 0
    printf '%d\n' "0x${mp4_hex#????????????????????????}"
}

# tqdm_line DESC N TOTAL ELAPSED_SECONDS -> one tqdm frame (unicode bar of 10, as on a UTF-8 pipe)
tqdm_line() {
    awk -v d="$1" -v n="$2" -v t="$3" -v e="$4" 'function iv(s) {
            s = int(s + 0.5); if (s >= 3600) return sprintf("%d:%02d:%02d", s / 3600, (s % 3600) / 60, s % 60)
            return sprintf("%02d:%02d", s / 60, s % 60)
        }
        BEGIN {
            split("\342\226\217 \342\226\216 \342\226\215 \342\226\214 \342\226\213 \342\226\212 \342\226\211", part, " ")
            full = "\342\226\210"
            f = (t > 0 ? n / t : 0); units = int(f * 10 * 8); bl = int(units / 8); fr = units % 8
            bar = ""; for (k = 0; k < bl; k++) bar = bar full
            if (bl < 10) { bar = bar (fr > 0 ? part[fr] : " "); for (k = bl + 1; k < 10; k++) bar = bar " " }
            if (n > 0 && e > 0) {
                r = n / e
                rate = (r >= 1 ? sprintf("%5.2fit/s", r) : sprintf("%5.2fs/it", 1 / r))
                rem = iv((t - n) / r)
            } else if (n > 0) { rate = "?it/s"; rem = "00:00" } else { rate = "?it/s"; rem = "?" }
            printf "%s: %3.0f%%|%s| %d/%d [%s<%s, %s]", d, f * 100, bar, n, t, iv(e), rem, rate
        }'
}

# tqdm_run DESC TOTAL STEP_SECONDS [FAIL_AT] -- a tqdm bar on stderr, one frame per step (\r between
# frames, \n when done). With FAIL_AT the loop stops after that many steps with the bar left open.
tqdm_run() {
    sim_total=$2
    sim_n=0
    sim_el=0
    printf '\r%s' "$(tqdm_line "$1" 0 "$sim_total" 0)" >&2
    SIM_BAR_OPEN=1
    while [ "$sim_n" -lt "$sim_total" ]; do
        if [ -n "${4:-}" ] && [ "$sim_n" -ge "$4" ]; then
            return 1
        fi
        simsleep "$3"
        sim_n=$((sim_n + 1))
        sim_el=$(awk -v e="$sim_el" -v s="$3" -v k="$SIM_SPEED" 'BEGIN { printf "%.4f", e + s * k }')
        printf '\r%s' "$(tqdm_line "$1" "$sim_n" "$sim_total" "$sim_el")" >&2
    done
    printf '\n' >&2
    SIM_BAR_OPEN=""
    return 0
}

# --- Hugging Face downloads (the families that fetch their weights) -----------------------------------
# A repo counts as cached when the hub cache holds its snapshots folder:
#   ${HF_HUB_CACHE:-${HF_HOME:-$HOME/.cache/huggingface}/hub}/models--ORG--NAME/snapshots/
# A token is available when HF_TOKEN is set (non-empty) or ${HF_HOME:-$HOME/.cache/huggingface}/token
# exists (what `hf auth login` writes). A download of an uncached repo without a token fails like a
# gated repository does; with a token it "downloads" and creates the snapshots folder.

hf_home() {
    printf '%s\n' "${HF_HOME:-${HOME:-/root}/.cache/huggingface}"
}

hf_snapshots() {
    sim_repo=$1
    printf '%s/models--%s/snapshots\n' "${HF_HUB_CACHE:-$(hf_home)/hub}" "$(printf '%s' "$sim_repo" | sed 's|/|--|g')"
}

hf_cached() {
    [ -d "$(hf_snapshots "$1")" ]
}

hf_token() {
    [ -n "${HF_TOKEN:-}" ] || [ -s "${HF_TOKEN_PATH:-$(hf_home)/token}" ]
}

# hf_fetch REPO REVISION SECONDS -> 0 when the repo is (now) in the cache; 1 with the hf CLI's
# error on stderr when it cannot be downloaded.
hf_fetch() {
    if hf_cached "$1"; then
        return 0
    fi
    if [ "${HF_HUB_OFFLINE:-0}" = 1 ]; then
        printf 'Error: Cannot find the requested files in the local cache and outgoing traffic has been disabled. To enable hf.co look-ups and downloads online, set '"'"'local_files_only'"'"' to False.\n' | to_err
        return 1
    fi
    if ! hf_token; then
        {
            echo "Error: Access denied. This repository requires approval."
            echo "Set HF_DEBUG=1 as environment variable for full traceback."
        } | to_err
        return 1
    fi
    simsleep "$3"
    mkdir -p "$(hf_snapshots "$1")/$2" 2>/dev/null
    return 0
}

on_py_signal() {
    close_bar
    if [ "$1" = SIGINT ]; then
        {
            echo "Traceback (most recent call last):"
            echo "KeyboardInterrupt"
        } >&2
        sim_cleanup
        exit 130
    fi
    sim_cleanup
    exit 143
}

sim_start_python() {
    sim_start
    trap 'on_py_signal SIGTERM' TERM
    trap 'on_py_signal SIGINT' INT
}

# sim_has_inference_type ARGS... -> true when --inference-type is given (Predict2.5's command line)
sim_has_inference_type() {
    for sim_arg in "$@"; do
        case $sim_arg in
            --inference-type | --inference-type=* | --inference_type | --inference_type=*) return 0 ;;
        esac
    done
    return 1
}
