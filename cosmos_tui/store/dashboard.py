"""Aggregate queries behind the dashboard and `cosmos-tui stats`."""

from __future__ import annotations

from datetime import datetime

from peewee import SQL, fn

from cosmos_tui.records import DayCount, ErrorCount, InputUsage, ModelStats, RunStatus
from cosmos_tui.store.db import tuples
from cosmos_tui.store.models import Prompt, Run


def runs_per_day(since: datetime) -> list[DayCount]:
    day = fn.date(Run.created_at).coerce(False)  # UTC calendar days, as text
    query = (
        Run.select(
            day.alias("day"),
            fn.COUNT(SQL("*")).alias("total"),
            fn.SUM(Run.status == RunStatus.COMPLETED).alias("completed"),
            fn.SUM(Run.status == RunStatus.FAILED).alias("failed"),
            fn.SUM(Run.status == RunStatus.CANCELLED).alias("cancelled"),
        )
        .where(Run.created_at >= since)
        .group_by(day)
        .order_by(day)
    )
    return [DayCount(d, t, c or 0, f or 0, x or 0) for d, t, c, f, x in tuples(query)]


def _median(model_type: str, since: datetime, count: int) -> float | None:
    if count == 0:
        return None
    query = (
        Run.select(Run.duration_seconds)
        .where(
            (Run.model_type == model_type)
            & (Run.status == RunStatus.COMPLETED)
            & (Run.created_at >= since)
            & Run.duration_seconds.is_null(False)
        )
        .order_by(Run.duration_seconds)
        .limit(2 - count % 2)
        .offset((count - 1) // 2)
    )
    values = [seconds for (seconds,) in tuples(query)]
    return sum(values) / len(values) if values else None


def by_model(since: datetime) -> list[ModelStats]:
    query = (
        Run.select(
            Run.model_type,
            fn.COUNT(SQL("*")),
            fn.SUM(Run.status == RunStatus.COMPLETED),
            fn.AVG(Run.duration_seconds).filter(Run.status == RunStatus.COMPLETED),
            fn.COUNT(Run.duration_seconds).filter(Run.status == RunStatus.COMPLETED),
            fn.COUNT(Run.rating),
            fn.AVG(Run.rating),
        )
        .where((Run.status.in_(RunStatus.TERMINAL)) & (Run.created_at >= since))
        .group_by(Run.model_type)
        .order_by(Run.model_type)
    )
    stats = []
    for model_type, finished, completed, mean, timed, rated, rating in tuples(query):
        completed = completed or 0
        stats.append(
            ModelStats(
                model_type=model_type,
                finished=finished,
                completed=completed,
                success_rate=completed / finished if finished else None,
                mean_seconds=mean,
                median_seconds=_median(model_type, since, timed),
                rated=rated or 0,
                mean_rating=rating,
            )
        )
    return stats


def top_inputs(since: datetime, limit: int = 5) -> list[InputUsage]:
    # Count runs per prompt over the window first (one range scan of run), then fold prompts
    # into their input folders; joining first makes SQLite walk every prompt.
    per_prompt = (
        Run.select(Run.prompt.alias("prompt_id"), fn.COUNT(SQL("*")).alias("n"))
        .where((Run.created_at >= since) & Run.prompt.is_null(False))
        .group_by(Run.prompt)
        .alias("per_prompt")
    )
    runs = fn.SUM(per_prompt.c.n)
    query = (
        Prompt.select(Prompt.input_dir, runs)
        .join(per_prompt, on=(per_prompt.c.prompt_id == Prompt.id))
        .group_by(Prompt.input_dir)
        .order_by(runs.desc(), Prompt.input_dir)
        .limit(limit)
    )
    return [InputUsage(input_dir, int(count)) for input_dir, count in tuples(query)]


def failures(since: datetime) -> list[ErrorCount]:
    klass = fn.COALESCE(Run.error_class, "unknown")
    count = fn.COUNT(SQL("*"))
    query = (
        Run.select(klass, count)
        .where((Run.status == RunStatus.FAILED) & (Run.created_at >= since))
        .group_by(klass)
        .order_by(count.desc(), klass)
    )
    return [ErrorCount(k, c) for k, c in tuples(query)]
