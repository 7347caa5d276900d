"""The database: opening, migrating, the repositories, and multi-table writes."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

from sqlalchemy.exc import NoSuchModuleError, SQLAlchemyError

from terminal.core.errors import PersistenceError
from terminal.model.orders import Order
from terminal.model.portfolio import Account, Fill, Position
from terminal.persistence import engine as engines
from terminal.persistence import migrate as migrations
from terminal.persistence.gateway import SUPPORTED_BACKENDS, Gateway
from terminal.persistence.repositories import (
    AccountRepository,
    AlertRepository,
    ApiTokenRepository,
    AuditRepository,
    BacktestRepository,
    BarRepository,
    FillRepository,
    HookRepository,
    InstrumentRepository,
    OrderRepository,
    PairingRepository,
    PositionRepository,
    RiskLimitRepository,
    WebhookRepository,
)
from terminal.persistence.repositories.accounts import insert_snapshot
from terminal.persistence.repositories.fills import insert_fill
from terminal.persistence.repositories.orders import save_order
from terminal.persistence.repositories.positions import save_position
from terminal.persistence.urls import default_url, parse_url, redact, scrub, sqlite_file

__all__ = ["Database", "default_url"]


class Database:
    """One database (SQLite file or PostgreSQL), safe to use from several threads.

    Every method raises PersistenceError, never a SQLAlchemy error, and no message ever
    contains the URL's password.
    """

    def __init__(self, gateway: Gateway) -> None:
        self._gw = gateway
        self.instruments = InstrumentRepository(gateway)
        self.bars = BarRepository(gateway)
        self.orders = OrderRepository(gateway)
        self.fills = FillRepository(gateway)
        self.positions = PositionRepository(gateway)
        self.accounts = AccountRepository(gateway)
        self.audit = AuditRepository(gateway)
        self.risk_limits = RiskLimitRepository(gateway)
        self.backtests = BacktestRepository(gateway)
        self.api_tokens = ApiTokenRepository(gateway)
        self.pairing = PairingRepository(gateway)
        self.webhooks = WebhookRepository(gateway)
        self.hooks = HookRepository(gateway)
        self.alerts = AlertRepository(gateway)

    @classmethod
    def open(cls, url: str) -> Database:
        """Create the engine and check the database can be reached and is not newer than
        this code. Does not create tables: call migrate()."""
        parsed = parse_url(url)
        text = redact(parsed)
        backend = parsed.get_backend_name()
        if backend not in SUPPORTED_BACKENDS:
            raise PersistenceError(f"cannot open {text}: only SQLite and PostgreSQL databases "
                                   "are supported")
        path = sqlite_file(parsed)
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise PersistenceError(f"cannot create the folder {path.parent} for the "
                                       f"database: {exc.strerror or exc}") from None
        try:
            gateway = Gateway(engines.create(parsed), parsed)
        except (NoSuchModuleError, ImportError, SQLAlchemyError) as exc:
            raise PersistenceError(
                f"cannot open {text}: {scrub(str(exc), parsed)}") from None
        try:
            with gateway.read(f"connecting to {text}") as conn:
                migrations.check_known(conn, text)
        except BaseException:
            gateway.engine.dispose()
            raise
        return cls(gateway)

    @staticmethod
    def default_url(data_dir: Path) -> str:
        return default_url(data_dir)

    @property
    def url(self) -> str:
        """The URL with its password replaced by ***."""
        return self._gw.redacted_url

    @property
    def dialect(self) -> str:
        return self._gw.dialect

    def migrate(self) -> None:
        """Bring the schema to the newest revision; a no-op when it is already there."""
        text = self._gw.redacted_url
        with self._gw.begin(f"migrating {text}") as conn:
            migrations.check_known(conn, text)
            migrations.upgrade(conn)

    def revision(self) -> str | None:
        """The schema revision stored in the database (None before the first migrate)."""
        with self._gw.read("reading the schema revision") as conn:
            revisions = migrations.current_revisions(conn)
        return revisions[0] if revisions else None

    @staticmethod
    def head_revision() -> str:
        """The newest schema revision this code knows."""
        return migrations.head_revision()

    def schema_differences(self) -> list[str]:
        """How the database differs from the models (empty when in step), for diagnostics."""
        with self._gw.read("comparing the schema") as conn:
            return [repr(diff) for diff in migrations.differences(conn)]

    def record_fill(self, order: Order, fill: Fill, position: Position, account_id: str,
                    account: Account | None = None) -> bool:
        """Store a fill with the order, position (and account) it changed, all or nothing.

        Returns False when the fill was already stored; the order, position and account
        are written either way, since they are the caller's current state.
        """
        if fill.client_order_id != order.client_order_id:
            raise PersistenceError(f"fill {fill.fill_id} belongs to order "
                                   f"{fill.client_order_id}, not {order.client_order_id}")
        with self._gw.begin(f"storing fill {fill.fill_id}", durable=True) as conn:
            save_order(conn, order)
            inserted = insert_fill(conn, fill)
            save_position(conn, account_id, position)
            if account is not None:
                insert_snapshot(conn, account)
        return inserted

    def close(self) -> None:
        """Close every pooled connection (checkpointing the SQLite WAL)."""
        self._gw.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Database({self.url})"
