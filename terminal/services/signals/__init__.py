"""Strategies and the live signal engine.

A strategy is a small class (`Strategy`) with parameters, an instrument and a timeframe;
it answers each closed bar with a `Signal` or None. `SignalEngine` runs strategies on the
bus's closed bars; `run_on_arrays` runs the same classes over arrays of bars.
"""

from terminal.model.signals import Signal
from terminal.services.signals.arrays import run_on_arrays, run_on_bars
from terminal.services.signals.base import AnyStrategy, Strategy
from terminal.services.signals.bollinger import BollingerBreakout, BollingerParams
from terminal.services.signals.engine import SignalEngine, SignalStats
from terminal.services.signals.history import BarHistory
from terminal.services.signals.ma_cross import MaCrossParams, MovingAverageCross
from terminal.services.signals.macd_trend import MacdParams, MacdTrend
from terminal.services.signals.rsi_reversion import RsiMeanReversion, RsiReversionParams

__all__ = [
    "AnyStrategy", "BarHistory", "BollingerBreakout", "BollingerParams", "MaCrossParams",
    "MacdParams", "MacdTrend", "MovingAverageCross", "RsiMeanReversion", "RsiReversionParams",
    "Signal", "SignalEngine", "SignalStats", "Strategy", "run_on_arrays", "run_on_bars",
]
