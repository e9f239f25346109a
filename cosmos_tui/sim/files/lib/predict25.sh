# cosmos-tui simulator: Cosmos-Predict2.5, `python examples/inference.py -i SPEC... -o OUT
# --inference-type=text2world|image2world|video2world [--model=2B/post-trained]` from
# nvidia-cosmos/cosmos-predict2.5 (v1.5.0, Feb 2026; read from a fork that carries it, the official
# snapshot available here was the Oct 2025 initial commit). Sourced by bin/python and bin/torchrun.
#
# Shares the command-line, spec loading, download and tqdm code with Transfer2.5 (lib/transfer25.sh).
# - spec: {"inference_type", "name", "prompt" | "prompt_path", "input_path", "num_output_frames",
#   "num_steps", "guidance" (int 0..7, default 7), "seed", "negative_prompt", "resolution", ...};
#   --inference-type on the command line overrides the spec's. input_path is required for
#   image2world / video2world (image or .mp4) and ignored for text2world; relative paths resolve
#   against the SPEC FILE's folder. Empty .jsonl lines are skipped.
# - outputs in OUT: <name>.json (arguments), <name>.mp4 (16 fps), config.yaml, console.log, debug.log.
# - failures: [sim:guardrail] -> "Guardrail blocked text2world generation. Prompt: ..." (that wording
#   for every inference type); keep-going (default) skips the sample, --no-keep-going ends the process.
#   [sim:oom], [sim:hang], COSMOS_SIM_FAIL=missing_checkpoint as in Transfer2.5.
# - Hugging Face: nvidia/Cosmos-Predict2.5-2B (or -14B) and, unless --disable-guardrails,
#   nvidia/Cosmos-Guardrail1 (hf_fetch in sim.sh).

. "$SIM_BASE/lib/transfer25.sh"

P25_INF=cosmos_predict2/inference.py
P25_NEG="The video captures a series of frames showing ugly scenes, static with no motion, motion blur, over-saturation, shaky footage, low resolution, grainy texture, pixelated images, poorly lit areas, underexposed and overexposed scenes, poor color balance, washed out colors, choppy sequences, jerky movements, low frame rate, artifacting, color banding, unnatural transitions, outdated special effects, fake elements, unconvincing visuals, poorly edited content, jump cuts, visual noise, and flickering. Overall, the video is of poor quality."
P25_KEYS="name prompt_path prompt negative_prompt seed guidance inference_type input_path resolution \
num_output_frames num_steps enable_autoregressive chunk_size chunk_overlap"

p25_validate() {
    for f25_key in $(printf '%s\n' "$F25_FLAT" | awk -F '\t' '$1 != "" && index($1, ".") == 0 && index($1, "[") == 0 { print $1 }'); do
        f25_t=$(jtype "$F25_FLAT" "$f25_key")
        f25_v=$(jget "$F25_FLAT" "$f25_key")
        if ! f25_in "$f25_key" "$P25_KEYS"; then
            f25_err "$f25_key" "Extra inputs are not permitted" extra_forbidden "$f25_t" "$f25_v"
            continue
        fi
        case $f25_key in
            guidance) f25_int_check guidance "$f25_t" "$f25_v" 0 7 ;;
            num_steps | num_output_frames) f25_int_check "$f25_key" "$f25_t" "$f25_v" 1 "" ;;
            input_path | prompt_path) f25_path_check "$f25_key" "$f25_t" "$f25_v" "$1" ;;
            inference_type)
                if ! printf '%s' "$F25_OV" | grep -q '^inference_type	'; then
                    f25_in "$f25_v" "text2world image2world video2world" ||
                        f25_err inference_type "Input should be 'text2world', 'image2world' or 'video2world'" enum "$f25_t" "$f25_v"
                fi ;;
        esac
    done
    for f25_key in name prompt inference_type; do
        if [ -z "$(jtype "$F25_FLAT" "$f25_key")" ] && ! printf '%s' "$F25_OV" | grep -q "^$f25_key	"; then
            [ "$f25_key" = prompt ] && [ -n "$F25_PROMPT_FROM_FILE" ] && continue
            F25_NERR=$((F25_NERR + 1))
            F25_ERRS="$F25_ERRS$f25_key
  Field required [type=missing, input_value={...}, input_type=dict]
    For further information visit https://errors.pydantic.dev/2.12/v/missing
