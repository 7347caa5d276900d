"""cryptofeed captures of exchange metadata (the `ref/` files) as canonical instruments.

A response line is `<url> -> <recv ts>: <json body>`; the URL's host names the venue and
its path the endpoint, which picks the venue's parser:

    Binance   /api/v3/exchangeInfo     plugins.binance.instruments.parse_exchange_info
    Coinbase  /products                plugins.coinbase.instruments.parse_products
    Kraken    /0/public/AssetPairs     plugins.kraken.instruments.parse_asset_pairs

`configuration: {...}` lines are the recorder's own settings, not exchange data: skipped,
as are blank lines. Any other line, an unknown endpoint, a body that is not JSON or not the
endpoint's shape is a DataError naming the file and line. Entries a parser leaves out
(Kraken's dark pools, malformed symbols) go to `skipped` as `VENUE:name` -> reason.

This is not a RecordedFormat: the file holds no market events to play, only the
constraints of instruments that a replay announces before its first event.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import orjson

from plugins.binance.instruments import parse_exchange_info
from plugins.coinbase.instruments import parse_products
from plugins.kraken.instruments import parse_asset_pairs
from plugins.replay.formats.common import open_binary
from plugins.replay.formats.cryptofeed_ws import venue_of
from terminal.core.errors import DataError
from terminal.model.instrument import Instrument


class Parser(Protocol):
    def __call__(self, body: Any, *,
                 skipped: dict[str, str] | None = None) -> list[Instrument]: ...


_RESPONSE = re.compile(rb"(https?://\S+) -> \d+(?:\.\d+)?: ")
_CONFIG_PREFIX = b"configuration:"
# (venue, endpoint path) -> parser
_ENDPOINTS: dict[tuple[str, str], tuple[str, Parser]] = {
    ("binance", "/api/v3/exchangeinfo"): ("BINANCE", parse_exchange_info),
    ("coinbase", "/products"): ("COINBASE", parse_products),
    ("kraken", "/0/public/assetpairs"): ("KRAKEN", parse_asset_pairs),
}


def read_instrument_file(path: Path,
                         skipped: dict[str, str] | None = None) -> list[Instrument]:
    """Every instrument of every metadata response in the file, in file order."""
    source = str(path)
    instruments: list[Instrument] = []
    responses = 0
    try:
        with open_binary(path) as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip() or line.startswith(_CONFIG_PREFIX):
                    continue
                instruments.extend(_parse_line(line, source, lineno, skipped))
                responses += 1
    except (OSError, EOFError) as exc:
        raise DataError(f"cannot read: {exc}", source=source) from exc
    if responses == 0:
        raise DataError("no exchange metadata response in the file", source=source)
    return instruments


def _parse_line(line: bytes, source: str, lineno: int,
                skipped: dict[str, str] | None) -> list[Instrument]:
    m = _RESPONSE.match(line)
    if m is None:
        raise DataError("not a cryptofeed response line `<url> -> <ts>: <json>`",
                        source=source, line=lineno)
    url = m.group(1).decode("utf-8", "replace")
    venue_host = venue_of(url)
    endpoint = _ENDPOINTS.get((venue_host or "", urlsplit(url).path.rstrip("/").lower()))
    if endpoint is None:
        known = ", ".join(f"{v} {p}" for v, p in _ENDPOINTS)
        raise DataError(f"{url} is not a known metadata endpoint (known: {known})",
                        source=source, line=lineno)
    venue, parser = endpoint
    try:
        body: Any = orjson.loads(line[m.end():])
    except orjson.JSONDecodeError as exc:
        raise DataError(f"body is not JSON: {exc}", source=source, line=lineno) from exc
    left_out: dict[str, str] = {}
    try:
        instruments = parser(body, skipped=left_out)
    except DataError as exc:
        raise DataError(str(exc), source=source, line=lineno) from exc
    if skipped is not None:
        skipped.update({f"{venue}:{name}": reason for name, reason in left_out.items()})
    return instruments
