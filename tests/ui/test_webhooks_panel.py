"""The webhooks dock on the real window, with the real engine replaying the Binance capture,
the real local API on the same loop and a real receiver on 127.0.0.1.

The data dir starts as an earlier session left it: a subscription and price alerts, which
fire during the replay. Then a subscription is added in the panel's dialog (its secret shown
once), pinged, its secret rotated (both sign), a delivery redelivered with the same
webhook-id, the log filtered, the subscription switched off and removed; an inbound hook's
requests are listed; an alert is set from the chart's menu and drawn as a line. The row
functions are checked on their own too."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from standardwebhooks import Webhook

from local_api.settings import ApiSettings
from local_api.webhooks.config import WebhookSettings
from local_api.webhooks.keys import WebhookKeys
from local_api.webhooks.service import EndpointAdmin
from terminal.app import Engine
from terminal.core.bus import EventBus
from terminal.core.tasks import TaskTracker
from terminal.model.ids import InstrumentId
from terminal.persistence.db import Database, default_url
from terminal.persistence.webhook_records import EndpointRecord, OutboxMessage
from terminal.services.alerts import AlertService
from terminal.ui.main_window import MainWindow
from terminal.ui.webhooks_panel import WebhooksPanel
from terminal.ui.webhooks_rows import (
    DELIVERY_HEADERS,
    ENDPOINT_HEADERS,
    REQUEST_HEADERS,
    delivery_rows,
    endpoint_rows,
    outbox_text,
)
from tests.api.test_webhooks_kit import Receiver, memory_keyring, start_receiver
from tests.ui.test_api_panel import run_api_window, table
from tests.ui.test_main_window import loop, until  # noqa: F401 (a fixture)

__all__ = ["memory_keyring"]
pytestmark = pytest.mark.timeout(120)
HOOKS = WebhookSettings(poll_s=0.2, retry_schedule_s=(0.05, 0.1))
EVENTS = ["alert.triggered", "order.*", "fill", "system.*", "connection.*", "webhook.ping"]
SCREENSHOT = os.environ.get("WEBHOOKS_SCREENSHOT")  # also save the picture there


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = start_receiver()
    yield r
    r.release.set()
    r.server.shutdown()


def rows(model: Any, headers: tuple[str, ...]) -> list[dict[str, object]]:
    return table([model.row_values(r) for r in range(model.rowCount())], headers)


def seed(data_dir: Path, receiver: Receiver) -> tuple[str, str]:
    """A subscription to the replay's events and two alerts the capture fires."""
    with Database.open(default_url(data_dir)) as db:
        db.migrate()
        record, secret = EndpointAdmin(db.webhooks, WebhookKeys(), HOOKS).add(
            receiver.url + "/seeded", EVENTS, "seeded by an earlier session")
        checker = AlertService(EventBus(), TaskTracker())
        db.alerts.add(checker.check("BINANCE:NKNUSDT", "above", "0.3525", "take profit"))
        db.alerts.add(checker.check("BINANCE:LRCBTC", "below", "0.0000064"))
    return record.endpoint_id, secret


