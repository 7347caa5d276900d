"""The main window: chart in the centre, docks around it, refreshed by one frame timer."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QPlainTextEdit,
    QProgressBar,
    QSizePolicy,
    QWidget,
)

from terminal.app import Engine
from terminal.core.errors import OrderError, RiskRejected
from terminal.model.ids import InstrumentId
from terminal.model.instrument import Instrument
from terminal.model.orders import Order, OrderType, Side
from terminal.services.order_request import OrderRequest
from terminal.services.timeframes import parse_timeframe
from terminal.ui.api_panel import ApiPanel
from terminal.ui.api_rows import status_bar_text
from terminal.ui.backtest_panel import BacktestPanel
from terminal.ui.blotter import Blotter
from terminal.ui.bridge import EngineBridge, LogToState
from terminal.ui.chart.chart_widget import ChartWidget
from terminal.ui.chart.formatting import decimals_in
from terminal.ui.chart.style import DARK as DARK_CHART
from terminal.ui.chart.style import LIGHT as LIGHT_CHART
from terminal.ui.chart.toolbar import TIMEFRAMES
from terminal.ui.chart_session import ChartSession
from terminal.ui.connections import ConnectionsPanel
from terminal.ui.ladder.depth_chart import DepthChart
from terminal.ui.ladder.ladder_widget import LadderWidget
from terminal.ui.ladder.overlay import NO_BOOK
from terminal.ui.modify_dialog import NewTerms, ask_new_terms
from terminal.ui.rows import (
    ACCOUNT_HEADERS,
    FILL_HEADERS,
    ORDER_HEADERS,
    POSITION_HEADERS,
    QUALITY_HEADERS,
    WATCH_HEADERS,
    account_rows,
    fill_rows,
    formatters,
    order_rows,
    position_rows,
    quality_rows,
    watch_rows,
)
from terminal.ui.table_model import RowsModel
from terminal.ui.theme import THEMES, apply_theme
from terminal.ui.ticket import OrderTicket
from terminal.ui.webhooks_panel import WebhooksPanel

log = logging.getLogger(__name__)

FRAME_MS = 33  # about 30 frames a second
# The ladder and the depth chart paint many cells and curves: the ladder every 3rd frame
# (10 Hz), the depth chart every 8th (4 Hz), on different frames, so no frame pays for both.
LADDER_EVERY, LADDER_PHASE = 3, 1
CHART_STYLES = {"dark": DARK_CHART, "light": LIGHT_CHART}
DEPTH_EVERY, DEPTH_PHASE = 8, 0
STATUS_EVERY = 15  # the status bar twice a second
LADDER_DEPTH = 50
LAYOUT_VERSION = 4  # a saved layout of another version is not restored


class MainWindow(QMainWindow):
    def __init__(self, engine: Engine, settings_path: Path) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("Trading Terminal")
        self.engine = engine
        self.bridge = EngineBridge(engine)
        self.state = self.bridge.state
        self._log_handler = LogToState(self.state)
        logging.getLogger().addHandler(self._log_handler)
        self.settings = QSettings(str(settings_path), QSettings.Format.IniFormat)
        self.selected: InstrumentId | None = None
        self._seen_versions: dict[str, int] = {}
        self._chart_interval_ns = 60_000_000_000  # shown
        self._wanted_interval_ns = self._chart_interval_ns  # chosen by the user
        self._closed_bars_seen = 0
        self._frame = 0
        self._signals_shown = 0
        self._auto_selecting = True  # until the user chooses an instrument
        self.confirm_ladder_clicks = True

        self.chart = ChartWidget(self)
        self.chart.timeframe_changed.connect(self.set_timeframe)
        self.chart_session = ChartSession(engine, self.chart)
        self._markers_shown = 0
        self.setCentralWidget(self.chart)
        self.ladder = LadderWidget(self)
        self.ladder.order_requested.connect(self._ladder_order)
        self.depth_chart = DepthChart(self)
        self.ticket = OrderTicket(self._submit, engine.instruments.get,
                                  lambda coro: engine.tasks.spawn(coro, "ticket"), self)
        self.models = {
            "working": RowsModel(ORDER_HEADERS, formatters(ORDER_HEADERS)),
            "orders": RowsModel(ORDER_HEADERS, formatters(ORDER_HEADERS)),
            "fills": RowsModel(FILL_HEADERS, formatters(FILL_HEADERS)),
            "positions": RowsModel(POSITION_HEADERS, formatters(POSITION_HEADERS)),
            "account": RowsModel(ACCOUNT_HEADERS, formatters(ACCOUNT_HEADERS)),
            "watchlist": RowsModel(WATCH_HEADERS, formatters(WATCH_HEADERS)),
            "quality": RowsModel(QUALITY_HEADERS, formatters(QUALITY_HEADERS)),
        }
        self.blotters = {name: Blotter(model, name, self) for name, model in self.models.items()}
        self.blotters["watchlist"].row_activated.connect(self.select_instrument)
        working = self.blotters["working"]
        working.row_activated.connect(self.modify_order)  # double-click: change, not cancel
        working.add_action("Modify…", lambda keys: self.modify_order(keys[0] if keys else None),
                           "Change the selected order's quantity or price")
        working.add_action("Cancel", self._cancel_orders, "Cancel the selected orders")
        working.add_action("Cancel all", lambda _keys: self.cancel_all(),
                           "Cancel every working order (Ctrl+Shift+X)")
        self.ask_modify: Callable[[Order], NewTerms | None] = lambda o: ask_new_terms(self, o)
        self.log_view = QPlainTextEdit(self)
        self.log_view.setObjectName("log")
        self.log_view.setReadOnly(True)
        self.log_view.setMaximumBlockCount(2000)
        self._log_shown = 0
        self.connections = ConnectionsPanel(
            engine, lambda coro: engine.tasks.spawn(coro, "connections"), parent=self)
        self.backtest = BacktestPanel(
            engine, lambda: (self.selected, self.chart.timeframe()),
            lambda coro: engine.tasks.spawn(coro, "backtest"), self.busy, self)
        self.api_panel = ApiPanel(engine, self)
        self.webhooks_panel = WebhooksPanel(
            engine, lambda coro: engine.tasks.spawn(coro, "webhooks"), self)
        self.chart.alert_requested.connect(self.add_alert)
        self._alerts_shown: tuple[object, int] = (None, -1)

        self.docks: dict[str, QDockWidget] = {}
        right = Qt.DockWidgetArea.RightDockWidgetArea
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        left = Qt.DockWidgetArea.LeftDockWidgetArea
        self._dock("Watchlist", self.blotters["watchlist"], left)
        self._dock("Depth", self.depth_chart, left)
        self._dock("Order book", self.ladder, right)
        self._dock("Order ticket", self.ticket, right)
        for title, name in (("Working orders", "working"), ("Orders", "orders"),
                            ("Fills", "fills"), ("Positions", "positions"),
                            ("Account", "account"), ("Data quality", "quality")):
            self._dock(title, self.blotters[name], bottom)
        self._dock("Log", self.log_view, bottom)
        self._dock("Connections", self.connections, bottom)
        self._dock("Backtest", self.backtest, bottom)
        self._dock("API", self.api_panel, bottom)
        self._dock("Webhooks", self.webhooks_panel, bottom)
        for a, b in (("Working orders", "Orders"), ("Orders", "Fills"), ("Fills", "Positions"),
                     ("Positions", "Account"), ("Account", "Data quality"),
                     ("Data quality", "Log"), ("Log", "Connections"),
                     ("Connections", "Backtest"), ("Backtest", "API"), ("API", "Webhooks")):
            self.tabifyDockWidget(self.docks[a], self.docks[b])
        self.docks["Working orders"].raise_()
        self.resize(1680, 1000)
        horizontal, vertical = Qt.Orientation.Horizontal, Qt.Orientation.Vertical
        self.resizeDocks([self.docks["Watchlist"], self.docks["Order book"]], [410, 450],
                         horizontal)
        self.resizeDocks([self.docks["Watchlist"], self.docks["Depth"]], [420, 280], vertical)
        self.resizeDocks([self.docks["Order book"], self.docks["Order ticket"]], [560, 260],
                         vertical)
        self.resizeDocks([self.docks["Working orders"]], [230], vertical)
        self._default_state = self.saveState(LAYOUT_VERSION)

        self.status = QLabel(self)
        self.status.setObjectName("statusText")
        # changing text must not relayout the status bar and the window every frame
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.progress = QProgressBar(self)
        self.progress.setObjectName("progress")
        self.progress.setMaximumWidth(220)
        self.progress.setVisible(False)
        self.statusBar().addPermanentWidget(self.status, 1)
        self.statusBar().addPermanentWidget(self.progress)
        self._menus()
        self._restore_layout()
        self.ladder.confirm_box.toggled.connect(self._set_confirm)  # the two stay one setting
        self.timer = QTimer(self)
        self.timer.setInterval(FRAME_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()

    # construction -------------------------------------------------------------------------
    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> None:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock:{title}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.docks[title] = dock

    def _menus(self) -> None:
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        view = menu.addMenu("&View")
        for name in THEMES:
            action = QAction(f"{name.title()} theme", self)
            action.triggered.connect(lambda _=False, n=name: self.set_theme(n))
            view.addAction(action)
        reset = QAction("Reset layout", self)
        reset.triggered.connect(lambda: self.restoreState(self._default_state, LAYOUT_VERSION))
        view.addAction(reset)
        for dock in self.docks.values():
            view.addAction(dock.toggleViewAction())
        trading = menu.addMenu("&Trading")
        self.confirm_action = QAction("Confirm ladder clicks", self, checkable=True)
        self.confirm_action.toggled.connect(self._set_confirm)  # set by _restore_layout
        trading.addAction(self.confirm_action)
        self.kill_action = QAction("Kill switch (stop all orders)", self, checkable=True)
        self.kill_action.setShortcut(QKeySequence("Ctrl+Shift+K"))
        self.kill_action.setToolTip("Refuse every new order from every source and cancel the "
                                    "working ones; uncheck to trade again")
        self.kill_action.toggled.connect(self.set_kill_switch)
        trading.addAction(self.kill_action)
        self.addAction(self.kill_action)
        for text, keys, slot in (("Buy (ticket)", "Ctrl+B", lambda: self.ticket.place(Side.BUY)),
                                 ("Sell (ticket)", "Ctrl+S",
                                  lambda: self.ticket.place(Side.SELL)),
                                 ("Cancel all orders", "Ctrl+Shift+X", self.cancel_all)):
            action = QAction(text, self)
            action.setShortcut(QKeySequence(keys))
            action.triggered.connect(slot)
            trading.addAction(action)
            self.addAction(action)

    def _set_confirm(self, on: bool) -> None:
        self.confirm_ladder_clicks = on
        self.ladder.confirm_clicks = on
        if self.confirm_action.isChecked() != on:
            self.confirm_action.setChecked(on)
        self.settings.setValue("confirm_ladder_clicks", on)

    def set_theme(self, name: str) -> None:
        theme = THEMES[name]
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, theme)
        self.chart.set_style(CHART_STYLES[name])
        self.depth_chart.plot.setBackground(theme.base)
        for side in ("left", "bottom"):
            self.depth_chart.plot.getAxis(side).setTextPen(theme.text)
        self.backtest.set_background(theme.base)
        self.api_panel.set_background(theme.base)
        for widget in self.findChildren(QWidget):  # style sheets keep the old palette
            if widget.styleSheet():
                widget.setStyleSheet(widget.styleSheet())
        self.settings.setValue("theme", name)

    def _restore_layout(self) -> None:
        geometry = self.settings.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        state = self.settings.value("window_state")
        if isinstance(state, QByteArray):
            self.restoreState(state, LAYOUT_VERSION)
        confirm = self.settings.value("confirm_ladder_clicks", True)
        # applied whether or not the value changed: a click must never go unasked by accident
        self._set_confirm(confirm not in (False, "false"))

    def save_layout(self) -> None:
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("window_state", self.saveState(LAYOUT_VERSION))
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_layout()
        self.timer.stop()
        self.api_panel.timer.stop()
        logging.getLogger().removeHandler(self._log_handler)
        self.bridge.close()
        super().closeEvent(event)

    # selection ----------------------------------------------------------------------------
    def select_instrument(self, key: object, by_user: bool = True) -> None:
        if by_user:
            self._auto_selecting = False
        if not isinstance(key, InstrumentId) or key == self.selected:
            return
        self.selected = key
        inst = self.engine.instruments.get(key)
        self.chart.set_instrument(str(key), inst.price_decimals if inst is not None else 8)
        self._load_history(key)
        decimals = self._price_decimals(inst)
        self.chart.set_instrument(str(key), decimals)
        self.ladder.set_instrument(str(key), inst.tick_size if inst is not None else Decimal(0),
                                   decimals, inst.size_decimals if inst is not None else 8)
        self.depth_chart.clear()
        self.ticket.instrument.setCurrentText(str(key))
        self.state.books_changed.add(key)

    def _price_decimals(self, inst: Instrument | None) -> int:
        """The instrument's precision; without one (files with no metadata), the decimals
        its loaded prices are written with."""
        if inst is not None and (inst.tick_size or inst.price_precision is not None):
            return inst.price_decimals
        return decimals_in(self.chart.series.close)

    def _auto_select(self) -> None:
        """Until the user picks one, show an instrument with a live book if there is one."""
        if not self._auto_selecting or not self.state.watch:
            return
        watch = self.state.watch
        with_book = sorted((iid for iid in watch
                            if (status := self.engine.books.status(iid)) is not None
                            and status.usable),
                           key=lambda iid: (math.isnan(watch[iid].last), iid))  # traded first
        if with_book:
            self._auto_selecting = False
            self.select_instrument(with_book[0], by_user=False)
        elif self.selected is None:
            self.select_instrument(sorted(self.state.watch)[0], by_user=False)

    def busy(self, text: str | None) -> None:
        """Show (text) or hide (None) the status bar's progress for long work."""
        self.progress.setVisible(text is not None)
        if text is not None:
            self.progress.setRange(0, 0)
            self.progress.setFormat(text)
            self.progress.setTextVisible(True)
            self.statusBar().showMessage(text)
        else:
            self.statusBar().clearMessage()

    def set_timeframe(self, text: str) -> None:
        interval = parse_timeframe(text).interval_ns
        if self.chart.timeframe() != text:
            self.chart.set_timeframe(text)
        self._wanted_interval_ns = interval
        if interval == self._chart_interval_ns:
            return
        self._chart_interval_ns = interval
        if self.selected is not None:
            self._load_history(self.selected)

    def _load_history(self, iid: InstrumentId) -> None:
        self.busy(f"Loading history of {iid}…")
        try:
            shown = self.chart_session.show(iid, self._wanted_interval_ns, self.state.closed_bars)
            if shown != self._chart_interval_ns:
                self._chart_interval_ns = shown
                label = next((t for t in TIMEFRAMES if parse_timeframe(t).interval_ns == shown),
                             None)
                if label is not None:
                    self.chart.set_timeframe(label)
            self._closed_bars_seen = self.state.bars_closed
            self.chart.clear_markers()  # fills and signals are added again, once each
            self._markers_shown = 0
            self._signals_shown = self.state.signals_seen - len(self.state.signals)  # all kept
        finally:
            self.busy(None)

    # orders -------------------------------------------------------------------------------
    async def _submit(self, req: OrderRequest) -> Order:
        if self.engine.orders is None:
            raise OrderError("the engine has no order manager yet")
        return await self.engine.orders.submit(req)

    def _ladder_order(self, side: str, price: Decimal) -> None:
        if self.selected is None:
            return
        self.ticket.prefill(self.selected, OrderType.LIMIT, price)
        self.ticket.place(Side(side), source="ladder")

    def _cancel_orders(self, keys: list[object]) -> None:
        for key in keys:
            order = self.state.orders.get(key) if isinstance(key, str) else None
            if order is not None and order.status.is_working:  # a repeat click: nothing to do
                self.engine.tasks.spawn(self._cancel(order.client_order_id), "cancel")

    async def _cancel(self, client_order_id: str) -> None:
        if self.engine.orders is None:
            return
        try:
            await self.engine.orders.cancel(client_order_id)
        except OrderError as exc:  # it filled or was cancelled meanwhile
            self.statusBar().showMessage(f"Cancel: {exc}", 10_000)

    def cancel_all(self) -> None:
        if self.engine.orders is not None:
            self.engine.tasks.spawn(self.engine.orders.cancel_all(), "cancel-all")

    def set_kill_switch(self, on: bool) -> None:
        orders = self.engine.orders
        if orders is None or on == orders.risk.kill_switch:
            return
        if on:
            self.engine.tasks.spawn(orders.engage_kill_switch("engaged from the window",
                                                              actor="window"), "kill-switch")
        else:
            orders.risk.release_kill_switch(actor="window")
        self.refresh_status()

    def modify_order(self, key: object) -> None:
        order = self.state.orders.get(key) if isinstance(key, str) else None
        if order is None or not order.status.is_working:
            return
        terms = self.ask_modify(order)
        if terms is not None:
            self.engine.tasks.spawn(self._modify(order.client_order_id, *terms), "modify")

    async def _modify(self, client_order_id: str, quantity: str, price: str | None) -> None:
        if self.engine.orders is None:
            return
        try:
            await self.engine.orders.modify(client_order_id, quantity, price)
        except (OrderError, RiskRejected) as exc:
            self.statusBar().showMessage(f"Modify refused: {exc}", 10_000)
            self.state.log.append(f"modify {client_order_id} refused: {exc}")
            self.state.touch("log")

    # frame --------------------------------------------------------------------------------
    def _changed(self, area: str) -> bool:
        version = self.state.version(area)
        if self._seen_versions.get(area) == version:
            return False
        self._seen_versions[area] = version
        return True

    def refresh(self) -> None:
        """One frame: push what changed since the last frame into the widgets."""
        state = self.state
        changed = {area for area in ("orders", "fills", "positions", "account", "watch",
                                     "connections", "quality", "log") if self._changed(area)}
        if "orders" in changed:
            self.models["working"].set_rows(order_rows(state, working_only=True))
            self.models["orders"].set_rows(order_rows(state, working_only=False))
            if self.selected is not None:
                self.ladder.set_own_orders([o for o in state.orders.values()
                                            if o.instrument_id == self.selected
                                            and o.status.is_working])
        if "fills" in changed:
            self.models["fills"].set_rows(fill_rows(state))
        if changed & {"positions", "watch"}:
            self.models["positions"].set_rows(position_rows(state, self._mark))
        if "account" in changed:
            self.models["account"].set_rows(account_rows(state))
        if "watch" in changed:
            self.models["watchlist"].set_rows(watch_rows(state))
            self.ticket.set_instruments(sorted(state.watch))
            self._auto_select()
        if "connections" in changed:
            self.connections.refresh()
        if "quality" in changed:
            self.models["quality"].set_rows(quality_rows(state))
        if "log" in changed:
            lines = list(state.log)
            new = lines[self._log_shown - len(lines):] if self._log_shown < len(lines) else []
            for line in new[-200:]:
                self.log_view.appendPlainText(line)
            self._log_shown = len(lines)
        self._refresh_market()
        if self._frame % STATUS_EVERY == 0:
            self.refresh_status()

    def _refresh_market(self) -> None:
        iid = self.selected
        if iid is None:
            return
        state = self.state
        if iid in state.bars_changed:
            new = min(state.bars_closed - self._closed_bars_seen, len(state.closed_bars))
            closed = list(state.closed_bars)[len(state.closed_bars) - new:] if new else []
            self.chart_session.on_bars(closed, self.engine.aggregator.forming())
        self._closed_bars_seen = state.bars_closed
        state.bars_changed.clear()
        self._add_fill_markers(iid)
        self._add_signal_markers(iid)
        if iid in self.state.books_changed:
            bids, asks = self.engine.books.levels(iid, LADDER_DEPTH)
            status = self.engine.books.status(iid)
            usable = status is not None and status.usable
            reason = NO_BOOK if status is None else status.reason
            self.ladder.set_book(bids, asks)
            self.ladder.set_status(usable, reason)
            self.depth_chart.set_book(bids, asks)
            self.depth_chart.set_status(usable, reason)
        self.state.books_changed.clear()
        if self._alerts_shown != (iid, self.engine.alerts.version):
            self._alerts_shown = (iid, self.engine.alerts.version)
            self.chart.show_alerts(self.engine.alerts.active_prices(iid))
        self.chart.refresh()
        self._frame += 1
        if self._frame % LADDER_EVERY == LADDER_PHASE:
            self.ladder.refresh()
        if self._frame % DEPTH_EVERY == DEPTH_PHASE:
            self.depth_chart.refresh()

    def add_alert(self, price: float) -> None:
        """The chart's "Alert at <price>": an alert on the shown instrument crossing it."""
        if self.selected is not None:
            self.engine.tasks.spawn(self.engine.alerts.add(str(self.selected), "cross",
                                                           repr(price)), "alert")

    def _add_fill_markers(self, iid: InstrumentId) -> None:
        fills = self.state.fills
        if len(fills) == self._markers_shown:
            return
        for fill in list(fills)[self._markers_shown:]:
            if fill.instrument_id == iid:
                self.chart.add_marker(fill.ts_event, float(fill.price), fill.side.value)
        self._markers_shown = len(fills)

    def _add_signal_markers(self, iid: InstrumentId) -> None:
        """Signals of the strategies on the chart's instrument, on the bar that gave them."""
        state = self.state
        new = min(state.signals_seen - self._signals_shown, len(state.signals))
        if new <= 0:
            return
        for signal in list(state.signals)[len(state.signals) - new:]:
            if signal.instrument_id == iid:
                self.chart.add_marker(signal.bar_ts, signal.price, "signal")
        self._signals_shown = state.signals_seen

    def _mark(self, iid: InstrumentId) -> float | None:
        row = self.state.watch.get(iid)
        if row is None:
            return None
        mid = (row.bid + row.ask) / 2
        return mid if not math.isnan(mid) else (None if math.isnan(row.last) else row.last)

    def refresh_status(self) -> None:
        md = self.engine.market_data
        books = self.engine.books.summary()
        usable = sum(1 for b in books.values() if b["usable"])
        clients = self.engine.data_clients()
        if not clients:
            feed = "no feed connected"
        elif all(getattr(c, "done", False) for c in clients):
            feed = "replay ended"
        else:
            feed = "replaying" if self.engine.replaying else "live"
        latency = self.state.last_latency_ns
        if self.engine.replaying:  # recorded receive times say nothing of this machine
            latency_text = f" · replay at {_clock_text(self.engine.clock.now_ns())}"
        elif latency is None:
            latency_text = ""
        else:
            latency_text = f" · latency {latency / 1e6:,.1f} ms"
        orders = self.engine.orders
        killed = orders is not None and orders.risk.kill_switch
        if self.kill_action.isChecked() != killed:  # a rule (daily loss) may have tripped it
            self.kill_action.blockSignals(True)
            self.kill_action.setChecked(killed)
            self.kill_action.blockSignals(False)
        kill_text = "KILL SWITCH ON · " if killed else ""
        api = self.engine.api_server
        self.status.setText(
            f"{kill_text}Feed: {feed} · {sum(md.events.values()):,} events{latency_text}"
            f" · books {usable}/{len(books)} usable · broker {self.engine.options.broker}"
            f" · {status_bar_text(api.url if api is not None else None)}"
            f" · {self.engine.options.data_dir}")


def _clock_text(ts_ns: int) -> str:
    if ts_ns <= 0:
        return "—"
    return datetime.fromtimestamp(ts_ns / 1e9, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
