"""Logging to the console and a rotating file in the data dir, with secrets redacted.

Every handler installed here formats through `RedactingFormatter`, which masks whatever looks
like a secret in the finished line (message, arguments, traceback alike): API tokens keep
their public id (`tt_<id>_***`), webhook secrets become `whsec_***`, bearer values and the
password of a URL are starred. The log file rotates at 5 MB and keeps 5 old files.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
from pathlib import Path

LOG_FILE = "terminal.log"
MAX_BYTES = 5_000_000
BACKUPS = 5

# (pattern, replacement): the token pattern is the local API's `tt_<12 hex>_<43 urlsafe>`
SECRET_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(tt_[0-9a-f]{12})_[A-Za-z0-9_\-]{20,}"), r"\1_***"),
    (re.compile(r"\bwhsec_[A-Za-z0-9+/=_\-]+"), "whsec_***"),
    (re.compile(r"(?i)\b(bearer\s+)(?!\*\*\*)[A-Za-z0-9._~+/=\-]+"), r"\1***"),
    (re.compile(r"(?i)\b((?:api[_-]?key|api[_-]?secret|secret|password|passphrase|token)"
                r"\s*[=:]\s*)(?![\s'\"]*\*\*\*)(['\"]?)[^\s'\",;&]+"), r"\1\2***"),
    (re.compile(r"(://[^/\s:@]+:)[^@\s/]+@"), r"\1***@"),
)


def redact(text: str) -> str:
    """The text with every secret-looking part masked."""
    for pattern, replacement in SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFormatter(logging.Formatter):
    """A Formatter whose every output line, traceback included, goes through `redact`."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_logging(level: str, data_dir: Path | None, *, console: bool = True) -> None:
    root = logging.getLogger()
    root.setLevel(level.upper())
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    if console:
        stream = logging.StreamHandler()
        stream.setFormatter(RedactingFormatter(
            "%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S"))
        root.addHandler(stream)
    # alembic narrates every migration step at INFO; a user needs only its warnings
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
    if data_dir is not None:
        log_dir = data_dir / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        file_handler = logging.handlers.RotatingFileHandler(
            log_dir / LOG_FILE, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
        file_handler.setFormatter(RedactingFormatter(
            "%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(file_handler)


def close_logging() -> None:
    """Remove and close the root handlers (before their data dir is deleted)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
