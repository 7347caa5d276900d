"""The Python SDK (local_api.client) against the real server: a terminal that replayed the
real Binance capture, serving on 127.0.0.1. Every endpoint method is called through the
blocking `Client` and the asyncio `AsyncClient`; the last test checks none was left out."""

from __future__ import annotations

import asyncio
import itertools
import runpy
from collections.abc import Callable, Coroutine, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from local_api.client import (
    ApiError,
    AsyncClient,
    AuthenticationError,
    Client,
    Conflict,
    Event,
    InvalidRequest,
    NotFound,
    OrderRefused,
    PermissionDenied,
    RateLimited,
    RequestRefused,
    RiskRejected,
    StreamError,
    Subscribed,
)
from local_api.client.calls import Call, Endpoint
from local_api.client.endpoints import Endpoints
from local_api.schemas import FillOut, OrderOut
from local_api.settings import Tier
from tests.api.live import LiveTerminal, settings
from tests.data_paths import SHARED_DATA

NKN = "BINANCE:NKNUSDT"
ADA = "BINANCE:ADABTC"
ADA_FILES = [SHARED_DATA / "ohlcv" / f"nautilus__ADABTC-1m-2021-11-{d}.csv" for d in (27, 28)]
ENDPOINTS = frozenset(name for name, v in vars(Endpoints).items() if isinstance(v, Endpoint))
CALLED: dict[str, set[str]] = {"sync": set(), "async": set()}
_sizes = itertools.count(101)  # distinct (no duplicate-order refusal), above min notional
T = TypeVar("T")


def size() -> str:
    return str(next(_sizes))


class RecordingClient(Client):
    def __getattribute__(self, name: str) -> Any:
        if name in ENDPOINTS:
            CALLED["sync"].add(name)
        return super().__getattribute__(name)


class RecordingAsyncClient(AsyncClient):
    def __getattribute__(self, name: str) -> Any:
        if name in ENDPOINTS:
            CALLED["async"].add(name)
        return super().__getattribute__(name)


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


@pytest.fixture(scope="module")
def tokens(live: LiveTerminal) -> dict[str, str]:
    # bars to read and backtest: the real ADABTC 1m files, stored through the engine
    assert live.engine is not None
    report = live.run(live.engine.import_history(ADA_FILES, ADA))
    assert report.bars[report_key(report)] == 21
    return {scope: live.token(scope, f"sdk-{scope}") for scope in ("read", "trade", "admin")}


def report_key(report: Any) -> Any:
    (key,) = report.bars
    assert str(key) == ADA
    return key


@pytest.fixture()
def api(live: LiveTerminal, tokens: dict[str, str]) -> Iterator[Client]:
    # a token per test: each gets the admin tier's whole burst
    with RecordingClient(live.url, live.token("admin", "sdk-test")) as client:
        yield client


def hub_history(live: LiveTerminal) -> list[tuple[int, str, str | None]]:
    assert live.engine is not None and live.engine.api_server is not None
    hub = live.engine.api_server.api.hub
    return live.call(lambda: [(m.seq, m.channel, m.instrument) for m in hub.history])


def force_slow_close(live: LiveTerminal) -> int:
    """Make the server take every stream client for a slow one: it closes them with 4008."""
    assert live.engine is not None and live.engine.api_server is not None
    hub = live.engine.api_server.api.hub

    def overflow() -> int:
        for client in hub.clients:
            client.overflowed = True
            client.wake.set()
        return len(hub.clients)

    return live.call(overflow)


