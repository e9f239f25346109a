# cosmos-tui simulator: Cosmos 3, `python -m cosmos_framework.scripts.inference` from
# NVIDIA/cosmos-framework (read at its 2026-08-21 release). Sourced by bin/python and bin/torchrun.
#
# What it honours, as the real script does:
# - tyro command line: -i/--input-files (several, globs), -o/--output-dir, --checkpoint-path (required),
#   --parallelism-preset, --[no-]guardrails, --[no-]keep-going, --[no-]skip-invalid-samples, parallel
#   sizes, and the per-sample overrides (--seed, --num-steps, --guidance, --resolution, ...), which
#   win over every spec. Unknown options: tyro's "Unrecognized options" box, exit 2.
# - specs: .json (one sample) or .jsonl (one per non-empty line); relative paths resolve against the
#   SPEC FILE's folder; no "name" -> the file stem (.jsonl: <stem>_<line>); duplicate names fail.
#   Unknown keys fail (pydantic extra_forbid; a control block takes control_path, weight,
#   preset_edge_threshold / preset_blur_strength -- not control_weight).
# - outputs: OUT/console.log, OUT/debug.log; per sample OUT/<name>/sample_args.json, vision.mp4
#   (vision.jpg when num_frames == 1, e.g. text2image), sample_outputs.json {"args", "status":
#   "success", "message", "stack_trace", "outputs"}, control_<hint>.mp4 (transfer), reasoner_text.txt
#   (reasoner); status "skip" with --skip-invalid-samples for a sample that fails to build.
# - failures: a prompt with [sim:guardrail] is blocked by the text guardrail (video generation and the
#   reasoner; the transfer path runs no guardrail at this release). The sample fails with
#   "Error generating sample '<name>': Guardrail blocked prompt ..."; with --keep-going that is an
#   ERROR line and the run goes on (exit 0; the CLI writes NO sample_outputs.json for it), without
#   it the process ends there (exit 1). [sim:oom] / COSMOS_SIM_FAIL=oom: torch.OutOfMemoryError
#   during sampling, never caught (exit 1, even with --keep-going). [sim:hang]: silent hang.
#   COSMOS_SIM_FAIL=missing_checkpoint: the checkpoint download fails.
# - Hugging Face: a registered --checkpoint-path (Cosmos3-Nano, -Edge, -Super, ...) downloads
#   nvidia/<name>, and guardrails (on by default) download nvidia/Cosmos-Guardrail1. Each download
#   fails ("Access denied. This repository requires approval." + CalledProcessError) unless the repo
#   is cached or a token is available (see hf_fetch in sim.sh: cached = the hub cache holds
#   models--nvidia--<name>/snapshots/; token = HF_TOKEN or $HF_HOME/token). A local checkpoint
#   folder needs no download; a missing one fails with "Checkpoint directory does not exist".
# - timing: COSMOS_SIM_SPEED scales realistic stage times (model load ~90 s, ~2 s per step).

C3_PKG=cosmos_framework
C3_SCRIPT=$C3_PKG/scripts/inference.py
C3_INIT=$C3_PKG/inference/common/init.py
C3_COMMON=$C3_PKG/inference/common/inference.py
C3_ARGS=$C3_PKG/inference/common/args.py
C3_INF=$C3_PKG/inference/inference.py
C3_TRANSFER=$C3_PKG/inference/transfer.py
C3_PRESETS=$C3_PKG/auxiliary/guardrail/common/presets.py
C3_CORE=$C3_PKG/auxiliary/guardrail/common/core.py
C3_CKPTDB=$C3_PKG/utils/checkpoint_db.py
C3_MODEL=$C3_PKG/model/generator/omni_mot_model.py
C3_LOADER=$C3_PKG/inference/model.py
C3_GUARD_REV=d6d4bfa899a71454a700907664f3e88f503950cf
C3_MODES="text2image text2video image2image image2video video2video audio_image2video forward_dynamics inverse_dynamics wam reasoner"
C3_MODES_TEXT="'text2image', 'text2video', 'image2image', 'image2video', 'video2video', 'audio_image2video', 'forward_dynamics', 'inverse_dynamics', 'wam' or 'reasoner'"
C3_HINTS="edge blur depth seg wsm"
C3_CHECKPOINTS="Cosmos3-Nano Cosmos3-Edge Cosmos3-Super Cosmos3-Super-Image2Video Cosmos3-Super-Text2Image Cosmos3-Super-Text2Image-4Step Cosmos3-Super-Image2Video-4Step"
# Keys a spec may carry (OmniSampleOverrides); anything else is "Extra inputs are not permitted".
C3_KEYS="model seed tensors_file pickle_file name num_outputs output_dir extra num_steps guidance \
guidance_interval normalize_cfg shift sigma_max prompt_path prompt negative_prompt duration_template \
resolution_template negative_metadata_mode inverse_duration_template inverse_resolution_template \
negative_prompt_keep_metadata vision_path condition_frame_indexes_vision condition_video_keep \
resolution aspect_ratio fps num_frames video_save_quality image_save_quality enable_sound sound_path \
action_path domain_name image_size action_chunk_size raw_action_dim view_point max_new_tokens \
do_sample temperature top_k top_p repetition_penalty presence_penalty video_fps control_guidance \
control_guidance_interval edge blur depth seg wsm negative_prompt_file num_video_frames_per_chunk \
num_conditional_frames max_frames show_control_condition show_input \
num_first_chunk_conditional_frames share_vision_temporal_positions emphasize_control_in_prompt \
model_mode prompt_upsampling prompt_upsampler_max_tokens prompt_upsampler_temperature \
prompt_upsampler_top_p prompt_upsampler_top_k prompt_upsampler_repetition_penalty \
prompt_upsampler_presence_penalty prompt_upsampler_seed defaults_file"
# setup options taking a value / booleans (each also as --no-NAME)
C3_VALUE_OPTS="output-dir checkpoint-path parallelism-preset device-memory-utilization dp-replicate-size \
dp-shard-size cp-size cfgp-size compiled-region warmup num-iterations max-model-len max-num-seqs \
diffusion-cache-thresh diffusion-cache-residual-order quantization-method sampler model-size config-file \
experiment credential-path checkpoint-cache-dir"
C3_BOOL_OPTS="guardrails offload-guardrail-models keep-going skip-invalid-samples debug profile benchmark \
use-torch-compile use-cuda-graphs compile-dynamic use-separate-pipeline-vision-decode-gpu diffusion-cache \
use-ema-weights normalize-cfg do-sample enable-sound show-control-condition show-input prompt-upsampling"
# per-sample overrides from the command line (applied over every spec)
C3_SAMPLE_OPTS="model seed num-steps guidance shift sigma-max prompt prompt-path negative-prompt vision-path \
resolution aspect-ratio fps num-frames model-mode max-new-tokens control-guidance num-outputs \
video-save-quality image-save-quality defaults-file temperature top-k top-p video-fps"
C3_INT_OPTS="dp-replicate-size dp-shard-size cp-size cfgp-size warmup num-iterations max-model-len \
max-num-seqs seed num-steps fps num-frames max-new-tokens num-outputs video-save-quality image-save-quality top-k"
C3_FLOAT_OPTS="device-memory-utilization guidance shift sigma-max control-guidance temperature top-p video-fps"

