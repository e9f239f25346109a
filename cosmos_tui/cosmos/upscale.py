"""The Cosmos-Transfer1 4K upscaler: a run of its own whose input is a completed transfer run's
output.mp4.

Facts honoured (Cosmos-Transfer1, examples/inference_cosmos_transfer1_7b_4kupscaler.md): it is
transfer.py with the `upscale` control only, spec `{"input_video_path": ..., "upscale":
{"control_weight": W}}` (no prompt: the model uses its own "high quality" one), `--num_steps 10`;
it forces batch size 1 (`Setting batch_size=1 as upscale does not support batch generation`) and
loads `4kupscaler_control.pt`. Log stages, outputs and failures are Transfer1's.

The run's config (see ``engine/upscale.py``): ``parent_run``, ``inputs`` ``{"video": the parent's
output.mp4 on this machine}``, ``control_weight``, ``num_steps``, ``num_gpu``, ``prompt_id``.
"""

from __future__ import annotations

import posixpath
import shlex
from typing import Any

from cosmos_tui.cosmos.base import RunFiles, Stage
from cosmos_tui.cosmos.transfer import SCRIPT, TransferAdapter

NUM_STEPS = 10  # what the upscaler is made for (the repository's example)


class UpscaleAdapter(TransferAdapter):
    model_type = "upscale"
    stages = (
        Stage("load", "loading model", 60),
        Stage("preprocess", "reading the video", 2),
        Stage("guardrail", "prompt guardrail", 8),
        Stage("embed", "text embedding", 8),
        Stage("augment", "data augmentation", 4),
        Stage("encode", "latent encoding", 10, per_clip=True),
        Stage("diffusion", "diffusion sampling", 120, per_clip=True),
        Stage("decode", "VAE decode", 40, per_clip=True),
        Stage("postguard", "output guardrail", 8),
        Stage("save", "saving", 2),
    )

    def local_inputs(self, config: dict[str, Any]) -> list[str]:
        return [config["inputs"]["video"]]

    def placed_inputs(self, config: dict[str, Any], files: RunFiles) -> dict[str, str]:
        """Where the input may already be on the host: the parent run's own output folder, a
        sibling of this run's folder (used there when the host still has it)."""
        parent = RunFiles(posixpath.join(posixpath.dirname(files.run_rel), config["parent_run"]))
        return {config["inputs"]["video"]: f"{parent.out_rel}/output.mp4"}

    def build_spec(self, config: dict[str, Any], files: RunFiles) -> dict[str, Any]:
        return {
            "input_video_path": files.inputs[config["inputs"]["video"]],
            "upscale": {"control_weight": float(config["control_weight"])},
        }

    def command(self, config: dict[str, Any], files: RunFiles) -> str:
        gpus = int(config.get("num_gpu", 1))
        argv = [
            "torchrun",
            f"--nproc_per_node={gpus}",
            "--nnodes=1",
            "--node_rank=0",
            SCRIPT,
            "--checkpoint_dir",
            "checkpoints",
            "--video_save_folder",
            files.out_rel,
            "--controlnet_specs",
            files.spec_rel,
            "--offload_text_encoder_model",
            "--offload_guardrail_models",
            "--num_gpus",
            str(gpus),
            "--num_steps",
            str(int(config.get("num_steps", NUM_STEPS))),
        ]
        return " ".join(shlex.quote(a) for a in argv)

    def output_patterns(self) -> tuple[str, ...]:
        return ("output.mp4", "output.txt")


ADAPTER = UpscaleAdapter()