# market data ------------------------------------------------------------------------------
def test_market_data_sync(api: Client, live: LiveTerminal) -> None:
    assert api.health().status == "ok"
    status = api.status()
    assert status.instruments == 1695 and status.connections == ["paper", "replay"]
    assert status.events["book_snapshot"] == 8 and status.events["trade"] == 4
    instruments = api.instruments()
    assert len(instruments) == 1695
    nkn = api.instrument(NKN)
    assert (nkn.base, nkn.quote, nkn.trading) == ("NKN", "USDT", True)
    assert nkn in instruments and Decimal(nkn.tick_size) == Decimal("0.0001")
    quotes = api.quotes()
    assert [q.instrument_id for q in quotes] == ["BINANCE:BLZETH", "BINANCE:LRCBTC", NKN,
                                                 "BINANCE:RUNEEUR"]
    quote = api.quote(NKN)
    assert (quote.bid, quote.bid_size, quote.ask, quote.ask_size) == (0.3527, 9602, 0.3531, 152)
    trade = api.last_trade(NKN)
    assert (trade.price, trade.size, trade.aggressor, trade.trade_id) == \
        (0.3528, 58, "buy", "15683430")
    book = api.book(NKN, depth=3)
    assert book.usable and book.stale_reason is None
    assert book.bids == [(0.3527, 9602), (0.3526, 2829), (0.3525, 1850)]
    assert book.asks == [(0.3531, 152), (0.3532, 949), (0.3533, 2713)]
    bars = api.bars(ADA, "1m", limit=500)
    assert (bars.timeframe, bars.interval_ns, len(bars.bars)) == ("1m", 60_000_000_000, 21)
    first = bars.bars[0]
    assert first.ts == 1637971200000 * 1_000_000
    assert (first.open, first.high, first.low, first.close) == \
        (0.00002853, 0.00002854, 0.00002851, 0.00002854)
    assert first.volume == 36304.2 and first.closed
    window = api.bars(ADA, start_ns=first.ts, end_ns=first.ts + 3 * 60_000_000_000,
                      forming=False)
    assert [b.ts for b in window.bars] == [b.ts for b in bars.bars[:3]]
    assert api.quality_summary()[NKN] == {"duplicate": 1, "out_of_order": 73}
    found = api.quality(limit=1000)
    assert {f.kind for f in found if f.instrument_id == NKN} == {"duplicate", "out_of_order"}
    assert len(api.quality(limit=2)) == 2
    plugins = {p.id: p for p in api.plugins()}
    assert plugins["paper"].connected and plugins["paper"].kinds == ["broker"]
    assert plugins["replay"].status == "loaded"
    assert [(c.plugin_id, c.data, c.execution) for c in api.connections()] == \
        [("paper", False, True), ("replay", True, False)]


def test_market_data_async(live: LiveTerminal, tokens: dict[str, str]) -> None:
    async def main() -> None:
        async with RecordingAsyncClient(live.url, tokens["read"]) as api:
            assert (await api.health()).version == (await api.status()).version
            assert len(await api.instruments()) == 1695
            assert (await api.instrument(NKN)).symbol == "NKNUSDT"
            assert len(await api.quotes()) == 4
            assert (await api.quote(NKN)).ask == 0.3531
            assert (await api.last_trade(NKN)).trade_id == "15683430"
            book = await api.book(NKN, depth=1)
            assert (book.bids, book.asks) == ([(0.3527, 9602)], [(0.3531, 152)])
            assert len((await api.bars(ADA, limit=5)).bars) == 5
            assert (await api.quality_summary())[NKN]["out_of_order"] == 73
            assert len(await api.quality(limit=1)) == 1
            assert {p.id for p in await api.plugins()} >= {"paper", "replay"}
            assert "replay" in {c.plugin_id for c in await api.connections()}
    run(main())