"
        fi
    done
    [ "$F25_NERR" = 0 ] || return 0
    # validate_input_path (a model validator: its ValueError is reported as a validation error)
    p25_type=$(f25_get inference_type)
    p25_in=$(unescape "$(f25_get input_path)")
    case $p25_type in
        image2world | video2world)
            if [ -z "$p25_in" ]; then
                F25_NERR=1
                F25_ERRS="  Value error, input_path is required for inference type $p25_type [type=value_error, input_value={...}, input_type=dict]
    For further information visit https://errors.pydantic.dev/2.12/v/value_error
"
            else
                case $p25_in in
                    *.png | *.jpg | *.jpeg | *.webp | *.mp4) ;;
                    *)
                        F25_NERR=1
                        F25_ERRS="  Value error, input_path has unsupported file extension '.${p25_in##*.}' for inference type $p25_type. Supported extensions: ['.png', '.jpg', '.jpeg', '.webp', '.mp4'] [type=value_error, input_value={...}, input_type=dict]
    For further information visit https://errors.pydantic.dev/2.12/v/value_error
" ;;
                esac
            fi ;;
    esac
    return 0
}

p25_ckpt() {  # MODEL -> "repo revision file name uuid"
    case $1 in
        2B/pre-trained) echo "nvidia/Cosmos-Predict2.5-2B 15a82a2ec231bc318692aa0456a36537c806e7d4 base/pre-trained/d20b7120-df3e-4911-919d-db6e08bad31c_ema_bf16.pt nvidia/Cosmos-Predict2.5-2B/base/pre-trained d20b7120-df3e-4911-919d-db6e08bad31c" ;;
        2B/distilled) echo "nvidia/Cosmos-Predict2.5-2B e26f8a125a2235c5a00245a65207402dd0cdcb89 base/distilled/575edf0f-d973-4c74-b52c-69929a08d0a5_ema_bf16.pt nvidia/Cosmos-Predict2.5-2B/base/distilled 575edf0f-d973-4c74-b52c-69929a08d0a5" ;;
        14B/pre-trained) echo "nvidia/Cosmos-Predict2.5-14B 03eb354f35eae0d6e0c1be3c9f94d8551e125570 base/pre-trained/54937b8c-29de-4f04-862c-e67b04ec41e8_ema_bf16.pt nvidia/Cosmos-Predict2.5-14B/base/pre-trained 54937b8c-29de-4f04-862c-e67b04ec41e8" ;;
        14B/post-trained) echo "nvidia/Cosmos-Predict2.5-14B 2bc4ca5ba5a20b9858a7ddb856bc82d70b030fbe base/post-trained/e21d2a49-4747-44c8-ba44-9f6f9243715f_ema_bf16.pt nvidia/Cosmos-Predict2.5-14B/base/post-trained e21d2a49-4747-44c8-ba44-9f6f9243715f" ;;
        *) echo "nvidia/Cosmos-Predict2.5-2B 15a82a2ec231bc318692aa0456a36537c806e7d4 base/post-trained/81edfebe-bd6a-4039-8c1d-737df1a790bf_ema_bf16.pt nvidia/Cosmos-Predict2.5-2B/base/post-trained 81edfebe-bd6a-4039-8c1d-737df1a790bf" ;;
    esac
}

