"""The API dock on the real window with the real local API server on the same loop.

A token is created through the panel's dialog, used over HTTP (httpx's async client: the
server answers on this very loop), revoked through the panel's confirmation, and the refusal
shows in the recent errors. The row functions are checked on their own too.
"""

from __future__ import annotations

import asyncio
import socket
from collections import deque
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest
import qasync
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox

from local_api.metrics import RecentError
from local_api.settings import ApiSettings
from terminal.app import Engine, EngineOptions
from terminal.persistence.records import ApiTokenRecord
from terminal.ui.api_panel import ApiPanel
from terminal.ui.api_rows import (
    ERROR_HEADERS,
    TOKEN_HEADERS,
    RequestHistory,
    duration_text,
    error_rows,
    off_reason,
    server_summary,
    summary_text,
    token_rows,
)
from terminal.ui.main_window import MainWindow
from tests.data_paths import SHARED_DATA
from tests.ui.test_main_window import loop, until  # noqa: F401 (a fixture)

BINANCE_WS = SHARED_DATA / "ws" / "cryptofeed__BINANCE.ws.1.0"
NS = 1_000_000_000
T0 = 1_764_800_000 * NS  # 2025-12-03 22:13:20 UTC

pytestmark = pytest.mark.timeout(120)

Scenario = Callable[[Engine, MainWindow], Awaitable[None]]


def run_api_window(loop: qasync.QEventLoop, data_dir: Path,  # noqa: F811
                   scenario: Scenario, api: ApiSettings | None) -> None:
    """Engine (replaying the Binance capture) and window as the app starts them, the API
    served on the loop when `api` is given; the scenario runs once the replay has ended."""

    async def main() -> None:
        engine = Engine(EngineOptions(data_dir=data_dir, replay_paths=[BINANCE_WS],
                                      speed="max", api=api))
        window = MainWindow(engine, data_dir / "window.ini")
        window.show()
        await engine.start()
        window.bridge.load_existing()
        runner = asyncio.ensure_future(engine.run(stay=True))
        try:
            await until(lambda: all(getattr(c, "done", False) for c in engine.data_clients()),
                        "the replay to end")
            window.docks["API"].raise_()
            await asyncio.sleep(0.1)  # a few frames
            await scenario(engine, window)
        finally:
            engine.request_stop()
            await asyncio.gather(runner, return_exceptions=True)
            window.close()
            await engine.stop()

    loop.run_until_complete(main())


def table(model_rows: list[tuple[object, ...]], headers: tuple[str, ...]
          ) -> list[dict[str, object]]:
    return [dict(zip(headers, row, strict=True)) for row in model_rows]


def token_table(panel: ApiPanel) -> dict[str, dict[str, object]]:
    model = panel.tokens_model
    rows = table([model.row_values(r) for r in range(model.rowCount())], TOKEN_HEADERS)
    return {str(row["Id"]): row for row in rows}


def error_table(panel: ApiPanel) -> list[dict[str, object]]:
    model = panel.errors_model
    return table([model.row_values(r) for r in range(model.rowCount())], ERROR_HEADERS)


def select_token(panel: ApiPanel, token_id: str) -> None:
    model = panel.tokens_model
    source = next(r for r in range(model.rowCount()) if model.key_at(r) == token_id)
    row = panel.tokens.proxy.mapFromSource(model.index(source, 0)).row()
    panel.tokens.table.selectRow(row)


