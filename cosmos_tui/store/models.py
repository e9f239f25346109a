"""Peewee models. They are bound to a database when a Store opens and never leave store/."""

from __future__ import annotations

from peewee import (
    AutoField,
    CharField,
    DateTimeField,
    FloatField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)
from playhouse.sqlite_ext import JSONField


class BaseModel(Model):
    class Meta:
        legacy_table_names = False


class Prompt(BaseModel):
    # An integer primary key gives the FTS index a rowid that VACUUM never renumbers.
    pk = AutoField()
    id = CharField(unique=True)
    name = CharField()
    text = TextField()
    negative_prompt = TextField()
    model_type = CharField(default="transfer")
    input_dir = TextField()
    inputs = JSONField(default=dict)
    parameters = JSONField(default=dict)
    parent = ForeignKeyField("self", field="id", null=True, backref="children", on_delete="SET NULL")
    created_at = DateTimeField(index=True)


class Run(BaseModel):
    id = CharField(primary_key=True)
    prompt = ForeignKeyField(Prompt, field="id", null=True, backref="runs", on_delete="CASCADE")
    prompt_id: str | None  # the key's own value, an attribute peewee adds for the field above
    model_type = CharField()
    host = CharField()
    status = CharField()
    config = JSONField(default=dict)
    created_at = DateTimeField()
    started_at = DateTimeField(null=True)
    finished_at = DateTimeField(null=True)
    exit_code = IntegerField(null=True)
    error_class = CharField(null=True)
    error_message = TextField(null=True)
    handle = CharField(null=True)  # container id or process id on the host
    remote_dir = TextField(null=True)
    log_position = TextField(null=True)  # docker --since timestamp or byte offset
    stage = CharField(null=True)
    progress = FloatField(default=0.0)
    outputs = JSONField(default=list)
    parent = ForeignKeyField("self", null=True, backref="children", on_delete="SET NULL")
    parent_id: str | None  # the key's own value, as prompt_id above
    claimed_by = CharField(null=True)
    updated_at = DateTimeField(null=True)
    last_log_at = DateTimeField(null=True)
    duration_seconds = FloatField(null=True)
    cancel_requested = IntegerField(default=0)
    eta_seconds = FloatField(null=True)  # the engine's estimate from learned stage durations
    change_seq = IntegerField(default=0)  # set by a trigger on every write (migrations step 5)
    batch_id = CharField(null=True, index=True)  # runs sharing one model process (migrations step 6)
    batch_index = IntegerField(null=True)  # this run's sample number in its batch
    sweep_id = CharField(null=True, index=True)  # runs queued together as one sweep of settings
    family = CharField(default="transfer1")  # the model family that runs it (migrations step 7)
    output_text = TextField(null=True)  # a text answer (a reasoner's), kept with the run
    pool = CharField(null=True)  # queued to a pool: host is "" until a worker places it (step 8)
    rating = IntegerField(null=True)  # the user's rating of the result, 1 to 5 (step 9)
    provenance = JSONField(null=True)  # what produced it: engine/provenance.py (step 10)


class RunStage(BaseModel):
    """How long each stage of a run took; feeds ETA estimates and the dashboard."""

    id = AutoField()
    run = ForeignKeyField(Run, backref="stage_rows", on_delete="CASCADE")
    stage = CharField()
    seq = IntegerField()
    started_at = DateTimeField()
    finished_at = DateTimeField(null=True)
    seconds = FloatField(null=True)


class InputHash(BaseModel):
    """sha256 of local input files, keyed by path and checked against size and mtime."""

    path = TextField(primary_key=True)
    size = IntegerField()
    mtime_ns = IntegerField()
    sha256 = CharField()


MODELS = (Prompt, Run, RunStage, InputHash)
