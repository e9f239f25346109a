"""The Cosmos model families a host can run, and which adapter serves each task.

A host's ``model`` names its family; a run's ``model_type`` is its task (``transfer``,
``predict``, ``reason``, ``upscale``, ``enhance``). The pair picks one adapter module in
``cosmos_tui.cosmos``; the engine never branches on either. Adding a family is one entry here
plus its adapter modules (and its simulator under ``cosmos_tui/sim``). Plain data, so the config
can check ``model`` without importing the adapters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_FAMILY = "transfer1"


@dataclass(frozen=True)
class Family:
    name: str
    label: str
    tasks: dict[str, str]  # task -> adapter module in cosmos_tui.cosmos
    default_checkpoint: str
    # GPU memory one process needs, GiB per checkpoint name (spread over the run's GPUs where the
    # family shards the model; see ``shards``).
    memory_gib: dict[str, float] = field(default_factory=dict)
    shards: bool = False  # True when the weights are split over the GPUs of one run
    weights_from: str = "disk"  # "disk": remote_dir/checkpoint_dir; "huggingface": downloads (HF_TOKEN)
    checkpoint_dir: str = "checkpoints"  # relative to remote_dir, for weights_from == "disk"

    def memory_needed(self, checkpoint: str, gpus: int) -> float | None:
        """GiB each GPU must have free for this checkpoint on ``gpus`` GPUs; None when unknown."""
        need = self.memory_gib.get(checkpoint)
        if need is None:
            return None
        return need / max(gpus, 1) if self.shards else need


FAMILIES: dict[str, Family] = {
    "transfer1": Family(
        name="transfer1",
        label="Cosmos-Transfer1",
        tasks={"transfer": "transfer", "upscale": "upscale", "enhance": "enhance"},
        default_checkpoint="Cosmos-Transfer1-7B",
        memory_gib={"Cosmos-Transfer1-7B": 43.0},
        weights_from="disk",
    ),
    "transfer2.5": Family(
        name="transfer2.5",
        label="Cosmos-Transfer2.5",
        tasks={"transfer": "transfer25"},
        default_checkpoint="nvidia/Cosmos-Transfer2.5-2B",
        memory_gib={"nvidia/Cosmos-Transfer2.5-2B": 65.0},
        weights_from="huggingface",
    ),
    "predict2.5": Family(
        name="predict2.5",
        label="Cosmos-Predict2.5",
        tasks={"predict": "predict25"},
        default_checkpoint="2B/post-trained",
        memory_gib={"2B/post-trained": 32.0, "2B/distilled": 32.0, "14B/post-trained": 80.0},
        weights_from="huggingface",
    ),
    "cosmos3": Family(
        name="cosmos3",
        label="Cosmos 3",
        tasks={"transfer": "cosmos3", "predict": "cosmos3", "reason": "cosmos3"},
        default_checkpoint="Cosmos3-Nano",
        memory_gib={"Cosmos3-Edge": 12.0, "Cosmos3-Nano": 34.0, "Cosmos3-Super": 128.0},
        shards=True,
        weights_from="huggingface",
    ),
}

TASKS = ("transfer", "predict", "reason", "upscale", "enhance")


def family(name: str | None) -> Family:
    """The family called ``name`` (Transfer1 when not given); ValueError for an unknown one."""
    try:
        return FAMILIES[name or DEFAULT_FAMILY]
    except KeyError:
        raise ValueError(name) from None


def adapter_module(task: str, family_name: str | None = None) -> str:
    """The adapter module serving ``task`` in the family; NotImplementedError when it has none."""
    found = family(family_name)
    try:
        return found.tasks[task]
    except KeyError:
        have = ", ".join(found.tasks)
        raise NotImplementedError(f"{found.label} cannot run {task} runs (it runs: {have})") from None