def test_token_created_in_the_panel_is_used_revoked_and_refused(qtbot, loop, tmp_path):  # noqa: F811
    async def scenario(engine: Engine, window: MainWindow) -> None:
        server = engine.api_server
        assert server is not None and server.port > 0
        panel = window.api_panel
        assert panel.isVisible()
        panel.refresh()
        assert panel.url.text() == server.url
        panel.copy_url_button.click()
        assert QGuiApplication.clipboard().text() == server.url
        window.refresh_status()
        assert f"API: {server.url}" in window.status.text()
        assert token_table(panel) == {}

        # the dialog: a refused name keeps it open with the reason, nothing stored
        panel.create_button.click()
        dialog = panel.dialog
        assert dialog is not None and dialog.isVisible()
        dialog.name.setText("bad/name")
        dialog.create_button.click()
        assert "name" in dialog.message.text() and not dialog.reveal.isVisible()
        assert server.tokens.list() == []

        dialog.name.setText("notebook")
        dialog.scope.setCurrentText("read")
        dialog.expiry_days.setValue(7)
        dialog.create_button.click()
        text = dialog.token.text()
        assert text.startswith("tt_") and dialog.token.isReadOnly()
        assert dialog.reveal.isVisible() and "shown only now" in dialog.warning.text()
        assert not dialog.create_button.isVisible() and dialog.close_button.text() == "Done"
        dialog.copy_button.click()
        assert QGuiApplication.clipboard().text() == text
        [record] = server.tokens.list()
        token_id = record.token_id
        assert text.startswith(f"tt_{token_id}_")
        dialog.close_button.click()
        assert not dialog.isVisible() and dialog.token.text() == ""  # not kept once closed

        row = token_table(panel)[token_id]
        assert row["Name"] == "notebook" and row["Scope"] == "read" and row["Kind"] == "token"
        assert row["Status"] == "active" and row["Uses"] == 0 and row["Last used"] == ""
        assert row["Expires"] != "never" and str(row["Expires"]) > str(row["Created"])
        assert record.expires_ns is not None
        assert record.expires_ns - record.created_ns == 7 * 86400 * NS

        before = server.api.metrics.total
        headers = {"Authorization": f"Bearer {text}"}
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            for _ in range(3):
                answer = await client.get("/api/v1/status", headers=headers)
                assert answer.status_code == 200, answer.text
            assert server.api.metrics.total == before + 3
            # the panel's own timer shows them
            await until(lambda: token_table(panel)[token_id]["Uses"] == 3,
                        "the token's uses in the panel")
            assert f"{before + 3:,} requests" in panel.summary.text()
            assert token_table(panel)[token_id]["Last used"] != ""
            assert sum(panel.history.counts) > 0  # the sparkline counted them

            # revoking asks first: Cancel leaves the token working
            select_token(panel, token_id)
            panel.revoke_button.click()
            box = panel.confirm_box
            assert box is not None and token_id in box.text()
            box.button(QMessageBox.StandardButton.Cancel).click()
            assert token_table(panel)[token_id]["Status"] == "active"
            assert (await client.get("/api/v1/status", headers=headers)).status_code == 200

            select_token(panel, token_id)
            panel.revoke_button.click()
            box = panel.confirm_box
            assert box is not None
            box.button(QMessageBox.StandardButton.Yes).click()
            assert token_table(panel)[token_id]["Status"] == "revoked"
            assert "revoked" in panel.message.text()

            refused = await client.get("/api/v1/status", headers=headers)
            assert refused.status_code == 401
            assert refused.json()["type"].endswith("token-revoked")

        panel.refresh()
        errors = error_table(panel)
        assert errors[0]["Status"] == 401 and errors[0]["Problem"] == "token-revoked"
        # the route as the metrics label it: the router's path, without /api/v1
        assert errors[0]["Method"] == "GET" and errors[0]["Route"] == "/status"
        assert token_table(panel)[token_id]["Uses"] == 4  # the refused request is not a use
        # selecting a revoked token again does not ask
        select_token(panel, token_id)
        panel.revoke_button.click()
        assert panel.confirm_box is None and "already revoked" in panel.message.text()

        actions = [e.action for e in engine.db.audit.list(action=None)]
        assert "api.token.create" in actions and "api.token.revoke" in actions

        image = window.docks["API"].grab()
        assert not image.isNull() and image.width() > 600
        assert image.save(str(tmp_path / "api_panel.png"))

    run_api_window(loop, tmp_path, scenario, ApiSettings(port=0))


def test_without_the_api_the_panel_says_it_is_off(qtbot, loop, tmp_path):  # noqa: F811
    async def scenario(engine: Engine, window: MainWindow) -> None:
        assert engine.api_server is None
        panel = window.api_panel
        panel.refresh()
        assert panel.url.text() == "off: the API is not enabled in this session"
        assert not panel.create_button.isEnabled() and not panel.revoke_button.isEnabled()
        assert panel.open_create_dialog() is None
        window.refresh_status()
        assert "API: off" in window.status.text()

    run_api_window(loop, tmp_path, scenario, None)


def test_an_api_that_cannot_listen_is_shown_off_with_the_reason(qtbot, loop, tmp_path):  # noqa: F811
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)

    async def scenario(engine: Engine, window: MainWindow) -> None:
        assert engine.api_server is None
        panel = window.api_panel
        panel.refresh()
        assert panel.url.text().startswith("off: failed to start: ")
        assert "in use" in panel.url.text()
        assert not panel.create_button.isEnabled()

    try:
        run_api_window(loop, tmp_path, scenario, ApiSettings(port=taken.getsockname()[1]))
    finally:
        taken.close()


# the row functions ------------------------------------------------------------------------
def _record(token_id: str, created: int, **kw: object) -> ApiTokenRecord:
    return ApiTokenRecord(token_id=token_id, name=f"n-{token_id}", kind="token",
                          scopes=("read", "trade"), secret_hash="0" * 64, created_ns=created,
                          **kw)  # type: ignore[arg-type]


