"""Rows to records and records to JSON are derived from the dataclass fields: a model column and a
record field cannot drift apart unnoticed."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime

import pytest
from peewee import CharField, DateTimeField, FloatField, ForeignKeyField, IntegerField, Model, SqliteDatabase

from cosmos_tui.records import PromptRecord, RunRecord, RunStatus, StageTiming
from cosmos_tui.store.mapping import PROMPT, RUN, STAGE, RowMapping
from cosmos_tui.store.models import MODELS, Prompt, Run, RunStage


def column_keys(model: type) -> set[str]:
    return {
        c.object_id_name if isinstance(c, ForeignKeyField) else c.name
        for c in model._meta.sorted_fields  # type: ignore[attr-defined]
    }


@pytest.mark.parametrize("mapping", [RUN, PROMPT, STAGE], ids=["run", "prompt", "stage"])
def test_every_column_is_a_record_field_or_declared_internal(mapping: RowMapping) -> None:
    mapped = {key for _, key, _ in mapping.plan}
    internal = {
        c.object_id_name if isinstance(c, ForeignKeyField) else c.name
        for c in mapping.model._meta.sorted_fields
        if c.name in mapping.internal
    }
    assert mapped | internal == column_keys(mapping.model)
    assert not mapped & internal
    names = {f.name for f in fields(mapping.record)}
    assert {name for name, _, _ in mapping.plan} | mapping.derived == names


def test_a_new_column_without_a_record_field_is_refused() -> None:
    class WiderStage(Model):  # RunStage's columns plus one StageTiming does not have
        stage = CharField()
        seq = IntegerField()
        started_at = DateTimeField()
        finished_at = DateTimeField(null=True)
        seconds = FloatField(null=True)
        gpu_hours = FloatField(null=True)

    with pytest.raises(TypeError, match=r"\['gpu_hours'\] have no field in StageTiming"):
        RowMapping(StageTiming, WiderStage, internal=("id",))
    assert RowMapping(StageTiming, WiderStage, internal=("id", "gpu_hours")).plan


def test_a_record_field_without_a_column_is_refused() -> None:
    with pytest.raises(TypeError, match=r"RunRecord.log_path has no column"):
        RowMapping(
            RunRecord,
            Run,
            renames={"run_id": "id"},
            derived=("stages",),
            internal=("claimed_by", "updated_at", "cancel_requested"),
        )


def test_rows_become_records_with_aware_times_enum_status_and_copied_json() -> None:
    db = SqliteDatabase(":memory:")
    with db.bind_ctx(MODELS):
        db.create_tables(MODELS)
        made = datetime(2026, 1, 2, 3, 4, 5)
        Prompt.create(
            id="ps_1",
            name="n",
            text="t",
            negative_prompt="",
            input_dir="/x",
            inputs={"video": "/x/color.mp4"},
            created_at=made,
        )
        row = Run.create(
            id="rs_1",
            prompt="ps_1",
            model_type="transfer",
            host="h",
            status="running",
            config={"seed": 1},
            created_at=made,
            outputs=["/o"],
        )
        RunStage.create(run="rs_1", stage="diffusion", seq=0, started_at=made)
        run = RUN(Run.get_by_id("rs_1"), log_path="/l", stages=[STAGE(s) for s in RunStage.select()])
        prompt = PROMPT(Prompt.get(Prompt.id == "ps_1"), run_count=1, last_status="running")
    assert run.status is RunStatus.RUNNING and run.prompt_id == "ps_1" and run.parent_id is None
    assert run.created_at == made.replace(tzinfo=UTC) and run.started_at is None
    assert run.config == {"seed": 1} and run.config is not row.config
    assert run.stages == [StageTiming("diffusion", 0, made.replace(tzinfo=UTC), None, None)]
    assert prompt.last_status is RunStatus.RUNNING and prompt.inputs == {"video": "/x/color.mp4"}
    assert isinstance(prompt, PromptRecord)


def test_run_json_keeps_its_documented_keys_and_order() -> None:
    moment = datetime(2026, 11, 21, 9, 11, 44, tzinfo=UTC)
    run = RunRecord(
        run_id="rs_1",
        prompt_id=None,
        model_type="transfer",
        host="h",
        status=RunStatus.FAILED,
        config={"weights": {"vis": 0.5}},
        created_at=moment,
        log_position="7",
        last_log_at=moment,
        stages=[StageTiming("diffusion", 0, moment, None, None)],
    )
    document = run.to_json()
    assert list(document) == [
        "run_id",
        "prompt_id",
        "model_type",
        "family",
        "host",
        "pool",
        "status",
        "error_class",
        "error_message",
        "exit_code",
        "outputs",
        "output_text",
        "log_path",
        "stage",
        "progress",
        "created_at",
        "started_at",
        "finished_at",
        "duration_seconds",
        "eta_seconds",
        "parent_id",
        "batch_id",
        "batch_index",
        "sweep_id",
        "remote_dir",
        "handle",
        "config",
        "stages",
        "rating",
        "provenance",
    ]
    assert type(document["status"]) is str and document["status"] == "failed"
    assert document["created_at"] == "2026-11-21T09:11:44Z"
    assert document["stages"] == [
        {
            "stage": "diffusion",
            "seq": 0,
            "started_at": "2026-11-21T09:11:44Z",
            "finished_at": None,
            "seconds": None,
        }
    ]
