"""Checks the venue connectors' settings share (binance, coinbase, kraken)."""

from __future__ import annotations

from collections.abc import Iterable


def known_channels(value: list[str], known: Iterable[str]) -> list[str]:
    names = tuple(known)
    unknown = [c for c in value if c not in names]
    if unknown:
        raise ValueError(f"unknown channels {unknown} (known: {', '.join(names)})")
    return value


def base_url(value: str) -> str:
    """An http(s) or ws(s) URL without its trailing slash (live, testnet or local)."""
    if not value.startswith(("http://", "https://", "ws://", "wss://")):
        raise ValueError(f"{value!r} is not an http(s) or ws(s) URL")
    return value.rstrip("/")
