# cosmos-tui simulator: cosmos_transfer1/diffusion/inference/transfer.py. Sourced by torchrun.

T_PY=cosmos_transfer1/diffusion/inference/transfer.py
T_MODEL=cosmos_transfer1/diffusion/model/model_ctrl.py
T_PIPE=cosmos_transfer1/diffusion/inference/world_generation_pipeline.py
T_PRE=cosmos_transfer1/diffusion/inference/preprocessors.py
T_UTIL=cosmos_transfer1/diffusion/inference/inference_utils.py
T_GUARD=cosmos_transfer1/auxiliary/guardrail/common/presets.py
T_CKPT=checkpoints/nvidia/Cosmos-Transfer1-7B

T_VALUE_ARGS="prompt negative_prompt input_video_path num_input_frames sigma_max blur_strength \
canny_threshold checkpoint_dir tokenizer_dir video_save_name video_save_folder batch_input_path \
batch_size num_steps guidance fps seed num_gpus controlnet_specs local_rank cutoff_frame"
T_FLAG_ARGS="is_av_sample offload_diffusion_transformer offload_text_encoder_model \
offload_guardrail_models upsample_prompt offload_prompt_upsampler use_distilled save_intermediates"
T_INT_ARGS="num_input_frames batch_size num_steps fps seed num_gpus local_rank cutoff_frame"
T_FLOAT_ARGS="sigma_max guidance"

in_list() {
    case " $(echo $2) " in *" $1 "*) return 0 ;; esac
    return 1
}

t_defaults() {
    A_prompt="The video captures a stunning, photorealistic scene with remarkable attention to detail."
    A_negative_prompt="The video captures a game playing, with bad crappy graphics and cartoonish frames."
    A_input_video_path=""
    A_num_input_frames=1
    A_sigma_max=70.0
    A_blur_strength=medium
    A_canny_threshold=medium
    A_checkpoint_dir=checkpoints
    A_tokenizer_dir=Cosmos-Tokenize1-CV8x8x8-720p
    A_video_save_name=output
    A_video_save_folder=outputs/
    A_batch_input_path=""
    A_batch_size=1
    A_num_steps=35
    A_guidance=5
    A_fps=24
    A_seed=1
    A_num_gpus=1
    A_controlnet_specs=""
    A_local_rank=0
    A_cutoff_frame=-1
    for t_flag in $T_FLAG_ARGS; do eval "A_$t_flag=false"; done
}

# check_type NAME VALUE: argparse's type and choices checks
check_type() {
    if in_list "$1" "$T_INT_ARGS"; then
        case $2 in
            '' | - | *[!0-9-]* | ?*-*) usage_error "argument --$1: invalid int value: '$2'" ;;
        esac
    elif in_list "$1" "$T_FLOAT_ARGS"; then
        awk -v v="$2" 'BEGIN { exit !(v ~ /^-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/) }' ||
            usage_error "argument --$1: invalid float value: '$2'"
    fi
    case $1 in
        blur_strength | canny_threshold)
            in_list "$2" "$SIM_LEVELS" ||
                usage_error "argument --$1: invalid choice: '$2' (choose from 'very_low', 'low', 'medium', 'high', 'very_high')" ;;
        num_input_frames)
            [ "$2" = 1 ] || usage_error "argument --num_input_frames: invalid choice: $2 (choose from 1)" ;;
    esac
}

