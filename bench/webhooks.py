"""Outbound webhook deliveries per second, sustained, with the event loop's stalls alongside.

The terminal's dispatcher (SQLite outbox in a temp data dir, batched writes off the loop,
signing, the per-endpoint concurrency limit, the delivery log) delivers a burst of events
to a receiver on 127.0.0.1 that answers 200 at once; it runs in another process so it does
not share this one's interpreter. A heartbeat on the same loop asks for a turn every 5 ms and
records how late it comes back (as bench/loop_stalls.py does). The reference, measured in
the same run: the same number of bare signed POSTs from a plain httpx client at the same
concurrency, nothing stored.

Run alone with `python -m bench.webhooks`.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import socket
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.common import report
from bench.loop_stalls import heartbeat

EVENTS = 3000
CONCURRENCY = 4  # the dispatcher's default per endpoint
TARGET_PER_S = 500.0
DEADLINE_S = 60.0  # a run that takes longer is reported as such, not waited for
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"


def _serve(sock: socket.socket) -> None:
    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                await reader.readexactly(length)
                writer.write(OK)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(client, sock=sock)
        await server.serve_forever()

    asyncio.run(main())


class MemoryStore:
    """Secrets in a dict (the bench machine has no keyring)."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], str] = {}

    def get(self, scope: str, name: str) -> str | None:
        return self.values.get((scope, name))

    def put(self, scope: str, name: str, value: str) -> None:
        self.values[(scope, name)] = value

    def delete(self, scope: str, name: str) -> None:
        self.values.pop((scope, name), None)


async def _ours(url: str, data_dir: Path) -> tuple[float, np.ndarray, int]:
    from local_api.webhooks.config import WebhookSettings
    from local_api.webhooks.dispatcher import Dispatcher
    from local_api.webhooks.keys import WebhookKeys
    from local_api.webhooks.service import EndpointAdmin
    from terminal.persistence.db import Database, default_url

    db = Database.open(default_url(data_dir))
    db.migrate()
    settings = WebhookSettings(max_concurrency=CONCURRENCY)
    keys = WebhookKeys(MemoryStore())  # type: ignore[arg-type]
    EndpointAdmin(db.webhooks, keys, settings).add(url, ["fill"])
    dispatcher = Dispatcher(db.webhooks, keys, settings)
    await dispatcher.start()
    _late_so_far.clear()
    beats = asyncio.ensure_future(_heartbeat_until_cancelled())
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    deadline = loop.time() + DEADLINE_S
    for n in range(EVENTS):  # as a burst of fills would arrive: in a few loop turns
        dispatcher.publish("fill", {"fill_id": f"f{n}", "price": "0.3531", "quantity": "100",
                                    "side": "buy", "instrument_id": "BINANCE:NKNUSDT"})
        if n % 100 == 99:
            await asyncio.sleep(0)
    while dispatcher.delivered < EVENTS and loop.time() < deadline:
        await asyncio.sleep(0.005)
    elapsed = time.perf_counter() - started
    delivered = dispatcher.delivered
    beats.cancel()
    late = np.array(_late_so_far)
    await dispatcher.stop()
    db.close()
    return delivered / elapsed, late, delivered


_late_so_far: list[float] = []  # ms late of each heartbeat turn while delivering


async def _heartbeat_until_cancelled() -> None:
    """bench.loop_stalls.heartbeat, until cancelled rather than for a set time."""
    loop = asyncio.get_running_loop()
    while True:
        asked = loop.time()
        await asyncio.sleep(0.005)
        _late_so_far.append(max(0.0, loop.time() - asked - 0.005) * 1e3)


async def _reference(url: str) -> float:
    import httpx
    import orjson

    from local_api.webhooks.signing import new_secret, signature_header

    secret = [new_secret()]
    limit = asyncio.Semaphore(CONCURRENCY)
    async with httpx.AsyncClient(trust_env=False, limits=httpx.Limits(
            max_connections=None, max_keepalive_connections=64)) as client:

        async def post(n: int) -> None:
            body = orjson.dumps({"type": "fill", "timestamp": "2021-10-12T00:28:43Z",
                                 "data": {"fill_id": f"f{n}", "price": "0.3531"}})
            msg_id = f"msg_{n:024x}"
            stamp = int(time.time())
            async with limit:
                answer = await client.post(url, content=body, headers={
                    "webhook-id": msg_id, "webhook-timestamp": str(stamp),
                    "webhook-signature": signature_header(secret, msg_id, stamp, body),
                    "content-type": "application/json"})
                answer.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(post(n) for n in range(EVENTS)))
        return EVENTS / (time.perf_counter() - started)


async def _quiet() -> np.ndarray:
    return await heartbeat(2.0)


def main() -> None:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(512)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
    receiver = multiprocessing.get_context("fork").Process(target=_serve, args=(sock,),
                                                           daemon=True)
    receiver.start()
    try:
        reference = asyncio.run(_reference(url))
        quiet = asyncio.run(_quiet())
        with tempfile.TemporaryDirectory(prefix="tt-bench-webhooks-") as tmp:
            ours, late, delivered = asyncio.run(_ours(url, Path(tmp)))
    finally:
        receiver.kill()
        receiver.join(5)
        sock.close()
    report("webhook deliveries/s vs bare signed httpx POSTs", ours, reference, "msg/s",
           "httpx")
    p99 = float(np.percentile(late, 99)) if len(late) else float("nan")
    quiet_p99 = float(np.percentile(quiet, 99))
    verdict = "met" if ours >= TARGET_PER_S and delivered == EVENTS else "NOT MET"
    print(f"{'webhook deliveries, sustained':44} {ours:8,.0f}/s  ({delivered:,} of {EVENTS:,} "
          f"delivered, stored, logged; concurrency {CONCURRENCY})  target >= "
          f"{TARGET_PER_S:.0f}/s: {verdict}")
    print(f"{'  event-loop stall p99 while delivering':44} {p99:8.2f} ms  (max "
          f"{float(np.max(late)) if len(late) else float('nan'):.2f} ms; same heartbeat on a "
          f"quiet loop p99 {quiet_p99:.2f} ms)")


if __name__ == "__main__":
    main()
