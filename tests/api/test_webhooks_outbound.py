"""Outbound webhooks against a real receiver on 127.0.0.1: signatures that the reference
`standardwebhooks` library verifies, the retry schedule on 500s, Retry-After, 410 disables,
redelivery with the same webhook-id, and a hanging receiver that never holds up orders."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from standardwebhooks import Webhook

from local_api.settings import Tier
from local_api.webhooks.config import WebhookSettings
from tests.api.live import LiveTerminal, settings
from tests.api.test_webhooks_kit import Receiver, memory_keyring, start_receiver, until

__all__ = ["memory_keyring"]
SCHEDULE = (0.05, 0.1, 0.2)
JITTER = 0.2
TIERS = {name: Tier(rate=1000.0, burst=1000) for name in ("read", "trade", "admin",
                                                           "pairing")}


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = start_receiver()
    yield r
    r.release.set()
    r.server.shutdown()


@pytest.fixture(scope="module")
def term(tmp_path_factory: pytest.TempPathFactory, memory_keyring: Any) -> Iterator[LiveTerminal]:
    hooks = WebhookSettings(retry_schedule_s=SCHEDULE, jitter=JITTER, poll_s=0.2)
    terminal = LiveTerminal(tmp_path_factory.mktemp("webhooks-out"),
                            settings(webhooks=hooks, tiers=TIERS)).start()
    terminal.wait_replayed()
    yield terminal
    terminal.stop()


@pytest.fixture(scope="module")
def admin(term: LiveTerminal) -> httpx.Client:
    return httpx.Client(base_url=term.url, timeout=30,
                        headers={"Authorization": f"Bearer {term.token('admin')}"})


def endpoint(admin: httpx.Client, url: str, events: list[str], **extra: Any) -> dict[str, Any]:
    answer = admin.post("/api/v1/webhooks/endpoints",
                        json={"url": url, "events": events, **extra})
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    assert body["secret"].startswith("whsec_")
    return body


def message(admin: httpx.Client, msg_id: str) -> dict[str, Any] | None:
    found = [m for m in admin.get("/api/v1/webhooks/deliveries",
                                  params={"limit": 5000}).json() if m["msg_id"] == msg_id]
    return found[0] if found else None


def settled(admin: httpx.Client, msg_id: str, status: str) -> dict[str, Any]:
    return until(lambda: (m := message(admin, msg_id)) and m["status"] == status and m,
                 f"message {msg_id} {status}")


def ping(admin: httpx.Client, ep: dict[str, Any]) -> str:
    answer = admin.post(f"/api/v1/webhooks/endpoints/{ep['endpoint_id']}/test")
    assert answer.status_code == 202, answer.text
    return str(answer.json()["msg_id"])


def test_deliveries_are_signed_per_standard_webhooks(admin: httpx.Client,
                                                     receiver: Receiver) -> None:
    ep = endpoint(admin, receiver.url + "/ok-signed", ["webhook.ping"])
    msg_id = ping(admin, ep)
    settled(admin, msg_id, "delivered")
    got = receiver.on("/ok-signed")[-1]
    payload = Webhook(ep["secret"]).verify(got.body, got.headers)
    assert payload["type"] == "webhook.ping" and payload["data"]["endpoint_id"] == \
        ep["endpoint_id"]
    assert payload["timestamp"].endswith("Z")
    assert got.headers["webhook-id"] == msg_id
    attempt = admin.get("/api/v1/webhooks/attempts", params={"msg_id": msg_id}).json()[0]
    assert attempt["status_code"] == 200 and attempt["response_excerpt"] == '{"ok": true}'
    assert attempt["latency_ms"] > 0 and attempt["next_attempt_ns"] is None
    with pytest.raises(Exception, match="signature"):
        Webhook("whsec_" + "A" * 32).verify(got.body, got.headers)


def test_after_a_rotation_both_secrets_sign(admin: httpx.Client, receiver: Receiver) -> None:
    ep = endpoint(admin, receiver.url + "/ok-rotated", ["webhook.ping"])
    rotated = admin.post(f"/api/v1/webhooks/endpoints/{ep['endpoint_id']}/rotate-secret")
    assert rotated.status_code == 200
    msg_id = ping(admin, ep)
    settled(admin, msg_id, "delivered")
    got = receiver.on("/ok-rotated")[-1]
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    for secret in (ep["secret"], rotated.json()["secret"]):
        Webhook(secret).verify(got.body, got.headers)


def test_500s_are_retried_on_the_schedule_then_given_up(admin: httpx.Client,
                                                        receiver: Receiver) -> None:
    ep = endpoint(admin, receiver.url + "/fail", ["webhook.ping"])
    msg_id = ping(admin, ep)
    final = settled(admin, msg_id, "failed")
    assert final["attempts"] == len(SCHEDULE) + 1 and final["last_status_code"] == 500
    attempts = sorted(admin.get("/api/v1/webhooks/attempts", params={"msg_id": msg_id}).json(),
                      key=lambda a: a["attempt"])
    assert [a["attempt"] for a in attempts] == [1, 2, 3, 4]
    for attempt, wait in zip(attempts, SCHEDULE, strict=False):
        planned = (attempt["next_attempt_ns"] - attempt["ts_ns"]) / 1e9
        assert wait * (1 - JITTER) <= planned <= wait * (1 + JITTER)
    assert attempts[-1]["next_attempt_ns"] is None
    hits = receiver.on("/fail")
    assert len(hits) == 4 and {h.headers["webhook-id"] for h in hits} == {msg_id}
    for before, after, wait in zip(hits, hits[1:], SCHEDULE, strict=False):
        assert after.at - before.at >= wait * (1 - JITTER)  # never sooner than planned


def test_retry_after_is_honoured(admin: httpx.Client, receiver: Receiver) -> None:
    ep = endpoint(admin, receiver.url + "/busy", ["webhook.ping"])
    msg_id = ping(admin, ep)
    first = until(lambda: admin.get("/api/v1/webhooks/attempts",
                                    params={"msg_id": msg_id}).json(), "an attempt")[-1]
    assert first["status_code"] == 503
    assert first["next_attempt_ns"] - first["ts_ns"] >= 1_000_000_000  # asked 1 s, not 0.05
    admin.patch(f"/api/v1/webhooks/endpoints/{ep['endpoint_id']}", json={"enabled": False})


def test_410_disables_the_endpoint_and_stops(admin: httpx.Client, receiver: Receiver) -> None:
    ep = endpoint(admin, receiver.url + "/gone", ["webhook.ping"])
    msg_id = ping(admin, ep)
    final = settled(admin, msg_id, "failed")
    assert final["attempts"] == 1 and final["last_status_code"] == 410
    listed = {e["endpoint_id"]: e for e in admin.get("/api/v1/webhooks/endpoints").json()}
    assert listed[ep["endpoint_id"]]["enabled"] is False
    assert "410" in listed[ep["endpoint_id"]]["disabled_reason"]
    assert len(receiver.on("/gone")) == 1


def test_redelivery_sends_the_same_message_again(admin: httpx.Client,
                                                 receiver: Receiver) -> None:
    ep = endpoint(admin, receiver.url + "/ok-again", ["webhook.ping"])
    msg_id = ping(admin, ep)
    settled(admin, msg_id, "delivered")
    assert admin.post(f"/api/v1/webhooks/deliveries/{msg_id}/redeliver").status_code == 202
    until(lambda: len(receiver.on("/ok-again")) == 2, "the redelivery")
    first, second = receiver.on("/ok-again")
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == msg_id
    assert first.body == second.body
    Webhook(ep["secret"]).verify(second.body, second.headers)
    assert admin.post("/api/v1/webhooks/deliveries/msg_nope/redeliver").status_code == 404


def test_a_hanging_receiver_does_not_delay_orders(term: LiveTerminal, admin: httpx.Client,
                                                  receiver: Receiver) -> None:
    endpoint(admin, receiver.url + "/hang", ["order.*", "fill", "position.changed"],
             max_concurrency=1, timeout_s=60)
    ok = endpoint(admin, receiver.url + "/ok-orders", ["order.filled"])
    trade = {"Authorization": f"Bearer {term.token('trade')}"}
    def order(n: int) -> dict[str, str]:  # over the 10 USDT minimum, never the same twice
        return {"instrument_id": "BINANCE:NKNUSDT", "side": "buy", "type": "market",
                "quantity": str(30 + n)}

    first = httpx.post(term.url + "/api/v1/orders", json=order(0), headers=trade, timeout=30)
    assert first.status_code == 201
    until(receiver.hanging.is_set, "the receiver to hold a delivery")
    # placed and filled while the receiver hangs
    answers = [httpx.post(term.url + "/api/v1/orders", json=order(n), headers=trade,
                          timeout=30) for n in range(1, 6)]
    assert not receiver.release.is_set()
    assert [a.status_code for a in answers] == [201] * 5
    ids = {a.json()["client_order_id"] for a in answers}
    # the other endpoint is not held up by the hanging one either
    until(lambda: len(receiver.on("/ok-orders")) >= 6, "the filled events elsewhere")
    filled = {orjson.loads(r.body)["data"]["client_order_id"]
              for r in receiver.on("/ok-orders")}
    assert ids <= filled
    Webhook(ok["secret"]).verify(receiver.on("/ok-orders")[0].body,
                                 receiver.on("/ok-orders")[0].headers)
    receiver.release.set()


def test_bad_endpoints_are_refused(admin: httpx.Client) -> None:
    for body in ({"url": "ftp://x", "events": ["*"]}, {"url": "http://127.0.0.1:9",
                                                       "events": ["nosuch.event"]}):
        answer = admin.post("/api/v1/webhooks/endpoints", json=body)
        assert answer.status_code == 422, answer.text