t_parse_args() {
    T_GIVEN=" "
    while [ $# -gt 0 ]; do
        t_arg=$1
        case $t_arg in
            --*=*) t_name=${t_arg%%=*}; t_name=${t_name#--}; t_val=${t_arg#*=}; t_has=1 ;;
            --*) t_name=${t_arg#--}; t_val=""; t_has=0 ;;
            *) usage_error "unrecognized arguments: $t_arg" ;;
        esac
        t_name=$(echo "$t_name" | tr - _)
        if in_list "$t_name" "$T_FLAG_ARGS"; then
            [ "$t_has" = 1 ] && usage_error "argument --$t_name: ignored explicit argument '$t_val'"
            eval "A_$t_name=true"
        elif in_list "$t_name" "$T_VALUE_ARGS"; then
            if [ "$t_has" = 0 ]; then
                [ $# -ge 2 ] || usage_error "argument --$t_name: expected one argument"
                t_val=$2
                shift
            fi
            check_type "$t_name" "$t_val"
            eval "A_$t_name=\$t_val"
        else
            usage_error "unrecognized arguments: $t_arg"
        fi
        T_GIVEN="$T_GIVEN$t_name "
        shift
    done
    [ -n "$A_controlnet_specs" ] || usage_error "the following arguments are required: --controlnet_specs"
}

# json_dump TITLE NAME=VALUE... : a loguru line whose message continues over unprefixed lines
json_dump() {
    t_title=$1
    shift
    log INFO "$T_PY:331:demo" "$t_title: {"
    t_n=$#
    t_i=0
    for t_pair in "$@"; do
        t_i=$((t_i + 1))
        t_comma=","
        [ "$t_i" = "$t_n" ] && t_comma=""
        printf '    "%s": %s%s\n' "${t_pair%%=*}" "${t_pair#*=}" "$t_comma"
    done
    echo "}"
}

jsonish() {
    case $1 in
        true | false | null) echo "$1" ;;
        *) if awk -v v="$1" 'BEGIN { exit !(v ~ /^-?[0-9]+(\.[0-9]+)?$/) }'; then echo "$1"; else printf '"%s"\n' "$1"; fi ;;
    esac
}

t_load_spec() {
    T_SPEC_FILE=$A_controlnet_specs
    if [ ! -f "$T_SPEC_FILE" ]; then
        python_error "FileNotFoundError: [Errno 2] No such file or directory: '$T_SPEC_FILE'" \
            "  File \"/workspace/$T_PY\", line 262, in demo" \
            "    control_inputs, cfg_dict = load_controlnet_specs(cfg)" \
            "  File \"/workspace/$T_UTIL\", line 712, in load_controlnet_specs" \
            "    with open(cfg.controlnet_specs, \"r\") as f:"
    fi
    if ! T_FLAT=$(flatten "$T_SPEC_FILE" 2>/tmp/cosmos-sim-json.$$); then
        t_err=$(cat /tmp/cosmos-sim-json.$$)
        rm -f /tmp/cosmos-sim-json.$$
        python_error "json.decoder.$t_err" \
            "  File \"/workspace/$T_UTIL\", line 713, in load_controlnet_specs" \
            "    controlnet_specs_in = json.load(f)"
    fi
    rm -f /tmp/cosmos-sim-json.$$
    T_HINTS=$(jobjects "$T_FLAT")
    # Non-object keys override arguments that were not given on the command line.
    for t_key in $(printf '%s\n' "$T_FLAT" | awk -F '\t' '$1 != "" && index($1, ".") == 0 && index($1, "[") == 0 && $2 != "o" && $2 != "a" { print $1 }'); do
        if in_list "$t_key" "$T_VALUE_ARGS $T_FLAG_ARGS" && ! in_list "$t_key" "$T_GIVEN"; then
            t_val=$(jget "$T_FLAT" "$t_key")
            eval "A_$t_key=\$t_val"
        fi
    done
}

