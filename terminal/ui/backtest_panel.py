"""The Backtest dock: a strategy run over the chart instrument's stored bars, off the event
loop, with its figures, trades, equity curve and drawdown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from terminal.app import Engine
from terminal.core.errors import TerminalError
from terminal.model.backtest import BacktestResult
from terminal.model.ids import InstrumentId
from terminal.services.backtest import STRATEGIES, ParamError, parse_params, run_backtest
from terminal.services.backtest.report import STAT_ROWS, bars_for, format_stat
from terminal.services.bar_resample import BarArrays
from terminal.services.timeframes import parse_timeframe
from terminal.ui.blotter import Blotter
from terminal.ui.table_model import Row, RowsModel

log = logging.getLogger(__name__)

STRATEGY_NAMES = ("ma-cross", "rsi", "bollinger", "macd")
STAT_HEADERS = ("Stat", "Value")
TRADE_HEADERS = ("#", "Entry time", "Exit time", "Qty", "Entry price", "Exit price", "PnL",
                 "Fees")
EQUITY_PEN = "#42a5f5"
DRAWDOWN_PEN = "#ef5350"

# the chart's target: its instrument (None before one is chosen) and timeframe label
Target = Callable[[], tuple[InstrumentId | None, str]]


def _time(ts_ns: int) -> str:
    return datetime.fromtimestamp(ts_ns / 1e9, tz=UTC).strftime("%Y-%m-%d %H:%M")


def _number(value: float) -> str:
    return f"{value:,.4f}"


TRADE_FORMATTERS: tuple[Callable[[Any], str], ...] = (
    str, _time, _time, lambda v: f"{v:g}", _number, _number, _number, _number)


class BacktestPanel(QWidget):
    def __init__(self, engine: Engine, target: Target,
                 spawn: Callable[[Any], object],
                 busy: Callable[[str | None], None] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("backtest")
        self.engine = engine
        self._target = target
        self._spawn = spawn
        self._busy = busy
        self.result: BacktestResult | None = None
        self.stored_id: int | None = None
        self.running = False

        self.strategy = QComboBox(self)
        self.strategy.addItems(list(STRATEGY_NAMES))
        self.strategy.currentTextChanged.connect(self._hint_params)
        self.params = QLineEdit(self)
        self.params.setClearButtonEnabled(True)
        self.params.returnPressed.connect(self.run)
        self.fee = self._spin(10.0, 0.0, "bps")
        self.slippage = self._spin(5.0, 0.0, "bps")
        self.size_box = self._spin(1.0, 1e-6, "", decimals=6)
        self.long_only = QCheckBox("Long only (sell signals go flat)", self)
        self.run_button = QPushButton("Run", self)
        self.run_button.clicked.connect(self.run)
        self.progress = QProgressBar(self)
        self.progress.setObjectName("backtestProgress")
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.message = QLabel(self)
        self.message.setObjectName("backtestMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Strategy", self.strategy)
        form.addRow("Params", self.params)
        form.addRow("Fee", self.fee)
        form.addRow("Slippage", self.slippage)
        form.addRow("Size", self.size_box)
        form.addRow("", self.long_only)
        form.addRow(self.run_button, self.progress)

        self.stats_model = RowsModel(STAT_HEADERS)
        self.stats_table = QTableView(self)
        self.stats_table.setModel(self.stats_model)
        self.stats_table.verticalHeader().setVisible(False)
        self.stats_table.verticalHeader().setDefaultSectionSize(20)
        self.stats_table.horizontalHeader().setStretchLastSection(True)
        self.stats_table.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.ResizeToContents)
        self.stats_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.stats_table.setAlternatingRowColors(True)

        controls = QWidget(self)
        left = QVBoxLayout(controls)
        left.setContentsMargins(2, 2, 2, 2)
        left.addLayout(form)
        left.addWidget(self.message)
        left.addStretch(1)

        self.trades_model = RowsModel(TRADE_HEADERS, TRADE_FORMATTERS)
        self.trades = Blotter(self.trades_model, "backtest_trades", self)
        self.trades.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)

        self.equity_plot = self._plot("Equity")
        self.drawdown_plot = self._plot("Drawdown %")
        self.drawdown_plot.setXLink(self.equity_plot)
        self.equity_curve = self.equity_plot.plot(pen=pg.mkPen(EQUITY_PEN, width=1.5))
        self.drawdown_curve = self.drawdown_plot.plot(
            pen=pg.mkPen(DRAWDOWN_PEN, width=1), fillLevel=0.0,
            brush=pg.mkBrush(239, 83, 80, 70))
        plots = QSplitter(Qt.Orientation.Vertical, self)
        plots.addWidget(self.equity_plot)
        plots.addWidget(self.drawdown_plot)
        plots.setSizes([200, 120])

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        for k, (part, stretch) in enumerate(((controls, 0), (self.stats_table, 0),
                                             (self.trades, 1), (plots, 1))):
            splitter.addWidget(part)
            splitter.setStretchFactor(k, stretch)
        splitter.setSizes([300, 220, 560, 560])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self._hint_params(self.strategy.currentText())

    def _spin(self, value: float, minimum: float, suffix: str,
              decimals: int = 2) -> QDoubleSpinBox:
        spin = QDoubleSpinBox(self)
        spin.setDecimals(decimals)  # before the range, which is rounded to it
        spin.setRange(minimum, 1e9)
        spin.setValue(value)
        if suffix:
            spin.setSuffix(f" {suffix}")
        return spin

    def _plot(self, title: str) -> pg.PlotWidget:
        plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem(utcOffset=0)})
        plot.setMenuEnabled(False)
        plot.showGrid(x=True, y=True, alpha=0.2)
        plot.setLabel("left", title)
        plot.setMinimumHeight(90)
        return plot

    def set_background(self, colour: str) -> None:
        for plot in (self.equity_plot, self.drawdown_plot):
            plot.setBackground(colour)

    def _hint_params(self, name: str) -> None:
        spec = STRATEGIES[name]
        self.params.setPlaceholderText(",".join(f"{f}=…" for f in spec.field_names()))

    # running ------------------------------------------------------------------------------
    def run(self) -> None:
        """The Run button: start a backtest unless one is running."""
        if not self.running:
            self._spawn(self.run_backtest())

    async def run_backtest(self) -> BacktestResult | None:
        """Backtest the chart's instrument at its timeframe; problems are shown, not raised."""
        if self.running:
            return None
        iid, timeframe = self._target()
        db = self.engine.db
        spec = STRATEGIES[self.strategy.currentText()]
        try:
            if iid is None:
                raise TerminalError("choose an instrument on the chart first")
            if db is None:
                raise TerminalError("no database: there are no stored bars to test on")
            params = parse_params(spec, self.params.text())
            interval_ns = parse_timeframe(timeframe).interval_ns
            strategy = spec.make(iid, timeframe, params)
        except (TerminalError, ValueError) as exc:
            self._fail(str(exc) if isinstance(exc, ParamError) else f"Cannot run: {exc}")
            return None
        fee, slippage, size = self.fee.value(), self.slippage.value(), self.size_box.value()
        long_only = self.long_only.isChecked()
        loop = asyncio.get_running_loop()

        def progress(fraction: float) -> None:  # on the worker thread
            loop.call_soon_threadsafe(self._show_progress, fraction)

        def work() -> tuple[BacktestResult, int]:
            bars = _bars(db, iid, interval_ns)
            if not len(bars.ts):
                raise TerminalError(f"no stored {timeframe} bars of {iid}")
            result = run_backtest(strategy, bars, fee, slippage, size, long_only, progress,
                                  strategy_name=spec.name)
            return result, db.backtests.save(result)

        self._start(f"Backtesting {spec.name} on {iid} {timeframe}…")
        try:
            result, stored = await asyncio.to_thread(work)
        except (TerminalError, ValueError) as exc:
            self._fail(f"Backtest failed: {exc}")
            return None
        except Exception as exc:  # shown in the panel: the window goes on
            log.exception("backtest failed")
            self._fail(f"Backtest failed: {type(exc).__name__}: {exc}")
            return None
        finally:
            self._stop()
        self.result, self.stored_id = result, stored
        self.show_result(result)
        self.message.setText(f"{spec.name} on {iid} {timeframe}: {result.bars:,} bars, "
                             f"{result.signals} signals, {len(result.trades)} trades; "
                             f"stored as backtest {stored}")
        return result

    def _start(self, text: str) -> None:
        self.running = True
        self.run_button.setEnabled(False)
        self.progress.setValue(0)
        self.message.setText(text)
        self.message.setStyleSheet("")
        if self._busy is not None:
            self._busy(text)

    def _stop(self) -> None:
        self.running = False
        self.run_button.setEnabled(True)
        if self._busy is not None:
            self._busy(None)

    def _fail(self, text: str) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #ef5350;")

    def _show_progress(self, fraction: float) -> None:
        self.progress.setValue(round(max(0.0, min(1.0, fraction)) * 100))

    # showing ------------------------------------------------------------------------------
    def show_result(self, result: BacktestResult) -> None:
        rows: list[tuple[object, Row]] = [
            (key, (label, format_stat(result.stats[key], kind)))
            for key, label, kind in STAT_ROWS]
        final = float(result.equity[-1]) if result.bars else result.cash
        rows += [("final_equity", ("Final equity", f"{final:,.2f}")),
                 ("bars", ("Bars", f"{result.bars:,}")),
                 ("signals", ("Signals", str(result.signals)))]
        self.stats_model.set_rows(rows)
        self.trades_model.set_rows([
            (k, (k + 1, t.entry_ts, t.exit_ts, t.qty, t.entry_price,
                 None if np.isnan(t.exit_price) else t.exit_price, t.pnl, t.fees))
            for k, t in enumerate(result.trades)])
        x = result.ts.astype(np.float64) / 1e9
        self.equity_curve.setData(x, result.equity)
        self.drawdown_curve.setData(x, result.drawdown * 100)
        self.equity_plot.enableAutoRange()
        self.drawdown_plot.enableAutoRange()

    def stat_text(self, label: str) -> str | None:
        """The stats table's value for a row label, as shown."""
        model = self.stats_model
        for r in range(model.rowCount()):
            row = model.row_values(r)
            if row[0] == label:
                return str(row[1])
        return None


def _bars(db: Any, iid: InstrumentId, interval_ns: int) -> BarArrays:
    return bars_for(db, iid, interval_ns)
