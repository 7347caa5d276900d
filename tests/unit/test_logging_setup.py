"""Log lines are redacted on every handler the terminal installs, and the file rotates."""

from __future__ import annotations

import logging
import logging.handlers
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from terminal.logging_setup import (
    BACKUPS,
    LOG_FILE,
    MAX_BYTES,
    close_logging,
    configure_logging,
    redact,
)

TOKEN = f"tt_{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}"
WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture
def logged(tmp_path: Path) -> Iterator[Path]:
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    configure_logging("INFO", tmp_path)
    try:
        yield tmp_path / "logs" / LOG_FILE
    finally:
        close_logging()
        for handler in saved_handlers:
            root.addHandler(handler)
        root.setLevel(saved_level)


def test_a_token_keeps_its_public_id_only() -> None:
    token_id = TOKEN.split("_")[1]
    assert redact(f"using {TOKEN} now") == f"using tt_{token_id}_*** now"
    assert TOKEN.rsplit("_", 1)[1] not in redact(TOKEN)


@pytest.mark.parametrize(("text", "expected"), [
    (f"secret {WHSEC}", "secret whsec_***"),
    ("Authorization: Bearer abc.def-ghi", "Authorization: Bearer ***"),
    ("postgresql+psycopg://tt:hunter2@127.0.0.1:5432/db", "postgresql+psycopg://tt:***@127.0.0.1:5432/db"),
    ("api_key=AKIA123 password: 'p4ss' secret=s3cr3t", "api_key=*** password: '***' secret=***"),
    ("3 tokens listed, 2 fills", "3 tokens listed, 2 fills"),
])
def test_secret_looking_values_are_masked(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_message_arguments_and_tracebacks_in_the_file_are_redacted(logged: Path) -> None:
    log = logging.getLogger("terminal.test")
    log.info("created %s for the phone", TOKEN)
    log.warning("webhook secret is %s", WHSEC)
    try:
        raise ValueError(f"bad header Bearer {TOKEN}")
    except ValueError:
        log.exception("request failed")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = logged.read_text(encoding="utf-8")
    assert TOKEN.rsplit("_", 1)[1] not in text and WHSEC not in text
    assert "created tt_" in text and "whsec_***" in text
    assert "Traceback" in text and "ValueError: bad header Bearer ***" in text


def test_the_console_is_redacted_too(logged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    logging.getLogger("terminal.test").error("token %s", TOKEN)
    assert TOKEN not in capsys.readouterr().err


def test_the_log_file_rotates_in_the_data_dir(logged: Path) -> None:
    files = [h for h in logging.getLogger().handlers
             if isinstance(h, logging.handlers.RotatingFileHandler)]
    assert len(files) == 1
    handler = files[0]
    assert Path(handler.baseFilename) == logged
    assert (handler.maxBytes, handler.backupCount) == (MAX_BYTES, BACKUPS)
    handler.maxBytes = 2_000  # rotate now rather than after 5 MB
    for i in range(100):
        logging.getLogger("terminal.test").info("line %d %s %s", i, "x" * 40, TOKEN)
    rotated = sorted(logged.parent.glob(LOG_FILE + ".*"))
    assert 1 <= len(rotated) <= BACKUPS
    for path in [logged, *rotated]:
        assert TOKEN.rsplit("_", 1)[1] not in path.read_text(encoding="utf-8")