t_validate() {
    for t_hint in $T_HINTS; do
        in_list "$t_hint" "$SIM_VALID_HINTS" ||
            python_error "ValueError: Invalid hint_key: $t_hint. Must be one of $SIM_HINT_SET" \
                "  File \"/workspace/$T_PY\", line 262, in demo" \
                "    control_inputs, cfg_dict = load_controlnet_specs(cfg)" \
                "  File \"/workspace/$T_UTIL\", line 731, in load_controlnet_specs" \
                "    raise ValueError(f\"Invalid hint_key: {hint_key}. Must be one of {valid_hint_keys}\")"
    done
    for t_hint in $T_HINTS; do
        t_type=$(jtype "$T_FLAT" "$t_hint.control_weight")
        t_weight=$(jget "$T_FLAT" "$t_hint.control_weight")
        if [ -z "$t_type" ]; then
            log WARNING "$T_UTIL:742:validate_controlnet_specs" "No control weight specified for $t_hint. Setting to 0.5."
        elif { [ "$t_type" = n ] && awk -v w="$t_weight" 'BEGIN { exit !(w < 0) }'; } ||
            { [ "$t_type" = s ] && case $t_weight in *.pt) false ;; *) true ;; esac; } ||
            { [ "$t_type" != n ] && [ "$t_type" != s ]; }; then
            python_error "ValueError: Control weight for $t_hint must be a valid non-negative float or a path to a .pt file." \
                "  File \"/workspace/$T_UTIL\", line 748, in validate_controlnet_specs"
        fi
        [ -n "$(jtype "$T_FLAT" "$t_hint.ckpt_path")" ] ||
            log INFO "$T_UTIL:737:validate_controlnet_specs" "No checkpoint path specified for $t_hint. Using default."
    done
    if [ -z "$A_input_video_path" ] && [ -z "$A_batch_input_path" ]; then
        if awk -v s="$A_sigma_max" 'BEGIN { exit !(s < 80) }'; then
            python_error "ValueError: Must have 'input_video' specified if sigma_max < 80" \
                "  File \"/workspace/$T_UTIL\", line 755, in validate_controlnet_specs" \
                "    raise ValueError(\"Must have 'input_video' specified if sigma_max < 80\")"
        fi
        for t_hint in $T_HINTS; do
            [ -n "$(jget "$T_FLAT" "$t_hint.input_control")" ] ||
                python_error "ValueError: $t_hint controlnet must have 'input_control' video specified if no 'input_video' specified." \
                    "  File \"/workspace/$T_UTIL\", line 759, in validate_controlnet_specs"
        done
    fi
}

t_dumps() {
    set --
    for t_hint in $T_HINTS; do
        set -- "$@" "$t_hint={\"control_weight\": $(jsonish "$(jget "$T_FLAT" "$t_hint.control_weight")")}"
    done
    json_dump "control_inputs" "$@"
    json_dump "final args" \
        "prompt=$(jsonish "$A_prompt")" \
        "input_video_path=$(jsonish "$A_input_video_path")" \
        "sigma_max=$A_sigma_max" "num_steps=$A_num_steps" "guidance=$A_guidance" "seed=$A_seed" \
        "fps=$A_fps" "blur_strength=\"$A_blur_strength\"" "canny_threshold=\"$A_canny_threshold\"" \
        "checkpoint_dir=\"$A_checkpoint_dir\"" "video_save_folder=\"$A_video_save_folder\"" \
        "num_gpus=$A_num_gpus" "upsample_prompt=$A_upsample_prompt"
}

t_ckpt_name() {
    case $1 in
        upscale) echo "4kupscaler_control.pt" ;;
        hdmap | lidar) echo "av_${1}_control.pt" ;;
        *) echo "${1}_control.pt" ;;
    esac
}

