"""Settings of the replay connector."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from terminal.core.errors import TerminalError
from terminal.model.ids import InstrumentId

MIN_SPEED, MAX_SPEED = 1e-3, 1e6  # beyond these a paced replay's waits overflow or vanish


class ReplayConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    paths: list[Path] = Field(min_length=1, description="Recorded files to play, merged by time")
    speed: float | Literal["max"] = Field(
        1.0, description="Speed factor: 1 = real time, 10 = ten times faster, max = no waiting")
    max_gap: float | None = Field(
        None, gt=0, description="Wall-clock seconds an idle stretch may last at most when paced "
        "(nights, or files from different days); timestamps stay as recorded")
    format: str | None = Field(None, description="Force a file format instead of detecting it")
    instrument: str | None = Field(
        None, description="VENUE:SYMBOL for files that do not name their instrument")
    instruments: list[Path] = Field(
        default_factory=list, description="Exchange metadata files whose instruments are "
        "announced before playback (cryptofeed captures of Binance exchangeInfo, Coinbase "
        "products, Kraken AssetPairs)")

    scan: bool = Field(
        True, description="At speed max, read the venues' ordinary book updates with the "
        "compiled scanner and apply them in runs (same events and books; off: one by one)")

    @field_validator("speed")
    @classmethod
    def _positive(cls, value: float | str) -> float | str:
        if isinstance(value, float) and not MIN_SPEED <= value <= MAX_SPEED:
            raise ValueError(f"speed must be from {MIN_SPEED:g} to {MAX_SPEED:g}, or 'max'")
        return value

    @field_validator("instrument")
    @classmethod
    def _instrument_id(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                InstrumentId.parse(value)
            except TerminalError as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("format")
    @classmethod
    def _known_format(cls, value: str | None) -> str | None:
        from plugins.replay.formats import FORMATS  # the readers load only when asked

        if value is not None and value not in FORMATS:
            raise ValueError(f"unknown format {value!r} (known: {', '.join(FORMATS)})")
        return value

    @field_validator("paths", "instruments")
    @classmethod
    def _exist(cls, paths: list[Path]) -> list[Path]:
        problems = []
        for path in paths:
            if path.is_dir():
                problems.append(f"{path} is a folder; give the files inside it")
            elif not path.exists():
                problems.append(f"no such file: {path}")
            elif not path.is_file():
                problems.append(f"{path} is not a regular file")
        seen: set[Path] = set()
        for path in paths:
            key = path.resolve()
            if key in seen:
                problems.append(f"{path} is given twice (its events would play twice)")
            seen.add(key)
        if problems:
            raise ValueError("; ".join(problems))
        return paths
