"""Binance REST over httpx: weights, 429/418 pauses, signed calls, server time offset.

- Every answer's X-MBX-USED-WEIGHT-1M is kept; past 90 % of `weight_limit` calls wait for
  the next minute.
- 429 and 418 pause the host (`HostGate.pause`) for Retry-After (418 without it:
  `ban_backoff_s`) and raise `RateLimited`; callers decide whether to retry.
- Signed calls carry `timestamp` (local time + the measured server offset), `recvWindow`
  and `signature`; parameters travel in the body for POST/DELETE so that URLs (which httpx
  logs) never hold them. The API key goes in X-MBX-APIKEY. Secrets never reach a log or an
  exception text.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import orjson
from pydantic import SecretStr

from plugins.binance.hostgate import HostGate, gate_for, retry_after
from plugins.binance.signing import signed_params


class BinanceError(Exception):
    def __init__(self, status: int, code: int | None, message: str) -> None:
        super().__init__(f"Binance {status}" + (f" ({code})" if code is not None else "")
                         + f": {message}")
        self.status = status
        self.code = code
        self.message = message


class RateLimited(BinanceError):
    def __init__(self, status: int, seconds: float) -> None:
        super().__init__(status, None, f"rate limited, retry after {seconds:g}s")
        self.seconds = seconds


class BinanceRest:
    def __init__(self, base_url: str, *, api_key: SecretStr | None = None,
                 api_secret: SecretStr | None = None, recv_window_ms: int = 5000,
                 weight_limit: int = 6000, snapshot_rate: float = 1.0,
                 snapshot_burst: int = 2, ban_backoff_s: float = 60.0,
                 timeout_s: float = 10.0) -> None:
        self.base_url = base_url
        self._key = api_key
        self._secret = api_secret
        self.recv_window_ms = recv_window_ms
        self.weight_limit = weight_limit
        self.ban_backoff_s = ban_backoff_s
        self.gate: HostGate = gate_for(base_url, snapshot_rate, snapshot_burst)
        self._timeout = timeout_s
        self._client: httpx.AsyncClient | None = None
        self.used_weight = 0
        self._weight_minute = 0
        self.time_offset_ms = 0
        self.calls = 0

    async def open(self) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(base_url=self.base_url, timeout=self._timeout)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _respect_weight(self) -> None:
        minute = int(time.time() // 60)
        if minute != self._weight_minute:
            self._weight_minute, self.used_weight = minute, 0
        if self.used_weight >= 0.9 * self.weight_limit:
            await asyncio.sleep(60 - time.time() % 60 + 0.05)

    async def request(self, method: str, path: str, params: dict[str, Any] | None = None, *,
                      signed: bool = False, keyed: bool = False) -> Any:
        await self.open()
        assert self._client is not None
        await self.gate.ready()
        await self._respect_weight()
        headers: dict[str, str] = {}
        if signed or keyed:
            if self._key is None:
                raise BinanceError(0, None, "this call needs an API key (none configured)")
            headers["X-MBX-APIKEY"] = self._key.get_secret_value()
        plain = {k: str(v) for k, v in (params or {}).items() if v is not None}
        content: str | None = None
        query: str | None = None
        if signed:
            if self._secret is None:
                raise BinanceError(0, None, "this call needs an API secret (none configured)")
            plain["recvWindow"] = str(self.recv_window_ms)
            plain["timestamp"] = str(time.time_ns() // 1_000_000 + self.time_offset_ms)
            encoded = signed_params(self._secret.get_secret_value(), plain)
            if method in ("POST", "DELETE", "PUT"):
                content = encoded
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            else:
                query = encoded
        url = path if query is None else f"{path}?{query}"
        self.calls += 1
        response = await self._client.request(
            method, url, params=None if signed else plain or None, content=content,
            headers=headers)
        weight = response.headers.get("x-mbx-used-weight-1m")
        if weight is not None and weight.isdigit():
            self.used_weight = int(weight)
        if response.status_code in (418, 429):
            default = self.ban_backoff_s if response.status_code == 418 else 1.0
            seconds = retry_after(response.headers, default)
            self.gate.pause(seconds)
            raise RateLimited(response.status_code, seconds)
        if response.status_code >= 400:
            code, message = None, response.text[:200]
            try:
                body = orjson.loads(response.content)
                code, message = body.get("code"), str(body.get("msg", message))
            except (orjson.JSONDecodeError, AttributeError):
                pass
            raise BinanceError(response.status_code, code, message)
        return orjson.loads(response.content)

    async def raw(self, path: str, params: dict[str, Any]) -> bytes:
        """A public GET's body as bytes (book snapshots go to the frame decoder as is)."""
        await self.open()
        assert self._client is not None
        await self.gate.ready()
        await self._respect_weight()
        self.calls += 1
        response = await self._client.get(path, params={k: str(v) for k, v in params.items()})
        weight = response.headers.get("x-mbx-used-weight-1m")
        if weight is not None and weight.isdigit():
            self.used_weight = int(weight)
        if response.status_code in (418, 429):
            default = self.ban_backoff_s if response.status_code == 418 else 1.0
            seconds = retry_after(response.headers, default)
            self.gate.pause(seconds)
            raise RateLimited(response.status_code, seconds)
        if response.status_code >= 400:
            raise BinanceError(response.status_code, None, response.text[:200])
        return response.content

    async def sync_time(self) -> int:
        """Measure the server clock's offset from ours (ms), as the midpoint of the call."""
        before = time.time_ns() // 1_000_000
        body = await self.request("GET", "/api/v3/time")
        after = time.time_ns() // 1_000_000
        self.time_offset_ms = int(body["serverTime"]) - (before + after) // 2
        return self.time_offset_ms
