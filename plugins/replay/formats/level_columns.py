"""Book snapshot levels read by compiled code (frame_scan), as the columns BookSnapshot
carries and the level lists it holds."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from terminal.model.market import Level
from terminal.model.market_run import L_MP, L_MV, L_P0, L_S1, LEVEL_COLUMNS

F64Table = npt.NDArray[np.float64]
BYTES_PER_LEVEL = 13  # no level takes fewer bytes of JSON text: ["1","1"],


def scratch(text_bytes: int) -> tuple[F64Table, npt.NDArray[np.int64]]:
    """Level rows for every level a text of that many bytes can hold."""
    rows = text_bytes // BYTES_PER_LEVEL + 2
    return (np.empty((rows, 2), dtype=np.float64),
            np.empty((rows, LEVEL_COLUMNS), dtype=np.int64))


def tables(values: F64Table, info: npt.NDArray[np.int64], split: int,
           n_levels: int) -> tuple[F64Table, F64Table]:
    """Rows [0, split) and [split, n_levels) as (n, 4) tables of price, size and the digit
    integers of their texts as text-book sizes (0.0 for a level of size 0: it is none)."""
    table = np.empty((n_levels, 4), dtype=np.float64)
    table[:, :2] = values[:n_levels]
    table.view(np.int64)[:, 2:] = info[:n_levels, L_MP:L_MV + 1]
    empty = table[:, 1] <= 0.0
    if empty.any():
        table[empty, 2:] = 0.0
    return table[:split], table[split:]


def level_list(table: F64Table) -> list[Level]:
    return list(zip(table[:, 0].tolist(), table[:, 1].tolist(), strict=True))


def spans(info: npt.NDArray[np.int64], split: int, n_levels: int
          ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Where each level's price and size texts lie (terminal.model.levels.LevelTexts), for
    rows [0, split) and [split, n_levels)."""
    offsets = info[:n_levels, L_P0:L_S1 + 1].copy()
    return offsets[:split], offsets[split:]


def exact(values: F64Table, info: npt.NDArray[np.int64], n_levels: int, text: bytes) -> None:
    """Convert from their text the numbers the compiled fast path left NaN (beyond it)."""
    for row in np.flatnonzero(np.isnan(values[:n_levels]).any(axis=1)).tolist():
        p0, p1, s0, s1 = info[row, L_P0:L_S1 + 1].tolist()
        values[row] = float(text[p0:p1]), float(text[s0:s1])
