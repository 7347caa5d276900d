"""The C-level snapshot paths (`common.float_columns`) give what the level-by-level checks
give, and leave every bad level to those checks, so the row errors stay the same."""

from __future__ import annotations

from typing import Any

import pytest

from plugins.replay.formats import cryptofeed_binance, cryptofeed_kraken
from plugins.replay.formats.common import RowError, float_columns


def _levels(n: int, width: int) -> list[list[str]]:
    return [[f"{100 + k}.5", f"{k + 1}.25", f"1618678133.{k:06d}"][:width] for k in range(n)]


def test_float_columns_reads_finite_string_levels() -> None:
    assert float_columns(_levels(3, 2), 2) == [[100.5, 101.5, 102.5], [1.25, 2.25, 3.25]]
    assert float_columns([], 2) == [[], []]


@pytest.mark.parametrize("bad", [
    [1.5, "2"],  # a number, not a string
    ["1.5"],  # too short
    ["nan", "2"],
    ["1.5", "inf"],
    ["x", "2"],
    ("1.5", "2"),  # not a list
    "1.5",
])
def test_float_columns_leaves_bad_levels_to_the_caller(bad: Any) -> None:
    assert float_columns([*_levels(3, 2), bad], 2) is None


def test_float_columns_leaves_an_overflowing_sum_to_the_caller() -> None:
    assert float_columns([["1e308", "1"], ["1e308", "1"]], 2) is None


def test_kraken_bulk_side_matches_level_by_level() -> None:
    levels = _levels(40, 3)
    levels[7][2] = "1618678140.000001"  # the latest time, first of two
    levels[9][2] = "1618678140.000001"
    bulk_out: list[tuple[float, float]] = []
    bulk_raw: list[list[str]] = []
    one_out: list[tuple[float, float]] = []
    one_raw: list[list[str]] = []
    bulk = cryptofeed_kraken._side(levels, bulk_out, bulk_raw, (0.0, ""), "as")
    # below BULK_LEVELS levels, _side takes them one by one
    one = (0.0, "")
    for start in range(0, len(levels), 8):
        one = cryptofeed_kraken._side(levels[start:start + 8], one_out, one_raw, one, "as")
    assert bulk == one == (1618678140.000001, "1618678140.000001")
    assert bulk_out == one_out and bulk_raw == one_raw


@pytest.mark.parametrize("bad", [["1.5", "2", "-1"], ["1.5", "2", "nan"], ["1.5", 2, "1"]])
def test_kraken_bulk_side_raises_what_the_level_checks_raise(bad: list[Any]) -> None:
    levels: list[Any] = [*_levels(40, 3), bad]
    with pytest.raises(RowError, match="level is not") as bulk:
        cryptofeed_kraken._side(levels, [], [], (0.0, ""), "bs")
    with pytest.raises(RowError) as one:
        cryptofeed_kraken._side([bad], [], [], (0.0, ""), "bs")
    assert bulk.value.reason == one.value.reason and bulk.value.field == one.value.field


def test_binance_bulk_levels_match_and_keep_the_pair_rule() -> None:
    levels = _levels(40, 2)
    assert cryptofeed_binance._levels(levels, "bids") == [
        (float(p), float(s)) for p, s in levels]
    with pytest.raises(RowError, match="level is not"):
        cryptofeed_binance._levels([*levels, ["1.5", "2", "3"]], "bids")  # not a pair
