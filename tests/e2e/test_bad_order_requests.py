"""Bad order requests are refused with a clear reason and leave no trace."""

import asyncio
from decimal import Decimal as D

import pytest

from terminal.app import Engine, EngineOptions
from terminal.core.errors import RiskRejected
from terminal.model.ids import InstrumentId
from terminal.model.instrument import Instrument
from terminal.model.orders import OrderStatus
from terminal.persistence.db import Database
from terminal.services.execution import OrderRequest
from tests.data_paths import SHARED_DATA

NKN = InstrumentId("BINANCE", "NKNUSDT")
CAPTURE = SHARED_DATA / "ws" / "cryptofeed__BINANCE.ws.1.0"

BAD = [
    ({"quantity": "abc"}, "invalid_order", "quantity: 'abc' is not a number"),
    ({"quantity": "-1"}, "instrument_constraint", "quantity must be positive"),
    ({"quantity": "0"}, "instrument_constraint", "quantity must be positive"),
    ({"quantity": "1e400"}, "invalid_order", "is too large"),
    ({"quantity": "NaN"}, "invalid_order", "is not a number"),
    ({"quantity": "1_000"}, "invalid_order", "is not a number"),
    ({"quantity": None}, "invalid_order", "is not a number"),
    ({"quantity": True}, "invalid_order", "is not a number"),
    ({"side": "hold"}, "invalid_order", "side: 'hold' is not one of buy, sell"),
    ({"side": None}, "invalid_order", "side: None"),
    ({"type": "bogus"}, "invalid_order", "type: 'bogus' is not one of"),
    ({"time_in_force": "forever"}, "invalid_order", "time_in_force"),
    ({"client_order_id": "x" * 65}, "invalid_order", "use 1 to 36 letters"),
    ({"client_order_id": "bad id!"}, "invalid_order", "use 1 to 36 letters"),
    ({"source": "s" * 33}, "invalid_order", "source: must be text of 1 to 32"),
    ({"instrument_id": InstrumentId("BINANCE", "NOPE")}, "unknown_instrument", "NOPE"),
    ({"instrument_id": "BINANCE:NKNUSDT"}, "unknown_instrument", "unknown instrument"),
    ({"type": "limit", "price": None}, "missing_price", "needs a price"),
    ({"type": "limit", "price": "0.35", "quantity": "20"}, "min_notional", "below the venue"),
]


def good(**changes) -> OrderRequest:
    fields = {"instrument_id": NKN, "side": "buy", "type": "market", "quantity": "100",
              "source": "test"}
    fields.update(changes)
    return OrderRequest(**fields)


@pytest.fixture(scope="module")
def outcome(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("bad-orders")
    result: dict[str, object] = {"data_dir": data_dir, "errors": []}

    async def scenario() -> None:
        engine = Engine(EngineOptions(data_dir=data_dir, replay_paths=[CAPTURE], speed="max"))
        await engine.start()
        engine.instruments.add(Instrument(NKN, "NKN", "USDT", D("0.0001"), D("1"), D("1"),
                                          D("9000000"), D("10")))
        await engine.run()
        orders = engine.orders
        for changes, _reason, _text in BAD:
            try:
                await orders.submit(good(**changes))
            except RiskRejected as exc:
                result["errors"].append((exc.reason, str(exc)))
            else:
                result["errors"].append(("accepted", ""))
        result["orders_in_memory"] = len(orders.orders)
        result["position"] = engine.portfolio.positions.get(NKN)
        # strings for the enums are accepted; a retry with the same id is answered, not re-sent
        first = await orders.submit(good(client_order_id="R1"))
        again = await orders.submit(good(client_order_id="R1"))
        result["retry_same"] = again is first
        try:
            await orders.submit(good(client_order_id="R1", side="sell", quantity="5"))
        except RiskRejected as exc:
            result["retry_different"] = exc.reason
        result["first"] = first
        await engine.stop()

    asyncio.run(scenario())
    return result


@pytest.mark.parametrize("index", range(len(BAD)))
def test_each_bad_request_is_refused_with_its_reason(outcome, index):
    reason, message = outcome["errors"][index]
    _changes, expected_reason, expected_text = BAD[index]
    assert reason == expected_reason
    assert expected_text in message


def test_refused_requests_leave_no_trace(outcome):
    assert outcome["orders_in_memory"] == 0
    assert outcome["position"] is None
    db = Database.open(Database.default_url(outcome["data_dir"]))
    try:
        assert [o.client_order_id for o in db.orders.list(limit=None)] == ["R1"]
        rejected = [a for a in db.audit.list(limit=None) if a.action == "order.rejected"]
        assert len(rejected) == len(BAD) + 1
    finally:
        db.close()


def test_retries_are_idempotent_and_a_reused_id_is_refused(outcome):
    assert outcome["retry_same"] is True
    assert outcome["retry_different"] == "duplicate_client_order_id"
    assert outcome["first"].status is OrderStatus.FILLED
