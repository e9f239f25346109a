"""Schema versions and the steps between them.

The version lives in SQLite's ``PRAGMA user_version``. Each step runs in one transaction together
with the version bump, so a crash leaves the database at the old version or the new one, never
between. A database from a newer cosmos-tui is refused and left untouched.

Step 1 is frozen DDL (what the first release created); later steps use ``playhouse.migrate`` so the
models can move on without rewriting history.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from peewee import SqliteDatabase
from playhouse.migrate import SqliteMigrator, migrate

from cosmos_tui.errors import StoreError
from cosmos_tui.store.models import Run

log = logging.getLogger(__name__)

V1_DDL = (
    'CREATE TABLE "prompt" ("pk" INTEGER NOT NULL PRIMARY KEY, "id" VARCHAR(255) NOT NULL, '
    '"name" VARCHAR(255) NOT NULL, "text" TEXT NOT NULL, "negative_prompt" TEXT NOT NULL, '
    '"model_type" VARCHAR(255) NOT NULL, "input_dir" TEXT NOT NULL, "inputs" TEXT NOT NULL, '
    '"parameters" TEXT NOT NULL, "parent_id" VARCHAR(255), "created_at" DATETIME NOT NULL, '
    'FOREIGN KEY ("parent_id") REFERENCES "prompt" ("id") ON DELETE SET NULL)',
    'CREATE UNIQUE INDEX "prompt_id" ON "prompt" ("id")',
    'CREATE INDEX "prompt_parent_id" ON "prompt" ("parent_id")',
    'CREATE INDEX "prompt_created_at" ON "prompt" ("created_at")',
    'CREATE TABLE "run" ("id" VARCHAR(255) NOT NULL PRIMARY KEY, "prompt_id" VARCHAR(255), '
    '"model_type" VARCHAR(255) NOT NULL, "host" VARCHAR(255) NOT NULL, '
    '"status" VARCHAR(255) NOT NULL, "config" TEXT NOT NULL, "created_at" DATETIME NOT NULL, '
    '"started_at" DATETIME, "finished_at" DATETIME, "exit_code" INTEGER, '
    '"error_class" VARCHAR(255), "error_message" TEXT, "handle" VARCHAR(255), '
    '"remote_dir" TEXT, "log_position" TEXT, "stage" VARCHAR(255), "progress" REAL NOT NULL, '
    '"outputs" TEXT NOT NULL, "parent_id" VARCHAR(255), "claimed_by" VARCHAR(255), '
    '"updated_at" DATETIME, '
    'FOREIGN KEY ("prompt_id") REFERENCES "prompt" ("id") ON DELETE CASCADE, '
    'FOREIGN KEY ("parent_id") REFERENCES "run" ("id") ON DELETE SET NULL)',
    'CREATE INDEX "run_prompt_id" ON "run" ("prompt_id")',
    'CREATE INDEX "run_parent_id" ON "run" ("parent_id")',
)


def _v1_initial(db: SqliteDatabase) -> None:
    for statement in V1_DDL:
        db.execute_sql(statement)


def _v2_stages_search_and_timing(db: SqliteDatabase) -> None:
    """Stage timings, hang detection and duration columns, list indexes, and full-text search."""
    migrator = SqliteMigrator(db)
    migrate(
        migrator.add_column("run", "last_log_at", Run.last_log_at),
        migrator.add_column("run", "duration_seconds", Run.duration_seconds),
        migrator.add_index("run", ("status", "created_at")),
        migrator.add_index("run", ("prompt_id", "created_at")),
        migrator.add_index("run", ("host", "status")),
        migrator.add_index("run", ("created_at",)),
    )
    for statement in (
        'CREATE TABLE "run_stage" ("id" INTEGER NOT NULL PRIMARY KEY, '
        '"run_id" VARCHAR(255) NOT NULL, "stage" VARCHAR(255) NOT NULL, "seq" INTEGER NOT NULL, '
        '"started_at" DATETIME NOT NULL, "finished_at" DATETIME, "seconds" REAL, '
        'FOREIGN KEY ("run_id") REFERENCES "run" ("id") ON DELETE CASCADE)',
        'CREATE INDEX "run_stage_run_id" ON "run_stage" ("run_id")',
        'CREATE INDEX "run_stage_stage" ON "run_stage" ("stage")',
        # External-content FTS5 index over prompt name and text, kept in step by triggers.
        "CREATE VIRTUAL TABLE prompt_fts USING fts5(name, text, content='prompt', "
        "content_rowid='pk', tokenize='unicode61 remove_diacritics 2')",
        "CREATE TRIGGER prompt_fts_insert AFTER INSERT ON prompt BEGIN "
        "INSERT INTO prompt_fts(rowid, name, text) VALUES (new.pk, new.name, new.text); END",
        "CREATE TRIGGER prompt_fts_delete AFTER DELETE ON prompt BEGIN "
        "INSERT INTO prompt_fts(prompt_fts, rowid, name, text) "
        "VALUES ('delete', old.pk, old.name, old.text); END",
        "CREATE TRIGGER prompt_fts_update AFTER UPDATE OF name, text ON prompt BEGIN "
        "INSERT INTO prompt_fts(prompt_fts, rowid, name, text) "
        "VALUES ('delete', old.pk, old.name, old.text); "
        "INSERT INTO prompt_fts(rowid, name, text) VALUES (new.pk, new.name, new.text); END",
        "INSERT INTO prompt_fts(prompt_fts) VALUES ('rebuild')",
    ):
        db.execute_sql(statement)


def _v3_cancel_and_input_hashes(db: SqliteDatabase) -> None:
    """Cancel requests across processes, and a cache of input file hashes."""
    migrator = SqliteMigrator(db)
    migrate(migrator.add_column("run", "cancel_requested", Run.cancel_requested))
    db.execute_sql(
        'CREATE TABLE "input_hash" ("path" TEXT NOT NULL PRIMARY KEY, "size" INTEGER NOT NULL, '
        '"mtime_ns" INTEGER NOT NULL, "sha256" VARCHAR(255) NOT NULL)'
    )


def _v4_eta_and_dashboard_index(db: SqliteDatabase) -> None:
    """The engine's ETA for the UI, and an index that lets the dashboard read only the index."""
    migrator = SqliteMigrator(db)
    migrate(
        migrator.add_column("run", "eta_seconds", Run.eta_seconds),
        migrator.add_index("run", ("created_at", "model_type", "status", "duration_seconds", "prompt_id")),
    )


