"""The alert service on its own: conditions, once and repeating, mid alerts, refusals that
name the field, and the stored state read back by a new service (a restart)."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from terminal.core.bus import EventBus
from terminal.core.tasks import TaskTracker
from terminal.core.topics import Kind
from terminal.model.ids import InstrumentId
from terminal.model.market import Aggressor, Quote, Trade
from terminal.persistence.db import Database, default_url
from terminal.services.alerts import AlertError, AlertService

NKN = InstrumentId("BINANCE", "NKNUSDT")


def trade(price: float, n: int) -> Trade:
    return Trade(NKN, price, 1.0, Aggressor.BUY, str(n), n * 1_000_000, n * 1_000_000)


class Harness:
    def __init__(self) -> None:
        self.bus = EventBus()
        self.service = AlertService(self.bus, TaskTracker())
        self.fired: list[dict[str, Any]] = []
        self.bus.subscribe_kind(Kind.ALERT, lambda _t, e: self.fired.append(e))

    def play(self, *prices: float) -> list[str]:
        """The trade ids that fired something."""
        before = len(self.fired)
        for n, price in enumerate(prices, start=1):
            self.bus.emit(Kind.TRADE, str(NKN), trade(price, n))
        return [f["trade_id"] for f in self.fired[before:]]


async def _started(*alerts: tuple[str, str, bool]) -> Harness:
    h = Harness()
    await h.service.start()
    for condition, price, repeat in alerts:
        await h.service.add(str(NKN), condition, price, repeat=repeat)
    return h


def test_above_fires_once_at_the_first_trade_at_or_over_the_level() -> None:
    async def main() -> None:
        h = await _started(("above", "0.3525", False))
        assert h.play(0.3520, 0.3525, 0.3530, 0.3510, 0.3540) == ["2"]
        fired = h.fired[0]
        assert fired["condition"] == "above" and fired["price"] == "0.3525"
        assert fired["triggered_price"] == 0.3525 and fired["ts_ns"] == 2_000_000
        assert fired["count"] == 1 and fired["instrument"] == "BINANCE:NKNUSDT"
        assert h.service.records()[0].active is False
        assert h.service.active_prices(NKN) == []
    asyncio.run(main())


def test_repeating_above_and_below_rearm_only_after_the_condition_was_false() -> None:
    async def main() -> None:
        h = await _started(("above", "10", True))
        assert h.play(11, 12, 9, 10, 10, 8, 13) == ["1", "4", "7"]
        h2 = await _started(("below", "10", True))
        assert h2.play(11, 10, 9, 11, 9.5) == ["2", "5"]
    asyncio.run(main())


def test_cross_fires_each_way_and_the_first_price_only_sets_the_side() -> None:
    async def main() -> None:
        h = await _started(("cross", "10", True))
        assert h.play(10.5, 11, 9.9, 9.8, 10, 10.2, 9) == ["3", "5", "7"]
        once = await _started(("cross", "10", False))
        assert once.play(9, 11, 9) == ["2"]
    asyncio.run(main())


def test_mid_alerts_watch_quotes_not_trades() -> None:
    async def main() -> None:
        h = Harness()
        await h.service.start()
        await h.service.add(str(NKN), "above", "0.3525", source="mid")
        h.play(0.36)
        assert h.fired == []
        h.bus.emit(Kind.QUOTE, str(NKN), Quote(NKN, 0.3521, 1, 0.3527, 1, 5, 5))
        assert h.fired == []
        h.bus.emit(Kind.QUOTE, str(NKN), Quote(NKN, 0.3524, 1, 0.3528, 1, 6, 6))
        assert [f["triggered_price"] for f in h.fired] == [pytest.approx(0.3526)]
        assert h.fired[0]["source"] == "mid" and h.fired[0]["trade_id"] is None
    asyncio.run(main())


@pytest.mark.parametrize(("args", "field"), [
    (("NKNUSDT", "above", "1"), "instrument"),
    (("BINANCE:NKNUSDT", "over", "1"), "condition"),
    (("BINANCE:NKNUSDT", "above", "abc"), "price"),
    (("BINANCE:NKNUSDT", "above", "-1"), "price"),
    (("BINANCE:NKNUSDT", "above", "NaN"), "price"),
])
def test_refusals_name_the_field(args: tuple[str, str, str], field: str) -> None:
    service = AlertService(EventBus(), TaskTracker())
    with pytest.raises(AlertError, match=f"^{field}: "):
        service.check(*args)


def test_alerts_and_their_firings_survive_a_restart(tmp_path: Path) -> None:
    url = default_url(tmp_path)

    async def first() -> None:
        with Database.open(url) as db:
            db.migrate()
            h = Harness()
            h.service.restore(db.alerts, db.alerts.all())
            await h.service.start()
            await h.service.add(str(NKN), "above", "10", note="take profit")
            await h.service.add(str(NKN), "cross", "20", repeat=True)
            removed = await h.service.add(str(NKN), "below", "5")
            assert await h.service.remove(removed.alert_id)
            assert h.play(9, 11, 21) == ["2", "3"]
            await h.service.stop()

    async def second() -> None:
        with Database.open(url) as db:
            h = Harness()
            h.service.restore(db.alerts, db.alerts.all())
            await h.service.start()
            once, repeating = h.service.records()
            assert (once.condition, once.active, once.triggered_count) == ("above", False, 1)
            assert once.last_triggered_price == 11 and once.note == "take profit"
            assert once.price == Decimal("10")
            assert (repeating.active, repeating.triggered_count) == (True, 1)
            assert h.service.active_prices(NKN) == [20.0]
            assert h.play(19, 25) == ["2"]  # only the repeating one, again
            await h.service.stop()
            assert db.alerts.get(repeating.alert_id).triggered_count == 2  # type: ignore[union-attr]

    asyncio.run(first())
    asyncio.run(second())