c3_in() {
    case " $(echo $2) " in *" $1 "*) return 0 ;; esac
    return 1
}

# tyro's error box on stderr, exit 2
c3_tyro_error() {
    c3_title=$1
    shift
    {
        for c3_l in "$@"; do printf '%s\n' "$c3_l"; done
        printf '%s\n' "--"
        printf 'For full helptext, run inference.py --help\n'
    } | awk -v title="$c3_title" '{ line[NR] = $0; if (length($0) > w) w = length($0) }
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

c3_frames_main() {
    printf '%s\n' \
        '  File "<frozen runpy>", line 198, in _run_module_as_main' \
        '  File "<frozen runpy>", line 88, in _run_code' \
        "  File \"$C3_ROOT/$C3_SCRIPT\", line 92, in <module>" \
        "    main()" \
        "  File \"$C3_ROOT/$C3_SCRIPT\", line 88, in main" \
        "    inference(args)"
}

# c3_raise EXCEPTION_LINE FRAME... : an exception escaping inference() (frames after main's)
c3_raise() {
    c3_exc=$1
    shift
    c3_main=$(c3_frames_main)
    # word splitting on newlines only
    c3_ifs=$IFS
    IFS='
'
    # shellcheck disable=SC2086
    set -- $c3_main "$@"
    IFS=$c3_ifs
    py_raise "$c3_exc" "$@"
}

c3_parse() {
    C3_INPUTS=""
    C3_NINPUTS=0
    C3_OUT=""
    C3_CKPT=""
    C3_HAS_CKPT=0
    C3_PRESET=latency
    C3_GUARDRAILS=true
    C3_KEEP_GOING=false
    C3_SKIP_INVALID=false
    C3_OV=""
    while [ $# -gt 0 ]; do
        c3_arg=$1
        case $c3_arg in
            -i | --input-files | --input_files)
                shift
                c3_n=0
                while [ $# -gt 0 ]; do
                    case $1 in -*) break ;; esac
                    C3_NINPUTS=$((C3_NINPUTS + 1))
                    eval "C3_INPUT_$C3_NINPUTS=\$1"
                    c3_n=$((c3_n + 1))
                    shift
                done
                [ "$c3_n" -gt 0 ] || c3_tyro_error "Parsing error" "Argument -i/--input-files: expected at least one argument"
                continue ;;
            -i=* | --input-files=* | --input_files=*)
                C3_NINPUTS=$((C3_NINPUTS + 1))
                eval "C3_INPUT_$C3_NINPUTS=\${c3_arg#*=}"
                shift
                continue ;;
            -o) [ $# -ge 2 ] || c3_tyro_error "Parsing error" "Argument -o/--output-dir: expected 1 argument"
                C3_OUT=$2; shift 2; continue ;;
            -o=*) C3_OUT=${c3_arg#*=}; shift; continue ;;
            -n) c3_arg=--num-outputs ;;
            --*) ;;
            *) c3_tyro_error "Unrecognized options" "Unrecognized options: $c3_arg" ;;
        esac
        case $c3_arg in
            --*=*) c3_name=${c3_arg%%=*}; c3_val=${c3_arg#*=}; c3_has=1 ;;
            *) c3_name=$c3_arg; c3_val=""; c3_has=0 ;;
        esac
        c3_name=$(printf '%s' "${c3_name#--}" | tr _ -)
        c3_bool=${c3_name#no-}
        if c3_in "$c3_bool" "$C3_BOOL_OPTS" && [ "$c3_has" = 0 ]; then
            c3_v=true
            [ "$c3_bool" != "$c3_name" ] && c3_v=false
            case $c3_bool in
                guardrails) C3_GUARDRAILS=$c3_v ;;
                keep-going) C3_KEEP_GOING=$c3_v ;;
                skip-invalid-samples) C3_SKIP_INVALID=$c3_v ;;
            esac
            shift
            continue
        fi
        if c3_in "$c3_name" "$C3_VALUE_OPTS $C3_SAMPLE_OPTS"; then
            if [ "$c3_has" = 0 ]; then
                [ $# -ge 2 ] || c3_tyro_error "Parsing error" "Argument --$c3_name: expected 1 argument"
                c3_val=$2
                shift
            fi
            if c3_in "$c3_name" "$C3_INT_OPTS"; then
                case $c3_val in
                    '' | - | *[!0-9-]* | ?*-*) c3_tyro_error "Parsing error" "Argument --$c3_name: invalid int value: '$c3_val'" ;;
                esac
            elif c3_in "$c3_name" "$C3_FLOAT_OPTS"; then
                awk -v v="$c3_val" 'BEGIN { exit !(v ~ /^-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/) }' ||
                    c3_tyro_error "Parsing error" "Argument --$c3_name: invalid float value: '$c3_val'"
            fi
            case $c3_name in
                output-dir) C3_OUT=$c3_val ;;
                checkpoint-path) C3_CKPT=$c3_val; C3_HAS_CKPT=1 ;;
                parallelism-preset)
                    c3_in "$c3_val" "throughput latency" ||
                        c3_tyro_error "Parsing error" "Argument --parallelism-preset: invalid choice: '$c3_val' (choose from 'throughput', 'latency')"
                    C3_PRESET=$c3_val ;;
                resolution)
                    c3_in "$c3_val" "256 480 704 720 768" ||
                        c3_tyro_error "Parsing error" "Argument --resolution: invalid choice: '$c3_val' (choose from '256', '480', '704', '720', '768')" ;;
                model-mode)
                    c3_in "$c3_val" "$C3_MODES" ||
                        c3_tyro_error "Parsing error" "Argument --model-mode: invalid choice: '$c3_val' (choose from $(echo "$C3_MODES_TEXT" | sed "s/ or /, /"))" ;;
            esac
            if c3_in "$c3_name" "$C3_SAMPLE_OPTS"; then
                C3_OV="$C3_OV$(printf '%s' "$c3_name" | tr - _)	$c3_val
"
            fi
            shift
            continue
        fi
        case $c3_name in
            experiment-overrides)
                shift
                while [ $# -gt 0 ]; do case $1 in -*) break ;; esac; shift; done
                continue ;;
        esac
        c3_tyro_error "Unrecognized options" "Unrecognized options: $c3_arg"
    done
    [ "$C3_NINPUTS" -gt 0 ] || c3_tyro_error "Required options" "Required options:" "  -i/--input-files PATH [PATH ...] (required)"
    [ "$C3_HAS_CKPT" = 1 ] || c3_tyro_error "Required options" "Required options:" "  --checkpoint-path STR (required)"
}