# trading ----------------------------------------------------------------------------------
def test_market_order_reaches_the_paper_broker(api: Client) -> None:
    before = {p.instrument_id: Decimal(p.quantity) for p in api.positions()}
    cash = Decimal(api.account().balances["USDT"])
    qty = size()
    order = api.place_order(NKN, "buy", Decimal(qty), type="market")
    assert isinstance(order, OrderOut)
    assert (order.status, Decimal(order.filled_qty), order.avg_fill_price) == \
        ("filled", Decimal(qty), "0.3531")  # the module's first order: the best ask's 152
    assert api.order(order.client_order_id) == order
    assert order.client_order_id in {o.client_order_id for o in api.orders(instrument_id=NKN)}
    assert order.client_order_id in {o.client_order_id for o in api.orders(status="filled")}
    fills = [f for f in api.fills(NKN) if f.client_order_id == order.client_order_id]
    assert len(fills) == 1 and isinstance(fills[0], FillOut)
    fill = fills[0]
    assert (Decimal(fill.quantity), fill.price, fill.liquidity) == (Decimal(qty), "0.3531",
                                                                   "taker")
    position = {p.instrument_id: p for p in api.positions(open_only=True)}[NKN]
    assert Decimal(position.quantity) == before.get(NKN, Decimal(0)) + Decimal(qty)
    assert position.mark == pytest.approx((0.3527 + 0.3531) / 2)
    spent = Decimal(qty) * Decimal("0.3531") + Decimal(fill.fee)
    assert Decimal(api.account().balances["USDT"]) == cash - spent
    pnl = api.pnl()
    assert pnl.currency == "USD" and Decimal(pnl.fees["USDT"]) >= Decimal(fill.fee)


def test_limit_order_modify_cancel(api: Client) -> None:
    order = api.place_order(NKN, "buy", size(), price="0.3400")
    assert order.status == "accepted" and Decimal(order.price or "0") == Decimal("0.34")
    assert order.client_order_id in {o.client_order_id for o in api.orders(status="working")}
    changed = api.modify_order(order.client_order_id, size(), price=Decimal("0.3410"))
    assert Decimal(changed.price or "0") == Decimal("0.341")
    canceled = api.cancel_order(order.client_order_id)
    assert canceled.status in ("pending_cancel", "canceled")
    assert api.order(order.client_order_id).status == "canceled"
    api.place_order(NKN, "buy", size(), price="0.3401", client_order_id="sdk-rest-1")
    assert api.cancel_all().canceled == 1
    assert api.orders(status="working") == []


def test_refusals_raise_the_right_errors(api: Client, live: LiveTerminal,
                                         tokens: dict[str, str]) -> None:
    with pytest.raises(RiskRejected) as risk:
        api.place_order(NKN, "buy", size(), price="9")
    problem = risk.value
    assert isinstance(problem, OrderRefused) and isinstance(problem, ApiError)
    assert (problem.status, problem.slug, problem.reason) == (422, "risk-rejected", "price_band")
    assert problem.type == "/api/v1/problems/risk-rejected"
    assert problem.title == "Refused by the risk engine" and "band 10%" in (problem.detail or "")
    assert problem.instance == "/api/v1/orders" and problem.extra == {"reason": "price_band"}
    with pytest.raises(NotFound) as missing:
        api.instrument("BINANCE:NOSUCH")
    assert missing.value.status == 404 and missing.value.slug == "not-found"
    with pytest.raises(NotFound):
        api.order("no-such-order")
    with pytest.raises(InvalidRequest) as invalid:
        api.bars(NKN, "7x")
    assert invalid.value.errors and invalid.value.errors[0]["loc"] == ["query", "timeframe"]
    with RecordingClient(live.url, tokens["read"]) as reader:
        with pytest.raises(PermissionDenied) as denied:
            reader.place_order(NKN, "buy", size(), type="market")
        assert denied.value.required_scope == "trade" and denied.value.status == 403
    with Client(live.url) as anonymous, pytest.raises(AuthenticationError) as anon:
        anonymous.status()
    assert anon.value.slug == "unauthorized"
    assert anon.value.headers["www-authenticate"] == "Bearer"
    with Client(live.url, "tt_0123456789ab_" + "x" * 43) as stranger, \
            pytest.raises(AuthenticationError):
        stranger.account()


