# cosmos-tui simulator: cosmos_transfer1/auxiliary/upsampler/inference/upsampler_pipeline.py,
# the Pixtral-12B prompt upsampler. Sourced by torchrun.

U_PY=cosmos_transfer1/auxiliary/upsampler/inference/upsampler_pipeline.py

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
    log INFO "$U_PY:58:__init__" "Initializing prompt upsampler from $u_ckpt/mistralai/Pixtral-12B-2409"
    simsleep 20
    if [ "$SIM_FAIL" = missing_checkpoint ]; then
        {
            echo "Traceback (most recent call last):"
            echo "  File \"/workspace/$U_PY\", line 141, in <module>"
            echo "    main(args)"
            echo "FileNotFoundError: [Errno 2] No such file or directory: '$u_ckpt/mistralai/Pixtral-12B-2409/consolidated.safetensors'"
        } | rank0
        child_failed 1 "$SIM_SCRIPT_NAME"
    fi
    if [ ! -f "$u_video" ]; then
        echo "FileNotFoundError: [Errno 2] No such file or directory: '$u_video'" | rank0
        child_failed 1 "$SIM_SCRIPT_NAME"
    fi
    log INFO "$U_PY:97:_prompt_upsample_with_offload" "Upsampling prompt with video $u_video"
    simsleep 10
    echo "Upsampled prompt: $u_prompt The scene is captured in photorealistic detail, with natural lighting, soft shadows, rich textures and a smooth, steady camera motion."
}
