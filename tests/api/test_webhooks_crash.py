"""At least once across a crash: a real terminal in a subprocess (headless, replaying the
Binance capture) fires price alerts whose webhooks go to a receiver that holds every request
without answering; the terminal is SIGKILLed while deliveries are held; restarted on the
same data dir, it sends every stored event, each with the webhook-id it had before the crash
(the held ones a second time), signed, and marks them delivered."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import orjson
import pytest
from standardwebhooks import Webhook

from local_api.webhooks.config import WebhookSettings
from local_api.webhooks.keys import WebhookKeys
from local_api.webhooks.service import EndpointAdmin
from terminal.core.bus import EventBus
from terminal.core.tasks import TaskTracker
from terminal.persistence.db import Database, default_url
from terminal.persistence.webhook_records import OutboxMessage
from terminal.services.alerts import AlertService
from tests.api.live import CAPTURE, INSTRUMENTS
from tests.api.test_webhooks_kit import Receiver, start_receiver, until
from tests.data_paths import REPO_ROOT
from tests.e2e.test_webhook_cli import FileKeyring, keyring_env

pytestmark = pytest.mark.timeout(120)
ALERTS = 12  # each fires at the capture's one NKNUSDT trade (0.3528)
CONCURRENCY = 3  # requests held at once by the receiver when the terminal dies


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = start_receiver()
    yield r
    r.release.set()
    r.server.shutdown()


def terminal(data_dir: Path, env: dict[str, str], *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "terminal", "--headless", "--stay", "--api-port", "0",
         "--data-dir", str(data_dir), "--log-level", "WARNING", *extra],
        cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def outbox(url: str) -> dict[str, OutboxMessage]:
    with Database.open(url) as db:
        return {m.msg_id: m for m in db.webhooks.messages(limit=5000)}


def test_every_event_is_delivered_with_its_webhook_id_after_a_sigkill(
        tmp_path: Path, receiver: Receiver) -> None:
    data_dir = tmp_path / "data"
    secrets_file = tmp_path / "keyring.json"
    previous = keyring.get_keyring()
    keyring.set_keyring(FileKeyring(secrets_file))
    url = default_url(data_dir)
    try:
        with Database.open(url) as db:
            db.migrate()
            _record, secret = EndpointAdmin(db.webhooks, WebhookKeys(), WebhookSettings()).add(
                receiver.url + "/hang", ["alert.triggered", "system.started"],
                max_concurrency=CONCURRENCY, timeout_s=60)
            checker = AlertService(EventBus(), TaskTracker())
            for n in range(ALERTS):
                db.alerts.add(checker.check("BINANCE:NKNUSDT", "above", f"0.35{n:02d}",
                                            note=f"level {n}"))
    finally:
        keyring.set_keyring(previous)
    env = keyring_env(secrets_file)

    first = terminal(data_dir, env, "--replay", str(CAPTURE), "--instruments",
                     str(INSTRUMENTS), "--speed", "max")
    try:
        # the receiver holds what it gets: CONCURRENCY requests, the rest wait their turn
        until(lambda: len(receiver.on("/hang")) >= CONCURRENCY, "held deliveries", 60)

        def stored() -> dict[str, OutboxMessage] | None:
            found = outbox(url)
            alerts = [m for m in found.values() if m.event_type == "alert.triggered"]
            return found if len(alerts) == ALERTS else None

        before = until(stored, "every alert in the outbox", 60)
    finally:
        first.kill()  # SIGKILL: no shutdown, nothing flushed
        first.wait(30)
    held = [r.headers["webhook-id"] for r in receiver.on("/hang")]
    assert len(held) == CONCURRENCY
    assert set(held) <= set(before)
    assert all(m.status == "pending" for m in before.values())  # nothing was answered
    assert {m.event_type for m in before.values()} == {"system.started", "alert.triggered"}

    receiver.release.set()  # from now on the receiver answers 200 at once
    second = terminal(data_dir, env)
    try:
        until(lambda: all(m.status == "delivered" for m in outbox(url).values()
                          if m.msg_id in before), "every stored event delivered", 60)
    finally:
        second.terminate()
        _out, err = second.communicate(timeout=30)
    assert second.returncode in (0, 1), err.decode(errors="replace")[-2000:]

    got: dict[str, list[Any]] = {}
    for request in receiver.on("/hang"):
        got.setdefault(request.headers["webhook-id"], []).append(request)
    for msg_id, message in before.items():
        assert msg_id in got, f"{message.event_type} {msg_id} never arrived"
        for request in got[msg_id]:
            assert request.body == message.body.encode()  # the same event, the same bytes
            Webhook(secret).verify(request.body, request.headers)
    for msg_id in held:  # held at the crash: sent again after it, same id
        assert len(got[msg_id]) >= 2
    fired = {orjson.loads(m.body)["data"]["note"] for m in before.values()
             if m.event_type == "alert.triggered"}
    assert fired == {f"level {n}" for n in range(ALERTS)}