# the value of a sample field: a command-line override wins over the spec
c3_get() {
    c3_o=$(printf '%s' "$C3_OV" | awk -F '\t' -v k="$1" '$1 == k { v = $2; f = 1 } END { if (f) print v }')
    if [ -n "$c3_o" ]; then
        printf '%s\n' "$c3_o"
    else
        jget "$C3_FLAT" "$1"
    fi
}

c3_has() {
    printf '%s' "$C3_OV" | awk -F '\t' -v k="$1" '$1 == k { f = 1 } END { exit !f }' && return 0
    [ -n "$(jtype "$C3_FLAT" "$1")" ]
}

# c3_resolve VALUE DIR -> VALUE as an absolute path against DIR (URLs unchanged)
c3_resolve() {
    case $1 in
        http://* | https://* | s3://*) printf '%s\n' "$1" ;;
        /*) printf '%s\n' "$1" ;;
        *) printf '%s/%s\n' "$(cd "$2" && pwd)" "${1#./}" ;;
    esac
}

# pydantic's one-line rendering of an input value
c3_input() {
    case $1 in
        s) printf "%s, input_type=str" "$(py_repr "$(unescape "$2")")" ;;
        n) case $2 in *.* | *[eE]*) printf '%s, input_type=float' "$2" ;; *) printf '%s, input_type=int' "$2" ;; esac ;;
        b) if [ "$2" = true ]; then printf 'True, input_type=bool'; else printf 'False, input_type=bool'; fi ;;
        z) printf 'None, input_type=NoneType' ;;
        o) printf '{...}, input_type=dict' ;;
        a) printf '[...], input_type=list' ;;
    esac
}

C3_ERRS=""
C3_NERR=0
c3_err() {  # LOC MESSAGE TYPE FLATTYPE VALUE
    C3_NERR=$((C3_NERR + 1))
    C3_ERRS="$C3_ERRS$1
  $2 [type=$3, input_value=$(c3_input "$4" "$5")]
    For further information visit https://errors.pydantic.dev/2.12/v/$3
"
}

# c3_validate FILE INDEX DIR: pydantic validation of one sample (C3_FLAT), raising like _from_file
c3_validate() {
    C3_ERRS=""
    C3_NERR=0
    for c3_key in $(printf '%s\n' "$C3_FLAT" | awk -F '\t' '$1 != "" && index($1, ".") == 0 && index($1, "[") == 0 { print $1 }'); do
        c3_t=$(jtype "$C3_FLAT" "$c3_key")
        c3_v=$(jget "$C3_FLAT" "$c3_key")
        if ! c3_in "$c3_key" "$C3_KEYS"; then
            c3_err "$c3_key" "Extra inputs are not permitted" extra_forbidden "$c3_t" "$c3_v"
            continue
        fi
        case $c3_key in
            model_mode)
                [ "$c3_t" = s ] && c3_in "$c3_v" "$C3_MODES" ||
                    c3_err model_mode "Input should be $C3_MODES_TEXT" enum "$c3_t" "$c3_v" ;;
            resolution)
                [ "$c3_t" = s ] && c3_in "$c3_v" "256 480 704 720 768" ||
                    c3_err resolution "Input should be '256', '480', '704', '720' or '768'" literal_error "$c3_t" "$c3_v" ;;
            guidance)
                if [ "$c3_t" != n ]; then
                    [ "$c3_t" = z ] || c3_err guidance "Input should be a valid number" float_type "$c3_t" "$c3_v"
                elif awk -v g="$c3_v" 'BEGIN { exit !(g > 7) }'; then
                    c3_err guidance "Input should be less than or equal to 7" less_than_equal "$c3_t" "$c3_v"
                elif awk -v g="$c3_v" 'BEGIN { exit !(g < 0) }'; then
                    c3_err guidance "Input should be greater than or equal to 0" greater_than_equal "$c3_t" "$c3_v"
                fi ;;
            num_steps | fps | num_frames | max_new_tokens)
                if [ "$c3_t" = n ]; then
                    case $c3_v in
                        *[!0-9]*) c3_err "$c3_key" "Input should be a valid integer, got a number with a fractional part" int_from_float "$c3_t" "$c3_v" ;;
                        *) [ "$c3_v" -gt 0 ] || c3_err "$c3_key" "Input should be greater than 0" greater_than "$c3_t" "$c3_v" ;;
                    esac
                elif [ "$c3_t" != z ]; then
                    c3_err "$c3_key" "Input should be a valid integer" int_type "$c3_t" "$c3_v"
                fi ;;
            prompt_path | defaults_file | tensors_file | pickle_file)
                if [ "$c3_t" = s ] && [ ! -f "$(c3_resolve "$(unescape "$c3_v")" "$3")" ]; then
                    c3_err "$c3_key" "Path does not point to a file" path_not_file "$c3_t" "$c3_v"
                fi ;;
            vision_path | sound_path | action_path)
                if [ "$c3_t" = s ]; then
                    c3_p=$(c3_resolve "$(unescape "$c3_v")" "$3")
                    case $c3_p in
                        http://* | https://* | s3://*) ;;
                        *) [ -f "$c3_p" ] || c3_err "$c3_key" "Value error, Path does not point to a file: $(unescape "$c3_v")" value_error "$c3_t" "$c3_v" ;;
                    esac
                fi ;;
        esac
    done
    for c3_hint in $C3_HINTS; do
        [ "$(jtype "$C3_FLAT" "$c3_hint")" = o ] || continue
        for c3_key in $(printf '%s\n' "$C3_FLAT" | awk -F '\t' -v h="$c3_hint." 'index($1, h) == 1 { k = substr($1, length(h) + 1); if (index(k, ".") == 0 && index(k, "[") == 0) print k }'); do
            c3_t=$(jtype "$C3_FLAT" "$c3_hint.$c3_key")
            c3_v=$(jget "$C3_FLAT" "$c3_hint.$c3_key")
            c3_allowed="control_path weight"
            [ "$c3_hint" = edge ] && c3_allowed="$c3_allowed preset_edge_threshold"
            [ "$c3_hint" = blur ] && c3_allowed="$c3_allowed preset_blur_strength"
            if ! c3_in "$c3_key" "$c3_allowed"; then
                c3_err "$c3_hint.$c3_key" "Extra inputs are not permitted" extra_forbidden "$c3_t" "$c3_v"
            elif [ "$c3_key" = control_path ] && [ "$c3_t" = s ]; then
                c3_p=$(c3_resolve "$(unescape "$c3_v")" "$3")
                case $c3_p in
                    http://* | https://* | s3://*) ;;
                    *) [ -f "$c3_p" ] || c3_err "$c3_hint.control_path" "Value error, Path does not point to a file: $(unescape "$c3_v")" value_error "$c3_t" "$c3_v" ;;
                esac
            elif [ "$c3_key" = preset_edge_threshold ] || [ "$c3_key" = preset_blur_strength ]; then
                c3_levels="very_low low medium high very_high"
                c3_text="'very_low', 'low', 'medium', 'high' or 'very_high'"
                if [ "$c3_key" = preset_blur_strength ]; then
                    c3_levels="none $c3_levels"
                    c3_text="'none', $c3_text"
                fi
                c3_in "$c3_v" "$c3_levels" || c3_err "$c3_hint.$c3_key" "Input should be $c3_text" enum "$c3_t" "$c3_v"
            fi
        done
    done
    if [ "$C3_NERR" = 0 ] && [ -z "$(c3_hints)" ]; then
        for c3_key in negative_prompt_file num_video_frames_per_chunk num_conditional_frames max_frames \
            show_control_condition show_input num_first_chunk_conditional_frames share_vision_temporal_positions \
            emphasize_control_in_prompt control_guidance_interval; do
            if [ -n "$(jtype "$C3_FLAT" "$c3_key")" ] && [ "$(jtype "$C3_FLAT" "$c3_key")" != z ]; then
                C3_NERR=1
                C3_ERRS="  Value error, transfer inference requires at least one control hint (edge, blur, depth, seg, wsm) [type=value_error, input_value={...}, input_type=dict]
    For further information visit https://errors.pydantic.dev/2.12/v/value_error
"
                break
            fi
        done
    fi
    [ "$C3_NERR" = 0 ] && return 0
    c3_plural="error"
    [ "$C3_NERR" -gt 1 ] && c3_plural="errors"
    c3_raise "ValueError: Error validating parameters from '$1' at sample $2
Parameters: $C3_RAW
$C3_NERR validation $c3_plural for OmniSampleOverrides
${C3_ERRS%
}" \
        "  File \"$C3_ROOT/$C3_SCRIPT\", line 43, in inference" \
        "    sample_overrides_list = setup_args.get_sample_overrides_cls().from_files(" \
        "  File \"$C3_ROOT/$C3_ARGS\", line 1001, in from_files" \
        "    objs_per_file = _from_files(cls, paths, overrides=overrides)" \
        "  File \"$C3_ROOT/$C3_ARGS\", line 1103, in _from_files" \
        "    objs_per_file[path] = _from_file(cls, path, override_data)" \
        "  File \"$C3_ROOT/$C3_ARGS\", line 1068, in _from_file" \
        "    raise ValueError("
}

c3_hints() {
    for c3_h in $C3_HINTS; do
        [ "$(jtype "$C3_FLAT" "$c3_h")" = o ] && printf '%s ' "$c3_h"
    done
    return 0
}

# c3_add_sample FLAT RAW FILE INDEX NAME: validate and keep one sample
c3_add_sample() {
    C3_FLAT=$1
    C3_RAW=$2
    c3_dir=$(dirname "$3")
    c3_validate "$(abspath "$3")" "$4" "$c3_dir"
    c3_name=$(unescape "$(jget "$C3_FLAT" name)")
    [ -n "$c3_name" ] || c3_name=$5
    c3_i=1
    while [ "$c3_i" -le "$C3_N" ]; do
        if [ "$(eval "printf '%s' \"\$C3_NAME_$c3_i\"")" = "$c3_name" ]; then
            c3_raise "ValueError: Duplicate name: '$c3_name'" \
                "  File \"$C3_ROOT/$C3_SCRIPT\", line 43, in inference" \
                "    sample_overrides_list = setup_args.get_sample_overrides_cls().from_files(" \
                "  File \"$C3_ROOT/$C3_ARGS\", line 1014, in from_files" \
                "    raise ValueError(f\"Duplicate name: '{obj.name}'\")"
        fi
        c3_i=$((c3_i + 1))
    done
    C3_N=$((C3_N + 1))
    eval "C3_FLAT_$C3_N=\$C3_FLAT"
    eval "C3_NAME_$C3_N=\$c3_name"
    eval "C3_DIR_$C3_N=\$c3_dir"
}

c3_json_error() {
    c3_raise "json.decoder.$1" \
        "  File \"$C3_ROOT/$C3_SCRIPT\", line 43, in inference" \
        "    sample_overrides_list = setup_args.get_sample_overrides_cls().from_files(" \
        "  File \"$C3_ROOT/$C3_ARGS\", line 1049, in _from_file" \
        "    data_list = [json.loads(path.read_text())]"
}

c3_load_file() {
    c3_file=$1
    if [ ! -f "$c3_file" ]; then
        c3_raise "FileNotFoundError: [Errno 2] No such file or directory: '$c3_file'" \
            "  File \"$C3_ROOT/$C3_SCRIPT\", line 43, in inference" \
            "    sample_overrides_list = setup_args.get_sample_overrides_cls().from_files(" \
            "  File \"$C3_ROOT/$C3_ARGS\", line 1049, in _from_file" \
            "    data_list = [json.loads(path.read_text())]"
    fi
    c3_base=$(basename "$c3_file")
    case $c3_file in
        *.json)
            c3_flat=$(flatten "$c3_file" 2>"$C3_TMP/err") || c3_json_error "$(cat "$C3_TMP/err")"
            c3_add_sample "$c3_flat" "$(tr -d '\n' < "$c3_file")" "$c3_file" 0 "${c3_base%.json}" ;;
        *.jsonl)
            c3_line=0
            while IFS= read -r c3_l || [ -n "$c3_l" ]; do
                [ -n "$c3_l" ] || continue
                c3_flat=$(printf '%s\n' "$c3_l" | awk -f "$SIM_BASE/lib/json.awk" 2>"$C3_TMP/err") ||
                    c3_json_error "$(cat "$C3_TMP/err")"
                c3_add_sample "$c3_flat" "$c3_l" "$c3_file" "$c3_line" "${c3_base%.jsonl}_$c3_line"
                c3_line=$((c3_line + 1))
            done < "$c3_file"
            ;;
        *)
            c3_raise "ValueError: Unsupported file extension: $c3_file" \
                "  File \"$C3_ROOT/$C3_SCRIPT\", line 43, in inference" \
                "    sample_overrides_list = setup_args.get_sample_overrides_cls().from_files(" \
                "  File \"$C3_ROOT/$C3_ARGS\", line 1055, in _from_file" \
                "    raise ValueError(f\"Unsupported file extension: {path}\")" ;;
    esac
}

c3_load_specs() {
    C3_N=0
    c3_list=""
    c3_k=1
    while [ "$c3_k" -le "$C3_NINPUTS" ]; do
        eval "c3_pat=\$C3_INPUT_$c3_k"
        case $c3_pat in
            *'*'*)
                for c3_g in $c3_pat; do
                    [ -e "$c3_g" ] && c3_list="$c3_list$c3_g
"
                done ;;
            *) c3_list="$c3_list$c3_pat
" ;;
        esac
        c3_k=$((c3_k + 1))
    done
    if [ -z "$c3_list" ]; then
        c3_raise "ValueError: No inference parameter files" \
            "  File \"$C3_ROOT/$C3_ARGS\", line 1083, in _from_files" \
            "    raise ValueError(\"No inference parameter files\")"
    fi
    # sorted(set(paths)), like _from_files
    for c3_file in $(printf '%s' "$c3_list" | sort -u); do
        c3_load_file "$c3_file"
    done
}

# the resolved mode of the current sample
c3_mode() {
    c3_m=$(c3_get model_mode)
    if [ -n "$c3_m" ]; then printf '%s\n' "$c3_m"; return; fi
    c3_vp=$(c3_get vision_path)
    c3_in_mode=text
    case $c3_vp in
        '') ;;
        *.png | *.jpg | *.jpeg | *.webp | *.PNG | *.JPG | *.JPEG | *.WEBP) c3_in_mode=image ;;
        *) c3_in_mode=video ;;
    esac
    c3_out_mode=video
    [ "$(c3_get num_frames)" = 1 ] && c3_out_mode=image
    printf '%s2%s\n' "$c3_in_mode" "$c3_out_mode"
}

c3_download() {  # REPO REVISION SECONDS
    flog INFO "$C3_CKPTDB:171:_hf_download" "uv run --isolated --project $C3_ROOT/$C3_PKG/utils/hf_cli --locked --no-default-groups hf download --format=json $1 --repo-type model --revision $2 --include '*'"
    if [ "$SIM_FAIL" = missing_checkpoint ] && [ "$1" != nvidia/Cosmos-Guardrail1 ]; then
        echo "Error: Repository not found. Check the \`repo_id\` and \`repo_type\` parameters. If the repo is private, make sure you are authenticated." | to_err
        c3_ok=1
    elif hf_fetch "$1" "$2" "$3"; then
        c3_ok=0
    else
        c3_ok=1
    fi
    if [ "$c3_ok" = 1 ]; then
        c3_cmd="['uv', 'run', '--isolated', '--project', '$C3_ROOT/$C3_PKG/utils/hf_cli', '--locked', '--no-default-groups', 'hf', 'download', '--format=json', '$1', '--repo-type', 'model', '--revision', '$2', '--include', '*']"
        if [ "$1" = nvidia/Cosmos-Guardrail1 ]; then
            c3_frames="  File \"$C3_ROOT/$C3_COMMON\", line 135, in create
    guardrails = GuardrailRunners.create(setup_args) if setup_args.guardrails else None
  File \"$C3_ROOT/$C3_PKG/auxiliary/guardrail/blocklist/blocklist.py\", line 53, in __init__
    self.checkpoint_dir = os.path.join(GUARDRAIL1_CHECKPOINT.download(), \"blocklist\")"
        else
            c3_frames="  File \"$C3_ROOT/$C3_COMMON\", line 136, in create
    return cls._create(setup_args, guardrails=guardrails, _timer=timer)
  File \"$C3_ROOT/$C3_INF\", line 1218, in _create
    checkpoint_path = _download_on_rank0(setup_args.download_checkpoint)"
        fi
        if [ "$SIM_NPROC" -gt 1 ] 2>/dev/null; then
            {
                echo "[rank1]: RuntimeError: Rank 0 download failed: CalledProcessError: Command '$c3_cmd' returned non-zero exit status 1."
            } >&2
        fi
        c3_raise "subprocess.CalledProcessError: Command '$c3_cmd' returned non-zero exit status 1." \
            "  File \"$C3_ROOT/$C3_SCRIPT\", line 55, in inference" \
            "    pipe = setup_args.get_inference_cls().create(setup_args)" \
            "$c3_frames" \
            "  File \"$C3_ROOT/$C3_CKPTDB\", line 175, in _hf_download" \
            "    output = subprocess.run(" \
            "  File \"/usr/lib/python3.12/subprocess.py\", line 571, in run" \
            "    raise CalledProcessError(retcode, process.args,"
    fi
}

c3_create_pipeline() {
    if [ "$C3_GUARDRAILS" = true ]; then
        c3_download nvidia/Cosmos-Guardrail1 "$C3_GUARD_REV" 20
        simsleep 8
        flog WARNING "$C3_PRESETS:30:create_video_guardrail_runner" "Video content safety classifier is disabled in this release; effective guardrail coverage is text checks and face blur only."
    fi
    case " $C3_CHECKPOINTS " in
        *" $C3_CKPT "*) c3_download "nvidia/$C3_CKPT" main 240 ;;
    esac
    simsleep 90  # building the model and loading its weights
}

# c3_json_args I: the resolved sample arguments as JSON (a compact pydantic dump)
c3_json_args() {
    printf '{"output_dir":%s,"model":"","extra":{},"name":%s,"num_outputs":1,"seed":%s,"num_steps":%s,"guidance":%s,"shift":%s,"prompt":%s,"negative_prompt":%s,"vision_path":%s,"resolution":%s,"aspect_ratio":%s,"fps":%s,"num_frames":%s,"model_mode":%s%s}' \
        "$(json_str "$C3_SDIR")" "$(json_str "$C3_NAME")" "$C3_SEED" "$C3_STEPS" "$C3_GUIDANCE" "$C3_SHIFT" \
        "$(json_str "$C3_PROMPT")" "$C3_NEG" "$C3_VISION_JSON" "$(json_str "$C3_RESOLUTION_S")" \
        "$(json_str "$C3_ASPECT")" "$C3_FPS" "$C3_FRAMES" "$(json_str "$C3_MODE")" "$C3_HINT_JSON"
}

c3_write_outputs() {  # CONTENT FILES_JSON
    printf '{"args":%s,"status":"success","message":null,"stack_trace":null,"outputs":[{"content":%s,"files":[%s]}]}' \
        "$(c3_json_args)" "$1" "$2" > "$C3_SDIR/sample_outputs.json"
}

# c3_sample_failed EXC_LINE FRAMES: _handle_sample_exception
c3_sample_failed() {
    c3_msg="Error generating sample '$C3_NAME': $1"
    if [ "$C3_KEEP_GOING" = true ]; then
        flog ERROR "$C3_COMMON:266:_handle_sample_exception" "$c3_msg"
        return 0
    fi
    close_bar
    {
        echo "Traceback (most recent call last):"
        printf '%s\n' "$2"
        printf 'ValueError: %s\n' "$1"
        echo
        echo "The above exception was the direct cause of the following exception:"
        echo
    } | to_err
    c3_raise "ValueError: $c3_msg" \
        "  File \"$C3_ROOT/$C3_SCRIPT\", line 70, in inference" \
        "    pipe.generate(sample_args_list)" \
        "  File \"$C3_ROOT/$C3_COMMON\", line 210, in generate" \
        "    batch_outputs = self.generate_batch(" \
        "  File \"$C3_ROOT/$C3_INF\", line 1818, in generate_batch" \
        "    self._handle_sample_exception(sample_args, e)" \
        "  File \"$C3_ROOT/$C3_COMMON\", line 265, in _handle_sample_exception" \
        "    raise ValueError(msg) from e"
}

c3_guardrail_block() {  # TEXT -> blocks (returns 0) when the text carries [sim:guardrail]
    [ "$C3_GUARDRAILS" = true ] || return 1
    [ "$SIM_FAIL" = guardrail ] || return 1
    flog CRITICAL "$C3_PRESETS:52:run_text_guardrail" "GUARDRAIL BLOCKED: QWEN3GUARD: Prompt blocked by Qwen3Guard. Safety: Unsafe, Categories: ['Violent']"
    c3_blocked="Guardrail blocked prompt '$C3_SDIR': '$1'"
    c3_sample_failed "$c3_blocked" "  File \"$C3_ROOT/$C3_INF\", line 1759, in generate_batch
    self._run_text_guardrail(
  File \"$C3_ROOT/$C3_COMMON\", line 280, in _run_text_guardrail
    raise ValueError(f\"Guardrail blocked prompt '{name}': '{prompt}'\")"
    return 0
}

c3_oom() {
    py_raise "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 4.50 GiB. GPU 0 has a total capacity of 79.19 GiB of which 2.31 GiB is free. Including non-PyTorch memory, this process has 76.87 GiB memory in use. Of the allocated memory 71.42 GiB is allocated by PyTorch, and 3.96 GiB is reserved by PyTorch but unallocated. If reserved but unallocated memory is large try setting PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True to avoid fragmentation.  See documentation for Memory Management  (https://pytorch.org/docs/stable/notes/cuda.html#environment-variables)" \
        "$(c3_frames_main)" \
        "  File \"$C3_ROOT/$C3_SCRIPT\", line 70, in inference" \
        "    pipe.generate(sample_args_list)" \
        "  File \"$C3_ROOT/$C3_COMMON\", line 210, in generate" \
        "    batch_outputs = self.generate_batch(" \
        "  File \"$C3_ROOT/$C3_INF\", line 1705, in generate_batch" \
        "    outputs = self.model.generate_samples_from_batch(" \
        "  File \"$C3_ROOT/$C3_PKG/model/generator/diffusion/samplers/unipc.py\", line 84, in __call__" \
        "    velocity_pred = velocity_fn(latent, timestep.reshape(1, 1))"
}

c3_hang() {
    while :; do
        sleep 1 &
        SIM_SLEEP_PID=$!
        wait "$SIM_SLEEP_PID"
        touch_marker
    done
}

# c3_sampling: the UniPC loop of one generation (or one transfer chunk), per-step bar on stderr
c3_sampling() {
    flog INFO "$C3_MODEL:3405:generate_samples_from_batch" "Using sampler: UniPC (shift=$C3_SHIFT, num_steps=$C3_STEPS)"
    c3_fail_at=""
    [ "$SIM_FAIL" = oom ] && c3_fail_at=$(( (C3_STEPS + 2) / 3 ))
    [ "$SIM_FAIL" = hang ] && c3_fail_at=$(( (C3_STEPS + 1) / 2 ))
    if ! tqdm_run Sampling "$C3_STEPS" "$C3_STEP_SECONDS" "$c3_fail_at"; then
        [ "$SIM_FAIL" = hang ] && c3_hang
        c3_oom
    fi
}

# the number of autoregressive transfer chunks (_get_num_chunks)
c3_chunks() {
    c3_clips=$(marker "$C3_PROMPT" clips)
    [ -n "$c3_clips" ] && { echo "$c3_clips"; return; }
    c3_per=$(jget "$C3_FLAT" num_video_frames_per_chunk)
    [ -n "$c3_per" ] || c3_per=93
    [ "$C3_SAMPLE_HINTS" = "wsm " ] && [ -z "$(jget "$C3_FLAT" num_video_frames_per_chunk)" ] && c3_per=101
    c3_cond=$(jget "$C3_FLAT" num_conditional_frames)
    [ -n "$c3_cond" ] || c3_cond=1
    # The whole input video is transferred (up to max_frames), whatever num_frames says.
    c3_total=$(mp4_frames "$C3_VISION")
    [ -n "$c3_total" ] || c3_total=$C3_FRAMES
    c3_max=$(jget "$C3_FLAT" max_frames)
    [ -n "$c3_max" ] || c3_max=5000
    [ "$c3_total" -gt "$c3_max" ] && c3_total=$c3_max
    awk -v t="$c3_total" -v c="$c3_per" -v k="$c3_cond" 'BEGIN {
        c = (c == 1 ? 1 : int((c - 1 + 3) / 4) * 4 + 1)
        if (t <= c) { print 1; exit }
        s = c - k; r = t - c; print 1 + int(r / s) + (r % s ? 1 : 0)
    }'
}

c3_copy_output() {  # DEST
    c3_src=""
    case $C3_VISION in
        *.mp4 | *.MP4) [ -f "$C3_VISION" ] && c3_src=$C3_VISION ;;
    esac
    if [ -z "$c3_src" ]; then
        for c3_h in $C3_SAMPLE_HINTS; do
            c3_cp=$(c3_control_path "$c3_h")
            [ -n "$c3_cp" ] && [ -f "$c3_cp" ] && { c3_src=$c3_cp; break; }
        done
    fi
    case $1 in
        *.jpg) cp "$SIM_BASE/share/world.jpg" "$1" ;;
        *) cp "${c3_src:-$SIM_BASE/share/world.mp4}" "$1" ;;
    esac
}

c3_control_path() {
    c3_v=$(unescape "$(jget "$C3_FLAT" "$1.control_path")")
    [ -n "$c3_v" ] && c3_resolve "$c3_v" "$C3_SPEC_DIR"
}

# c3_build I: the sample's resolved arguments (build_sample); 1 when it cannot be built
c3_build() {
    eval "C3_FLAT=\$C3_FLAT_$1"
    eval "C3_NAME=\$C3_NAME_$1"
    eval "C3_SPEC_DIR=\$C3_DIR_$1"
    C3_SDIR="$C3_OUT_ABS/$C3_NAME"
    C3_MODE=$(c3_mode)
    C3_SAMPLE_HINTS=$(c3_hints)
    C3_PROMPT=$(unescape "$(c3_get prompt)")
    c3_pp=$(unescape "$(c3_get prompt_path)")
    if [ -z "$(c3_get prompt)" ] && [ -n "$c3_pp" ]; then
        C3_PROMPT=$(sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' "$(c3_resolve "$c3_pp" "$C3_SPEC_DIR")")
    fi
    C3_VISION=""
    c3_vp=$(unescape "$(c3_get vision_path)")
    [ -n "$c3_vp" ] && C3_VISION=$(c3_resolve "$c3_vp" "$C3_SPEC_DIR")
    C3_VISION_JSON=null
    [ -n "$C3_VISION" ] && C3_VISION_JSON=$(json_str "$C3_VISION")
    C3_SEED=$(c3_get seed)
    [ -n "$C3_SEED" ] || C3_SEED=null
    C3_NEG=null
    c3_n=$(c3_get negative_prompt)
    [ -n "$c3_n" ] && C3_NEG=$(json_str "$(unescape "$c3_n")")
    case $C3_MODE in
        text2image) c3_steps=50; c3_guid=4.0; c3_shift=3.0; c3_frames=1; c3_aspect="1,1" ;;
        image2image) c3_steps=35; c3_guid=6.0; c3_shift=5.0; c3_frames=1; c3_aspect="16,9" ;;
        reasoner) c3_steps=1; c3_guid=0.0; c3_shift=0.0; c3_frames=1; c3_aspect="16,9" ;;
        *) c3_steps=35; c3_guid=6.0; c3_shift=10.0; c3_frames=$C3_DEFAULT_FRAMES; c3_aspect="16,9" ;;
    esac
    C3_FPS=24
    C3_HINT_JSON=""
    set -- $C3_SAMPLE_HINTS
    if [ $# = 1 ]; then  # the tuned defaults of a single-control transfer
        c3_guid=3.0
        c3_shift=10.0
        if [ "$1" = wsm ]; then c3_guid=1.0; C3_FPS=10; c3_frames=101; fi
    fi
    for c3_h in $C3_SAMPLE_HINTS; do
        c3_cp=$(c3_control_path "$c3_h")
        c3_w=$(jget "$C3_FLAT" "$c3_h.weight")
        c3_extra=""
        [ "$c3_h" = edge ] && c3_extra=",\"preset_edge_threshold\":\"$(jget "$C3_FLAT" edge.preset_edge_threshold | sed 's/^$/medium/')\""
        [ "$c3_h" = blur ] && c3_extra=",\"preset_blur_strength\":\"$(jget "$C3_FLAT" blur.preset_blur_strength | sed 's/^$/medium/')\""
        if [ -z "$C3_VISION" ] && [ -z "$c3_cp" ]; then
            C3_BUILD_ERROR="transfer inference requires 'vision_path' or a pre-computed 'control_path' (hint: $c3_h)"
            return 1
        fi
        c3_cpj=null
        [ -n "$c3_cp" ] && c3_cpj=$(json_str "$c3_cp")
        C3_HINT_JSON="$C3_HINT_JSON,\"$c3_h\":{\"control_path\":$c3_cpj,\"weight\":${c3_w:-1.0}$c3_extra}"
    done
    C3_STEPS=$(c3_get num_steps); [ -n "$C3_STEPS" ] || C3_STEPS=$c3_steps
    C3_GUIDANCE=$(c3_get guidance); [ -n "$C3_GUIDANCE" ] || C3_GUIDANCE=$c3_guid
    C3_SHIFT=$(c3_get shift); [ -n "$C3_SHIFT" ] || C3_SHIFT=$c3_shift
    case $C3_SHIFT in *.*) ;; *) C3_SHIFT="$C3_SHIFT.0" ;; esac
    c3_f=$(c3_get fps); [ -n "$c3_f" ] && C3_FPS=$c3_f
    C3_FRAMES=$(c3_get num_frames); [ -n "$C3_FRAMES" ] || C3_FRAMES=$c3_frames
    [ "$C3_FRAMES" -gt 1 ] && C3_FRAMES=$(( (C3_FRAMES - 1 + 3) / 4 * 4 + 1 ))
    C3_RESOLUTION_S=$(unescape "$(c3_get resolution)")
    [ -n "$C3_RESOLUTION_S" ] || C3_RESOLUTION_S=$C3_RESOLUTION
    C3_ASPECT=$(unescape "$(c3_get aspect_ratio)"); [ -n "$C3_ASPECT" ] || C3_ASPECT=$c3_aspect
    sim_setup_failures "$C3_PROMPT"
    if [ "$C3_MODE" = reasoner ] && [ -z "$(printf '%s' "$C3_PROMPT" | tr -d ' \t\n')" ]; then
        C3_BUILD_ERROR="Reasoner inference requires a non-empty 'prompt'."
        return 1
    fi
    return 0
}

c3_generate_video() {
    mkdir -p "$C3_SDIR"
    c3_json_args > "$C3_SDIR/sample_args.json"
    flog INFO "$C3_INF:1547:generate_batch" "[RANK 0] Saved sample args to '$C3_SDIR/sample_args.json'"
    c3_sampling
    simsleep 12  # decode
    c3_guardrail_block "$C3_PROMPT" && return 0
    if [ "$C3_GUARDRAILS" = true ]; then
        flog WARNING "$C3_CORE:45:run_safety_check" "No content-safety models configured: the safety check is DISABLED and the input is treated as safe. The configured posture does NOT include the video content-safety stage for this release."
        simsleep 4  # face blur
    fi
    c3_ext=mp4
    [ "$C3_FRAMES" = 1 ] && c3_ext=jpg
    c3_copy_output "$C3_SDIR/vision.$c3_ext"
    c3_write_outputs "{}" "$(json_str "$C3_SDIR/vision.$c3_ext")"
    flog SUCCESS "$C3_INF:1812:generate_batch" "[RANK 0] Saved sample outputs to '$C3_SDIR/sample_outputs.json'"
}

c3_generate_transfer() {
    mkdir -p "$C3_SDIR"
    c3_json_args > "$C3_SDIR/sample_args.json"
    flog INFO "$C3_INF:1843:_generate_transfer_batch" "[RANK 0] Saved sample args to '$C3_SDIR/sample_args.json'"
    for c3_h in $C3_SAMPLE_HINTS; do
        c3_cp=$(c3_control_path "$c3_h")
        if [ -n "$c3_cp" ]; then
            flog INFO "$C3_TRANSFER:113:load_transfer_control_frames" "Loaded pre-computed $c3_h control from $c3_cp"
        else
            flog INFO "$C3_TRANSFER:135:load_transfer_control_frames" "Computing $c3_h control input on the fly"
            simsleep 3
        fi
    done
    flog INFO "$C3_TRANSFER:477:generate_transfer_sample" "[transfer] final user prompt: $C3_PROMPT"
    c3_nchunks=$(c3_chunks)
    c3_c=0
    while [ "$c3_c" -lt "$c3_nchunks" ]; do
        c3_sampling
        simsleep 6
        c3_c=$((c3_c + 1))
    done
    c3_copy_output "$C3_SDIR/vision.mp4"
    c3_files=$(json_str "$C3_SDIR/vision.mp4")
    for c3_h in $C3_SAMPLE_HINTS; do
        c3_cp=$(c3_control_path "$c3_h")
        cp "${c3_cp:-$C3_VISION}" "$C3_SDIR/control_$c3_h.mp4"
        c3_files="$c3_files,$(json_str "$C3_SDIR/control_$c3_h.mp4")"
        flog INFO "$C3_INF:1881:_generate_transfer_batch" "[RANK 0] Saved control video to '$C3_SDIR/control_$c3_h.mp4'"
    done
    c3_write_outputs "{}" "$c3_files"
    flog SUCCESS "$C3_INF:1889:_generate_transfer_batch" "[RANK 0] Saved transfer outputs to '$C3_SDIR/sample_outputs.json'"
}

c3_generate_reasoner() {
    mkdir -p "$C3_SDIR"
    c3_json_args > "$C3_SDIR/sample_args.json"
    c3_guardrail_block "$C3_PROMPT" && return 0
    if [ "$SIM_FAIL" = oom ]; then
        simsleep 5
        c3_oom
    fi
    [ "$SIM_FAIL" = hang ] && c3_hang
    simsleep 20
    c3_what="the scene"
    [ -n "$C3_VISION" ] && c3_what="the $(basename "$C3_VISION")"
    c3_text="In $c3_what, a robotic arm moves steadily across a well-lit workspace, picks up an object and places it to the side; the camera stays still and nothing else changes."
    printf '%s' "$c3_text" > "$C3_SDIR/reasoner_text.txt"
    c3_write_outputs "{\"reasoner_text\":$(json_str "$c3_text")}" "$(json_str "$C3_SDIR/reasoner_text.txt")"
    flog SUCCESS "$C3_INF:1981:_generate_reasoner_batch" "Saved reasoner outputs to '$C3_SDIR'"
}

sim_cosmos3() {
    C3_ROOT=$(pwd)
    SIM_LOG_JOB="job=|"
    C3_TMP=$(mktemp -d 2>/dev/null || echo "/tmp/cosmos-sim.$$")
    mkdir -p "$C3_TMP"
    c3_parse "$@"
    sim_setup_failures ""
    [ -n "$C3_OUT" ] || c3_raise "ValueError: 'output_dir' is required" \
        "  File \"$C3_ROOT/$C3_SCRIPT\", line 39, in inference" \
        "    raise ValueError(\"'output_dir' is required\")"
    C3_OUT_ABS=$(abspath "$C3_OUT")
    C3_RESOLUTION=720
    C3_DEFAULT_FRAMES=189
    case $C3_CKPT in
        Cosmos3-Edge*) C3_RESOLUTION=480; C3_DEFAULT_FRAMES=121 ;;
    esac
    if ! c3_in "$C3_CKPT" "$C3_CHECKPOINTS"; then
        case $C3_CKPT in
            s3://*) ;;
            *)
                c3_ck=$(abspath "$C3_CKPT")
                if [ ! -d "$c3_ck" ]; then
                    c3_raise "ValueError: Checkpoint directory does not exist: $c3_ck" \
                        "  File \"$C3_ROOT/$C3_SCRIPT\", line 40, in inference" \
                        "    setup_args = args.setup.build_setup()" \
                        "  File \"$C3_ROOT/$C3_PKG/inference/args.py\", line 1394, in build_setup" \
                        "    self._build_checkpoint(checkpoints=self.CHECKPOINTS)" \
                        "  File \"$C3_ROOT/$C3_ARGS\", line 680, in _build_checkpoint" \
                        "    raise ValueError(f\"Checkpoint directory does not exist: {checkpoint_dir}\")"
                fi
                [ -d "$c3_ck/model" ] && c3_ck="$c3_ck/model"
                if ! ls "$c3_ck"/*.safetensors "$c3_ck"/*.safetensors.index.json "$c3_ck"/*.distcp "$c3_ck"/model_index.json >/dev/null 2>&1; then
                    c3_raise "ValueError: Unknown checkpoint type: $c3_ck" \
                        "  File \"$C3_ROOT/$C3_SCRIPT\", line 40, in inference" \
                        "    setup_args = args.setup.build_setup()" \
                        "  File \"$C3_ROOT/$C3_ARGS\", line 500, in from_path" \
                        "    raise ValueError(f\"Unknown checkpoint type: {path}\")"
                fi ;;
        esac
    fi
    mkdir -p "$C3_OUT_ABS"
    flog INFO "$C3_INIT:127:_init_log_files" "Console log saved to $C3_OUT_ABS/console.log"
    flog INFO "$C3_INIT:128:_init_log_files" "Debug log saved to $C3_OUT_ABS/debug.log"
    SIM_CONSOLE="$C3_OUT_ABS/console.log"
    SIM_DEBUGLOG="$C3_OUT_ABS/debug.log"
    : > "$SIM_CONSOLE"
    : > "$SIM_DEBUGLOG"
    c3_load_specs
    flog INFO "$C3_SCRIPT:46:inference" "Loaded $C3_N samples"
    c3_all_reasoner=1
    c3_i=1
    while [ "$c3_i" -le "$C3_N" ]; do
        eval "C3_FLAT=\$C3_FLAT_$c3_i"
        [ "$(c3_mode)" = reasoner ] || c3_all_reasoner=0
        c3_i=$((c3_i + 1))
    done
    [ "$c3_all_reasoner" = 1 ] && flog INFO "$C3_SCRIPT:49:inference" "Reasoner-only inputs detected; generation vision tokenizer will not be loaded"
    c3_create_pipeline
    # build every sample first (build_sample), then generate them one batch at a time
    c3_built=""
    c3_i=1
    while [ "$c3_i" -le "$C3_N" ]; do
        C3_BUILD_ERROR=""
        if c3_build "$c3_i"; then
            c3_built="$c3_built $c3_i"
        elif [ "$C3_SKIP_INVALID" = true ]; then
            c3_msg="Skipping sample '$C3_NAME': $C3_BUILD_ERROR"
            flog WARNING "$C3_SCRIPT:65:inference" "$c3_msg"
            mkdir -p "$C3_SDIR"
            printf '{"args":{"name":%s},"status":"skip","message":%s,"stack_trace":null,"outputs":[]}' \
                "$(json_str "$C3_NAME")" "$(json_str "$c3_msg")" > "$C3_SDIR/sample_outputs.json"
        else
            c3_raise "ValueError: $C3_BUILD_ERROR" \
                "  File \"$C3_ROOT/$C3_SCRIPT\", line 61, in inference" \
                "    sample_args_list.append(overrides.build_sample(model_config=pipe.model_config))" \
                "  File \"$C3_ROOT/$C3_PKG/inference/args.py\", line 1163, in build_sample" \
                "    self._build_transfer_data("
        fi
        c3_i=$((c3_i + 1))
    done
    C3_STEP_SECONDS=2
    for c3_i in $c3_built; do
        c3_build "$c3_i"
        if [ "$C3_MODE" = reasoner ]; then
            c3_generate_reasoner
        elif [ -n "$C3_SAMPLE_HINTS" ]; then
            c3_generate_transfer
        else
            c3_generate_video
        fi
    done
    rm -rf "$C3_TMP"
}