t_load_model() {
    if in_list upscale "$T_HINTS"; then
        log INFO "$T_PY:284:demo" "Setting batch_size=1 as upscale does not support batch generation"
    fi
    log INFO "$T_MODEL:728:build_model" "Start creating base model"
    simsleep 25
    log INFO "$T_MODEL:744:build_model" "Done creating base model"
    log INFO "$T_MODEL:752:build_model" "Start creating ctrlnet model"
    simsleep 10
    log INFO "$T_MODEL:771:build_model" "Done creating ctrlnet model"
    if [ "$SIM_FAIL" = missing_checkpoint ]; then
        python_error "FileNotFoundError: [Errno 2] No such file or directory: '$A_checkpoint_dir/nvidia/Cosmos-Transfer1-7B/base_model.pt'" \
            "  File \"/workspace/$T_PY\", line 296, in demo" \
            "    pipeline = DiffusionControl2WorldGenerationPipeline(" \
            "  File \"/workspace/$T_PIPE\", line 219, in _load_model" \
            "    load_model_by_config(" \
            "  File \"/workspace/cosmos_transfer1/diffusion/inference/inference_utils.py\", line 401, in load_model_by_config" \
            "    checkpoint = torch.load(checkpoint_path, map_location=\"cpu\", weights_only=False)"
    fi
    for t_hint in $T_HINTS; do
        log INFO "$T_PIPE:226:_load_network" "Loading ctrl model from ckpt_path: $T_CKPT/$(t_ckpt_name "$t_hint")"
        simsleep 3
    done
    if [ "$A_num_gpus" -gt 1 ]; then
        log INFO "$T_MODEL:802:enable_context_parallel" "Enabling CP in base model"
    fi
    {
        echo "/usr/local/lib/python3.10/dist-packages/torch/functional.py:534: UserWarning: torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument. (Triggered internally at ../aten/src/ATen/native/TensorShape.cpp:3595.)"
        echo "  return _VF.meshgrid(tensors, **kwargs)  # type: ignore[attr-defined]"
    } >&2
    if [ "$A_upsample_prompt" = true ]; then
        log INFO "$T_PIPE:254:_init_prompt_upsampler" "Initializing prompt upsampler..."
        simsleep 15
        log INFO "$T_PIPE:262:_init_prompt_upsampler" "Prompt upsampler initialized with hint key: vis and hint details: {}"
    fi
}

# t_require_file PATH: the model fails reading a video that is not there
t_require_file() {
    [ -f "$1" ] || python_error "FileNotFoundError: [Errno 2] No such file or directory: '$1'" \
        "  File \"/workspace/$T_PIPE\", line 512, in generate" \
        "    input_video = read_video_or_image_into_frames_BCTHW(video_path)"
}

