"""`Client`: the blocking SDK, on httpx."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TypeVar

import httpx

from local_api.client.calls import Call, RateLimit, SyncSender
from local_api.client.config import DEFAULT_URL, discovered_url, headers, root_url, stream_url
from local_api.client.endpoints import Endpoints
from local_api.client.stream import AsyncStream, Stream

T = TypeVar("T")


class Client(Endpoints, SyncSender):
    """The terminal's local API, blocking. Every endpoint is a method (see `Endpoints`);
    errors raise `ApiError` subclasses. Use as a context manager or call `close()`.

    The token is sent only in the Authorization header. `trust_env=False` keeps proxy
    settings of the environment away from a server that is on this machine.
    """

    def __init__(self, base_url: str = DEFAULT_URL, token: str | None = None, *,
                 timeout: float = 30.0, trust_env: bool = False,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = root_url(base_url)
        self._headers = headers(token)
        self._http = httpx.Client(base_url=self.base_url, headers=self._headers,
                                  timeout=timeout, trust_env=trust_env, transport=transport)
        self.rate_limit: RateLimit | None = None  # as of the last answer

    @classmethod
    def from_data_dir(cls, data_dir: str | Path, token: str | None = None,
                      **options: float | bool) -> Client:
        """The client of the terminal running on `data_dir` (its `api.json`)."""
        return cls(discovered_url(data_dir), token, **options)  # type: ignore[arg-type]

    def _send(self, call: Call[T]) -> T:
        response = self._http.request(**call.request())
        self.rate_limit = RateLimit.of(response.headers) or self.rate_limit
        return call.parse(response)

    def stream(self, channels: Sequence[str] | None = None,
               instruments: Sequence[str] | None = None, resume_from: int | None = None,
               *, reconnect: bool = True, max_retries: int | None = 10,
               buffer: int = 1000) -> Stream:
        """Subscribe to the live stream: a blocking iterator of messages that reconnects
        and resumes by itself. All channels when `channels` is None."""
        url, auth = stream_url(self.base_url), dict(self._headers)
        return Stream(lambda: AsyncStream(url, auth, channels, instruments, resume_from,
                                          reconnect=reconnect, max_retries=max_retries),
                      buffer)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Client({self.base_url!r})"
