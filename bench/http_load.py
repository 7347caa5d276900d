"""A small HTTP/1.1 keep-alive load generator on raw asyncio sockets, bounded in time.

Lighter than an HTTP client library, so on a 2-core machine the server, not the generator,
sets the pace. Loopback only. Run as `python -m bench.http_load URL PATH CONNECTIONS
SECONDS [TOKEN|-] [RATE]`; prints one JSON line: requests, errors, seconds, latencies' p50/p99 (ms).
"""

from __future__ import annotations

import asyncio
import sys
import time
from urllib.parse import urlsplit

import numpy as np
import orjson


async def _connection(host: str, port: int, request: bytes, stop_at: float,
                      latencies: list[float], statuses: dict[int, int],
                      interval: float, offset: float) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    next_at = time.perf_counter() + offset  # paced connections spread over the interval
    try:
        while time.perf_counter() < stop_at:
            if interval:  # paced: one request every `interval` seconds on this connection
                next_at += interval
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            start = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 "):
                raise RuntimeError(f"not an HTTP answer: {head[:200]!r}")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            latencies.append(time.perf_counter() - start)
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()


async def load(url: str, path: str, connections: int, seconds: float,
               token: str | None = None, rate: float = 0.0) -> dict[str, object]:
    """Flat out, or at `rate` requests per second in all (0: flat out)."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("load tests target the loopback only")
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    request = (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{auth}"
               "Accept: application/json\r\n\r\n").encode()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    started = time.perf_counter()
    stop_at = started + seconds
    interval = connections / rate if rate else 0.0
    await asyncio.gather(*(_connection(host, port, request, stop_at, latencies, statuses,
                                       interval, interval * k / connections)
                           for k in range(connections)))
    elapsed = time.perf_counter() - started
    ms = np.array(latencies) * 1e3 if latencies else np.array([float("nan")])
    return {"requests": len(latencies), "seconds": elapsed,
            "per_second": len(latencies) / elapsed, "statuses": statuses,
            "p50_ms": float(np.percentile(ms, 50)), "p99_ms": float(np.percentile(ms, 99))}


def main() -> None:
    url, path, connections, seconds = sys.argv[1:5]
    token = sys.argv[5] if len(sys.argv) > 5 and sys.argv[5] != "-" else None
    rate = float(sys.argv[6]) if len(sys.argv) > 6 else 0.0
    result = asyncio.run(load(url, path, int(connections), float(seconds), token, rate))
    sys.stdout.write(orjson.dumps(result, option=orjson.OPT_NON_STR_KEYS).decode() + "\n")


if __name__ == "__main__":
    main()
