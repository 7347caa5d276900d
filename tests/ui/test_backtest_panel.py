"""The Backtest dock on the real window: GOOG's stored daily bars, run off the event loop."""

from __future__ import annotations

import asyncio

import pytest

from terminal.app import Engine
from terminal.model.ids import InstrumentId
from terminal.services.backtest import STRATEGIES, parse_params, run_backtest
from terminal.services.backtest.report import format_stat, stored_bars
from terminal.ui.main_window import MainWindow
from tests.data_paths import SHARED_DATA
from tests.ui.test_main_window import loop, run_window, until  # noqa: F401 (a fixture)

GOOG_FILE = SHARED_DATA / "ohlcv" / "backtesting.py__GOOG.csv"
GOOG = InstrumentId("REPLAY", "GOOG")
DAY_NS = 86_400_000_000_000

pytestmark = pytest.mark.timeout(120)


def test_backtest_dock_runs_ma_cross_on_the_charts_stored_bars(qtbot, loop, tmp_path):  # noqa: F811
    seen: list[int] = []

    async def scenario(engine: Engine, window: MainWindow) -> None:
        window.select_instrument(GOOG)
        assert window.chart.timeframe() == "1d"
        panel = window.backtest
        window.docks["Backtest"].raise_()
        panel.progress.valueChanged.connect(seen.append)

        # a bad parameter: a message, no result, nothing stored
        panel.strategy.setCurrentText("ma-cross")
        panel.params.setText("fast=ten,slow=30")
        assert await panel.run_backtest() is None
        assert "fast" in panel.message.text()
        assert panel.result is None and panel.stats_model.rowCount() == 0

        panel.params.setText("fast=10,slow=30")
        panel.fee.setValue(10)
        panel.slippage.setValue(5)
        panel.run_button.click()
        await until(lambda: panel.result is not None, "the backtest result")
        result = panel.result
        assert result is not None
        assert not panel.running and panel.run_button.isEnabled()

        db = engine.db
        assert db is not None
        bars = stored_bars(db, GOOG, DAY_NS)
        assert len(bars.ts) == 2148
        spec = STRATEGIES["ma-cross"]
        direct = run_backtest(spec.make(GOOG, "1d", parse_params(spec, "fast=10,slow=30")),
                              bars, 10.0, 5.0, 1.0, False, strategy_name="ma-cross")
        assert result.stats["total_return"] == direct.stats["total_return"]
        assert result.stats["trades"] == direct.stats["trades"] > 0
        assert panel.stat_text("Total return") == format_stat(direct.stats["total_return"],
                                                              "pct")
        assert panel.stat_text("Trades") == str(direct.stats["trades"])
        assert panel.trades_model.rowCount() == len(direct.trades)
        assert len(panel.equity_curve.getData()[1]) == 2148
        assert panel.progress.value() == 100 and seen[-1] == 100 and len(seen) >= 2

        assert panel.stored_id is not None
        stored = db.backtests.get(panel.stored_id)
        assert stored is not None and stored.stats["trades"] == direct.stats["trades"]
        assert panel.trades.export_to(tmp_path / "trades.csv") == len(direct.trades)

        await asyncio.sleep(0.2)  # a few frames before the grab
        window.grab().save("/tmp/backtest_panel.png")

    run_window(loop, tmp_path, scenario, [], history=[GOOG_FILE])
