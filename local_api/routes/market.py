"""Instruments, quotes, bars and order books."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Query, Request

from local_api.auth import requires
from local_api.deps import database, engine_of, instrument_id, known_instrument, off_loop
from local_api.problems import ApiProblem
from local_api.schemas import BarOut, BarsOut, BookOut, InstrumentOut, QuoteOut, TradeOut
from terminal.core.errors import ConfigError
from terminal.services.timeframes import parse_timeframe

if TYPE_CHECKING:
    from terminal.app import Engine

router = APIRouter(tags=["market data"], dependencies=[Depends(requires("read"))])
MAX_BARS = 10_000


@router.get("/instruments", response_model=list[InstrumentOut])
async def instruments(request: Request) -> list[InstrumentOut]:
    """Every instrument the terminal knows, with its tick and lot sizes."""
    return [InstrumentOut.of(i) for i in sorted(engine_of(request).instruments.all(),
                                                 key=lambda i: str(i.id))]


@router.get("/instruments/{instrument}", response_model=InstrumentOut)
async def instrument(request: Request, instrument: str) -> InstrumentOut:
    found = engine_of(request).instruments.get(instrument_id(instrument))
    if found is None:
        raise ApiProblem("not-found", f"no instrument {instrument}")
    return InstrumentOut.of(found)


def quotes_of(engine: Engine) -> list[QuoteOut]:
    return [QuoteOut.of(q) for _, q in sorted(engine.market_data.last_quote.items())]


@router.get("/quotes", response_model=list[QuoteOut])
async def quotes(request: Request) -> list[QuoteOut]:
    """The last quote of each instrument."""
    return quotes_of(engine_of(request))


@router.get("/quotes/{instrument}", response_model=QuoteOut)
async def quote(request: Request, instrument: str) -> QuoteOut:
    found = engine_of(request).market_data.last_quote.get(instrument_id(instrument))
    if found is None:
        raise ApiProblem("not-found", f"no quote for {instrument} yet")
    return QuoteOut.of(found)


@router.get("/trades/{instrument}", response_model=TradeOut)
async def last_trade(request: Request, instrument: str) -> TradeOut:
    """The last trade printed on an instrument."""
    found = engine_of(request).market_data.last_trade.get(instrument_id(instrument))
    if found is None:
        raise ApiProblem("not-found", f"no trade on {instrument} yet")
    return TradeOut.of(found)


@router.get("/bars/{instrument}", response_model=BarsOut)
async def bars(request: Request, instrument: str,
         timeframe: Annotated[str, Query(max_length=64)] = "1m",
         start_ns: Annotated[int | None, Query(ge=0, lt=2**63)] = None,
         end_ns: Annotated[int | None, Query(ge=0, lt=2**63)] = None,
         limit: Annotated[int, Query(ge=1, le=MAX_BARS)] = 500,
         forming: bool = True) -> BarsOut:
    """Stored bars of a timeframe, oldest first: those with start_ns <= ts < end_ns, or the
    last `limit` when no start is given; the forming bar last when `forming`."""
    engine = engine_of(request)
    iid = known_instrument(engine, instrument)
    try:
        tf = parse_timeframe(timeframe)
    except ConfigError as exc:
        raise ApiProblem("validation-error", str(exc),
                         errors=[{"loc": ["query", "timeframe"], "msg": str(exc)}]) from None
    db = database(engine)
    if start_ns is None:
        stored = await off_loop(db.bars.last, iid, tf.interval_ns, limit, end_ns)
    else:
        stored = await off_loop(db.bars.range, iid, tf.interval_ns, start_ns, end_ns, limit)
    out = [BarOut.of(b) for b in stored]
    if forming and end_ns is None:
        last_ts = stored[-1].ts if stored else -1
        out += [BarOut.of(b) for b in engine.aggregator.forming()
                if b.instrument_id == iid and b.interval_ns == tf.interval_ns
                and b.ts > last_ts]
    return BarsOut(instrument_id=str(iid), timeframe=tf.label, interval_ns=tf.interval_ns,
                   bars=out)


@router.get("/book/{instrument}", response_model=BookOut)
async def book(request: Request, instrument: str,
         depth: Annotated[int, Query(ge=1, le=1000)] = 20) -> BookOut:
    """The order book's top levels, best first; empty sides while the book is not usable
    (stale books publish nothing: see `stale_reason`)."""
    engine = engine_of(request)
    iid = instrument_id(instrument)
    status = engine.books.status(iid)
    if status is None:
        raise ApiProblem("not-found", f"no order book for {iid}")
    bids, asks = engine.books.levels(iid, depth)
    return BookOut(instrument_id=str(iid), usable=status.usable,
                   stale_reason=status.reason, ts_event=status.ts_ns or None,
                   bids=[(p, s) for p, s in bids], asks=[(p, s) for p, s in asks])


FAST_READS = [("/quotes", list[QuoteOut], quotes_of)]
