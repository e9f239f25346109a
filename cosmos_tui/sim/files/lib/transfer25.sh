# cosmos-tui simulator: Cosmos-Transfer2.5, `python examples/inference.py -i SPEC... -o OUT` from
# nvidia-cosmos/cosmos-transfer2.5 (read at its last release). Sourced by bin/python and bin/torchrun;
# lib/predict25.sh reuses the f25_* functions (both repositories share cosmos_oss and the tyro/pydantic
# argument code).
#
# What it honours, as the real script does:
# - tyro command line: -i/--input-files (several), -o/--output-dir (required), --model
#   {depth,edge,seg,vis} (edge/distilled only with COSMOS_EXPERIMENTAL_CHECKPOINTS=1),
#   --checkpoint-path (a local path that must exist, a registered uuid or s3:// / hf:// URI),
#   --[no-]disable-guardrails, --[no-]keep-going (default: keep going), --num-steps, --seed,
#   --guidance, ... (overrides that win over every spec), a control:edge|depth|vis|seg subcommand.
#   Unknown options: tyro's "Unrecognized options" box, exit 2.
# - specs: .json (one sample) or .jsonl (one per line); "name" is required; relative paths resolve
#   against the SPEC FILE's folder (the loader chdirs there while validating); duplicate names fail.
#   A failed validation prints "Error validating parameters from '<spec>' at line <i>" and the
#   pydantic errors on stderr and exits 1. guidance is an int 0..7, control_weight 0..1.
# - outputs in OUT: <name>.json (arguments), <name>.mp4, <name>.txt (the prompt),
#   <name>_control_<key>.mp4 per control, config.yaml, console.log, debug.log.
# - failures: [sim:guardrail] -> "Guardrail blocked generation. Prompt: ..." (CRITICAL); with keep-going
#   (the default) the sample is skipped and the run exits 0, with --no-keep-going the process ends with
#   "Exception: Guardrail blocked generation. ..." (exit 1). [sim:oom] -> torch.OutOfMemoryError while
#   sampling (exit 1, never caught). [sim:hang] -> silent hang. COSMOS_SIM_FAIL=missing_checkpoint ->
#   the checkpoint download fails.
# - Hugging Face: the control checkpoints of nvidia/Cosmos-Transfer2.5-2B and, unless
#   --disable-guardrails, nvidia/Cosmos-Guardrail1 download with `uvx hf download`; each fails unless
#   cached or a token is available (hf_fetch in sim.sh).
# - console: only the lines the real console filter lets through (cosmos_transfer2/inference.py,
#   cosmos_oss, checkpoint_db); a tqdm "Generating samples" bar per chunk on stderr.

T25_INF=cosmos_transfer2/inference.py
F25_OSS=packages/cosmos-oss/cosmos_oss/init.py
F25_CKPTDB=cosmos_transfer2/_src/imaginaire/utils/checkpoint_db.py
F25_GUARD_REV=d6d4bfa899a71454a700907664f3e88f503950cf
T25_NEG="The video captures a game playing, with bad crappy graphics and cartoonish frames. It represents a recording of old outdated games. The lighting looks very fake. The textures are very raw and basic. The geometries are very primitive. The images are very pixelated and of poor CG quality. There are many subtitles in the footage. Overall, the video is unrealistic at all."
T25_KEYS="name prompt_path prompt negative_prompt seed guidance video_path max_frames context_frame_index \
image_context_path num_conditional_frames resolution sigma_max num_video_frames_per_chunk num_steps \
show_control_condition show_input keep_input_resolution edge depth vis seg guided_generation_mask \
guided_generation_step_threshold guided_generation_foreground_labels"
T25_CONTROLS="edge vis depth seg"

f25_in() {
    case " $(echo $2) " in *" $1 "*) return 0 ;; esac
    return 1
}

# tyro's error box (the same renderer as Cosmos 3's)
f25_tyro_error() {
    f25_title=$1
    shift
    {
        for f25_l in "$@"; do printf '%s\n' "$f25_l"; done
        printf '%s\n' "--"
        printf 'For full helptext, run inference.py --help\n'
    } | awk -v title="$f25_title" '{ line[NR] = $0; if (length($0) > w) w = length($0) }
        END {
            if (w < length(title) + 4) w = length(title) + 4
            top = "\342\225\255\342\224\200 " title " "; for (i = length(title) + 3; i < w + 2; i++) top = top "\342\224\200"
            print top "\342\225\256"
            for (i = 1; i <= NR; i++) {
                if (line[i] == "--") { s = ""; for (k = 0; k < w; k++) s = s "\342\224\200"; printf "\342\224\202 %s \342\224\202\n", s }
                else printf "\342\224\202 %-" w "s \342\224\202\n", line[i]
            }
            bot = "\342\225\260"; for (i = 0; i < w + 2; i++) bot = bot "\342\224\200"
            print bot "\342\225\257"
        }' | to_err
    py_exit 2
}