def test_token_rows_newest_first_with_uses_not_yet_written():
    records = [
        _record("aaa", T0),
        _record("bbb", T0 + NS, expires_ns=T0 + 5 * NS, uses=2, last_used_ns=T0 + 2 * NS),
        _record("ccc", T0 + 2 * NS, revoked_ns=T0 + 3 * NS),
    ]
    pending = {"bbb": (T0 + 4 * NS, 3)}
    rows = token_rows(records, lambda tid: pending.get(tid, (None, 0)), now_ns=T0 + 10 * NS)
    assert [key for key, _ in rows] == ["ccc", "bbb", "aaa"]
    by_id = {key: dict(zip(TOKEN_HEADERS, row, strict=True)) for key, row in rows}
    assert by_id["aaa"] == {"Name": "n-aaa", "Id": "aaa", "Kind": "token", "Scope": "trade",
                            "Created": "2025-12-03 22:13:20", "Expires": "never",
                            "Last used": "", "Uses": 0, "Status": "active"}
    assert by_id["bbb"]["Uses"] == 5 and by_id["bbb"]["Last used"] == "2025-12-03 22:13:24"
    assert by_id["bbb"]["Status"] == "expired" and by_id["ccc"]["Status"] == "revoked"


def test_error_rows_newest_first_keep_their_keys_as_errors_arrive():
    a = RecentError(T0, "GET", "/api/v1/status", 401, "token-revoked", None)
    b = RecentError(T0 + NS, "POST", "/api/v1/orders", 403, "forbidden-scope", "abc123")
    first = error_rows([a, a])
    later = error_rows([a, a, b])
    assert [k for k, _ in later][1:] == [k for k, _ in first]
    assert later[0][1] == ("2025-12-03 22:13:21.000", "POST", "/api/v1/orders", 403,
                           "forbidden-scope", "abc123")
    assert first[0][1][-1] == ""


def test_durations_history_and_off_reasons():
    assert [duration_text(s) for s in (0, 45, 725, 11_040, 190_000)] == [
        "0s", "45s", "12m 05s", "3h 04m", "2d 04h"]
    history = RequestHistory(seconds=5)
    for now, total in ((0.0, 10), (1.0, 14), (2.0, 14), (4.0, 20)):
        history.sample(total, now)
    assert list(history.counts) == [0.0, 0.0, 4.0, 0.0, 3.0]
    assert off_reason(False, None) == "off: the API is not enabled in this session"
    assert off_reason(True, "the API cannot listen on 127.0.0.1:8765: the port is in use"
                      ).startswith("off: failed to start: the API cannot listen")
    assert off_reason(True, None) == "off: not started yet"


def test_server_summary_line():
    class Metrics:
        def __init__(self) -> None:
            self.total = 1234
            self.started = 1000.0
            self.recent_errors: deque[RecentError] = deque()

        def request_rate(self) -> float:
            return 2.5

    summary = server_summary("http://127.0.0.1:8765", Metrics(), 1, now=1000.0 + 3725)
    assert summary_text(summary) == ("up 1h 02m · 1,234 requests · 2.5/s (last 10 s) · "
                                     "1 stream client")



def test_pairing_a_device_from_the_panel_shows_the_phones_confirmation(qtbot, loop,  # noqa: F811
                                                                        tmp_path):
    """The "Pair a device" dialog offers a code as a QR; a phone completing it over HTTP
    shows up with the same confirmation, and is listed (kind device) with the tokens."""
    from terminal.ui.pair_dialog import PairDialog

    async def scenario(engine: Engine, window: MainWindow) -> None:
        panel = window.api_panel
        server = engine.api_server
        assert server is not None
        dialog = panel.open_pair_dialog()
        assert isinstance(dialog, PairDialog) and dialog.offer is not None
        assert not dialog.qr.pixmap().isNull()
        assert dialog.link.text() == dialog.offer.url and dialog.code.text() == dialog.offer.code
        assert "Waiting for the phone" in dialog.status.text()
        async with httpx.AsyncClient(base_url=server.url) as client:
            answer = await client.post("/api/v1/pairing/complete", json={
                "code": dialog.offer.code, "device_name": "test phone", "platform": "ios"})
        assert answer.status_code == 201
        creds = answer.json()
        await until(lambda: dialog.confirmation is not None, "the dialog to see the phone")
        assert dialog.confirmation == creds["confirmation"]
        assert creds["confirmation"] in dialog.outcome_label.text()
        dialog.grab().save(str(tmp_path / "pair_dialog.png"))
        dialog.accept()
        await until(lambda: creds["device_id"] in token_table(panel), "the device listed")
        row = token_table(panel)[creds["device_id"]]
        assert row["Name"] == "test phone" and row["Kind"] == "device"

    run_api_window(loop, tmp_path, scenario, ApiSettings(port=0))