def test_the_panel_manages_subscriptions_deliveries_and_hooks(
        qtbot: Any, loop: Any, tmp_path: Path, memory_keyring: Any,  # noqa: F811
        receiver: Receiver) -> None:
    seeded_id, seeded_secret = seed(tmp_path, receiver)

    async def scenario(engine: Engine, window: MainWindow) -> None:
        panel = window.webhooks_panel
        window.docks["Webhooks"].raise_()
        server = engine.api_server
        assert server is not None
        webhooks = server.api.webhooks
        # the replay's alerts reached the seeded subscription, signed
        await until(lambda: len([r for r in receiver.on("/seeded")
                                 if b"alert.triggered" in r.body]) == 2, "the two alerts")
        for got in receiver.on("/seeded"):
            Webhook(seeded_secret).verify(got.body, got.headers)
        panel.refresh()
        assert panel.summary.text().startswith("Outbox: ")
        log = rows(panel.deliveries_model, DELIVERY_HEADERS)
        assert {"alert.triggered", "system.started"} <= {r["Event"] for r in log}

        # a subscription from the dialog: a refused URL first, named in the dialog
        panel.add_button.click()
        dialog = panel.dialog
        assert dialog is not None and dialog.isVisible()
        dialog.url.setText("ftp://example.org/x")
        dialog.create_button.click()
        await until(lambda: "url:" in dialog.message.text(), "the refusal")
        assert not dialog.reveal.isVisible()
        dialog.url.setText(receiver.url + "/panel")
        dialog.events.setText("webhook.ping, order.*")
        dialog.create_button.click()
        await until(dialog.reveal.isVisible, "the new secret")
        secret = dialog.reveal.secret.text()
        assert secret.startswith("whsec_") and dialog.reveal.secret.isReadOnly()
        [record] = [r for r in webhooks.repo.endpoints() if r.endpoint_id != seeded_id]
        endpoint_id = record.endpoint_id
        assert record.events == ("webhook.ping", "order.*")
        dialog.close_button.click()
        assert dialog.reveal.secret.text() == ""  # not kept once closed
        panel.refresh()
        endpoints = {r["Id"]: r for r in rows(panel.endpoints_model, ENDPOINT_HEADERS)}
        assert endpoints[endpoint_id]["State"] == "enabled"
        assert secret not in str(endpoints)

        # test ping, then a rotation: the new and the old secret both sign
        panel.select(panel.endpoints, endpoint_id)
        panel.ping_button.click()
        await until(lambda: len(receiver.on("/panel")) == 1, "the ping")
        first = receiver.on("/panel")[0]
        assert Webhook(secret).verify(first.body, first.headers)["type"] == "webhook.ping"
        panel.select(panel.endpoints, endpoint_id)
        panel.rotate_button.click()
        await until(lambda: panel.secret_dialog is not None, "the rotated secret")
        assert panel.secret_dialog is not None
        rotated = panel.secret_dialog.reveal.secret.text()
        assert rotated.startswith("whsec_") and rotated != secret
        panel.secret_dialog.close_button.click()
        panel.select(panel.endpoints, endpoint_id)
        panel.ping_button.click()
        await until(lambda: len(receiver.on("/panel")) == 2, "the ping after the rotation")
        second = receiver.on("/panel")[1]
        for key in (rotated, secret):
            Webhook(key).verify(second.body, second.headers)

        # a real order's events, then the log filtered to this endpoint and redelivered
        token = server.tokens.create("ui", "trade", None)[0]
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            placed = await client.post("/api/v1/orders", headers={
                "Authorization": f"Bearer {token}"}, json={
                "instrument_id": "BINANCE:NKNUSDT", "side": "buy", "type": "market",
                "quantity": "100"})
            assert placed.status_code in (200, 201, 202), placed.text
        await until(lambda: any(b"order.filled" in r.body for r in receiver.on("/panel")),
                    "the order's events")
        panel.endpoint_filter.setCurrentText(endpoint_id)
        panel.status_filter.setCurrentText("delivered")
        # the receiver has it before the attempt's result is written: wait for the log
        await until(lambda: "order.filled" in {
            str(r["Event"]) for r in rows(panel.deliveries_model, DELIVERY_HEADERS)},
            "the filtered log with the fill delivered")
        log = rows(panel.deliveries_model, DELIVERY_HEADERS)
        assert {r["Endpoint"] for r in log} == {endpoint_id}
        assert {r["Status"] for r in log} == {"delivered"}
        assert {"webhook.ping", "order.filled"} <= {str(r["Event"]) for r in log}
        ping_id = next(str(r["Message"]) for r in log if r["Event"] == "webhook.ping")
        panel.select(panel.deliveries, ping_id)
        before = len(receiver.on("/panel"))
        panel.redeliver_button.click()
        await until(lambda: len(receiver.on("/panel")) > before, "the redelivery")
        assert receiver.on("/panel")[-1].headers["webhook-id"] == ping_id
        panel.endpoint_filter.setCurrentText("all")
        panel.status_filter.setCurrentText("all")

        # inbound: a hook's requests, refused and accepted
        hook, hook_secret = await asyncio.to_thread(
            webhooks.hooks.add, "tradingview", "secret",
            {"venue": "BINANCE", "kind": "signal", "fields": {"instrument": "ticker"}})
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            for secret_text in ("wrong-secret", hook_secret):
                await client.post(f"/hooks/{hook.hook_id}", json={
                    "secret": secret_text, "action": "buy", "ticker": "NKNUSDT"})
        panel.tabs.setCurrentIndex(1)
        panel.refresh()
        panel.select(panel.hooks, hook.hook_id)
        panel.refresh()
        requests = rows(panel.requests_model, REQUEST_HEADERS)
        assert [(r["Status"], r["Outcome"]) for r in requests] == [
            (202, "signal"), (401, "hook-unauthorized")]
        panel.tabs.setCurrentIndex(0)

        # an alert from the chart's menu, drawn as a dashed line
        window.select_instrument(InstrumentId("BINANCE", "NKNUSDT"))
        menu = window.chart.alert_menu(0.3601)
        [action] = menu.actions()
        assert action.text() == "Alert at 0.3601"
        action.trigger()
        await until(lambda: 0.3601 in engine.alerts.active_prices(str(window.selected)),
                    "the alert")
        await until(lambda: 0.3601 in window.chart.alert_prices(), "the alert line")

        panel.refresh()
        window.resizeDocks([window.docks["Webhooks"]], [440], Qt.Orientation.Vertical)
        await asyncio.sleep(0.1)  # a few frames at the new size
        image = window.docks["Webhooks"].grab()
        assert not image.isNull() and image.width() > 600
        assert image.save(str(tmp_path / "webhooks_panel.png"))
        if SCREENSHOT:
            assert image.save(SCREENSHOT)

        # switched off, then removed after the confirmation
        panel.select(panel.endpoints, endpoint_id)
        panel.toggle_button.click()
        await until(lambda: not webhooks.repo.endpoint(endpoint_id).enabled,  # type: ignore[union-attr]
                    "the switch")
        panel.refresh()
        endpoints = {r["Id"]: r for r in rows(panel.endpoints_model, ENDPOINT_HEADERS)}
        assert endpoints[endpoint_id]["State"] == "disabled"
        panel.select(panel.endpoints, endpoint_id)
        panel.remove_button.click()
        box = panel.confirm_box
        assert box is not None and endpoint_id in box.text()
        box.button(QMessageBox.StandardButton.Yes).click()
        await until(lambda: webhooks.repo.endpoint(endpoint_id) is None, "the removal")

    run_api_window(loop, tmp_path, scenario, ApiSettings(port=0, webhooks=HOOKS))


def test_rows() -> None:
    ep = EndpointRecord("ep_1", "https://x.org/h", ("order.*", "fill"), "d", False,
                        "the receiver answered 410 Gone", previous_secret_until_ns=2_000)
    [(key, row)] = endpoint_rows([ep], now_ns=1_000)
    assert key == "ep_1" and row[2] == "order.*, fill"
    assert row[3] == "disabled: the receiver answered 410 Gone"
    assert row[6].startswith("old secret signs until 1970-01-01")
    msg = OutboxMessage("msg_1", "ep_1", "fill", "{}", 1_000_000_000, "failed", 9,
                        None, None, "ConnectError: refused", None)
    [(_k, d)] = delivery_rows([msg])
    assert dict(zip(DELIVERY_HEADERS, d, strict=True))["Last answer"] == \
        "ConnectError: refused"
    assert outbox_text({"pending": 2, "delivered": 1500}, 1, 7) == \
        "Outbox: 2 pending, 1,500 delivered, 0 failed · in flight 1 · delivered this session 7"
    assert isinstance(WebhooksPanel, type)
