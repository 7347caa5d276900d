"""The stream helper: subscribe, yield parsed messages, and after a disconnect (a dropped
connection, a server restart, the 4008 slow-consumer close) reconnect and resume from the
last sequence number seen, so every published message matching the subscription arrives
once and in order (unless the server's history no longer reaches back: `Subscribed`
then carries `resume_gap`).

`AsyncStream` is the asyncio version (websockets' client); `Stream` runs one on a private
thread and event loop for blocking code.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from types import TracebackType
from typing import Any, cast

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from local_api.client.errors import (
    ApiError,
    AuthenticationError,
    PermissionDenied,
    RequestRefused,
    StreamError,
    problem_error,
)
from local_api.client.messages import Event, ServerNotice, StreamMessage, Subscribed, parse

CLOSE_SLOW = 4008
CLOSE_BAD_REQUEST = 4400
CLOSE_POLICY = 1008
FATAL_CLOSES = frozenset({CLOSE_BAD_REQUEST, CLOSE_POLICY})
MAX_DELAY_S = 5.0


class AsyncStream:
    """An async iterator of `Event`, `Subscribed` and `Heartbeat` messages.

    `last_seq` is the sequence number of the last event yielded; `reconnects` counts the
    reconnections made. `max_retries` consecutive failed connection attempts end the
    iteration with `StreamError` (None: retry forever); refusals a retry cannot mend (a bad
    token or scope, a bad subscription) raise at once.
    """

    def __init__(self, url: str, headers: dict[str, str], channels: Sequence[str] | None,
                 instruments: Sequence[str] | None, resume_from: int | None = None, *,
                 reconnect: bool = True, max_retries: int | None = 10,
                 open_timeout: float = 10.0) -> None:
        self._url = url
        self._headers = headers
        self._request: dict[str, Any] = {"op": "subscribe"}
        if channels is not None:
            self._request["channels"] = list(channels)
        if instruments is not None:
            self._request["instruments"] = list(instruments)
        self._cursor = resume_from  # the position to resume from
        self.reconnect = reconnect
        self.max_retries = max_retries
        self.open_timeout = open_timeout
        self.last_seq: int | None = None
        self.reconnects = 0
        self.last_close: tuple[int, str] | None = None  # (code, reason) of the last drop
        self._ws: ClientConnection | None = None
        self._connected_once = False
        self._closed = False
        self._closing = asyncio.Event()
        self._refusal: str | None = None

    # iteration ----------------------------------------------------------------------------
    def __aiter__(self) -> AsyncStream:
        return self

    async def __anext__(self) -> StreamMessage:
        while True:
            if self._closed:
                raise StopAsyncIteration
            if self._ws is None:
                return await self._connect()
            try:
                raw = await self._ws.recv()
            except ConnectionClosed as exc:
                self._ws = None
                if self._closed:
                    raise StopAsyncIteration from None
                self._dropped(exc)
                continue
            try:
                message = parse(raw, self._connected_once)
            except ServerNotice as notice:
                self._refusal = str(notice)
                continue
            if isinstance(message, Event):
                if self.last_seq is not None and message.seq <= self.last_seq:
                    continue  # already yielded before a reconnect
                self.last_seq = self._cursor = message.seq
            return message

    def _dropped(self, exc: ConnectionClosed) -> None:
        code = exc.rcvd.code if exc.rcvd is not None else 1006
        reason = exc.rcvd.reason if exc.rcvd is not None else ""
        self.last_close = (code, reason)
        if code in FATAL_CLOSES:
            raise StreamError(f"the stream was closed with {code}: "
                              f"{self._refusal or reason or 'refused'}", code) from None
        if not self.reconnect:
            if code in (1000, 1001):
                self._closed = True
                raise StopAsyncIteration from None
            raise StreamError(f"the stream was closed with {code}: {reason}", code) from None

    async def _connect(self) -> Subscribed:
        failures = 0
        last_error: BaseException | None = None
        while True:
            if self._closed:
                raise StopAsyncIteration
            if self._connected_once:
                slow = self.last_close is not None and self.last_close[0] == CLOSE_SLOW
                delay = 0.0 if slow and failures == 0 else min(MAX_DELAY_S, 0.1 * 2 ** failures)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), delay)
                if self._closed:
                    raise StopAsyncIteration
            try:
                return await self._subscribe()
            except (OSError, TimeoutError, InvalidHandshake, ConnectionClosed,
                    ApiError) as exc:
                if isinstance(exc, AuthenticationError | PermissionDenied | RequestRefused):
                    raise
                if not self.reconnect and not self._connected_once:
                    raise
                last_error = exc
                failures += 1
                if self.max_retries is not None and failures > self.max_retries:
                    raise StreamError(f"could not reconnect after {failures} attempts: "
                                      f"{exc}") from last_error

    async def _subscribe(self) -> Subscribed:
        try:
            ws = await connect(self._url, additional_headers=self._headers, proxy=None,
                               open_timeout=self.open_timeout, max_size=1 << 22)
        except InvalidStatus as exc:
            response = exc.response
            raise problem_error(response.status_code, bytes(response.body),
                                dict(response.headers.raw_items())) from None
        try:
            request = dict(self._request)
            if self._cursor is not None:
                request["resume_from"] = self._cursor
            await ws.send(orjson.dumps(request).decode())
            raw = await ws.recv()
            try:
                notice = parse(raw, self._connected_once)
            except ServerNotice as refusal:
                raise StreamError(str(refusal), CLOSE_BAD_REQUEST) from None
            if not isinstance(notice, Subscribed):
                raise StreamError(f"expected the subscribed notice, got {raw!r:.200}")
        except ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd is not None else 1006
            if code in FATAL_CLOSES:
                raise StreamError(f"the stream was closed with {code}: "
                                  f"{exc.rcvd.reason if exc.rcvd else ''}", code) from None
            raise
        except BaseException:
            await ws.close()
            raise
        if self._cursor is None:
            self._cursor = notice.head  # from here on nothing is missed
        if self._connected_once:
            self.reconnects += 1
        self._connected_once = True
        self._ws = ws
        return notice

    # closing ------------------------------------------------------------------------------
    async def close(self) -> None:
        self._closed = True
        self._closing.set()
        ws, self._ws = self._ws, None
        if ws is not None:
            await ws.close()

    async def drop(self) -> None:
        """Abort the connection as a network failure would (for tests and drills): the
        next read reconnects and resumes."""
        if self._ws is not None:
            self._ws.transport.abort()

    async def __aenter__(self) -> AsyncStream:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()


_END = object()


class Stream:
    """A blocking iterator over an `AsyncStream` run on a private thread and loop.

    At most `buffer` messages wait for the reader; past that the thread stops reading, the
    server's queue fills, and a slow reader is closed with 4008 and resumed as usual.
    """

    def __init__(self, make: Callable[[], AsyncStream], buffer: int = 1000) -> None:
        self._make = make
        self._queue: queue.Queue[object] = queue.Queue(maxsize=buffer)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[Any] | None = None
        self._inner: AsyncStream | None = None
        self._started = threading.Event()
        self._stopping = False
        self._done = False
        self.last_seq: int | None = None
        self._thread = threading.Thread(target=asyncio.run, args=(self._pump(),),
                                        name="tt-stream", daemon=True)
        self._thread.start()
        self._started.wait()

    @property
    def reconnects(self) -> int:
        return self._inner.reconnects if self._inner is not None else 0

    @property
    def last_close(self) -> tuple[int, str] | None:
        return self._inner.last_close if self._inner is not None else None

    async def _pump(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        self._inner = self._make()
        self._started.set()
        try:
            async with self._inner:
                async for message in self._inner:
                    if not await self._put(message):
                        return
        except asyncio.CancelledError:
            return  # close(): the stream's own close has run on the way out
        except BaseException as exc:
            await self._put(exc)
            return
        await self._put(_END)

    async def _put(self, item: object) -> bool:
        while True:
            try:
                self._queue.put_nowait(item)
                return True
            except queue.Full:
                if self._stopping:
                    return False
                await asyncio.sleep(0.01)

    def __iter__(self) -> Iterator[StreamMessage]:
        return self

    def __next__(self) -> StreamMessage:
        return self.next()

    def next(self, timeout: float | None = None) -> StreamMessage:
        """The next message; `TimeoutError` when none came within `timeout` seconds,
        `StopIteration` once the stream is closed."""
        if self._done:
            raise StopIteration
        try:
            item = self._queue.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no stream message within {timeout} s") from None
        if item is _END:
            self._done = True
            raise StopIteration
        if isinstance(item, BaseException):
            self._done = True
            raise item
        message = cast(StreamMessage, item)
        if isinstance(message, Event):
            self.last_seq = message.seq
        return message

    def drop(self) -> None:
        """Abort the connection as a network failure would: the stream reconnects."""
        inner, loop = self._inner, self._loop
        if inner is not None and loop is not None and self._thread.is_alive():
            with contextlib.suppress(RuntimeError):
                asyncio.run_coroutine_threadsafe(inner.drop(), loop).result(10)

    def close(self) -> None:
        """Close the connection and end the iteration; waits for the thread to finish."""
        self._stopping = True
        self._done = True
        task, loop = self._task, self._loop
        if task is not None and loop is not None and self._thread.is_alive():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(task.cancel)
        while self._thread.is_alive():
            with contextlib.suppress(queue.Empty):
                self._queue.get_nowait()  # let a pump waiting for room finish
            self._thread.join(0.05)

    def __enter__(self) -> Stream:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
