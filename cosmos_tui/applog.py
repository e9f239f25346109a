"""The application's own log: a rotating file, never the terminal the TUI draws on.

Secrets (key passphrases, tokens) are scrubbed from every record before it is written.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import threading
from pathlib import Path

import platformdirs

from cosmos_tui.records import RunStatus

APP_NAME = "cosmos-tui"
LOG_FILE = "cosmos-tui.log"
MAX_BYTES = 5 * 1024 * 1024
BACKUPS = 3
FORMAT = "%(asctime)s %(levelname)s %(process)d %(threadName)s %(name)s: %(message)s"
MARK = "_cosmos_tui"  # set on the handlers setup_logging installs, so a second call replaces them
# Every run's final state is logged here at every verbosity: the one line people look for later.
RUNS_LOGGER = "cosmos_tui.runs"

_SECRET_PATTERN = re.compile(r"(?i)\b(passphrase|password|passwd|token|secret|api[_-]?key)(\s*[=:]\s*)(\S+)")
_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def register_secret(value: str) -> None:
    """Never write ``value`` to the log (a passphrase typed by the user, say)."""
    if value and len(value) >= 3:
        with _secrets_lock:
            _secrets.add(value)


def redact(text: str) -> str:
    text = _SECRET_PATTERN.sub(r"\1\2***", text)
    with _secrets_lock:
        for secret in _secrets:
            text = text.replace(secret, "***")
    return text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def log_run_outcome(
    run_id: str, host: str, status: str, error_class: str | None, message: str | None
) -> None:
    """Record how a run ended (a failure as a warning, with its reason)."""
    runs = logging.getLogger(RUNS_LOGGER)
    if status == RunStatus.FAILED:
        runs.warning("run %s on %s failed (%s): %s", run_id, host, error_class or "unknown", message or "")
    else:
        runs.info("run %s on %s %s", run_id, host, status)


class QuietFileHandler(logging.handlers.RotatingFileHandler):
    """The log file, which never writes to the terminal: a record that cannot be written (a full
    disk, a vanished folder) is dropped instead of printing Python's "Logging error" report."""

    def handleError(self, record: logging.LogRecord) -> None:
        return None


def _log_thread_crash(info: threading.ExceptHookArgs) -> None:
    """A thread that dies of an exception goes to the log file, never as a traceback on screen."""
    if info.exc_type is SystemExit:
        return
    logging.getLogger("cosmos_tui.threads").error(
        "thread %s died",
        info.thread.name if info.thread else "?",
        exc_info=info.exc_value,
    )


def log_dir() -> Path:
    return platformdirs.user_log_path(APP_NAME)


def setup_logging(verbosity: int = 0) -> Path | None:
    """Send the root logger to the rotating file; return its path (None if it can't be made).

    Levels: WARNING by default, INFO with -v, DEBUG with -vv; every run's final state always.
    """
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.getLogger(RUNS_LOGGER).setLevel(min(level, logging.INFO))
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, MARK, False):
            root.removeHandler(old)
            old.close()
    root.setLevel(level)
    path = log_dir() / LOG_FILE
    written: Path | None = path
    handler: logging.Handler
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = QuietFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    except OSError:
        # No writable log folder: stay quiet rather than print over the TUI.
        handler, written = logging.NullHandler(), None
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RedactingFilter())
    setattr(handler, MARK, True)
    root.addHandler(handler)
    logging.raiseExceptions = False  # no handler of ours (or a library's) prints its own errors
    threading.excepthook = _log_thread_crash
    return written
