"""The local API under load, on loopback, bounded in time.

1. Authenticated GET /api/v1/positions (token check, rate limit, metrics, the positions
   with their marks) against a bare FastAPI hello route on the same uvicorn settings, each
   server in its own process, at 1 and at 50 keep-alive connections: requests/s as a ratio
   (target >= 0.7x) with p50/p99 latencies beside it.
2. The window while serving: the real MainWindow (offscreen) with the engine and its API on
   qasync's loop, replaying the Coinbase capture at 500 frames/s; a heartbeat measures how
   late the loop comes back (frames, events and requests all share it), first with no API
   traffic, then while a separate process loads /api/v1/positions with 50 connections.

Run alone with `python -m bench.api_throughput`.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import asyncio
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from bench.common import REPO_ROOT, SHARED_DATA
from bench.loop_stalls import heartbeat

SECONDS = 1.5
ROUNDS = 3
CONNECTIONS = (1, 50)
WINDOW_SPAN_S = 4.0
# (label, server, total requests/s or 0 for flat out), measured one after the other
LOADS = [("API paced 1,000 req/s", "ours", 1000.0), ("API flat out", "ours", 0.0),
         ("other process flat out", "theirs", 0.0)]
COINBASE = SHARED_DATA / "ws" / "cryptofeed__COINBASE.ws.28.0"


class Server:
    def __init__(self, kind: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.api_servers", kind], cwd=REPO_ROOT,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        ready = orjson.loads(self.process.stdout.readline())
        self.url: str = ready["url"]
        self.token: str | None = ready["token"]

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def run_load(url: str, path: str, connections: int, seconds: float,
             token: str | None, rate: float = 0.0) -> dict[str, Any]:
    args = [sys.executable, "-m", "bench.http_load", url, path, str(connections), str(seconds),
            token or "-", str(rate)]
    done = subprocess.run(args, cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=seconds + 60)
    if done.returncode:
        raise RuntimeError(f"the load generator failed: {done.stderr[-2000:]}")
    return dict(orjson.loads(done.stdout))


def throughput() -> None:
    ours, ref = Server("terminal"), Server("hello")
    try:
        for conns in CONNECTIONS:
            # alternated, best of ROUNDS each: a busy moment falls on both sides
            a, b = [], []
            for _ in range(ROUNDS):
                a.append(run_load(ours.url, "/api/v1/positions", conns, SECONDS, ours.token))
                b.append(run_load(ref.url, "/hello", conns, SECONDS, None))
            mine = max(a, key=lambda r: r["per_second"])
            base = max(b, key=lambda r: r["per_second"])
            bad = {k: v for k, v in mine["statuses"].items() if k != "200"}
            ratio = mine["per_second"] / base["per_second"]
            verdict = "met" if ratio >= 0.7 else "NOT MET"
            print(f"{'GET /api/v1/positions, ' + str(conns) + ' conn':44} {ratio:6.2f}x "
                  f"FastAPI hello  (ours {mine['per_second']:,.0f} req/s p50 "
                  f"{mine['p50_ms']:.2f} ms p99 {mine['p99_ms']:.2f} ms; hello "
                  f"{base['per_second']:,.0f} req/s p50 {base['p50_ms']:.2f} ms p99 "
                  f"{base['p99_ms']:.2f} ms)  target >= 0.70x: {verdict}"
                  + (f"  non-200: {bad}" if bad else ""))
    finally:
        ours.close()
        ref.close()


async def window_under_load(speed: float) -> dict[str, tuple[np.ndarray, dict[str, Any]]]:
    """Loop lateness of the live window: quiet, then under each load (see LOADS)."""
    from local_api.settings import ApiSettings, Tier
    from terminal.app import Engine, EngineOptions
    from terminal.core.heap import settle_heap
    from terminal.ui.main_window import MainWindow

    roomy = {n: Tier(rate=1e9, burst=10**9) for n in ("read", "trade", "admin", "pairing")}
    out: dict[str, tuple[np.ndarray, dict[str, Any]]] = {}
    other = Server("hello")
    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine(EngineOptions(data_dir=Path(tmp), replay_paths=[COINBASE],
                                      speed=speed, api=ApiSettings(port=0, tiers=roomy)))
        window = MainWindow(engine, Path(tmp) / "window.ini")
        window.show()
        await engine.start()
        settle_heap()
        runner = asyncio.ensure_future(engine.run(stay=True))
        try:
            await asyncio.sleep(1.0)
            assert engine.api_server is not None
            token, _ = engine.api_server.tokens.create("bench", "read")
            targets = {"ours": (engine.api_server.url, "/api/v1/positions", token),
                       "theirs": (other.url, "/hello", None)}
            out["quiet"] = (await heartbeat(WINDOW_SPAN_S), {})
            for name, which, rate in LOADS:
                url, path, tok = targets[which]
                load = asyncio.ensure_future(asyncio.to_thread(
                    run_load, url, path, 50, WINDOW_SPAN_S + 1, tok, rate))
                await asyncio.sleep(0.5)  # the load is up
                late = await heartbeat(WINDOW_SPAN_S)
                out[name] = (late, await load)
        finally:
            engine.request_stop()
            await asyncio.gather(runner, return_exceptions=True)
            window.close()
            await engine.stop()
            other.close()
    return out


def window() -> None:
    import qasync
    from PySide6.QtWidgets import QApplication

    from bench.loop_stalls import RATE, frame_stats

    frames, span = frame_stats()
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        spans = loop.run_until_complete(window_under_load(RATE * span / frames))
    quiet = spans["quiet"][0]
    q99 = float(np.percentile(quiet, 99))
    print(f"{'window loop lateness, no API traffic':44} p99 {q99:6.2f} ms, p50 "
          f"{float(np.median(quiet)):.2f} ms, max {quiet.max():.1f} ms")
    figures = {}
    for name, _target, _rate in LOADS:
        late, served = spans[name]
        p99 = figures[name] = float(np.percentile(late, 99))
        print(f"{'window loop lateness, ' + name:44} p99 {p99:6.2f} ms, p50 "
              f"{float(np.median(late)):.2f} ms, max {late.max():.1f} ms  ({p99 / q99:.2f}x "
              f"quiet; {served['per_second']:,.0f} req/s served)")
    paced = figures["API paced 1,000 req/s"]
    flat, control = figures["API flat out"], figures["other process flat out"]
    ok = paced <= 1.5 * q99 + 2.0 and flat <= 1.2 * control + 2.0
    print(f"{'window loop lateness verdict':44} paced p99 within 1.5x quiet + 2 ms and "
          f"flat-out p99 within 1.2x of the same load on another process + 2 ms (the CPU "
          f"this 2-core box shares): {'met' if ok else 'NOT MET'}")


def main() -> None:
    print("== local API: authenticated requests vs a bare FastAPI route (loopback) ==")
    throughput()
    window()


if __name__ == "__main__":
    main()
