"""The error hierarchy. Every error the engine raises on purpose derives from TerminalError."""

from __future__ import annotations


class TerminalError(Exception):
    """Base class of every deliberate error in the terminal."""


class ConfigError(TerminalError):
    """A setting, option or configuration value is invalid."""


class DataError(TerminalError):
    """Input data is malformed. Names the source, line and field where known."""

    def __init__(self, message: str, *, source: str | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        self.source = source
        self.line = line
        self.field = field
        where = ":".join(str(p) for p in (source, line) if p is not None)
        detail = f" (field {field!r})" if field else ""
        super().__init__(f"{where}: {message}{detail}" if where else f"{message}{detail}")


class InstrumentError(TerminalError):
    """An instrument is unknown or a value does not fit its constraints."""


class OrderError(TerminalError):
    """An order operation is invalid."""


class InvalidTransition(OrderError):
    """An order state change that the order state machine does not allow."""


class RiskRejected(OrderError):
    """The risk engine refused an order. `reason` is a stable machine-readable code."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


class PluginError(TerminalError):
    """A plugin could not be discovered, validated or loaded."""


class PersistenceError(TerminalError):
    """The database could not be opened, migrated or written."""
