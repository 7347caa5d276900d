"""Records every market data event a data client delivers to a `ttrec` file (feed_format).

`RecordingSink` wraps the real sink: each event is recorded, then handed on unchanged. Its
record time is the last time the feed gave `on_time` (a replay announces every event's receive
time that way), or the engine clock's time for a feed that never does.

On the event loop an event costs one small JSON encoding; records are collected into frames
of about FRAME_BYTES (or whatever arrived within MAX_DELAY_S), and a writer thread compresses
and appends each frame. A crash loses at most the frames not yet written; every frame on disk
replays. A record that cannot be encoded (say, an integer beyond 64 bits) is counted and left
out; recording never stops the delivery of an event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import queue
import threading
import time
from pathlib import Path
from typing import IO, Any

import orjson

from terminal import __version__
from terminal.core.clock import Clock
from terminal.model.instrument import Instrument
from terminal.model.market import Bar, BookDelta, BookSnapshot, Quote, Trade
from terminal.plugin_host.base import InputProblem, MarketDataSink
from terminal.services.feed_format import (
    KIND_NAMES,
    Event,
    Record,
    RecordEncoder,
    frame_bytes,
    header_bytes,
)

log = logging.getLogger(__name__)

FRAME_BYTES = 256 * 1024  # uncompressed; zlib's window is 32 KB, so more gains little
MAX_DELAY_S = 1.0  # a slow feed still reaches the disk this often
COMPRESSION_LEVEL = 6
MAX_QUEUED_FRAMES = 64  # beyond this the disk is not keeping up: the loop waits for it
MAX_ERRORS_KEPT = 10
_OPTIONS = orjson.OPT_SERIALIZE_NUMPY


class FeedRecorder:
    """Writes one recording. Call `add` on the event loop, `aclose` (or `close`) once."""

    def __init__(self, path: Path, *, frame_bytes: int = FRAME_BYTES,
                 max_delay_s: float = MAX_DELAY_S, level: int = COMPRESSION_LEVEL) -> None:
        """Creates `path` (never overwrites) and writes the header; OSError when it cannot."""
        self.path = path
        self._frame_limit = frame_bytes
        self._max_delay_s = max_delay_s
        self._level = level
        header = header_bytes(time.time_ns(), f"trading-terminal {__version__}")
        self._file: IO[bytes] = path.open("xb")
        try:
            self._file.write(header)
            self._file.flush()
        except OSError:
            self._file.close()
            raise
        self._encoder = RecordEncoder(self._new_id)
        self._parts: list[bytes] = []
        self._pending_bytes = 0
        self._timer: asyncio.TimerHandle | None = None
        self._queue: queue.Queue[bytes | None] = queue.Queue(MAX_QUEUED_FRAMES)
        self._closed = False
        self._write_failed = False
        self.by_kind = [0] * len(KIND_NAMES)
        self.events = 0
        self.frames = 0
        self.bytes_in = 0  # JSON bytes handed to the compressor
        self.bytes_written = len(header)
        self.errors: list[str] = []
        self.error_count = 0
        self._thread = threading.Thread(target=self._drain, name="feed-recorder", daemon=True)
        self._thread.start()

    # on the event loop ------------------------------------------------------------------
    def add(self, ts: int, event: Event) -> None:
        if self._closed:
            return
        try:
            record = self._encoder.encode(ts, event)
            data = orjson.dumps(record, option=_OPTIONS)
        except Exception as exc:  # a record we cannot write must not stop the feed
            self._error(f"{type(event).__name__} at {ts} not recorded: {exc!r}")
            return
        self._encoder.last_ts = ts
        if not self._parts:
            self._arm_timer()
        self._parts.append(data)
        self._pending_bytes += len(data) + 1
        self.events += 1
        self.by_kind[record[0]] += 1
        if self._pending_bytes >= self._frame_limit:
            self.flush()

    def _new_id(self, record: Record) -> None:
        # names (str) always encode; orjson only refuses lone surrogates, which no feed sends
        self._append(orjson.dumps(record))

    def _append(self, data: bytes) -> None:
        if not self._parts:
            self._arm_timer()
        self._parts.append(data)
        self._pending_bytes += len(data) + 1

    def _arm_timer(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # used without a loop: frames go out by size and at close
            return
        self._timer = loop.call_later(self._max_delay_s, self.flush)

    def flush(self) -> None:
        """Hand the records collected so far to the writer thread as one frame."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._parts:
            return
        payload = b"[" + b",".join(self._parts) + b"]"
        self._parts = []
        self._pending_bytes = 0
        self._encoder.new_frame()
        self.bytes_in += len(payload)
        self._queue.put(payload)

    def _error(self, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(message[:300])
            log.error("recording %s: %s", self.path, message)

    # closing ----------------------------------------------------------------------------
    async def aclose(self) -> None:
        if self._seal():
            await asyncio.to_thread(self._finish)

    def close(self) -> None:
        if self._seal():
            self._finish()

    def _seal(self) -> bool:
        """Stop taking events and queue what is left; False when already sealed."""
        if self._closed:
            return False
        self._closed = True
        self.flush()
        self._queue.put(None)
        return True

    def _finish(self) -> None:
        self._thread.join()
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
        except OSError as exc:
            self._write_error(exc)
        finally:
            with contextlib.suppress(OSError):
                self._file.close()

    # the writer thread ------------------------------------------------------------------
    def _drain(self) -> None:
        while (payload := self._queue.get()) is not None:
            if self._write_failed:
                continue  # keep draining so the loop never waits on a dead writer
            try:
                frame = frame_bytes(payload, self._level)  # zlib lets go of the GIL
                self._file.write(frame)  # one write per frame: prefix and body together
                self._file.flush()
            except Exception as exc:  # the thread must live on, or the loop would wait for it
                self._write_error(exc)
                continue
            self.frames += 1
            self.bytes_written += len(frame)

    def _write_error(self, exc: Exception) -> None:
        self._write_failed = True
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else repr(exc)
        self._error(f"writing failed, recording stopped: {reason}")

    def stats(self) -> dict[str, Any]:
        kinds = {name: n for name, n in zip(KIND_NAMES[1:], self.by_kind[1:], strict=True)
                 if n}
        return {"path": str(self.path), "events": self.events, "by_kind": kinds,
                "frames": self.frames, "json_bytes": self.bytes_in,
                "file_bytes": self.bytes_written, "errors": self.error_count}


class RecordingSink:
    """A MarketDataSink that records each event (InputProblems excepted), then delivers it."""

    def __init__(self, inner: MarketDataSink, recorder: FeedRecorder, clock: Clock) -> None:
        self._inner = inner
        self._recorder = recorder
        self._clock = clock
        self._ts: int | None = None

    def _now(self) -> int:
        return self._clock.now_ns() if self._ts is None else self._ts

    def on_time(self, ts_ns: int) -> None:
        self._ts = ts_ns
        self._inner.on_time(ts_ns)

    def on_instrument(self, instrument: Instrument) -> None:
        self._recorder.add(self._now(), instrument)
        self._inner.on_instrument(instrument)

    def on_quote(self, quote: Quote) -> None:
        self._recorder.add(self._now(), quote)
        self._inner.on_quote(quote)

    def on_trade(self, trade: Trade) -> None:
        self._recorder.add(self._now(), trade)
        self._inner.on_trade(trade)

    def on_bar(self, bar: Bar) -> None:
        self._recorder.add(self._now(), bar)
        self._inner.on_bar(bar)

    def on_book_snapshot(self, snapshot: BookSnapshot) -> None:
        self._recorder.add(self._now(), snapshot)
        self._inner.on_book_snapshot(snapshot)

    def on_book_delta(self, delta: BookDelta) -> None:
        self._recorder.add(self._now(), delta)
        self._inner.on_book_delta(delta)

    def on_input_problem(self, problem: InputProblem) -> None:
        self._inner.on_input_problem(problem)