def test_the_token_travels_only_in_the_header(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"status": "ok", "version": "x"})

    with Client("http://127.0.0.1:1/api/v1/", "tt_0123456789ab_secret",
                transport=httpx.MockTransport(answer)) as api:
        api.health()
        assert "secret" not in repr(api)
    (request,) = seen
    assert request.headers["authorization"] == "Bearer tt_0123456789ab_secret"
    assert str(request.url) == "http://127.0.0.1:1/api/v1/health"
    with pytest.raises(FileNotFoundError):
        Client.from_data_dir(tmp_path, "t")


def test_token_in_the_query_is_refused(api: Client) -> None:
    # the SDK never does this; a hand-made call shows how the guard's refusal surfaces
    with pytest.raises(RequestRefused) as refused:
        api._send(Call("GET", "/api/v1/quotes", list, params={"token": "x"}))
    assert refused.value.slug == "token-in-query" and refused.value.status == 400


def test_trading_async(live: LiveTerminal, tokens: dict[str, str]) -> None:
    async def main() -> None:
        async with RecordingAsyncClient(live.url, tokens["trade"]) as api:
            order = await api.place_order(NKN, "buy", size(), type="market")
            assert order.status == "filled"
            assert Decimal(order.avg_fill_price) >= Decimal("0.3531")  # at or above the ask
            assert (await api.order(order.client_order_id)).status == "filled"
            assert order.client_order_id in {o.client_order_id for o in await api.orders()}
            fills = await api.fills(NKN, limit=10_000)
            assert order.client_order_id in {f.client_order_id for f in fills}
            assert NKN in {p.instrument_id for p in await api.positions()}
            assert "NKN" in (await api.account()).balances
            assert "USDT" in (await api.pnl()).realized
            rest = await api.place_order(NKN, "sell", size(), price="0.3600")
            assert rest.status == "accepted"
            moved = await api.modify_order(rest.client_order_id, rest.quantity, "0.3610")
            assert Decimal(moved.price or "0") == Decimal("0.361")
            assert (await api.cancel_order(rest.client_order_id)).client_order_id == \
                rest.client_order_id
            assert (await api.cancel_all()).canceled == 0
            with pytest.raises(RiskRejected) as risk:
                await api.place_order(NKN, "buy", size(), price="0.5")
            assert risk.value.reason == "price_band"
    run(main())


# strategies, risk, backtests --------------------------------------------------------------
def test_strategies_sync(api: Client) -> None:
    kinds = {k.kind: k.params for k in api.strategy_kinds()}
    assert set(kinds) == {"bollinger", "ma-cross", "macd", "rsi"}
    assert kinds["ma-cross"]["fast"] == 10 and kinds["ma-cross"]["slow"] == 30
    started = api.start_strategy("rsi", NKN, "1m", params={"period": 7},
                                 strategy_id="sdk-rsi")
    assert (started.kind, started.params["period"], started.auto_trade) == ("rsi", 7, False)
    assert "sdk-rsi" in {s.strategy_id for s in api.strategies()}
    with pytest.raises(Conflict):
        api.start_strategy("rsi", NKN, strategy_id="sdk-rsi")
    assert api.signals(NKN, strategy_id="sdk-rsi") == []
    assert api.stop_strategy("sdk-rsi") is None
    with pytest.raises(NotFound):
        api.stop_strategy("sdk-rsi")