# f25_parse ARGS: sets F25_* from the command line; F25_VALUE_OPTS / F25_BOOL_OPTS / F25_SAMPLE_OPTS /
# F25_INT_OPTS / F25_MODELS / F25_SUBCOMMANDS come from the family.
f25_parse() {
    F25_NINPUTS=0
    F25_OUT=""
    F25_MODEL=$F25_DEFAULT_MODEL
    F25_CKPT=""
    F25_GUARDRAILS=true
    F25_KEEP_GOING=true
    F25_OV=""
    while [ $# -gt 0 ]; do
        f25_arg=$1
        case $f25_arg in
            -i | --input-files | --input_files)
                shift
                f25_n=0
                while [ $# -gt 0 ]; do
                    case $1 in -* | control:*) break ;; esac
                    F25_NINPUTS=$((F25_NINPUTS + 1))
                    eval "F25_INPUT_$F25_NINPUTS=\$1"
                    f25_n=$((f25_n + 1))
                    shift
                done
                [ "$f25_n" -gt 0 ] || f25_tyro_error "Parsing error" "Argument -i/--input-files: expected at least one argument"
                continue ;;
            -o) [ $# -ge 2 ] || f25_tyro_error "Parsing error" "Argument -o/--output-dir: expected 1 argument"
                F25_OUT=$2; shift 2; continue ;;
            control:*)
                f25_in "${f25_arg#control:}" "$F25_SUBCOMMANDS" ||
                    f25_tyro_error "Parsing error" "Invalid subcommand: '$f25_arg'"
                shift
                continue ;;
            --*) ;;
            *) f25_tyro_error "Unrecognized options" "Unrecognized options: $f25_arg" ;;
        esac
        case $f25_arg in
            --*=*) f25_name=${f25_arg%%=*}; f25_val=${f25_arg#*=}; f25_has=1 ;;
            *) f25_name=$f25_arg; f25_val=""; f25_has=0 ;;
        esac
        f25_name=$(printf '%s' "${f25_name#--}" | tr _ -)
        f25_bool=${f25_name#no-}
        if f25_in "$f25_bool" "$F25_BOOL_OPTS" && [ "$f25_has" = 0 ]; then
            f25_v=true
            [ "$f25_bool" != "$f25_name" ] && f25_v=false
            case $f25_bool in
                disable-guardrails) [ "$f25_v" = true ] && F25_GUARDRAILS=false || F25_GUARDRAILS=true ;;
                keep-going) F25_KEEP_GOING=$f25_v ;;
            esac
            if f25_in "$f25_bool" "$F25_SAMPLE_OPTS"; then
                F25_OV="$F25_OV$(printf '%s' "$f25_bool" | tr - _)	$f25_v
"
            fi
            shift
            continue
        fi
        if f25_in "$f25_name" "$F25_VALUE_OPTS $F25_SAMPLE_OPTS"; then
            if [ "$f25_has" = 0 ]; then
                [ $# -ge 2 ] || f25_tyro_error "Parsing error" "Argument --$f25_name: expected 1 argument"
                f25_val=$2
                shift
            fi
            if f25_in "$f25_name" "$F25_INT_OPTS"; then
                case $f25_val in
                    '' | - | *[!0-9-]* | ?*-*) f25_tyro_error "Parsing error" "Argument --$f25_name: invalid int value: '$f25_val'" ;;
                esac
            fi
            case $f25_name in
                output-dir) F25_OUT=$f25_val ;;
                checkpoint-path) F25_CKPT=$f25_val ;;
                model)
                    f25_in "$f25_val" "$F25_MODELS" ||
                        f25_tyro_error "Parsing error" "Argument --model: invalid choice: '$f25_val' (choose from $(printf "'%s', " $F25_MODELS | sed 's/, $//'))"
                    F25_MODEL=$f25_val ;;
                inference-type)
                    f25_in "$f25_val" "text2world image2world video2world" ||
                        f25_tyro_error "Parsing error" "Argument --inference-type: invalid choice: '$f25_val' (choose from 'text2world', 'image2world', 'video2world')" ;;
            esac
            if f25_in "$f25_name" "$F25_SAMPLE_OPTS"; then
                F25_OV="$F25_OV$(printf '%s' "$f25_name" | tr - _)	$f25_val
"
            fi
            shift
            continue
        fi
        if [ "$f25_name" = parallel-tokenizer-grid ]; then
            shift 3
            continue
        fi
        f25_tyro_error "Unrecognized options" "Unrecognized options: $f25_arg"
    done
    if [ "$F25_NINPUTS" = 0 ] || [ -z "$F25_OUT" ]; then
        set --
        [ "$F25_NINPUTS" = 0 ] && set -- "$@" "  -i PATH [PATH ...], --input-files PATH [PATH ...] (required)"
        [ -z "$F25_OUT" ] && set -- "$@" "  -o PATH, --output-dir PATH (required)"
        f25_tyro_error "Required options" "Required options:" "$@"
    fi
    # --checkpoint-path is checked when the setup arguments are built (pydantic, exit 1)
    if [ -n "$F25_CKPT" ]; then
        case $F25_CKPT in
            s3://* | hf://*) ;;
            *-*-*-*-*) ;;
            *)
                if [ ! -e "$F25_CKPT" ]; then
                    {
                        echo "1 validation error for SetupArguments"
                        echo "checkpoint_path"
                        echo "  Value error, Checkpoint '$(abspath "$F25_CKPT")' does not exist. [type=value_error, input_value=$(py_repr "$F25_CKPT"), input_type=str]"
                        echo "    For further information visit https://errors.pydantic.dev/2.12/v/value_error"
                    } | to_err
                    py_exit 1
                fi ;;
        esac
    fi
}

