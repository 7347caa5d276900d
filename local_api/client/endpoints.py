"""Every endpoint of /api/v1, defined once for `Client` and `AsyncClient`.

Each method builds the request and names the schema its answer is parsed with (the
pydantic models of `local_api.schemas`). The scope a route needs is in its docstring.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from local_api.client.calls import API, Amount, Call, amount, compact, endpoint, segment
from local_api.schemas import (
    AccountOut,
    AuditOut,
    BacktestOut,
    BacktestSummaryOut,
    BarsOut,
    BookOut,
    CancelAllOut,
    ConnectionOut,
    FillOut,
    Health,
    InstrumentOut,
    KillSwitchChange,
    KillSwitchOut,
    LimitsOut,
    OrderOut,
    PluginOut,
    PnlOut,
    PositionOut,
    QualityOut,
    QuoteOut,
    SignalOut,
    StatusOut,
    StrategyKindOut,
    StrategyOut,
    TokenCreated,
    TokenOut,
    TradeOut,
)

Side = Literal["buy", "sell"]
OrderType = Literal["market", "limit", "stop", "stop_limit"]
TimeInForce = Literal["gtc", "ioc", "fok", "day"]
Scope = Literal["read", "trade", "admin"]
OrderStatus = Literal["pending_new", "accepted", "partially_filled", "pending_cancel",
                      "filled", "canceled", "rejected", "expired", "working"]
ParamValue = str | int | float | bool


class Endpoints:
    """The methods shared by `Client` (blocking) and `AsyncClient` (coroutines)."""

    # system -------------------------------------------------------------------------------
    @endpoint
    def health(self) -> Call[Health]:
        """Is the server up? (no token needed)"""
        return Call("GET", f"{API}/health", Health)

    @endpoint
    def status(self) -> Call[StatusOut]:
        """Version, replay state, event counts, connections, kill switch. Scope read."""
        return Call("GET", f"{API}/status", StatusOut)

    @endpoint
    def metrics(self) -> Call[str]:
        """The Prometheus exposition text of the API. Scope admin."""
        return Call("GET", "/metrics", str)

    # market data --------------------------------------------------------------------------
    @endpoint
    def instruments(self) -> Call[list[InstrumentOut]]:
        """Every instrument the terminal knows. Scope read."""
        return Call("GET", f"{API}/instruments", list[InstrumentOut])

    @endpoint
    def instrument(self, instrument_id: str) -> Call[InstrumentOut]:
        """One instrument (VENUE:SYMBOL). Scope read."""
        return Call("GET", f"{API}/instruments/{segment(instrument_id)}", InstrumentOut)

    @endpoint
    def quotes(self) -> Call[list[QuoteOut]]:
        """The last quote of each instrument. Scope read."""
        return Call("GET", f"{API}/quotes", list[QuoteOut])

    @endpoint
    def quote(self, instrument_id: str) -> Call[QuoteOut]:
        """The last quote of one instrument. Scope read."""
        return Call("GET", f"{API}/quotes/{segment(instrument_id)}", QuoteOut)

    @endpoint
    def last_trade(self, instrument_id: str) -> Call[TradeOut]:
        """The last trade printed on an instrument. Scope read."""
        return Call("GET", f"{API}/trades/{segment(instrument_id)}", TradeOut)

    @endpoint
    def bars(self, instrument_id: str, timeframe: str = "1m", *, start_ns: int | None = None,
             end_ns: int | None = None, limit: int | None = None,
             forming: bool | None = None) -> Call[BarsOut]:
        """Stored bars oldest first (the last `limit` without `start_ns`), the forming one
        last unless `forming=False`. Scope read."""
        return Call("GET", f"{API}/bars/{segment(instrument_id)}", BarsOut,
                    params={"timeframe": timeframe, "start_ns": start_ns, "end_ns": end_ns,
                            "limit": limit, "forming": forming})

    @endpoint
    def book(self, instrument_id: str, depth: int | None = None) -> Call[BookOut]:
        """The order book's top levels, best first: (price, size) pairs. Scope read."""
        return Call("GET", f"{API}/book/{segment(instrument_id)}", BookOut,
                    params={"depth": depth})

    # trading ------------------------------------------------------------------------------
    @endpoint
    def orders(self, status: OrderStatus | None = None, instrument_id: str | None = None,
               limit: int | None = None) -> Call[list[OrderOut]]:
        """Orders newest first; `status="working"` gives those still at the venue.
        Scope read."""
        return Call("GET", f"{API}/orders", list[OrderOut],
                    params={"status": status, "instrument": instrument_id, "limit": limit})

    @endpoint
    def order(self, client_order_id: str) -> Call[OrderOut]:
        """One order by its client order id. Scope read."""
        return Call("GET", f"{API}/orders/{segment(client_order_id)}", OrderOut)

    @endpoint
    def place_order(self, instrument_id: str, side: Side, quantity: Amount, *,
                    type: OrderType = "limit", price: Amount | None = None,
                    stop_price: Amount | None = None, time_in_force: TimeInForce = "gtc",
                    reduce_only: bool = False,
                    client_order_id: str | None = None) -> Call[OrderOut]:
        """Place an order through the risk engine and the order manager. A refusal raises
        `RiskRejected` (its `reason` names the rule) or `OrderRefused`. Scope trade."""
        body = compact({"instrument_id": instrument_id, "side": side, "type": type,
                        "quantity": amount(quantity), "price": amount(price),
                        "stop_price": amount(stop_price), "time_in_force": time_in_force,
                        "reduce_only": reduce_only, "client_order_id": client_order_id})
        return Call("POST", f"{API}/orders", OrderOut, body=body, expect=201)

    @endpoint
    def modify_order(self, client_order_id: str, quantity: Amount,
                     price: Amount | None = None) -> Call[OrderOut]:
        """Change a working limit order's quantity and price. Scope trade."""
        body = compact({"quantity": amount(quantity), "price": amount(price)})
        return Call("PATCH", f"{API}/orders/{segment(client_order_id)}", OrderOut, body=body)

    @endpoint
    def cancel_order(self, client_order_id: str) -> Call[OrderOut]:
        """Ask the venue to cancel an order (canceled once it confirms). Scope trade."""
        return Call("DELETE", f"{API}/orders/{segment(client_order_id)}", OrderOut)

    @endpoint
    def cancel_all(self) -> Call[CancelAllOut]:
        """Cancel every working order. Scope trade."""
        return Call("POST", f"{API}/orders/cancel-all", CancelAllOut)

    @endpoint
    def fills(self, instrument_id: str | None = None, *, start_ns: int | None = None,
              end_ns: int | None = None, limit: int | None = None) -> Call[list[FillOut]]:
        """Fills oldest first. Scope read."""
        return Call("GET", f"{API}/fills", list[FillOut],
                    params={"instrument": instrument_id, "start_ns": start_ns,
                            "end_ns": end_ns, "limit": limit})

    @endpoint
    def positions(self, open_only: bool = False) -> Call[list[PositionOut]]:
        """Net positions with unrealised PnL at the mark. Scope read."""
        return Call("GET", f"{API}/positions", list[PositionOut],
                    params={"open_only": open_only or None})

    @endpoint
    def account(self) -> Call[AccountOut]:
        """Cash balances per currency. Scope read."""
        return Call("GET", f"{API}/account", AccountOut)

    # signals and strategies ---------------------------------------------------------------
    @endpoint
    def signals(self, instrument_id: str | None = None, strategy_id: str | None = None,
                limit: int | None = None) -> Call[list[SignalOut]]:
        """The most recent signals, oldest first. Scope read."""
        return Call("GET", f"{API}/signals", list[SignalOut],
                    params={"instrument": instrument_id, "strategy_id": strategy_id,
                            "limit": limit})

    @endpoint
    def strategy_kinds(self) -> Call[list[StrategyKindOut]]:
        """The strategies that can be started, with their parameters' defaults. Scope read."""
        return Call("GET", f"{API}/strategies/kinds", list[StrategyKindOut])

    @endpoint
    def strategies(self) -> Call[list[StrategyOut]]:
        """The running strategies. Scope read."""
        return Call("GET", f"{API}/strategies", list[StrategyOut])

    @endpoint
    def start_strategy(self, kind: str, instrument_id: str, timeframe: str = "1m", *,
                       params: Mapping[str, ParamValue] | None = None,
                       strategy_id: str | None = None, auto_trade: bool = False,
                       quantity: Amount | None = None,
                       order_type: Literal["market", "limit"] = "market") -> Call[StrategyOut]:
        """Start a strategy on closed bars: signal-only, or auto-trading `quantity`.
        Scope trade."""
        body = compact({"kind": kind, "instrument_id": instrument_id, "timeframe": timeframe,
                        "params": dict(params or {}), "strategy_id": strategy_id,
                        "auto_trade": auto_trade, "quantity": amount(quantity),
                        "order_type": order_type})
        return Call("POST", f"{API}/strategies", StrategyOut, body=body, expect=201)

    @endpoint
    def stop_strategy(self, strategy_id: str) -> Call[None]:
        """Stop a strategy (its working orders stay). Scope trade."""
        return Call("DELETE", f"{API}/strategies/{segment(strategy_id)}", None, expect=204)

    # risk ---------------------------------------------------------------------------------
    @endpoint
    def risk_limits(self, instrument_id: str | None = None) -> Call[LimitsOut]:
        """The limits in force for the account or one instrument. Scope read."""
        return Call("GET", f"{API}/risk/limits", LimitsOut,
                    params={"instrument": instrument_id})

    @endpoint
    def change_risk_limits(self, limits: Mapping[str, Amount | bool | None],
                           instrument_id: str | None = None) -> Call[LimitsOut]:
        """Change limits (None removes what was set at this scope). Scope admin."""
        body = {"limits": {k: amount(v) if not isinstance(v, bool) else v
                           for k, v in limits.items()}}
        return Call("PATCH", f"{API}/risk/limits", LimitsOut, body=body,
                    params={"instrument": instrument_id})

    @endpoint
    def kill_switch(self) -> Call[KillSwitchOut]:
        """Is the kill switch engaged? Scope read."""
        return Call("GET", f"{API}/risk/kill-switch", KillSwitchOut)

    @endpoint
    def set_kill_switch(self, engaged: bool, reason: str | None = None
                        ) -> Call[KillSwitchChange]:
        """Engage (scope trade; cancels working orders) or release (scope admin)."""
        return Call("POST", f"{API}/risk/kill-switch", KillSwitchChange,
                    body=compact({"engaged": engaged, "reason": reason}))

    # analytics ----------------------------------------------------------------------------
    @endpoint
    def pnl(self) -> Call[PnlOut]:
        """Realised and unrealised PnL and fees per quote currency. Scope read."""
        return Call("GET", f"{API}/analytics/pnl", PnlOut)

    @endpoint
    def backtests(self, instrument_id: str | None = None, limit: int | None = None
                  ) -> Call[list[BacktestSummaryOut]]:
        """Stored backtest runs, newest first. Scope read."""
        return Call("GET", f"{API}/backtests", list[BacktestSummaryOut],
                    params={"instrument": instrument_id, "limit": limit})

    @endpoint
    def backtest(self, backtest_id: int) -> Call[BacktestOut]:
        """One stored run with its trades and equity curve. Scope read."""
        return Call("GET", f"{API}/backtests/{int(backtest_id)}", BacktestOut)

    @endpoint
    def run_backtest(self, kind: str, instrument_id: str, timeframe: str = "1m", *,
                     params: Mapping[str, ParamValue] | None = None,
                     fee_bps: float | None = None, slippage_bps: float | None = None,
                     size: float | None = None, cash: float | None = None,
                     long_only: bool | None = None, store: bool | None = None
                     ) -> Call[BacktestOut]:
        """Backtest a strategy over the stored bars (stored unless `store=False`).
        Scope trade."""
        body = compact({"kind": kind, "instrument_id": instrument_id, "timeframe": timeframe,
                        "params": dict(params or {}), "fee_bps": fee_bps,
                        "slippage_bps": slippage_bps, "size": size, "cash": cash,
                        "long_only": long_only, "store": store})
        return Call("POST", f"{API}/backtests", BacktestOut, body=body, expect=201)

    # plugins, connections, data quality ---------------------------------------------------
    @endpoint
    def plugins(self) -> Call[list[PluginOut]]:
        """Every plugin found, broken ones with their error. Scope read."""
        return Call("GET", f"{API}/plugins", list[PluginOut])

    @endpoint
    def connections(self) -> Call[list[ConnectionOut]]:
        """The connected plugins. Scope read."""
        return Call("GET", f"{API}/connections", list[ConnectionOut])

    @endpoint
    def connect(self, plugin_id: str, settings: Mapping[str, Any] | None = None
                ) -> Call[ConnectionOut]:
        """Connect a data plugin with its settings. Scope admin."""
        return Call("POST", f"{API}/connections/{segment(plugin_id)}", ConnectionOut,
                    body={"settings": dict(settings or {})}, expect=201)

    @endpoint
    def disconnect(self, plugin_id: str) -> Call[None]:
        """Disconnect a plugin. Scope admin."""
        return Call("DELETE", f"{API}/connections/{segment(plugin_id)}", None, expect=204)

    @endpoint
    def quality(self, limit: int | None = None) -> Call[list[QualityOut]]:
        """The most recent data-quality findings, oldest first. Scope read."""
        return Call("GET", f"{API}/quality", list[QualityOut], params={"limit": limit})

    @endpoint
    def quality_summary(self) -> Call[dict[str, dict[str, int]]]:
        """Findings counted per instrument and kind. Scope read."""
        return Call("GET", f"{API}/quality/summary", dict[str, dict[str, int]])

    # admin --------------------------------------------------------------------------------
    @endpoint
    def audit(self, action: str | None = None, limit: int | None = None
              ) -> Call[list[AuditOut]]:
        """The audit log, newest first. Scope admin."""
        return Call("GET", f"{API}/audit", list[AuditOut],
                    params={"action": action, "limit": limit})

    @endpoint
    def tokens(self) -> Call[list[TokenOut]]:
        """Every token with its last use (never the secret). Scope admin."""
        return Call("GET", f"{API}/tokens", list[TokenOut])

    @endpoint
    def create_token(self, name: str, scope: Scope, expires_in_s: int | None = None
                     ) -> Call[TokenCreated]:
        """Create a token; its text (`.token`) is in this answer only. Scope admin."""
        return Call("POST", f"{API}/tokens", TokenCreated,
                    body=compact({"name": name, "scope": scope,
                                  "expires_in_s": expires_in_s}), expect=201)

    @endpoint
    def revoke_token(self, token_id: str) -> Call[None]:
        """Revoke a token or a device's credential. Scope admin."""
        return Call("DELETE", f"{API}/tokens/{segment(token_id)}", None, expect=204)

    @endpoint
    def devices(self) -> Call[list[TokenOut]]:
        """Paired devices (tokens of kind `device`). Scope admin."""
        return Call("GET", f"{API}/devices", list[TokenOut])
