"""`outputs/run_<id>/run.json`: what a run was asked to do and how it ended, so its folder describes
itself without the database (settings, host, model, prompt text, inputs with their sha256)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from cosmos_tui import __version__

NAME = "run.json"
# Run-level bookkeeping kept in the options dict that is not a generation setting.
_NOT_OPTIONS = {"prompt", "negative_prompt", "inputs", "prompt_id"}


def _iso(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def describe(row: Any, prompt_name: str | None = None) -> dict[str, Any]:
    """The run.json document for a run row (a store Run; read by attribute)."""
    config: dict[str, Any] = dict(row.config or {})
    hashes: dict[str, str] = dict(config.get("_sha256") or {})
    inputs = [
        {"role": role, "file": Path(path).name, "path": path, "sha256": hashes.get(path)}
        for role, path in sorted(dict(config.get("inputs") or {}).items())
    ]
    return {
        "run_id": row.id,
        "prompt_id": config.get("prompt_id"),
        "prompt_name": prompt_name,
        "model_type": row.model_type,
        "family": row.family,
        "host": row.host,
        "status": row.status,
        "exit_code": row.exit_code,
        "error_class": row.error_class,
        "error_message": row.error_message,
        "created_at": _iso(row.created_at),
        "started_at": _iso(row.started_at),
        "finished_at": _iso(row.finished_at),
        "duration_seconds": row.duration_seconds,
        "prompt": config.get("prompt"),
        "negative_prompt": config.get("negative_prompt"),
        "options": {k: v for k, v in config.items() if not k.startswith("_") and k not in _NOT_OPTIONS},
        "inputs": inputs,
        "command": config.get("_command"),  # the model's command line, run from the host's remote_dir
        "outputs": sorted(Path(p).name for p in (row.outputs or [])),
        "output_text": row.output_text,
        "cosmos_tui_version": __version__,
        "rating": getattr(row, "rating", None),
        "provenance": getattr(row, "provenance", None),
    }


def write(run_dir: Path, document: dict[str, Any]) -> Path:
    """Write run.json atomically (a reader never sees half a file)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / NAME
    temp = run_dir / f".{NAME}.tmp"
    temp.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    temp.replace(path)
    return path
