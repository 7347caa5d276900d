"""The strategies a backtest can name, and their parameters parsed from `name=value` text."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from terminal.model.ids import InstrumentId
from terminal.services.signals.base import AnyStrategy
from terminal.services.signals.bollinger import BollingerBreakout, BollingerParams
from terminal.services.signals.ma_cross import MaCrossParams, MovingAverageCross
from terminal.services.signals.macd_trend import MacdParams, MacdTrend
from terminal.services.signals.rsi_reversion import RsiMeanReversion, RsiReversionParams


class ParamError(ValueError):
    """A parameter text that does not fit the strategy; the message names the parameter."""


@dataclass(frozen=True)
class StrategySpec:
    name: str
    strategy: type[AnyStrategy]
    params: type[Any]
    aliases: dict[str, str] = dataclasses.field(default_factory=dict)

    def field_names(self) -> list[str]:
        return [f.name for f in dataclasses.fields(self.params)]

    def make(self, instrument: InstrumentId | str, timeframe: str,
             params: Any) -> AnyStrategy:
        return self.strategy(instrument, timeframe, params)


STRATEGIES: dict[str, StrategySpec] = {s.name: s for s in (
    StrategySpec("ma-cross", MovingAverageCross, MaCrossParams, {"kind": "average"}),
    StrategySpec("rsi", RsiMeanReversion, RsiReversionParams),
    StrategySpec("bollinger", BollingerBreakout, BollingerParams),
    StrategySpec("macd", MacdTrend, MacdParams),
)}


def parse_params(spec: StrategySpec, text: str) -> Any:
    """`fast=10,slow=30,kind=sma` into the strategy's params dataclass; names left out keep
    their defaults. Raises ParamError naming the bad parameter."""
    hints = typing.get_type_hints(spec.params)
    known = spec.field_names()
    values: dict[str, Any] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        name, sep, raw = item.partition("=")
        name, raw = name.strip(), raw.strip()
        if not sep or not name:
            raise ParamError(f"parameter {item!r}: expected name=value")
        field = spec.aliases.get(name, name)
        if field not in known:
            names = known + sorted(spec.aliases)
            raise ParamError(f"unknown parameter {name!r} for {spec.name} (known: "
                             f"{', '.join(names)})")
        if field in values:
            raise ParamError(f"parameter {name!r} is given twice")
        values[field] = _convert(name, raw, hints[field])
    try:
        return spec.params(**values)
    except (ValueError, TypeError) as exc:
        raise ParamError(f"{spec.name} parameters: {exc}") from None


def parse_param_values(spec: StrategySpec, values: Mapping[str, object]) -> Any:
    """The same from a mapping (a JSON object): name -> value, true/false for booleans."""
    return parse_params(spec, ",".join(
        f"{k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in values.items()))


def _convert(name: str, raw: str, hint: Any) -> Any:
    args = typing.get_args(hint)
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType) and type(None) in args:
        if raw.lower() in ("", "none"):
            return None
        rest = [a for a in args if a is not type(None)]
        return _convert(name, raw, rest[0])
    if origin is typing.Literal:
        if raw not in args:
            raise ParamError(f"parameter {name}={raw!r}: choose one of "
                             f"{', '.join(map(str, args))}")
        return raw
    if hint is int:
        try:
            return int(raw)
        except ValueError:
            raise ParamError(f"parameter {name}={raw!r}: not a whole number") from None
    if hint is float:
        try:
            return float(raw)
        except ValueError:
            raise ParamError(f"parameter {name}={raw!r}: not a number") from None
    if hint is bool:
        if raw.lower() not in ("true", "false", "1", "0", "yes", "no"):
            raise ParamError(f"parameter {name}={raw!r}: expected true or false")
        return raw.lower() in ("true", "1", "yes")
    return raw
