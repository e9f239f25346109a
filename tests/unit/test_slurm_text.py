"""The Slurm runtime's shell text and parsers (remote/slurm.py), without a cluster."""

from __future__ import annotations

import shlex

import pytest

from cosmos_tui.remote import slurm

NASTY = "it's $(touch /tmp/pwned) `x`; rm -rf ~"


def test_sbatch_gets_every_setting_quoted_and_names_the_job_after_the_run() -> None:
    options = slurm.Submit("gpu part", "acct", "gpu:1", "02:00:00", ("--mem=64G", NASTY))
    command = slurm.submit_command("rs_1", "/data/runs/rs_1", options, {"SLURM_CONF": "/etc/x y.conf"})
    argv = shlex.split(command.split("id=$(", 1)[1].split(") || exit", 1)[0])
    assert argv == [
        "sbatch",
        "--parsable",
        "--job-name=cosmos-rs_1",
        "--comment=cosmos-rs_1",
        "--output=/data/runs/rs_1/run.log",
        "--open-mode=append",
        "--chdir=/data/runs/rs_1",
        "--partition=gpu part",
        "--account=acct",
        "--gres=gpu:1",
        "--time=02:00:00",
        "--mem=64G",
        NASTY,
        "/data/runs/rs_1/job.sh",
    ]
    assert "export SLURM_CONF='/etc/x y.conf'; " in command
    assert "already submitted" in command  # never twice for one run folder


def test_only_slurm_variables_reach_the_client_commands() -> None:
    env = {"SLURM_CONF": "/c", "HF_TOKEN": "hf_secret", "SLURM_X": NASTY}
    text = slurm.client_env(env)
    assert "hf_secret" not in text and "HF_TOKEN" not in text
    assert shlex.split(text) == ["export", "SLURM_CONF=/c;", "export", f"SLURM_X={NASTY};"]


def test_an_environment_name_that_is_not_one_is_refused() -> None:
    with pytest.raises(ValueError):
        slurm.script("/r", "/w", "true", {"A; rm -rf /": "x"})


@pytest.mark.parametrize(
    ("container", "expected"),
    [
        ("none", "python run.py"),
        (
            "pyxis",
            "srun --container-image=nvcr.io/x:1 --container-mounts=/data:/workspace "
            "--container-workdir=/workspace sh -c 'python run.py'",
        ),
        (
            "apptainer",
            "apptainer exec --nv --bind /data:/workspace --pwd /workspace nvcr.io/x:1 sh -c 'python run.py'",
        ),
    ],
)
def test_the_model_runs_as_a_process_or_in_the_image(container: str, expected: str) -> None:
    assert slurm.wrap("python run.py", container, "nvcr.io/x:1", "/data") == expected


def test_nodes_and_their_gpus_are_read_from_sinfo() -> None:
    text = (
        "cosmos1|gpu:2|gpu:1|mixed|1/1/0/2|\n"
        "big|gpu:h100:8(S:0-1)|gpu:h100:3(IDX:0-2)|allocated|64/0/0/64|\n"
        "cpuonly|(null)|gpu:0|idle|0/8/0/8|\n"
        "cosmos1|gpu:2|gpu:1|mixed|1/1/0/2|\n"  # in a second partition
    )
    nodes = slurm.parse_nodes(text)
    assert [(n.name, n.state, n.gpus_total, n.gpus_used, n.cpus) for n in nodes] == [
        ("cosmos1", "MIXED", 2, 1, "1/2"),
        ("big", "ALLOCATED", 8, 3, "64/64"),
        ("cpuonly", "IDLE", 0, 0, "0/8"),
    ]


def test_slurms_own_endings_have_their_error_classes() -> None:
    assert slurm.ENDINGS["TIMEOUT"][0] == "time_limit"
    assert slurm.ENDINGS["NODE_FAIL"][0] == "node_fail"
    assert slurm.ENDINGS["OUT_OF_MEMORY"][0] == "oom"
