"""Repositories: take and return terminal.model values; no ORM row ever leaves this package.

Each module has the repository class and module-level functions that work on a given
connection, so that Database.record_fill can write several tables in one transaction.
"""

from terminal.persistence.repositories.accounts import AccountRepository
from terminal.persistence.repositories.alerts import AlertRepository
from terminal.persistence.repositories.api_tokens import ApiTokenRepository
from terminal.persistence.repositories.audit import AuditRepository
from terminal.persistence.repositories.backtests import BacktestRepository
from terminal.persistence.repositories.bars import BarRepository
from terminal.persistence.repositories.fills import FillRepository
from terminal.persistence.repositories.hooks import HookRepository
from terminal.persistence.repositories.instruments import InstrumentRepository
from terminal.persistence.repositories.orders import OrderRepository
from terminal.persistence.repositories.pairing import PairingRepository
from terminal.persistence.repositories.positions import PositionRepository
from terminal.persistence.repositories.risk_limits import RiskLimitRepository
from terminal.persistence.repositories.webhooks import WebhookRepository

__all__ = [
    "AccountRepository",
    "AlertRepository",
    "ApiTokenRepository",
    "AuditRepository",
    "BacktestRepository",
    "BarRepository",
    "FillRepository",
    "HookRepository",
    "InstrumentRepository",
    "OrderRepository",
    "PairingRepository",
    "PositionRepository",
    "RiskLimitRepository",
    "WebhookRepository",
]