sim_predict25() {
    F25_DEFAULT_MODEL=2B/post-trained
    F25_MODELS="2B/pre-trained 2B/post-trained 2B/distilled 14B/pre-trained 14B/post-trained"
    F25_SUBCOMMANDS=""
    F25_VALUE_OPTS="output-dir model checkpoint-path experiment config-file context-parallel-size"
    F25_BOOL_OPTS="offload-diffusion-model offload-tokenizer offload-text-encoder disable-guardrails \
offload-guardrail-models keep-going profile skip-existing-output enable-autoregressive"
    F25_SAMPLE_OPTS="inference-type prompt-path prompt negative-prompt seed guidance input-path resolution \
num-output-frames num-steps enable-autoregressive chunk-size chunk-overlap"
    F25_INT_OPTS="context-parallel-size seed guidance num-output-frames num-steps chunk-size chunk-overlap"
    F25_CLASS=InferenceArguments
    F25_CONFIG=cosmos_predict2/config.py
    F25_VALIDATE=p25_validate
    F25_SKIP_EMPTY=1
    F25_MAIN_LINE=72
    F25_CKPTDB=cosmos_predict2/_src/imaginaire/utils/checkpoint_db.py
    F25_GEN_FRAME="$P25_INF\", line 133, in _generate_sample
    video = self.pipe.generate_vid2world("
    SIM_LOG_JOB=""
    f25_parse "$@"
    sim_setup_failures ""
    f25_load_specs
    f25_start_output
    if [ -z "$F25_CKPT" ]; then
        # shellcheck disable=SC2046
        set -- $(p25_ckpt "$F25_MODEL")
        f25_download "$1" "$2" "$3" 60 "$4" "$5"
    fi
    simsleep 50  # the diffusion model, the text encoder and the tokenizer
    f25_save_config cosmos_predict2 "$F25_MODEL" "$P25_INF:59:__init__"
    f25_guardrail_models
    flog INFO "$P25_INF:81:generate" "Generating $F25_N samples: $(f25_names_list)"
    f25_i=1
    while [ "$f25_i" -le "$F25_N" ]; do
        f25_sample "$f25_i"
        p25_generate "$f25_i"
        f25_i=$((f25_i + 1))
    done
}

p25_generate() {
    flog INFO "$P25_INF:85:generate" "[$1/$F25_N] Processing sample $F25_NAME"
    p25_out="$F25_OUTD/$F25_NAME"
    p25_type=$(f25_get inference_type)
    p25_in=""
    [ "$p25_type" != text2world ] && p25_in=$(f25_abs "$(unescape "$(f25_get input_path)")" "$F25_DIR")
    p25_neg=$(unescape "$(f25_get negative_prompt)")
    [ -n "$p25_neg" ] || p25_neg=$P25_NEG
    p25_steps=$(f25_get num_steps); [ -n "$p25_steps" ] || p25_steps=35
    p25_seed=$(f25_get seed); [ -n "$p25_seed" ] || p25_seed=0
    p25_guid=$(f25_get guidance); [ -n "$p25_guid" ] || p25_guid=7
    p25_frames=$(f25_get num_output_frames); [ -n "$p25_frames" ] || p25_frames=77
    p25_inj=null
    [ -n "$p25_in" ] && p25_inj=$(json_str "$p25_in")
    printf '{"name":%s,"prompt":%s,"negative_prompt":%s,"seed":%s,"guidance":%s,"inference_type":"%s","input_path":%s,"resolution":"none","num_output_frames":%s,"num_steps":%s,"enable_autoregressive":false,"chunk_size":77,"chunk_overlap":1}' \
        "$(json_str "$F25_NAME")" "$(json_str "$F25_PROMPT")" "$(json_str "$p25_neg")" "$p25_seed" "$p25_guid" \
        "$p25_type" "$p25_inj" "$p25_frames" "$p25_steps" > "$p25_out.json"
    flog INFO "$P25_INF:98:_generate_sample" "Saved arguments to $p25_out.json"
    if [ "$F25_GUARDRAILS" = true ]; then
        simsleep 3
        if [ "$SIM_FAIL" = guardrail ]; then
            p25_msg="Guardrail blocked text2world generation. Prompt: $F25_PROMPT"
            flog CRITICAL "$P25_INF:104:_generate_sample" "$p25_msg"
            [ "$F25_KEEP_GOING" = true ] && return 0
            py_raise "Exception: $p25_msg" \
                "  File \"$F25_ROOT/examples/inference.py\", line $F25_MAIN_LINE, in <module>" \
                "    main(args)" \
                "  File \"$F25_ROOT/examples/inference.py\", line 56, in main" \
                "    inference.generate(inference_samples, output_dir=args.setup.output_dir)" \
                "  File \"$F25_ROOT/$P25_INF\", line 86, in generate" \
                "    output_path = self._generate_sample(sample, output_dir)" \
                "  File \"$F25_ROOT/$P25_INF\", line 108, in _generate_sample" \
                "    raise Exception(message)"
        fi
        flog SUCCESS "$P25_INF:110:_generate_sample" "Passed guardrail on prompt"
    else
        flog WARNING "$P25_INF:112:_generate_sample" "Guardrail checks on prompt are disabled"
    fi
    flog INFO "$P25_INF:132:_generate_sample" "Generating video with standard mode..."
    p25_chunks=$(marker "$F25_PROMPT" clips)
    f25_sampling "${p25_chunks:-1}" "$p25_steps"
    if [ "$F25_GUARDRAILS" = true ]; then
        flog INFO "$P25_INF:150:_generate_sample" "Running guardrail check on video..."
        simsleep 6
        flog SUCCESS "$P25_INF:162:_generate_sample" "Passed guardrail on generated video"
    else
        flog WARNING "$P25_INF:167:_generate_sample" "Guardrail checks on video are disabled"
    fi
    case $p25_in in
        *.mp4) cp "$p25_in" "$p25_out.mp4" ;;
        *) cp "$SIM_BASE/share/world.mp4" "$p25_out.mp4" ;;
    esac
    flog SUCCESS "$P25_INF:170:_generate_sample" "Saved video to $p25_out.mp4"
}