def test_risk_sync(api: Client) -> None:
    limits = api.risk_limits()
    assert (limits.scope, limits.subject, limits.limits["price_band_pct"]) == \
        ("account", "paper", "10")
    changed = api.change_risk_limits({"max_order_qty": Decimal(5)}, NKN)
    assert changed.scope == "instrument" and changed.overrides == {"max_order_qty": "5"}
    assert api.risk_limits(NKN).limits["max_order_qty"] == "5"
    with pytest.raises(RiskRejected) as too_big:
        api.place_order(NKN, "buy", size(), type="market")
    assert too_big.value.reason == "max_order_qty"
    assert api.change_risk_limits({"max_order_qty": None}, NKN).overrides == {}
    assert api.kill_switch().engaged is False
    engaged = api.set_kill_switch(True, "sdk drill")
    assert (engaged.engaged, engaged.reason) == (True, "sdk drill")
    try:
        with pytest.raises(RiskRejected) as blocked:
            api.place_order(NKN, "buy", size(), type="market")
        assert blocked.value.reason == "kill_switch"
    finally:
        assert api.set_kill_switch(False).engaged is False


def test_backtests_sync(api: Client) -> None:
    result = api.run_backtest("ma-cross", ADA, "1m", params={"fast": 2, "slow": 5},
                              fee_bps=0)
    assert (result.bars, result.strategy, result.instrument_id) == (21, "ma-cross", ADA)
    assert len(result.equity) == len(result.times) == 21 and result.id > 0
    assert api.backtest(result.id).stats == result.stats
    assert result.id in {b.id for b in api.backtests(ADA)}
    with pytest.raises(NotFound):
        api.backtest(10**6)


def test_strategies_risk_backtests_async(live: LiveTerminal, tokens: dict[str, str]) -> None:
    async def main() -> None:
        async with RecordingAsyncClient(live.url, live.token("admin")) as api:
            assert len(await api.strategy_kinds()) == 4
            await api.start_strategy("macd", NKN, strategy_id="sdk-macd")
            assert [s.kind for s in await api.strategies()] == ["macd"]
            assert await api.signals(limit=5) == []
            await api.stop_strategy("sdk-macd")
            assert (await api.risk_limits(NKN)).scope == "instrument"
            changed = await api.change_risk_limits({"max_working_orders": 150})
            assert changed.overrides == {"max_working_orders": 150}
            await api.change_risk_limits({"max_working_orders": None})
            assert not (await api.kill_switch()).engaged
            assert (await api.set_kill_switch(True)).engaged
            assert not (await api.set_kill_switch(False)).engaged
            run_ = await api.run_backtest("rsi", ADA, params={"period": 3}, store=False)
            assert run_.bars == 21 and run_.id == 0
            stored = await api.backtests(limit=1)
            assert (await api.backtest(stored[0].id)).instrument_id == ADA
    run(main())


# admin ------------------------------------------------------------------------------------
def test_tokens_audit_metrics_sync(api: Client, live: LiveTerminal) -> None:
    created = api.create_token("sdk made", "read", expires_in_s=3600)
    assert created.token.startswith(f"tt_{created.token_id}_") and created.active
    assert created.expires_ns is not None and created.scope == "read"
    with Client(live.url, created.token) as fresh:
        assert fresh.quote(NKN).bid == 0.3527
    listed = {t.token_id: t for t in api.tokens()}
    assert listed[created.token_id].uses >= 1 and listed[created.token_id].name == "sdk made"
    assert api.revoke_token(created.token_id) is None
    with Client(live.url, created.token) as revoked, pytest.raises(AuthenticationError) as exc:
        revoked.status()
    assert exc.value.slug == "token-revoked"
    with pytest.raises(NotFound):
        api.revoke_token(created.token_id)
    assert api.devices() == []
    entries = api.audit(action="api.token.create", limit=10)
    assert created.token_id in {e.subject for e in entries}
    text = api.metrics()
    assert "terminal_api_requests_total" in text and 'route="/quotes/{instrument}"' in text


def test_admin_async(live: LiveTerminal, tokens: dict[str, str]) -> None:
    async def main() -> None:
        async with RecordingAsyncClient.from_data_dir(live.data_dir, live.token("admin")) as api:
            created = await api.create_token("sdk async", "trade")
            assert created.token_id in {t.token_id for t in await api.tokens()}
            await api.revoke_token(created.token_id)
            assert await api.devices() == []
            assert (await api.audit(limit=1))[0].id > 0
            assert "terminal_api_stream" in await api.metrics()
            with pytest.raises(Conflict):
                await api.connect("replay", {})
    run(main())