# t_generate INDEX OUTDIR PROMPT_TEXT INPUT_VIDEO
t_generate() {
    t_out=$2
    t_prompt=$3
    t_video=$4
    mkdir -p "$t_out"
    [ -n "$t_video" ] && t_require_file "$t_video"
    log INFO "$T_PRE:61:__call__" "running preprocessor"
    for t_hint in $T_HINTS; do
        t_ctrl=$(jget "$T_FLAT" "$t_hint.input_control")
        if [ -n "$t_ctrl" ]; then
            t_require_file "$t_ctrl"
        elif [ "$t_hint" != upscale ]; then
            case $t_hint in
                depth) t_with=DepthAnythingModel; t_cost=20 ;;
                seg) t_with=GroundingDINO+SAM2; t_cost=30 ;;
                keypoint) t_with=RTMPose; t_cost=15 ;;
                *) t_with=cv2; t_cost=2 ;;
            esac
            log INFO "$T_PRE:88:__call__" "no input_control provided for $t_hint. generating input control video with $t_with"
            simsleep "$t_cost"
            cp "$t_video" "$t_out/${t_hint}_input_control_0.mp4"
        fi
    done
    log INFO "$T_PIPE:640:generate" "Running batch generation with batch_size=$A_batch_size"
    if [ "$A_upsample_prompt" = true ]; then
        log INFO "$T_PIPE:655:generate" "Upsampling prompt 1/1: $(printf '%.50s' "$t_prompt")..."
        simsleep 10
        t_prompt="$t_prompt, captured in photorealistic detail with natural lighting and smooth camera motion."
        log INFO "$T_PIPE:660:generate" "Upsampled prompt 1: $(printf '%.50s' "$t_prompt")..."
    fi
    log INFO "$T_PIPE:671:generate" "Running guardrail checks on all prompts"
    simsleep 5
    if [ "$SIM_FAIL" = guardrail ]; then
        log CRITICAL "$T_GUARD:61:run_text_guardrail" "GUARDRAIL BLOCKED: BLOCKLIST: Prompt blocked by keyword filter."
        log CRITICAL "$T_PIPE:677:generate" "Input text prompt 0 is not safe"
        log CRITICAL "$T_PIPE:680:generate" "All prompts failed safety checks"
        log CRITICAL "$T_PY:372:demo" "Guardrail blocked generation for entire batch."
        child_failed 1 "$SIM_SCRIPT_NAME"
    fi
    log INFO "$T_PIPE:690:generate" "Running text embedding on all prompts"
    log INFO "$T_PIPE:418:_run_text_embedding_on_prompt" "Starting T5 compute"
    simsleep 5
    log INFO "$T_PIPE:422:_run_text_embedding_on_prompt" "Completed T5 compute"
    log INFO "$T_PIPE:698:generate" "Finish text embedding on prompt"
    log INFO "$T_PIPE:702:generate" "Run generation"
    log INFO "$T_PIPE:540:_run_model" "Starting data augmentation"
    for t_hint in $T_HINTS; do
        t_ctrl=$(jget "$T_FLAT" "$t_hint.input_control")
        [ -n "$t_ctrl" ] || t_ctrl="$t_out/${t_hint}_input_control_0.mp4"
        [ "$t_hint" = upscale ] && t_ctrl=$t_video
        log INFO "$T_PIPE:548:_run_model" "reading control input $t_ctrl for hint $t_hint"
    done
    simsleep 2
    log INFO "$T_PIPE:561:_run_model" "Completed data augmentation"

    t_start=$(date +%s)
    printf '  0%%|          | 0/%d [00:00<?, ?it/s]' "$SIM_CLIPS" >&2
    SIM_BAR_OPEN=1
    t_clip=0
    while [ "$t_clip" -lt "$SIM_CLIPS" ]; do
        log INFO "$T_PIPE:580:_run_model" "Starting latent encoding"
        simsleep 3
        log INFO "$T_PIPE:584:_run_model" "Completed latent encoding"
        log INFO "$T_PIPE:590:_run_model" "Starting diffusion sampling"
        t_diffuse=$(awk -v n="$A_num_steps" 'BEGIN { printf "%.3f", n * 4 }')
        if [ "$SIM_FAIL" = oom ]; then
            simsleep 3
            python_error "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.50 GiB. GPU 0 has a total capacity of 79.25 GiB of which 1.06 GiB is free. Process $$ has 78.18 GiB memory in use. Of the allocated memory 75.32 GiB is allocated by PyTorch, and 1.87 GiB is reserved by PyTorch but unallocated. If reserved but unallocated memory is large try setting PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True to avoid fragmentation.  See documentation for Memory Management  (https://pytorch.org/docs/stable/notes/cuda.html#environment-variables)" \
                "  File \"/workspace/$T_PY\", line 367, in demo" \
                "    videos, final_prompts = pipeline.generate(" \
                "  File \"/workspace/$T_PIPE\", line 596, in _run_model" \
                "    latents = generate_world_from_control(" \
                "  File \"/usr/local/lib/python3.10/dist-packages/torch/nn/modules/module.py\", line 1736, in _call_impl" \
                "    return forward_call(*args, **kwargs)"
        fi
        if [ "$SIM_FAIL" = hang ]; then
            log INFO "cosmos_transfer1/utils/distributed.py:121:init" "NCCL_DEBUG=WARN, waiting for all ranks"
            while :; do
                sleep 1 &
                SIM_SLEEP_PID=$!
                wait "$SIM_SLEEP_PID"
                touch_marker
            done
        fi
        if [ "$SIM_FLOOD" -gt 0 ] 2>/dev/null; then
            t_ticks=$(awk -v d="$(scaled "$t_diffuse")" 'BEGIN { t = int(d * 10); print (t < 1 ? 1 : t) }')
            t_per=$(( (SIM_FLOOD + 9) / 10 ))
            t_tick=0
            while [ "$t_tick" -lt "$t_ticks" ]; do
                awk -v n="$t_per" -v t="$t_tick" -v stamp="$(date '+%m-%d %H:%M:%S')" -v f="$T_PIPE" 'BEGIN {
                    for (i = 0; i < n; i++)
                        printf "[%s|DEBUG|%s:601:_run_model] sampler tick %d.%d sigma=%.5f\n", stamp, f, t, i, 80 / (1 + t + i / n)
                }'
                sleep 0.1 &
                SIM_SLEEP_PID=$!
                wait "$SIM_SLEEP_PID"
                touch_marker
                t_tick=$((t_tick + 1))
            done
        else
            simsleep "$t_diffuse"
        fi
        log INFO "$T_PIPE:606:_run_model" "Completed diffusion sampling"
        log INFO "$T_PIPE:612:_run_model" "Starting VAE decode"
        simsleep 8
        log INFO "$T_PIPE:618:_run_model" "Completed VAE decode"
        t_clip=$((t_clip + 1))
        t_elapsed=$(( $(date +%s) - t_start ))
        awk -v i="$t_clip" -v n="$SIM_CLIPS" -v e="$t_elapsed" 'BEGIN {
            p = int(100 * i / n); bar = ""
            for (k = 0; k < 10; k++) bar = bar (k < int(10 * i / n) ? "\342\226\210" : " ")
            r = (n - i) * e / i
            printf "\r%3d%%|%s| %d/%d [%02d:%02d<%02d:%02d, %.2fs/it]", p, bar, i, n, e / 60, e % 60, r / 60, r % 60, e / i
        }' >&2
    done
    printf '\n' >&2
    SIM_BAR_OPEN=""
    log INFO "$T_PIPE:720:generate" "Finish generation"
    log INFO "$T_PIPE:724:generate" "Run guardrail on generated videos"
    simsleep 5
    t_source=$t_video
    if [ -z "$t_source" ]; then
        for t_hint in $T_HINTS; do
            t_source=$(jget "$T_FLAT" "$t_hint.input_control")
            [ -n "$t_source" ] && break
        done
    fi
    cp "$t_source" "$t_out/$5.mp4"
    printf '%s\n' "$t_prompt" > "$t_out/$6"
    log INFO "$T_PY:398:demo" "Saved video to $t_out/$5.mp4"
    log INFO "$T_PY:402:demo" "Saved prompt to $t_out/$6"
}

