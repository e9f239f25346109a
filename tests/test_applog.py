"""The application log: a rotating file, secrets scrubbed."""

from __future__ import annotations

import logging
from pathlib import Path

from cosmos_tui.applog import redact, register_secret, setup_logging


def test_secrets_never_reach_the_log_file() -> None:
    path = setup_logging(2)
    assert path is not None and path.parent.name == "log"
    register_secret("hunter2-passphrase")
    log = logging.getLogger("cosmos_tui.test")
    log.info("unlocking key with %s", "hunter2-passphrase")
    log.info("connecting with password=s3cr3t and token: abc123")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = Path(path).read_text()
    assert "hunter2" not in text and "s3cr3t" not in text and "abc123" not in text
    assert "unlocking key with ***" in text and "password=***" in text


def test_redact_leaves_ordinary_text_alone() -> None:
    assert redact("created prompt ps_123 from /in") == "created prompt ps_123 from /in"