# the stream -------------------------------------------------------------------------------
def _fill_of(order: OrderOut) -> Callable[[Any], bool]:
    return lambda m: isinstance(m, Event) and m.channel == "fills" and \
        m.data["client_order_id"] == order.client_order_id


def test_stream_sync_resumes_after_4008_and_a_dropped_connection(api: Client,
                                                                 live: LiveTerminal) -> None:
    got: list[Any] = []

    def until(stream: Any, done: Callable[[Any], bool]) -> None:
        for _ in range(1000):
            message = stream.next(timeout=30)  # a guard against hanging, not a measure
            got.append(message)
            if done(message):
                return
        raise AssertionError("the awaited message never came")

    with api.stream(["orders", "fills"], [NKN]) as stream:
        first = stream.next(timeout=30)
        assert isinstance(first, Subscribed) and not first.reconnect
        assert first.channels == ["fills", "orders"] and first.instruments == [NKN]
        one = api.place_order(NKN, "buy", size(), type="market")
        until(stream, _fill_of(one))
        assert force_slow_close(live) == 1
        two = api.place_order(NKN, "buy", size(), type="market")  # published while closing
        until(stream, _fill_of(two))
        assert stream.reconnects == 1 and stream.last_close is not None
        assert stream.last_close[0] == 4008
        stream.drop()
        three = api.place_order(NKN, "buy", size(), type="market")
        until(stream, _fill_of(three))
        assert stream.reconnects == 2 and stream.last_close[0] == 1006
        last = stream.last_seq
    events = [m for m in got if isinstance(m, Event)]
    resumed = [m for m in got if isinstance(m, Subscribed)]
    assert len(resumed) == 2 and all(m.reconnect and m.resume_gap is None for m in resumed)
    expected = [seq for seq, channel, instrument in hub_history(live)
                if channel in ("orders", "fills") and instrument == NKN
                and events[0].seq <= seq <= events[-1].seq]
    assert [e.seq for e in events] == expected  # each once, in order, none lost
    assert last == events[-1].seq
    fill = events[-1].model
    assert isinstance(fill, FillOut) and Decimal(fill.price) >= Decimal("0.3531")
    orders = [e.model for e in events if e.channel == "orders"]
    assert {o.client_order_id for o in orders if isinstance(o, OrderOut)} == \
        {one.client_order_id, two.client_order_id, three.client_order_id}


def test_stream_async_resumes(live: LiveTerminal, tokens: dict[str, str]) -> None:
    async def next_of(stream: Any) -> Any:
        return await asyncio.wait_for(anext(stream), 30)  # a guard against hanging

    async def main() -> None:
        async with RecordingAsyncClient(live.url, tokens["trade"]) as api:
            async with api.stream(["fills", "positions"]) as stream:
                assert isinstance(await next_of(stream), Subscribed)
                order = await api.place_order(NKN, "buy", size(), type="market")
                seen: list[Event] = []
                while not seen or seen[-1].channel != "positions":
                    message = await next_of(stream)
                    assert isinstance(message, Event)
                    seen.append(message)
                assert seen[0].data["client_order_id"] == order.client_order_id
                mark = stream.last_seq
                assert mark == seen[-1].seq
                force_slow_close(live)
                second = await api.place_order(NKN, "buy", size(), type="market")
                # the server dropped it as a slow consumer before `second` was published:
                # its fill comes from the history after the automatic resubscription
                again = await next_of(stream)
                assert isinstance(again, Subscribed) and again.reconnect
                assert again.replayed is not None and again.replayed >= 1
                fill = await next_of(stream)
                assert isinstance(fill, Event) and fill.seq > (mark or 0)
                assert fill.data["client_order_id"] == second.client_order_id
                assert stream.reconnects == 1 and stream.last_close is not None
                assert stream.last_close[0] == 4008
            # a resume from a known position replays what came after it
            async with api.stream(["fills"], resume_from=mark) as replay:
                notice = await next_of(replay)
                assert isinstance(notice, Subscribed) and (notice.replayed or 0) >= 1
                fill = await next_of(replay)
                assert fill.seq > (mark or 0)
                assert fill.data["client_order_id"] == second.client_order_id
        with pytest.raises(AuthenticationError):
            await next_of(AsyncClient(live.url, "tt_0123456789ab_" + "y" * 43).stream())
        async with AsyncClient(live.url, tokens["read"]) as reader:
            with pytest.raises(StreamError) as bad:
                await next_of(reader.stream(["no-such-channel"]))
            assert bad.value.code == 4400
    run(main())


