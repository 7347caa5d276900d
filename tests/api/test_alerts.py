"""Price alerts end to end: alerts stored before the terminal starts fire on the replayed
Binance capture at the trade found here by reading the capture itself, reach a real receiver
on 127.0.0.1 as signed `alert.triggered` webhooks, and keep their state across a restart;
the /api/v1/alerts routes create, list and delete them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from standardwebhooks import Webhook

from local_api.webhooks.config import WebhookSettings
from local_api.webhooks.keys import WebhookKeys
from local_api.webhooks.service import EndpointAdmin
from terminal.core.bus import EventBus
from terminal.core.tasks import TaskTracker
from terminal.persistence.db import Database, default_url
from terminal.services.alerts import AlertService
from tests.api.live import CAPTURE, LiveTerminal, settings
from tests.api.test_webhooks_kit import Receiver, memory_keyring, start_receiver, until

__all__ = ["memory_keyring"]
HOOKS = WebhookSettings(poll_s=0.2, retry_schedule_s=(0.05, 0.1))
# (instrument, condition, level, repeat); the first three fire on the capture, the last not
ALERTS = [("BINANCE:NKNUSDT", "above", "0.3525", False),
          ("BINANCE:LRCBTC", "below", "0.0000064", False),
          ("BINANCE:NKNUSDT", "below", "0.36", True),
          ("BINANCE:NKNUSDT", "above", "0.36", False)]


def capture_trades() -> list[dict[str, Any]]:
    """The aggTrade frames of the capture, in order (`<recv time>: <json>` lines)."""
    out = []
    for line in CAPTURE.read_text().splitlines():
        head, sep, body = line.partition(": ")
        if not sep or head.startswith("wss://"):
            continue
        frame = orjson.loads(body)["data"]
        if frame.get("e") == "aggTrade":
            out.append(frame)
    return out


def first_trade(symbol: str, condition: str, level: str) -> dict[str, Any] | None:
    for t in capture_trades():
        if t["s"] != symbol:
            continue
        price, mark = float(t["p"]), float(level)
        if (price >= mark) if condition == "above" else (price <= mark):
            return t
    return None


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = start_receiver()
    yield r
    r.release.set()
    r.server.shutdown()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, memory_keyring: Any,
           receiver: Receiver) -> tuple[Path, str, list[str]]:
    """A data dir holding an endpoint for alert.triggered and the alerts, as a previous
    session would have left it."""
    data_dir = tmp_path_factory.mktemp("alerts")
    with Database.open(default_url(data_dir)) as db:
        db.migrate()
        _record, secret = EndpointAdmin(db.webhooks, WebhookKeys(), HOOKS).add(
            receiver.url + "/alerts", ["alert.triggered"])
        checker = AlertService(EventBus(), TaskTracker())
        ids = []
        for instrument, condition, level, repeat in ALERTS:
            record = checker.check(instrument, condition, level, note=f"{condition} {level}",
                                   repeat=repeat)
            db.alerts.add(record)
            ids.append(record.alert_id)
    return data_dir, secret, ids


@pytest.fixture(scope="module")
def term(seeded: tuple[Path, str, list[str]]) -> Iterator[LiveTerminal]:
    terminal = LiveTerminal(seeded[0], settings(webhooks=HOOKS)).start()
    terminal.wait_replayed()
    yield terminal
    terminal.stop()


def alerts_received(receiver: Receiver, secret: str) -> list[tuple[dict[str, Any], str]]:
    """(verified payload, webhook-id) of every alert delivery so far."""
    return [(Webhook(secret).verify(r.body, r.headers), r.headers["webhook-id"])
            for r in receiver.on("/alerts")]


def test_alerts_fire_at_the_capture_trades_and_arrive_as_signed_webhooks(
        term: LiveTerminal, receiver: Receiver, seeded: tuple[Path, str, list[str]]) -> None:
    _dir, secret, ids = seeded
    got = until(lambda: len(r := alerts_received(receiver, secret)) >= 3 and r,
                "three alert.triggered deliveries")
    by_alert = {payload["data"]["alert_id"]: payload for payload, _id in got}
    assert set(by_alert) == set(ids[:3])
    for alert_id, (instrument, condition, level, repeat) in zip(ids[:3], ALERTS, strict=False):
        expected = first_trade(instrument.split(":")[1], condition, level)
        assert expected is not None
        payload = by_alert[alert_id]
        assert payload["type"] == "alert.triggered"
        assert payload["data"] == {
            "alert_id": alert_id, "instrument": instrument, "condition": condition,
            "price": level, "triggered_price": float(expected["p"]), "source": "trade",
            "ts_ns": expected["T"] * 1_000_000, "trade_id": str(expected["a"]),
            "note": f"{condition} {level}", "repeat": repeat, "count": 1}
    # NKNUSDT traded once, at 0.3528: "above 0.3525" fired there, "above 0.36" never did
    assert [t["p"] for t in capture_trades() if t["s"] == "NKNUSDT"] == ["0.35280000"]
    token = term.token("read")
    listed = httpx.get(term.url + "/api/v1/alerts", timeout=10,
                       headers={"Authorization": f"Bearer {token}"}).json()
    state = {a["alert_id"]: (a["active"], a["triggered_count"]) for a in listed}
    assert state == {ids[0]: (False, 1), ids[1]: (False, 1), ids[2]: (True, 1),
                     ids[3]: (True, 0)}


def test_the_routes_create_list_and_delete_alerts(term: LiveTerminal) -> None:
    trade = httpx.Client(base_url=term.url, timeout=10,
                         headers={"Authorization": f"Bearer {term.token('trade')}"})
    made = trade.post("/api/v1/alerts", json={
        "instrument": "binance:nknusdt", "condition": "cross", "price": "0.35312345",
        "note": "breakout", "repeat": True})
    assert made.status_code == 201, made.text
    body = made.json()
    # rounded to the instrument's tick (0.00010000 for NKNUSDT in the exchange metadata)
    assert body["instrument"] == "BINANCE:NKNUSDT" and body["price"] == "0.35310000"
    assert body["active"] is True and body["triggered_count"] == 0
    listed = trade.get("/api/v1/alerts", params={"instrument": "BINANCE:NKNUSDT",
                                                 "active": True}).json()
    assert body["alert_id"] in [a["alert_id"] for a in listed]
    assert all(a["instrument"] == "BINANCE:NKNUSDT" and a["active"] for a in listed)
    bad = trade.post("/api/v1/alerts", json={"instrument": "BINANCE:NKNUSDT",
                                             "condition": "above", "price": "-3"})
    assert bad.status_code == 422
    assert bad.json()["detail"].startswith("price: ")
    unknown = trade.post("/api/v1/alerts", json={"instrument": "NKNUSDT",
                                                 "condition": "above", "price": "1"})
    assert unknown.status_code == 422 and unknown.json()["detail"].startswith("instrument: ")
    assert trade.delete(f"/api/v1/alerts/{body['alert_id']}").status_code == 204
    assert trade.delete(f"/api/v1/alerts/{body['alert_id']}").status_code == 404


def test_fired_alerts_stay_fired_after_a_restart_and_repeating_ones_fire_again(
        term: LiveTerminal, receiver: Receiver, seeded: tuple[Path, str, list[str]]) -> None:
    data_dir, secret, ids = seeded
    until(lambda: len(alerts_received(receiver, secret)) >= 3, "the first session's alerts")
    term.stop()
    before = alerts_received(receiver, secret)
    again = LiveTerminal(data_dir, settings(webhooks=HOOKS)).start()
    try:
        again.wait_replayed()
        got = until(lambda: len(r := alerts_received(receiver, secret)) > len(before) and r,
                    "the repeating alert again")
        new = [p["data"] for p, _id in got[len(before):]]
        assert [(d["alert_id"], d["count"]) for d in new] == [(ids[2], 2)]
        assert len({i for _p, i in got}) == len(got)  # each a message of its own
    finally:
        again.stop()
    with Database.open(default_url(data_dir)) as db:
        counts = {a.alert_id: a.triggered_count for a in db.alerts.all()}
    assert counts == {ids[0]: 1, ids[1]: 1, ids[2]: 2, ids[3]: 0}
