"""Inbound hooks against the real server: the real TradingView example alert, JSON and
text/plain alerts and Standard Webhooks signed requests become paper orders through the
risk engine; a wrong secret, a stale timestamp, a replayed id and a malformed body each get
their 4xx and change nothing. Every request is in the hook's log."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import orjson
import pytest
from standardwebhooks import Webhook

from local_api.settings import Tier
from tests.api.live import LiveTerminal, settings
from tests.api.test_webhooks_kit import memory_keyring, until
from tests.data_paths import SHARED_DATA

__all__ = ["memory_keyring"]
EXAMPLE = SHARED_DATA / "webhook" / "fabston__example_alert_message.json"
EXAMPLE_KEY = "9T2q394M92"  # the example's own `key`
TIERS = {name: Tier(rate=1000.0, burst=1000) for name in ("read", "trade", "admin",
                                                           "pairing")}
NKN = "BINANCE:NKNUSDT"


@pytest.fixture(scope="module")
def term(tmp_path_factory: pytest.TempPathFactory, memory_keyring: Any) -> Iterator[LiveTerminal]:
    terminal = LiveTerminal(tmp_path_factory.mktemp("webhooks-in"),
                            settings(tiers=TIERS)).start()
    terminal.wait_replayed()
    yield terminal
    terminal.stop()


@pytest.fixture(scope="module")
def admin(term: LiveTerminal) -> httpx.Client:
    return httpx.Client(base_url=term.url, timeout=30,
                        headers={"Authorization": f"Bearer {term.token('admin')}"})


def hook(admin: httpx.Client, **body: Any) -> dict[str, Any]:
    answer = admin.post("/api/v1/webhooks/inbound", json={"name": "tv", **body})
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def outcome(admin: httpx.Client, hook_id: str, request_id: int) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        for r in admin.get(f"/api/v1/webhooks/inbound/{hook_id}/requests").json():
            if r["id"] == request_id and r["outcome"] != "accepted":
                return dict(r)
        return None
    return until(done, f"request {request_id} carried out")


def orders(admin: httpx.Client) -> list[dict[str, Any]]:
    return list(admin.get("/api/v1/orders").json())


def placed(admin: httpx.Client, h: dict[str, Any], answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code == 202, answer.text
    result = outcome(admin, h["hook_id"], answer.json()["request_id"])
    assert result["outcome"] == "order_placed", result
    client_id = result["detail"].split()[0]
    order = until(lambda: (o := admin.get(f"/api/v1/orders/{client_id}").json())
                  .get("status") == "filled" and o, f"order {client_id} filled")
    return dict(order)


def test_the_real_example_alert_becomes_a_paper_order(admin: httpx.Client,
                                                      term: LiveTerminal) -> None:
    h = hook(admin, secret=EXAMPLE_KEY, template={
        "fields": {"secret": "key", "action": "msg"},  # "Long *#{{ticker}}* ..." -> buy
        "defaults": {"instrument": NKN, "quantity": "50"}})
    answer = httpx.post(f"{term.url}/hooks/{h['hook_id']}", content=EXAMPLE.read_bytes(),
                        headers={"Content-Type": "application/json"})
    order = placed(admin, h, answer)
    assert (order["instrument_id"], order["side"]) == (NKN, "buy")
    assert Decimal(order["quantity"]) == 50
    assert Decimal(order["avg_fill_price"]) == Decimal("0.3531")
    assert order["source"].startswith("hook:")


def test_tradingview_json_and_text_alerts(admin: httpx.Client, term: LiveTerminal) -> None:
    h = hook(admin, secret="tv-secret-1", template={
        "fields": {"instrument": "ticker", "client_id": "id", "timestamp": "time"},
        "venue": "BINANCE"})
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    alert = {"secret": "tv-secret-1", "action": "buy", "ticker": "NKNUSDT",
             "quantity": "40", "id": "tv-1", "time": now}
    order = placed(admin, h, httpx.post(f"{term.url}/hooks/{h['hook_id']}", json=alert))
    assert order["client_order_id"] == "tv-1" and order["side"] == "buy"

    text = hook(admin, secret="tv-secret-2", template={"venue": "BINANCE"})
    answer = httpx.post(f"{term.url}/hooks/{text['hook_id']}",
                        content="tv-secret-2|sell|NKNUSDT|30",
                        headers={"Content-Type": "text/plain"})
    order = placed(admin, text, answer)
    assert (order["side"], Decimal(order["quantity"])) == ("sell", 30)

    url_secret = hook(admin, secret="tv-secret-3", template={
        "fields": {"action": "message"}, "defaults": {"instrument": NKN, "quantity": "35"}})
    answer = httpx.post(f"{term.url}/hooks/{url_secret['hook_id']}?secret=tv-secret-3",
                        content="Long NKNUSDT now", headers={"Content-Type": "text/plain"})
    assert placed(admin, url_secret, answer)["side"] == "buy"


def test_standard_webhooks_signed_requests(admin: httpx.Client, term: LiveTerminal) -> None:
    h = hook(admin, auth="standard", template={"defaults": {"instrument": NKN}})
    signer = Webhook(h["secret"])
    body = b'{"action": "buy", "quantity": "45"}'

    def send(msg_id: str, when: datetime, signature: str | None = None) -> httpx.Response:
        return httpx.post(f"{term.url}/hooks/{h['hook_id']}", content=body, headers={
            "Content-Type": "application/json", "webhook-id": msg_id,
            "webhook-timestamp": str(int(when.timestamp())),
            "webhook-signature": signature or signer.sign(msg_id, when, body)})

    now = datetime.now(UTC)
    assert Decimal(placed(admin, h, send("msg_signed_1", now))["quantity"]) == 45
    before = orders(admin)
    assert send("msg_signed_1", now).status_code == 409  # the same id again
    assert send("msg_signed_2", now, "v1,AAAA").status_code == 401
    stale = datetime.fromtimestamp(now.timestamp() - 3600, UTC)
    assert send("msg_signed_3", stale).status_code == 400
    assert orders(admin) == before


@pytest.mark.parametrize(("case", "status", "slug"), [
    ("wrong secret", 401, "hook-unauthorized"),
    ("no secret", 401, "hook-unauthorized"),
    ("stale", 400, "hook-stale"),
    ("replayed", 409, "hook-replayed"),
    ("malformed json", 422, "hook-invalid"),
    ("placeholder", 422, "hook-invalid"),
    ("unknown instrument", 422, "hook-invalid"),
    ("form body", 415, "unsupported-media-type"),
])
def test_refused_alerts_change_nothing(admin: httpx.Client, term: LiveTerminal, case: str,
                                       status: int, slug: str) -> None:
    h = hook(admin, secret="tv-secret-9", template={
        "fields": {"instrument": "ticker", "message_id": "id", "timestamp": "time"},
        "venue": "BINANCE"})
    url = f"{term.url}/hooks/{h['hook_id']}"
    alert = {"secret": "tv-secret-9", "action": "buy", "ticker": "NKNUSDT",
             "quantity": "40", "id": f"a-{case}", "time": int(time.time())}
    if case == "replayed":
        first = httpx.post(url, json=alert)
        outcome(admin, h["hook_id"], first.json()["request_id"])
    before = orders(admin)
    content: str | None = None
    ctype = "application/json"
    if case == "wrong secret":
        alert["secret"] = "not-it"
    elif case == "no secret":
        del alert["secret"]
    elif case == "stale":
        alert["time"] = int(time.time()) - 3600
    elif case == "malformed json":
        content = '{"secret": "tv-secret-9", "action": '
    elif case == "placeholder":
        alert["quantity"] = "{{strategy.order.contracts}}"
    elif case == "unknown instrument":
        alert["ticker"] = "NOSUCHPAIR"
    elif case == "form body":
        content, ctype = "secret=tv-secret-9&action=buy", "application/x-www-form-urlencoded"
    if content is None:
        content = orjson.dumps(alert).decode()
    answer = httpx.post(url, content=content, headers={"Content-Type": ctype})
    assert answer.status_code == status, answer.text
    assert answer.json()["type"] == f"/api/v1/problems/{slug}"
    assert "tv-secret-9" not in answer.text
    assert orders(admin) == before
    log = admin.get(f"/api/v1/webhooks/inbound/{h['hook_id']}/requests").json()
    assert (log[0]["status_code"], log[0]["outcome"]) == (status, slug)


def test_an_unknown_hook_is_404_and_hooks_have_their_own_rate_limit(
        admin: httpx.Client, term: LiveTerminal) -> None:
    assert httpx.post(f"{term.url}/hooks/hk_nosuch", json={}).status_code == 404
    h = hook(admin, secret="tv-secret-r", template={"defaults": {"instrument": NKN}})
    codes = [httpx.post(f"{term.url}/hooks/{h['hook_id']}", json={"secret": "x"}).status_code
             for _ in range(25)]
    assert codes[:20] == [401] * 20 and 429 in codes[20:]


def test_the_kill_switch_refuses_inbound_alert_orders(admin: httpx.Client,
                                                      term: LiveTerminal) -> None:
    """The inbound hook is one more order path: the kill switch stops it like the others."""
    h = hook(admin, secret="tv-kill-switch", template={"venue": "BINANCE"})
    before = orders(admin)
    assert admin.post("/api/v1/risk/kill-switch",
                      json={"engaged": True, "reason": "hook test"}).status_code == 200
    try:
        answer = httpx.post(f"{term.url}/hooks/{h['hook_id']}",
                            content="tv-kill-switch|buy|NKNUSDT|30",
                            headers={"Content-Type": "text/plain"})
        assert answer.status_code == 202
        result = outcome(admin, h["hook_id"], answer.json()["request_id"])
        assert result["outcome"] == "order_rejected"
        assert result["detail"].startswith("kill_switch:")
        assert orders(admin) == before
    finally:
        admin.post("/api/v1/risk/kill-switch", json={"engaged": False})


@pytest.mark.parametrize("when", ["1e400", "-5", "99999999999999999999"])
def test_an_absurd_alert_time_is_refused_not_a_crash(admin: httpx.Client, term: LiveTerminal,
                                                      when: str) -> None:
    h = hook(admin, secret="tv-time-secret", template={
        "fields": {"timestamp": "time"}, "venue": "BINANCE"})
    before = orders(admin)
    answer = httpx.post(f"{term.url}/hooks/{h['hook_id']}", json={
        "secret": "tv-time-secret", "action": "buy", "ticker": "NKNUSDT", "quantity": "30",
        "time": when})
    assert 400 <= answer.status_code < 500, answer.text
    assert orders(admin) == before


def test_an_absurd_signed_timestamp_is_refused_not_a_crash(admin: httpx.Client,
                                                           term: LiveTerminal) -> None:
    h = hook(admin, auth="standard", template={"venue": "BINANCE"})
    body = orjson.dumps({"action": "buy", "ticker": "NKNUSDT", "quantity": "30"})
    answer = httpx.post(f"{term.url}/hooks/{h['hook_id']}", content=body, headers={
        "Content-Type": "application/json", "webhook-id": "msg_absurd",
        "webhook-timestamp": "9" * 400, "webhook-signature": "v1,AAAA"})
    assert 400 <= answer.status_code < 500, answer.text