f25_get() {
    f25_o=$(printf '%s' "$F25_OV" | awk -F '\t' -v k="$1" '$1 == k { v = $2; f = 1 } END { if (f) print v }')
    if [ -n "$f25_o" ]; then printf '%s\n' "$f25_o"; else jget "$F25_FLAT" "$1"; fi
}

f25_input() {
    case $1 in
        s) printf "%s, input_type=str" "$(py_repr "$(unescape "$2")")" ;;
        n) case $2 in *.* | *[eE]*) printf '%s, input_type=float' "$2" ;; *) printf '%s, input_type=int' "$2" ;; esac ;;
        b) if [ "$2" = true ]; then printf 'True, input_type=bool'; else printf 'False, input_type=bool'; fi ;;
        z) printf 'None, input_type=NoneType' ;;
        o | '') printf '{...}, input_type=dict' ;;
        a) printf '[...], input_type=list' ;;
    esac
}

f25_err() {  # LOC MESSAGE TYPE FLATTYPE VALUE
    F25_NERR=$((F25_NERR + 1))
    F25_ERRS="$F25_ERRS$1
  $2 [type=$3, input_value=$(f25_input "$4" "$5")]
    For further information visit https://errors.pydantic.dev/2.12/v/$3
"
}

# f25_path_check LOC FLATTYPE VALUE DIR: a ResolvedFilePath field
f25_path_check() {
    [ "$2" = s ] || return 0
    f25_p=$(unescape "$3")
    case $f25_p in /*) ;; *) f25_p="$4/$f25_p" ;; esac
    [ -f "$f25_p" ] || f25_err "$1" "Path does not point to a file" path_not_file "$2" "$3"
}

f25_int_check() {  # LOC FLATTYPE VALUE MIN MAX
    if [ "$2" != n ]; then
        [ "$2" = z ] || f25_err "$1" "Input should be a valid integer" int_type "$2" "$3"
        return
    fi
    case $3 in
        *.0) ;;
        *[!0-9-]*) f25_err "$1" "Input should be a valid integer, got a number with a fractional part" int_from_float "$2" "$3"; return ;;
    esac
    if [ -n "$5" ] && awk -v v="$3" -v m="$5" 'BEGIN { exit !(v > m) }'; then
        f25_err "$1" "Input should be less than or equal to $5" less_than_equal "$2" "$3"
    elif [ -n "$4" ] && awk -v v="$3" -v m="$4" 'BEGIN { exit !(v < m) }'; then
        if [ "$4" = 1 ]; then
            f25_err "$1" "Input should be greater than 0" greater_than "$2" "$3"
        else
            f25_err "$1" "Input should be greater than or equal to $4" greater_than_equal "$2" "$3"
        fi
    fi
}

# f25_read_prompt_path DIR: validate_prompt (mode="before") reads prompt_path before validation
f25_read_prompt_path() {
    [ -z "$(f25_get prompt)" ] || return 0
    f25_pp=$(unescape "$(f25_get prompt_path)")
    [ -n "$f25_pp" ] || return 0
    case $f25_pp in /*) ;; *) f25_pp="$1/$f25_pp" ;; esac
    if [ ! -f "$f25_pp" ]; then
        py_raise "FileNotFoundError: [Errno 2] No such file or directory: '$(unescape "$(f25_get prompt_path)")'" \
            "  File \"$F25_ROOT/examples/inference.py\", line $F25_MAIN_LINE, in <module>" \
            "    main(args)" \
            "  File \"$F25_ROOT/$F25_CONFIG\", line 346, in _from_file" \
            "    objs.append(cls.model_validate(data | override_data))" \
            "  File \"$F25_ROOT/$F25_CONFIG\", line 320, in validate_prompt" \
            "    data[\"prompt\"] = prompt_path.read_text().strip()"
    fi
    F25_PROMPT_FROM_FILE=$(sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' "$f25_pp")
}

# f25_fail_validation FILE LINE: _from_file's report, exit 1
f25_fail_validation() {
    f25_plural=error
    [ "$F25_NERR" -gt 1 ] && f25_plural=errors
    {
        printf "Error validating parameters from '%s' at line %s\n" "$1" "$2"
        printf '%s validation %s for %s\n' "$F25_NERR" "$f25_plural" "$F25_CLASS"
        printf '%s' "$F25_ERRS"
    } | to_err
    py_exit 1
}

# f25_download REPO REVISION FILE_OR_DIR SECONDS [NAME UUID]
f25_download() {
    if [ -n "${5:-}" ]; then
        flog INFO "$F25_CKPTDB:297:download" "Downloading checkpoint $5($6)"
    fi
    if [ -n "$3" ]; then
        f25_args="$1 --repo-type model --revision $2 $3"
        f25_list="'$1', '--repo-type', 'model', '--revision', '$2', '$3'"
    else
        f25_args="$1 --repo-type model --revision $2 --include '*'"
        f25_list="'$1', '--repo-type', 'model', '--revision', '$2', '--include', '*'"
    fi
    flog INFO "$F25_CKPTDB:165:_hf_download" "uvx 'hf>=1.3.5' download $f25_args"
    if [ "$SIM_FAIL" = missing_checkpoint ] && [ -n "${5:-}" ]; then
        echo "Error: File not found in repository." | to_err
    elif hf_fetch "$1" "$2" "$4"; then
        return 0
    fi
    py_raise "subprocess.CalledProcessError: Command '['uvx', 'hf>=1.3.5', 'download', $f25_list]' returned non-zero exit status 1." \
        "  File \"$F25_ROOT/examples/inference.py\", line $F25_MAIN_LINE, in <module>" \
        "    main(args)" \
        "  File \"$F25_ROOT/$F25_CKPTDB\", line 166, in _hf_download" \
        "    subprocess.check_call(cmd, text=True)" \
        "  File \"/usr/lib/python3.10/subprocess.py\", line 369, in check_call" \
        "    raise CalledProcessError(retcode, cmd)"
}

f25_guardrail_models() {
    [ "$F25_GUARDRAILS" = true ] || return 0
    f25_download nvidia/Cosmos-Guardrail1 "$F25_GUARD_REV" "" 20
    simsleep 10
}

f25_oom() {
    py_raise "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 3.38 GiB. GPU 0 has a total capacity of 79.19 GiB of which 1.12 GiB is free. Including non-PyTorch memory, this process has 78.06 GiB memory in use. Of the allocated memory 74.94 GiB is allocated by PyTorch, and 1.61 GiB is reserved by PyTorch but unallocated. If reserved but unallocated memory is large try setting PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True to avoid fragmentation.  See documentation for Memory Management  (https://pytorch.org/docs/stable/notes/cuda.html#environment-variables)" \
        "  File \"$F25_ROOT/examples/inference.py\", line $F25_MAIN_LINE, in <module>" \
        "    main(args)" \
        "  File \"$F25_ROOT/$F25_GEN_FRAME\"" \
        "  File \"$F25_ROOT/cosmos_transfer2/_src/predict2/models/text2world_model_rectified_flow.py\", line 593, in generate_samples_from_batch" \
        "    velocity = self.denoise(latents, timestep, condition)"
}

# f25_sampling CHUNKS STEPS: "Generating samples" bars, one per chunk
f25_sampling() {
    f25_fail_at=""
    [ "$SIM_FAIL" = oom ] && f25_fail_at=$(( ($2 + 2) / 3 ))
    [ "$SIM_FAIL" = hang ] && f25_fail_at=$(( ($2 + 1) / 2 ))
    f25_c=0
    while [ "$f25_c" -lt "$1" ]; do
        if ! tqdm_run "Generating samples" "$2" 3 "$f25_fail_at"; then
            if [ "$SIM_FAIL" = hang ]; then
                while :; do sleep 1 & SIM_SLEEP_PID=$!; wait "$SIM_SLEEP_PID"; touch_marker; done
            fi
            f25_oom
        fi
        simsleep 8
        f25_c=$((f25_c + 1))
    done
}

f25_start_output() {
    F25_ROOT=$(pwd)
    mkdir -p "$F25_OUT"
    F25_OUTD=${F25_OUT%/}
    flog INFO "$F25_OSS:96:_init_log_files" "Log saved to $F25_OUTD/console.log"
    SIM_CONSOLE="$F25_OUTD/console.log"
    SIM_DEBUGLOG="$F25_OUTD/debug.log"
    : > "$SIM_CONSOLE"
    : > "$SIM_DEBUGLOG"
}

f25_save_config() {
    printf 'job:\n  project: %s\n  group: inference\n  name: %s\n' "$1" "$2" > "$F25_OUTD/config.yaml"
    flog INFO "$3" "Saved config to $F25_OUTD/config.yaml"
}

# f25_load_specs: every -i file (json / jsonl), validated by F25_VALIDATE, kept as F25_FLAT_<n>
f25_load_specs() {
    F25_N=0
    F25_ROOT=$(pwd)
    f25_k=1
    while [ "$f25_k" -le "$F25_NINPUTS" ]; do
        eval "f25_file=\$F25_INPUT_$f25_k"
        f25_k=$((f25_k + 1))
        if [ ! -f "$f25_file" ]; then
            py_raise "FileNotFoundError: [Errno 2] No such file or directory: '$f25_file'" \
                "  File \"$F25_ROOT/examples/inference.py\", line $F25_MAIN_LINE, in <module>" \
                "    main(args)" \
                "  File \"$F25_ROOT/$F25_CONFIG\", line 334, in _from_file" \
                "    data_list = [json.loads(path.read_text())]"
        fi
        f25_dir=$(cd "$(dirname "$f25_file")" && pwd)
        case $f25_file in
            *.json) f25_lines=$(tr '\n' ' ' < "$f25_file") ;;
            *.jsonl) f25_lines=$(cat "$f25_file") ;;
            *)
                py_raise "ValueError: Unsupported file extension: .${f25_file##*.}" \
                    "  File \"$F25_ROOT/examples/inference.py\", line $F25_MAIN_LINE, in <module>" \
                    "    main(args)" \
                    "  File \"$F25_ROOT/$F25_CONFIG\", line 340, in _from_file" \
                    "    raise ValueError(f\"Unsupported file extension: {path.suffix}\")" ;;
        esac
        f25_line=0
        while IFS= read -r f25_l; do
            [ -z "$f25_l" ] && [ "${F25_SKIP_EMPTY:-0}" = 1 ] && continue
            F25_FLAT=$(printf '%s\n' "$f25_l" | awk -f "$SIM_BASE/lib/json.awk" 2>"/tmp/cosmos-sim-json.$$") || {
                f25_e=$(cat "/tmp/cosmos-sim-json.$$")
                rm -f "/tmp/cosmos-sim-json.$$"
                py_raise "json.decoder.$f25_e" \
                    "  File \"$F25_ROOT/examples/inference.py\", line $F25_MAIN_LINE, in <module>" \
                    "    main(args)" \
                    "  File \"$F25_ROOT/$F25_CONFIG\", line 334, in _from_file" \
                    "    data_list = [json.loads(path.read_text())]"
            }
            rm -f "/tmp/cosmos-sim-json.$$"
            F25_NERR=0
            F25_ERRS=""
            F25_PROMPT_FROM_FILE=""
            f25_read_prompt_path "$f25_dir"
            $F25_VALIDATE "$f25_dir"
            [ "$F25_NERR" = 0 ] || f25_fail_validation "$f25_file" "$f25_line"
            F25_N=$((F25_N + 1))
            eval "F25_FLAT_$F25_N=\$F25_FLAT"
            eval "F25_DIR_$F25_N=\$f25_dir"
            eval "F25_PROMPTF_$F25_N=\$F25_PROMPT_FROM_FILE"
            f25_line=$((f25_line + 1))
        done <<EOF_F25
$f25_lines
EOF_F25
    done
    # names must be unique
    f25_names=""
    f25_i=1
    while [ "$f25_i" -le "$F25_N" ]; do
        eval "F25_FLAT=\$F25_FLAT_$f25_i"
        f25_nm=$(unescape "$(jget "$F25_FLAT" name)")
        case "
$f25_names" in
            *"
$f25_nm
"*)
                echo "Error: Inference samplename $f25_nm is not unique" >&2
                py_exit 1 ;;
        esac
        f25_names="$f25_names$f25_nm
"
        f25_i=$((f25_i + 1))
    done
}

# f25_sample I: the current sample's resolved fields
f25_sample() {
    eval "F25_FLAT=\$F25_FLAT_$1"
    eval "F25_DIR=\$F25_DIR_$1"
    eval "F25_PROMPT=\$F25_PROMPTF_$1"
    F25_NAME=$(unescape "$(jget "$F25_FLAT" name)")
    [ -n "$(f25_get prompt)" ] && F25_PROMPT=$(unescape "$(f25_get prompt)")
    sim_setup_failures "$F25_PROMPT"
}

# f25_abs VALUE DIR -> absolute path (the loader resolves against the spec's folder)
f25_abs() {
    case $1 in /*) printf '%s\n' "$1" ;; '') ;; *) printf '%s/%s\n' "$2" "$1" ;; esac
}

# f25_names_list -> Python's repr of the list of sample names
f25_names_list() {
    f25_s=""
    f25_i=1
    while [ "$f25_i" -le "$F25_N" ]; do
        eval "F25_FLAT=\$F25_FLAT_$f25_i"
        f25_s="$f25_s${f25_s:+, }$(py_repr "$(unescape "$(jget "$F25_FLAT" name)")")"
        f25_i=$((f25_i + 1))
    done
    printf '[%s]' "$f25_s"
}

# --- Transfer2.5 --------------------------------------------------------------------------------------

t25_validate() {
    for f25_key in $(printf '%s\n' "$F25_FLAT" | awk -F '\t' '$1 != "" && index($1, ".") == 0 && index($1, "[") == 0 { print $1 }'); do
        f25_t=$(jtype "$F25_FLAT" "$f25_key")
        f25_v=$(jget "$F25_FLAT" "$f25_key")
        if ! f25_in "$f25_key" "$T25_KEYS"; then
            f25_err "$f25_key" "Extra inputs are not permitted" extra_forbidden "$f25_t" "$f25_v"
            continue
        fi
        case $f25_key in
            guidance) f25_int_check guidance "$f25_t" "$f25_v" 0 7 ;;
            num_steps | max_frames | num_video_frames_per_chunk) f25_int_check "$f25_key" "$f25_t" "$f25_v" 1 "" ;;
            video_path | image_context_path | prompt_path) f25_path_check "$f25_key" "$f25_t" "$f25_v" "$1" ;;
        esac
    done
    for f25_key in name prompt video_path; do
        if [ -z "$(jtype "$F25_FLAT" "$f25_key")" ] && ! printf '%s' "$F25_OV" | grep -q "^$f25_key	"; then
            [ "$f25_key" = prompt ] && [ -n "$F25_PROMPT_FROM_FILE" ] && continue
            F25_NERR=$((F25_NERR + 1))
            F25_ERRS="$F25_ERRS$f25_key
  Field required [type=missing, input_value={...}, input_type=dict]
    For further information visit https://errors.pydantic.dev/2.12/v/missing
"
        fi
    done
    f25_ovv=$(printf '%s' "$F25_OV" | awk -F '\t' '$1 == "video_path" { print $2 }')
    [ -n "$f25_ovv" ] && f25_path_check video_path s "$f25_ovv" "$1"
    for f25_h in $T25_CONTROLS; do
        [ "$(jtype "$F25_FLAT" "$f25_h")" = o ] || continue
        f25_path_check "$f25_h.control_path" "$(jtype "$F25_FLAT" "$f25_h.control_path")" "$(jget "$F25_FLAT" "$f25_h.control_path")" "$1"
        f25_path_check "$f25_h.mask_path" "$(jtype "$F25_FLAT" "$f25_h.mask_path")" "$(jget "$F25_FLAT" "$f25_h.mask_path")" "$1"
        f25_t=$(jtype "$F25_FLAT" "$f25_h.control_weight")
        f25_v=$(jget "$F25_FLAT" "$f25_h.control_weight")
        if [ "$f25_t" = n ]; then
            if awk -v w="$f25_v" 'BEGIN { exit !(w > 1) }'; then
                f25_err "$f25_h.control_weight" "Input should be less than or equal to 1" less_than_equal n "$f25_v"
            elif awk -v w="$f25_v" 'BEGIN { exit !(w < 0) }'; then
                f25_err "$f25_h.control_weight" "Input should be greater than or equal to 0" greater_than_equal n "$f25_v"
            fi
        elif [ -n "$f25_t" ]; then
            f25_err "$f25_h.control_weight" "Input should be a valid number" float_type "$f25_t" "$f25_v"
        fi
    done
    [ "$F25_NERR" = 0 ] || return 0
    # model_post_init runs after validation: its ValueError is not a ValidationError
    if [ -z "$(t25_hints)" ]; then
        py_raise "ValueError: No controls provided, please provide at least one control key (edge, blur, depth, seg)" \
            "  File \"$F25_ROOT/examples/inference.py\", line $F25_MAIN_LINE, in <module>" \
            "    main(args)" \
            "  File \"$F25_ROOT/examples/inference.py\", line 64, in main" \
            "    inference_samples, batch_hint_keys = InferenceArguments.from_files(args.input_files, overrides=args.overrides)" \
            "  File \"$F25_ROOT/$F25_CONFIG\", line 346, in _from_file" \
            "    objs.append(cls.model_validate(data | override_data))" \
            "  File \"$F25_ROOT/$F25_CONFIG\", line 522, in model_post_init" \
            "    raise ValueError(\"No controls provided, please provide at least one control key (edge, blur, depth, seg)\")"
    fi
}

t25_hints() {
    for f25_h in $T25_CONTROLS; do
        [ "$(jtype "$F25_FLAT" "$f25_h")" = o ] && printf '%s ' "$f25_h"
    done
    return 0
}

t25_ckpt() {  # HINT -> "repo revision file name uuid"
    case $1 in
        edge) echo "nvidia/Cosmos-Transfer2.5-2B b67b64abda3801a9aceddbff2bdb86126c06db74 general/edge/61f5694b-0ad5-4ecd-8ad7-c8545627d125_ema_bf16.pt nvidia/Cosmos-Transfer2.5-2B/general/edge 61f5694b-0ad5-4ecd-8ad7-c8545627d125" ;;
        depth) echo "nvidia/Cosmos-Transfer2.5-2B dea7737ca29dd8d9086413c6dc5724b8250a0bb4 general/depth/626e6618-bfcd-4d9a-a077-1409e2ce353f_ema_bf16.pt nvidia/Cosmos-Transfer2.5-2B/general/depth 626e6618-bfcd-4d9a-a077-1409e2ce353f" ;;
        vis) echo "nvidia/Cosmos-Transfer2.5-2B eb5325b77d358944da58a690157dd2b8071bbf85 general/blur/ba2f44f2-c726-4fe7-949f-597069d9b91c_ema_bf16.pt nvidia/Cosmos-Transfer2.5-2B/general/vis ba2f44f2-c726-4fe7-949f-597069d9b91c" ;;
        seg) echo "nvidia/Cosmos-Transfer2.5-2B 23057a4167b89de89a4a397fdbf3887994d115eb general/seg/5136ef49-6d8d-42e8-8abf-7dac722a304a_ema_bf16.pt nvidia/Cosmos-Transfer2.5-2B/general/seg 5136ef49-6d8d-42e8-8abf-7dac722a304a" ;;
    esac
}

sim_transfer25() {
    F25_DEFAULT_MODEL=edge
    F25_MODELS="depth edge seg vis"
    [ "${COSMOS_EXPERIMENTAL_CHECKPOINTS:-0}" = 1 ] && F25_MODELS="$F25_MODELS edge/distilled"
    F25_SUBCOMMANDS="edge depth vis seg"
    F25_VALUE_OPTS="output-dir model checkpoint-path experiment config-file context-parallel-size compile-tokenizer"
    F25_BOOL_OPTS="disable-guardrails offload-guardrail-models keep-going profile benchmark enable-parallel-tokenizer \
show-control-condition show-input keep-input-resolution"
    F25_SAMPLE_OPTS="prompt-path prompt negative-prompt seed guidance video-path max-frames context-frame-index \
image-context-path num-conditional-frames resolution sigma-max num-video-frames-per-chunk num-steps \
guided-generation-mask guided-generation-step-threshold guided-generation-foreground-labels \
show-control-condition show-input keep-input-resolution control-path control-weight mask-path mask-prompt \
preset-edge-threshold preset-blur-strength control-prompt"
    F25_INT_OPTS="context-parallel-size seed guidance max-frames context-frame-index num-conditional-frames \
num-video-frames-per-chunk num-steps guided-generation-step-threshold"
    F25_CLASS=InferenceArguments
    F25_CONFIG=cosmos_transfer2/config.py
    F25_VALIDATE=t25_validate
    F25_MAIN_LINE=93
    F25_GEN_FRAME="$T25_INF\", line 260, in _generate_sample
    output_video, control_video_dict, mask_video_dict, fps, _ = self.inference_pipeline.generate_img2world("
    SIM_LOG_JOB=""
    f25_parse "$@"
    sim_setup_failures ""
    f25_load_specs
    f25_start_output
    # the hint keys of the whole batch decide the checkpoints (several -> the multicontrol model)
    t25_batch=""
    f25_i=1
    while [ "$f25_i" -le "$F25_N" ]; do
        eval "F25_FLAT=\$F25_FLAT_$f25_i"
        for f25_h in $(t25_hints); do
            f25_in "$f25_h" "$t25_batch" || t25_batch="$t25_batch $f25_h"
        done
        f25_i=$((f25_i + 1))
    done
    t25_sorted=""
    for f25_h in $T25_CONTROLS; do f25_in "$f25_h" "$t25_batch" && t25_sorted="$t25_sorted $f25_h"; done
    set -- $t25_sorted
    t25_nkeys=$#
    f25_guardrail_models
    if [ -z "$F25_CKPT" ] || [ "$t25_nkeys" -gt 1 ]; then
        [ "$t25_nkeys" -gt 1 ] && set -- $T25_CONTROLS
        for f25_h in "$@"; do
            # shellcheck disable=SC2046
            set -- $(t25_ckpt "$f25_h")
            f25_download "$1" "$2" "$3" 60 "$4" "$5"
        done
    fi
    simsleep 60  # loading the base model, the control branches, the text encoder and the tokenizer
    flog INFO "$T25_INF:146:__init__" "Found $t25_nkeys hint keys across all samples"
    [ "$t25_nkeys" -gt 1 ] && flog WARNING "$T25_INF:148:__init__" "Loading the multicontrol model. Multicontrol inference is not strictly equal to single control"
    f25_save_config cosmos_transfer2 "vid2vid_2B_control_720p_t24" "$T25_INF:156:__init__"
    flog INFO "$T25_INF:163:generate" "Generating $F25_N samples: $(f25_names_list)"
    f25_i=1
    while [ "$f25_i" -le "$F25_N" ]; do
        f25_sample "$f25_i"
        t25_generate "$f25_i"
        f25_i=$((f25_i + 1))
    done
}

t25_generate() {
    flog INFO "$T25_INF:167:generate" "[$1/$F25_N] Processing sample $F25_NAME"
    t25_out="$F25_OUTD/$F25_NAME"
    t25_video=$(f25_abs "$(unescape "$(f25_get video_path)")" "$F25_DIR")
    t25_neg=$(unescape "$(f25_get negative_prompt)")
    [ -n "$t25_neg" ] || t25_neg=$T25_NEG
    t25_steps=$(f25_get num_steps); [ -n "$t25_steps" ] || t25_steps=35
    t25_seed=$(f25_get seed); [ -n "$t25_seed" ] || t25_seed=2025
    t25_guid=$(f25_get guidance); [ -n "$t25_guid" ] || t25_guid=3
    t25_ctrl=""
    t25_paths=""
    for f25_h in $(t25_hints); do
        t25_cp=$(f25_abs "$(unescape "$(jget "$F25_FLAT" "$f25_h.control_path")")" "$F25_DIR")
        t25_w=$(jget "$F25_FLAT" "$f25_h.control_weight"); [ -n "$t25_w" ] || t25_w=1.0
        t25_cpj=null; [ -n "$t25_cp" ] && t25_cpj=$(json_str "$t25_cp")
        t25_ctrl="$t25_ctrl,\"$f25_h\":{\"control_path\":$t25_cpj,\"control_weight\":$t25_w,\"mask_path\":null,\"mask_prompt\":null}"
        t25_cpr=None; [ -n "$t25_cp" ] && t25_cpr=$(py_repr "$t25_cp")
        t25_paths="$t25_paths${t25_paths:+, }'$f25_h': $t25_cpr, '${f25_h}_mask': None, '${f25_h}_mask_prompt': None"
    done
    printf '{"name":%s,"prompt":%s,"negative_prompt":%s,"seed":%s,"guidance":%s,"video_path":%s,"max_frames":null,"context_frame_index":null,"image_context_path":null,"num_conditional_frames":1,"resolution":"720","sigma_max":null,"num_video_frames_per_chunk":93,"num_steps":%s,"show_control_condition":false,"show_input":false,"keep_input_resolution":true%s}' \
        "$(json_str "$F25_NAME")" "$(json_str "$F25_PROMPT")" "$(json_str "$t25_neg")" "$t25_seed" "$t25_guid" \
        "$(json_str "$t25_video")" "$t25_steps" "${t25_ctrl#}" > "$t25_out.json"
    flog INFO "$T25_INF:208:_generate_sample" "Saved arguments to $t25_out.json"
    if [ "$F25_GUARDRAILS" = true ]; then
        flog INFO "$T25_INF:213:_generate_sample" "Running guardrail check on prompt..."
        simsleep 3
        if [ "$SIM_FAIL" = guardrail ]; then
            t25_msg="Guardrail blocked generation. Prompt: $F25_PROMPT"
            flog CRITICAL "$T25_INF:217:_generate_sample" "$t25_msg"
            [ "$F25_KEEP_GOING" = true ] && return 0
            py_raise "Exception: $t25_msg" \
                "  File \"$F25_ROOT/examples/inference.py\", line $F25_MAIN_LINE, in <module>" \
                "    main(args)" \
                "  File \"$F25_ROOT/examples/inference.py\", line 78, in main" \
                "    inference.generate(inference_samples, output_dir=args.setup.output_dir)" \
                "  File \"$F25_ROOT/$T25_INF\", line 168, in generate" \
                "    output_path = self._generate_sample(sample, output_dir, sample_id=i_sample)" \
                "  File \"$F25_ROOT/$T25_INF\", line 221, in _generate_sample" \
                "    raise Exception(message)"
        fi
        flog SUCCESS "$T25_INF:223:_generate_sample" "Passed guardrail on prompt"
        flog SUCCESS "$T25_INF:237:_generate_sample" "Passed guardrail on negative prompt"
    else
        flog WARNING "$T25_INF:239:_generate_sample" "Guardrail checks on prompt are disabled"
    fi
    flog INFO "$T25_INF:242:_generate_sample" "Processing the following paths: {$t25_paths}"
    t25_chunks=$(marker "$F25_PROMPT" clips)
    f25_sampling "${t25_chunks:-${COSMOS_SIM_CLIPS:-1}}" "$t25_steps"
    for f25_h in $(t25_hints); do
        t25_cp=$(f25_abs "$(unescape "$(jget "$F25_FLAT" "$f25_h.control_path")")" "$F25_DIR")
        cp "${t25_cp:-$t25_video}" "${t25_out}_control_$f25_h.mp4"
        flog INFO "$T25_INF:311:_generate_sample" "$f25_h control video saved to ${t25_out}_control_$f25_h.mp4"
    done
    if [ "$F25_GUARDRAILS" = true ]; then
        flog INFO "$T25_INF:319:_generate_sample" "Running guardrail check on video..."
        simsleep 6
        flog SUCCESS "$T25_INF:329:_generate_sample" "Passed guardrail on generated video"
    else
        flog WARNING "$T25_INF:335:_generate_sample" "Guardrail checks on video are disabled"
    fi
    cp "$t25_video" "$t25_out.mp4"
    printf '%s' "$F25_PROMPT" > "$t25_out.txt"
    flog SUCCESS "$T25_INF:343:_generate_sample" "Generated video saved to $t25_out.mp4"
}