sim_transfer() {
    t_defaults
    t_parse_args "$@"
    t_load_spec
    t_dumps
    t_validate
    t_prompt_text=$(unescape "$A_prompt")
    sim_setup_failures "$t_prompt_text"
    t_load_model
    t_folder=${A_video_save_folder%/}
    if [ -n "$A_batch_input_path" ]; then
        log INFO "$T_PY:305:demo" "Reading batch inputs from path: $A_batch_input_path"
        [ -f "$A_batch_input_path" ] || python_error "FileNotFoundError: [Errno 2] No such file or directory: '$A_batch_input_path'" \
            "  File \"/workspace/$T_UTIL\", line 780, in read_prompts_from_file"
        t_index=0
        while IFS= read -r t_line || [ -n "$t_line" ]; do
            [ -n "$t_line" ] || continue
            t_line_flat=$(printf '%s\n' "$t_line" | awk -f "$SIM_BASE/lib/json.awk") ||
                python_error "json.decoder.JSONDecodeError: Expecting value: line $((t_index + 1)) column 1 (char 0)"
            t_item_prompt=$(unescape "$(jget "$t_line_flat" prompt)")
            t_item_video=$(unescape "$(jget "$t_line_flat" visual_input)")
            sim_setup_failures "$t_item_prompt"
            t_generate "$t_index" "$t_folder/video_$t_index" "$t_item_prompt" "$t_item_video" output prompt.txt
            t_index=$((t_index + 1))
        done < "$A_batch_input_path"
    else
        t_generate 0 "$t_folder" "$t_prompt_text" "$(unescape "$A_input_video_path")" \
            "$A_video_save_name" "$A_video_save_name.txt"
    fi
}
