"""The backtester: the live strategy classes run over bars, filled by the backtest kernel."""

from terminal.model.backtest import BacktestResult, BacktestTrade
from terminal.services.backtest.export import export_csv, write_equity, write_trades
from terminal.services.backtest.runner import run_backtest, targets_from_signals
from terminal.services.backtest.strategies import (
    STRATEGIES,
    ParamError,
    StrategySpec,
    parse_param_values,
    parse_params,
)

__all__ = ["STRATEGIES", "BacktestResult", "BacktestTrade", "ParamError", "StrategySpec",
           "export_csv", "parse_param_values", "parse_params", "run_backtest",
           "targets_from_signals",
           "write_equity", "write_trades"]
