# cosmos-tui simulator: cosmos_transfer1/auxiliary/upsampler/inference/upsampler_pipeline.py,
# the Pixtral-12B prompt upsampler. Sourced by torchrun.

U_PY=cosmos_transfer1/auxiliary/upsampler/inference/upsampler_pipeline.py
U_MODEL=cosmos_transfer1/auxiliary/upsampler/model/upsampler.py
U_CKPT=nvidia/Cosmos-UpsamplePrompt1-12B-Transfer  # cosmos_transfer1/checkpoints.py

# vllm LEVEL FILE:LINE MESSAGE -- vLLM's log format, stdout
vllm() {
    printf '%s %s [%s] %s\n' "$1" "$(date '+%m-%d %H:%M:%S')" "$2" "$3"
}

u_usage_error() {
    {
        echo "usage: upsampler_pipeline.py [-h] [--prompt PROMPT] --input_video INPUT_VIDEO"
        echo "                             [--checkpoint_dir CHECKPOINT_DIR] [--offload_prompt_upsampler]"
        echo "upsampler_pipeline.py: error: $1"
    } | rank0
    child_failed 2 "$SIM_SCRIPT_NAME"
}

sim_upsampler() {
    u_prompt=""
    u_video=""
    u_ckpt=checkpoints
    while [ $# -gt 0 ]; do
        case $1 in
            --prompt=*) u_prompt=${1#*=} ;;
            --input_video=*) u_video=${1#*=} ;;
            --checkpoint_dir=*) u_ckpt=${1#*=} ;;
            --prompt | --input_video | --checkpoint_dir)
                [ $# -ge 2 ] || u_usage_error "argument $1: expected one argument"
                case $1 in
                    --prompt) u_prompt=$2 ;;
                    --input_video) u_video=$2 ;;
                    *) u_ckpt=$2 ;;
                esac
                shift ;;
            --offload_prompt_upsampler) ;;
            *) u_usage_error "unrecognized arguments: $1" ;;
        esac
        shift
    done
    [ -n "$u_video" ] || u_usage_error "the following arguments are required: --input_video"
    sim_setup_failures "$u_prompt"
    # PixtralPromptUpsampler loads COSMOS_UPSAMPLER_CHECKPOINT with vLLM (pinned 0.9.2), whose
    # logger writes `LEVEL MM-DD HH:MM:SS [file.py:line] message` lines to stdout.
    u_model="$u_ckpt/$U_CKPT"
    vllm INFO "__init__.py:244" "Automatically detected platform cuda."
    vllm INFO "config.py:823" "This model supports multiple tasks: {'generate', 'embed', 'reward', 'classify', 'score'}. Defaulting to 'generate'."
    vllm INFO "llm_engine.py:230" "Initializing a V0 LLM engine (v0.9.2) with config: model='$u_model', speculative_config=None, tokenizer='$u_model', skip_tokenizer_init=False, tokenizer_mode=mistral, max_seq_len=4096, tensor_parallel_size=1, enable_prefix_caching=True"
    if [ "$SIM_FAIL" = missing_checkpoint ]; then
        {
            echo "Traceback (most recent call last):"
            echo "  File \"/workspace/$U_PY\", line 71, in <module>"
            echo "    main()"
            echo "  File \"/workspace/$U_PY\", line 37, in main"
            echo "    model = PixtralPromptUpsampler(args.checkpoint_dir, offload_prompt_upsampler=args.offload_prompt_upsampler)"
            echo "  File \"/workspace/$U_MODEL\", line 40, in __init__"
            echo "    self._load_upsampler_model()"
            echo "FileNotFoundError: [Errno 2] No such file or directory: '$u_model/consolidated.safetensors'"
        } | rank0
        child_failed 1 "$SIM_SCRIPT_NAME"
    fi
    vllm INFO "model_runner.py:1171" "Starting to load model $u_model..."
    simsleep 20
    vllm INFO "default_loader.py:272" "Loading weights took 19.87 seconds"
    vllm INFO "model_runner.py:1203" "Model loading took 23.6552 GiB and 20.318 seconds"
    if [ "$SIM_FAIL" = oom ]; then
        {
            echo "Traceback (most recent call last):"
            echo "  File \"/workspace/$U_PY\", line 71, in <module>"
            echo "    main()"
            echo "ValueError: No available memory for the cache blocks. Try increasing \`gpu_memory_utilization\` when initializing the engine."
        } | rank0
        child_failed 1 "$SIM_SCRIPT_NAME"
    fi
    if [ ! -f "$u_video" ]; then
        echo "FileNotFoundError: [Errno 2] No such file or directory: '$u_video'" | rank0
        child_failed 1 "$SIM_SCRIPT_NAME"
    fi
    printf 'Processed prompts:   0%%|          | 0/1 [00:00<?, ?it/s, est. speed input: 0.00 toks/s, output: 0.00 toks/s]' >&2
    SIM_BAR_OPEN=1
    simsleep 10
    printf '\rProcessed prompts: 100%%|\342\226\210\342\226\210\342\226\210\342\226\210\342\226\210\342\226\210\342\226\210\342\226\210\342\226\210\342\226\210| 1/1 [00:10<00:00, 10.02s/it, est. speed input: 412.31 toks/s, output: 24.95 toks/s]\n' >&2
    SIM_BAR_OPEN=""
    # upsampler_pipeline.py: print("Upsampled prompt:", upsampled_prompt)
    echo "Upsampled prompt: $u_prompt The scene is captured in photorealistic detail, with natural lighting, soft shadows, rich textures and a smooth, steady camera motion."
}
