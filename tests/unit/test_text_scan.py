"""The compiled JSON text readers give exactly what Python's own parsing gives, or refuse."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plugins.replay.formats.timeparse import MAX_NS, epoch_to_ns, iso_to_ns
from terminal.kernels.text_scan import (
    decimal_digits,
    decimal_string,
    epoch_seconds_ns,
    iso27_ns,
    json_uint,
)


def _buf(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("ascii"), dtype=np.uint8)


def read_decimal(text: str) -> tuple[int, float, int]:
    quoted = f'"{text}"'
    return decimal_string(_buf(quoted), 0, len(quoted))  # type: ignore[no-any-return]


decimals = st.builds(lambda whole, frac: whole + ("." + frac if frac else ""),
                     st.text("0123456789", min_size=1, max_size=12),
                     st.text("0123456789", max_size=12))


@settings(max_examples=2000, deadline=None)
@given(decimals)
def test_a_plain_decimal_reads_as_float_reads_it(text: str) -> None:
    end, value, digits = read_decimal(text)
    if end < 0:  # refused: only when the exact fast path cannot say
        assert int(text.replace(".", "")) >= 2**53 or len(text.partition(".")[2]) > 22
        return
    assert end == len(text) + 2
    assert value == float(text) and np.copysign(1.0, value) == 1.0
    assert digits == int(text.replace(".", ""))


@pytest.mark.parametrize("text, expected", [
    ("0.35130000", 0.3513), ("6195.00000000", 6195.0), ("0", 0.0), ("0.0", 0.0),
    ("00001305", 1305.0), ("9007199254740991", 9007199254740991.0),  # 2**53 - 1
    ("0.1", 0.1), ("1.0000000000000000000001", 1.0000000000000000000001),
])
def test_known_decimals(text: str, expected: float) -> None:
    end, value, _ = read_decimal(text)
    if end < 0:
        assert len(text.partition(".")[2]) > 22 or int(text.replace(".", "")) >= 2**53
    else:
        assert value == expected == float(text)


@pytest.mark.parametrize("text", [
    "", ".5", "5.", "-1", "+1", "1e5", "1E5", "1_000", "1,5", " 1", "1 ", "0x10", "NaN",
    "inf", "1.2.3", "9007199254740992",  # 2**53: beyond the exact path
    "12345678901234567890",  # beyond 10**18: not even its digits are kept
])
def test_refused_decimals(text: str) -> None:
    assert read_decimal(text)[0] == -1


def test_digits_beyond_the_exact_path_are_still_read_as_digits() -> None:
    quoted = '"99999997.00000000"'
    end, digits, fraction = decimal_digits(_buf(quoted), 0, len(quoted))
    assert (end, digits, fraction) == (len(quoted), 9999999700000000, 8)
    assert read_decimal("99999997.00000000")[0] == -1  # no exact float from the fast path


def test_a_decimal_must_be_a_closed_json_string() -> None:
    for text in ('"1.5', '1.5"', "1.5", '"1.5\\"'):
        assert decimal_string(_buf(text), 0, len(text))[0] == -1


@pytest.mark.parametrize("text, value", [("0", 0), ("7", 7), ("499869752", 499869752),
                                         ("999999999999999999", 10**18 - 1)])
def test_json_integers(text: str, value: int) -> None:
    assert json_uint(_buf(text + ","), 0, len(text) + 1) == (len(text), value)


@pytest.mark.parametrize("text", ["01", "-1", "1.0", "1e3", "1E3", "0.5", "1000000000000000000",
                                  "", "a"])
def test_refused_integers(text: str) -> None:
    assert json_uint(_buf(text + ","), 0, len(text) + 1)[0] == -1


@settings(max_examples=1000, deadline=None)
@given(st.integers(0, MAX_NS // 10**9 - 1), st.text("0123456789", max_size=9),
       st.booleans())
def test_epoch_seconds_read_exactly(whole: int, fraction: str, point: bool) -> None:
    text = f"{whole}" + ("." + fraction if point or fraction else "")
    end, ns = epoch_seconds_ns(_buf(text + ":"), 0, len(text) + 1, MAX_NS)
    assert (end, ns) == (len(text), epoch_to_ns(text))


def test_epoch_seconds_refused() -> None:
    for text in ("1618677817.1234567891", ".5", "", "99999999999.5",
                 "000000000001618677817.5"):  # 21 digits: timeparse refuses them too
        assert epoch_seconds_ns(_buf(text + ":"), 0, len(text) + 1, MAX_NS)[0] == -1


@settings(max_examples=1500, deadline=None)
@given(st.integers(1, 9999), st.integers(1, 12), st.integers(1, 31), st.integers(0, 23),
       st.integers(0, 59), st.integers(0, 59), st.integers(0, 999999))
def test_iso_times_read_as_iso_to_ns_reads_them(year: int, month: int, day: int, hour: int,
                                                minute: int, second: int, micros: int) -> None:
    text = f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}.{micros:06d}Z"
    got = iso27_ns(_buf(text), 0, len(text), MAX_NS)
    try:
        expected = iso_to_ns(text)
    except ValueError:  # no such day, or outside the window
        assert got == -1
    else:
        assert got == expected


@pytest.mark.parametrize("text", [
    "2021-04-17T16:43:37.067586", "2021-04-17 16:43:37.067586Z", "2021-02-29T00:00:00.000000Z",
    "2021-04-17T24:00:00.000000Z", "2021-04-17T16:60:37.067586Z",
    "2021-04-17T16:43:60.067586Z", "2021-04-17T16:43:37.06758aZ", "1969-12-31T23:59:59.999999Z",
])
def test_refused_iso_times(text: str) -> None:
    assert iso27_ns(_buf(text.ljust(27)), 0, 27, MAX_NS) == -1