# rate limits ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tight(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveTerminal]:
    tiny = Tier(rate=0.01, burst=2)  # two requests, then one per 100 s
    terminal = LiveTerminal(tmp_path_factory.mktemp("tight"), settings(tiers={
        "read": tiny, "trade": tiny, "admin": tiny, "pairing": tiny}), replay=[]).start()
    yield terminal
    terminal.stop()


def test_rate_limited(tight: LiveTerminal) -> None:
    with Client(tight.url, tight.token("read")) as api:
        api.status()
        assert api.rate_limit is not None and api.rate_limit.limit == 2
        assert api.rate_limit.remaining == 1
        api.account()
        with pytest.raises(RateLimited) as limited:
            api.positions()
        assert (limited.value.status, limited.value.slug) == (429, "rate-limited")
        assert limited.value.retry_after == 100
        assert api.health().status == "ok"  # health has no budget

    async def main() -> None:
        async with AsyncClient(tight.url, tight.token("read", "other")) as api:
            await api.status()
            await api.status()
            with pytest.raises(RateLimited) as again:
                await api.status()
            assert again.value.retry_after >= 1
    run(main())


def test_connections(api: Client, live: LiveTerminal, tokens: dict[str, str]) -> None:
    ada = {"paths": [str(p) for p in ADA_FILES], "speed": "max", "instrument": ADA}
    assert api.disconnect("replay") is None
    assert [c.plugin_id for c in api.connections()] == ["paper"]
    with pytest.raises(NotFound):
        api.disconnect("replay")
    with pytest.raises(InvalidRequest):
        api.connect("replay", {"paths": []})
    connected = api.connect("replay", ada)
    assert (connected.plugin_id, connected.data, connected.finite) == ("replay", True, True)
    with pytest.raises(NotFound):
        api.connect("no-such-plugin")

    async def main() -> None:
        async with RecordingAsyncClient(live.url, live.token("admin")) as aapi:
            await aapi.disconnect("replay")
            again = await aapi.connect("replay", ada)
            assert again.plugin_id == "replay"
    run(main())


def test_the_python_example_runs(live: LiveTerminal, capsys: pytest.CaptureFixture[str]
                                 ) -> None:
    path = Path(__file__).parents[2] / "docs" / "examples" / "place_order_and_watch.py"
    example = runpy.run_path(str(path))
    token = live.token("trade", "example")
    assert example["main"](["--data-dir", str(live.data_dir), "--token", token,
                            "--quantity", size()]) == 0
    out = capsys.readouterr().out
    assert "order filled" in out and " fill buy " in out and " is filled" in out
    assert example["main"](["--url", live.url, "--token", token, "--type", "limit",
                            "--price", "0.3300", "--quantity", size(), "--wait", "0"]) == 0
    out = capsys.readouterr().out
    assert "canceling" in out and " is canceled" in out


def test_every_endpoint_was_called_sync_and_async() -> None:
    assert ENDPOINTS - CALLED["sync"] == set()
    assert ENDPOINTS - CALLED["async"] == set()
