"""`AsyncClient`: the asyncio SDK, on httpx."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TypeVar

import httpx

from local_api.client.calls import AsyncSender, Call, RateLimit
from local_api.client.config import DEFAULT_URL, discovered_url, headers, root_url, stream_url
from local_api.client.endpoints import Endpoints
from local_api.client.stream import AsyncStream

T = TypeVar("T")


class AsyncClient(Endpoints, AsyncSender):
    """The terminal's local API for asyncio: every endpoint is a coroutine method (see
    `Endpoints`); errors raise `ApiError` subclasses. Use with `async with` or call
    `await close()`."""

    def __init__(self, base_url: str = DEFAULT_URL, token: str | None = None, *,
                 timeout: float = 30.0, trust_env: bool = False,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.base_url = root_url(base_url)
        self._headers = headers(token)
        self._http = httpx.AsyncClient(base_url=self.base_url, headers=self._headers,
                                       timeout=timeout, trust_env=trust_env,
                                       transport=transport)
        self.rate_limit: RateLimit | None = None  # as of the last answer

    @classmethod
    def from_data_dir(cls, data_dir: str | Path, token: str | None = None,
                      **options: float | bool) -> AsyncClient:
        """The client of the terminal running on `data_dir` (its `api.json`)."""
        return cls(discovered_url(data_dir), token, **options)  # type: ignore[arg-type]

    async def _send(self, call: Call[T]) -> T:
        response = await self._http.request(**call.request())
        self.rate_limit = RateLimit.of(response.headers) or self.rate_limit
        return call.parse(response)

    def stream(self, channels: Sequence[str] | None = None,
               instruments: Sequence[str] | None = None, resume_from: int | None = None,
               *, reconnect: bool = True, max_retries: int | None = 10) -> AsyncStream:
        """Subscribe to the live stream: an async iterator of messages that reconnects and
        resumes by itself. All channels when `channels` is None. Connects on the first
        `async for` step."""
        return AsyncStream(stream_url(self.base_url), dict(self._headers), channels,
                           instruments, resume_from, reconnect=reconnect,
                           max_retries=max_retries)

    async def close(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"AsyncClient({self.base_url!r})"
