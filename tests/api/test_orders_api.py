"""Orders through the API take the ticket's path: risk engine, order manager, paper broker,
audit log. Values checked against the real Binance capture's last NKNUSDT book (asks
152@0.3531, 949@0.3532, 2713@0.3533; bids 9602@0.3527), worked out by hand."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal as D
from typing import Any

import httpx
import pytest

from tests.api.live import LiveTerminal

NKN = "BINANCE:NKNUSDT"


@pytest.fixture(scope="module")
def term(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveTerminal]:
    terminal = LiveTerminal(tmp_path_factory.mktemp("orders")).start()
    terminal.wait_replayed()
    yield terminal
    terminal.stop()


@pytest.fixture(scope="module")
def api(term: LiveTerminal) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=term.url + "/api/v1", timeout=30,
                      headers={"Authorization": f"Bearer {term.token('admin')}"}) as client:
        yield client


def order(**fields: Any) -> dict[str, Any]:
    return {"instrument_id": NKN, "side": "buy", "type": "market", "quantity": "100",
            **fields}


def test_a_market_order_walks_the_book_and_is_filled_with_fees(api: httpx.Client) -> None:
    placed = api.post("/orders", json=order(quantity="1000", client_order_id="api-walk-1"))
    assert placed.status_code == 201, placed.text
    body = placed.json()
    assert body["status"] == "filled" and body["client_order_id"] == "api-walk-1"
    # 152 @ 0.3531 + 848 @ 0.3532
    notional = D("152") * D("0.3531") + D("848") * D("0.3532")
    assert D(body["filled_qty"]) == 1000
    assert D(body["avg_fill_price"]) == notional / 1000
    assert D(body["fees"]) == notional * D("0.001")  # taker fee
    assert body["source"].startswith("api:")
    fills = [f for f in api.get("/fills", params={"instrument": NKN}).json()
             if f["client_order_id"] == "api-walk-1"]
    assert [(f["quantity"], f["price"]) for f in fills] == \
        [("152.00000000", "0.3531"), ("848.00000000", "0.3532")]
    position = next(p for p in api.get("/positions").json() if p["instrument_id"] == NKN)
    assert D(position["quantity"]) == 1000
    assert D(position["avg_price"]) == notional / 1000
    account = api.get("/account").json()
    assert D(account["balances"]["USDT"]) == D("100000") - notional - notional * D("0.001")
    audit = api.get("/audit", params={"action": "order.submit"}).json()
    assert any(e["subject"] == "api-walk-1" and e["detail"]["source"].startswith("api:")
               for e in audit)
    # a retry with the same id and terms answers the first order, never a second one
    again = api.post("/orders", json=order(quantity="1000", client_order_id="api-walk-1"))
    assert again.status_code == 201 and again.json()["ts_created"] == body["ts_created"]
    assert len([f for f in api.get("/fills").json()
                if f["client_order_id"] == "api-walk-1"]) == 2


def test_a_resting_limit_order_can_be_modified_and_canceled(api: httpx.Client) -> None:
    placed = api.post("/orders", json=order(type="limit", price="0.3500", quantity="50"))
    assert placed.status_code == 201 and placed.json()["status"] == "accepted"
    coid = placed.json()["client_order_id"]
    assert coid in [o["client_order_id"] for o in
                    api.get("/orders", params={"status": "working"}).json()]
    changed = api.patch(f"/orders/{coid}", json={"quantity": "60", "price": "0.3510"})
    assert changed.status_code == 200
    now = api.get(f"/orders/{coid}").json()
    assert (D(now["quantity"]), D(now["price"])) == (60, D("0.3510"))
    assert api.delete(f"/orders/{coid}").status_code == 200
    assert api.get(f"/orders/{coid}").json()["status"] == "canceled"
    refused = api.delete(f"/orders/{coid}")
    assert refused.status_code == 422
    assert refused.json()["type"] == "/api/v1/problems/order-invalid"


def _orders(api: httpx.Client) -> list[str]:
    return [o["client_order_id"] for o in api.get("/orders").json()]


@pytest.mark.parametrize(("fields", "reason"), [
    ({"type": "limit", "price": "9"}, "price_band"),  # 2450% above the mid
    ({"quantity": "10"}, "min_notional"),  # 10 x 0.3531 < 10 USDT
    ({"quantity": "9999999999"}, "instrument_constraint"),  # above the 9e6 max qty
    ({"side": "sell", "quantity": "100000"}, "insufficient_balance"),  # spot: 200 NKN held
])
def test_the_risk_engine_refuses_and_nothing_is_stored(api: httpx.Client,
                                                       fields: dict[str, Any],
                                                       reason: str) -> None:
    before = _orders(api)
    refused = api.post("/orders", json=order(**fields))
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert refused.headers["content-type"] == "application/problem+json"
    assert problem["type"] == "/api/v1/problems/risk-rejected"
    assert problem["reason"] == reason and problem["detail"]
    assert _orders(api) == before


def test_limits_changed_through_the_api_apply_to_the_next_order(api: httpx.Client) -> None:
    changed = api.patch("/risk/limits", params={"instrument": NKN},
                        json={"limits": {"max_order_qty": "500"}})
    assert changed.status_code == 200
    assert changed.json()["overrides"] == {"max_order_qty": "500"}
    refused = api.post("/orders", json=order(quantity="600"))
    assert refused.json()["reason"] == "max_order_qty"
    assert api.post("/orders", json=order(quantity="40")).status_code == 201
    bad = api.patch("/risk/limits", json={"limits": {"no_such_limit": 1}})
    assert bad.status_code == 422 and "no_such_limit" in bad.json()["detail"]
    cleared = api.patch("/risk/limits", params={"instrument": NKN},
                        json={"limits": {"max_order_qty": None}})
    assert cleared.json()["overrides"] == {}


def test_the_kill_switch_stops_api_orders_and_cancels_working_ones(api: httpx.Client) -> None:
    resting = api.post("/orders", json=order(type="limit", price="0.3400", quantity="40"))
    assert resting.status_code == 201
    engaged = api.post("/risk/kill-switch", json={"engaged": True, "reason": "api test"})
    assert engaged.json()["engaged"] is True and engaged.json()["canceled"] >= 1
    assert api.get(f"/orders/{resting.json()['client_order_id']}").json()["status"] == \
        "canceled"
    refused = api.post("/orders", json=order(quantity="40"))
    assert refused.status_code == 422 and refused.json()["reason"] == "kill_switch"
    api.post("/risk/kill-switch", json={"engaged": False})
    again = api.post("/orders", json=order(quantity="41"))
    assert again.status_code == 201, again.text


def test_strategies_start_list_and_stop(api: httpx.Client) -> None:
    kinds = {k["kind"] for k in api.get("/strategies/kinds").json()}
    assert kinds == {"ma-cross", "rsi", "bollinger", "macd"}
    started = api.post("/strategies", json={"kind": "ma-cross", "instrument_id": NKN,
                                            "params": {"fast": 3, "slow": 8},
                                            "strategy_id": "api-cross"})
    assert started.status_code == 201, started.text
    assert started.json()["params"]["fast"] == 3 and started.json()["auto_trade"] is False
    twice = api.post("/strategies", json={"kind": "ma-cross", "instrument_id": NKN,
                                          "strategy_id": "api-cross"})
    assert twice.status_code == 409
    bad = api.post("/strategies", json={"kind": "ma-cross", "instrument_id": NKN,
                                        "params": {"fast": 9, "slow": 3}})
    assert bad.status_code == 422 and "fast" in bad.json()["detail"]
    assert [s["strategy_id"] for s in api.get("/strategies").json()] == ["api-cross"]
    assert api.delete("/strategies/api-cross").status_code == 204
    assert api.get("/strategies").json() == []