def _v5_run_change_counter(db: SqliteDatabase) -> None:
    """A counter that every insert, update and delete of a run moves on, and on each run the value
    of its last change, kept by triggers whoever writes: a screen asks what changed since its
    last look instead of reloading every row."""
    for statement in (
        'ALTER TABLE "run" ADD COLUMN "change_seq" INTEGER NOT NULL DEFAULT 0',
        'CREATE INDEX "run_change_seq" ON "run" ("change_seq")',
        'CREATE TABLE "run_change" ("id" INTEGER NOT NULL PRIMARY KEY CHECK ("id" = 1), '
        '"seq" INTEGER NOT NULL)',
        'INSERT INTO "run_change" ("id", "seq") VALUES (1, 0)',
        # The UPDATE inside a trigger does not fire it again (recursive_triggers is off).
        'CREATE TRIGGER "run_change_insert" AFTER INSERT ON "run" BEGIN '
        'UPDATE "run_change" SET "seq" = "seq" + 1; '
        'UPDATE "run" SET "change_seq" = (SELECT "seq" FROM "run_change") WHERE rowid = new.rowid; END',
        'CREATE TRIGGER "run_change_update" AFTER UPDATE ON "run" BEGIN '
        'UPDATE "run_change" SET "seq" = "seq" + 1; '
        'UPDATE "run" SET "change_seq" = (SELECT "seq" FROM "run_change") WHERE rowid = new.rowid; END',
        'CREATE TRIGGER "run_change_delete" AFTER DELETE ON "run" BEGIN '
        'UPDATE "run_change" SET "seq" = "seq" + 1; END',
    ):
        db.execute_sql(statement)


def _v6_batches_and_sweeps(db: SqliteDatabase) -> None:
    """Runs that share one model process (a batch, and each run's sample number in it), and runs
    queued together as one sweep of seeds or settings."""
    migrator = SqliteMigrator(db)
    migrate(
        migrator.add_column("run", "batch_id", Run.batch_id),
        migrator.add_column("run", "batch_index", Run.batch_index),
        migrator.add_column("run", "sweep_id", Run.sweep_id),  # the indexed fields bring their index
    )


def _v7_families_and_answers(db: SqliteDatabase) -> None:
    """The model family a run is for (Transfer1 for every run before families), and a run's text
    answer (a reasoner's)."""
    # Plain ALTER TABLE: the migrator makes a NOT NULL column by rebuilding the table, which would
    # drop step 5's change-counter triggers.
    db.execute_sql('ALTER TABLE "run" ADD COLUMN "family" VARCHAR(255) NOT NULL DEFAULT \'transfer1\'')
    db.execute_sql('ALTER TABLE "run" ADD COLUMN "output_text" TEXT')


def _v8_pools(db: SqliteDatabase) -> None:
    # The pool a run was queued to ("any" or a [pools.*] name); its host stays "" until a worker
    # places it. A plain ALTER keeps step 5's triggers (see step 7).
    db.execute_sql('ALTER TABLE "run" ADD COLUMN "pool" VARCHAR(255)')
    db.execute_sql('CREATE INDEX IF NOT EXISTS "run_pool_status" ON "run" ("pool", "status")')


def _v9_ratings(db: SqliteDatabase) -> None:
    # A user's rating of a result, 1 to 5 (NULL: not rated). A plain ALTER keeps step 5's triggers.
    db.execute_sql('ALTER TABLE "run" ADD COLUMN "rating" INTEGER')


def _v10_provenance(db: SqliteDatabase) -> None:
    # What produced a run (engine/provenance.py), as JSON. A plain ALTER keeps step 5's triggers.
    db.execute_sql('ALTER TABLE "run" ADD COLUMN "provenance" TEXT')


STEPS: tuple[Callable[[SqliteDatabase], None], ...] = (
    _v1_initial,
    _v2_stages_search_and_timing,
    _v3_cancel_and_input_hashes,
    _v4_eta_and_dashboard_index,
    _v5_run_change_counter,
    _v6_batches_and_sweeps,
    _v7_families_and_answers,
    _v8_pools,
    _v9_ratings,
    _v10_provenance,
)
LATEST = len(STEPS)


def schema_version(db: SqliteDatabase) -> int:
    return int(db.execute_sql("PRAGMA user_version").fetchone()[0])


def upgrade(db: SqliteDatabase, path: str, target: int = LATEST) -> int:
    """Bring the database to ``target``; refuse one written by a newer cosmos-tui."""
    current = schema_version(db)
    if current > LATEST:
        raise StoreError(
            f"the database {path} has schema version {current}, newer than this cosmos-tui "
            f"understands ({LATEST}); upgrade cosmos-tui or point [paths].database at another file."
        )
    while current < target:
        with db.atomic():
            # Re-read inside the write lock: another process may have migrated meanwhile.
            current = schema_version(db)
            if current >= target:
                break
            log.info("migrating %s from schema %d to %d", path, current, current + 1)
            STEPS[current](db)
            current += 1
            db.execute_sql(f"PRAGMA user_version = {current:d}")
    return current
