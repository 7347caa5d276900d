"""Event-loop stalls with the whole window live: replay at 500 messages/s, chart and ladder on.

The real MainWindow (offscreen, 1680x1000) runs on qasync's loop with the engine, replaying
the Coinbase capture (level2 + ticker + matches) at the speed factor that makes its average
500 frames per second, the busiest instrument on the chart (1m) and in the ladder. A
heartbeat task asks the loop for a turn every 5 ms and records how late it comes back: a
stall is any lateness (a frame, a burst of events or anything else holding the loop).
The reference is the same heartbeat on the same qasync loop with no engine and no window,
measured in the same run.

Run alone with `python -m bench.loop_stalls`.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import asyncio
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.common import SHARED_DATA

CAPTURE = SHARED_DATA / "ws" / "cryptofeed__COINBASE.ws.28.0"
RATE = 500.0  # frames per second
SECONDS = 5.0  # one measured span, bounded
SPANS = 3  # spans measured one after the other in the same session; the verdict is their median
BEAT_S = 0.005


def frame_stats() -> tuple[int, float]:
    """(frames, span in seconds) of the capture, by receive time."""
    with CAPTURE.open("rb") as fh:
        fh.readline()
        stamps = [float(line.split(b":", 1)[0]) for line in fh
                  if line[:1].isdigit() and b" <- " not in line.split(b": ", 1)[0]]
    return len(stamps), stamps[-1] - stamps[0]


async def heartbeat(seconds: float) -> np.ndarray:
    loop = asyncio.get_running_loop()
    late: list[float] = []
    end = loop.time() + seconds
    while loop.time() < end:
        asked = time.perf_counter()
        await asyncio.sleep(BEAT_S)
        late.append(max(0.0, time.perf_counter() - asked - BEAT_S))
    return np.array(late) * 1e3


async def live_window(speed: float) -> tuple[list[np.ndarray], int]:
    from terminal.app import Engine, EngineOptions
    from terminal.core.heap import settle_heap
    from terminal.ui.main_window import MainWindow

    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine(EngineOptions(data_dir=Path(tmp), replay_paths=[CAPTURE],
                                      speed=speed))
        window = MainWindow(engine, Path(tmp) / "window.ini")
        window.show()
        await engine.start()
        settle_heap()  # as the app does after start
        runner = asyncio.ensure_future(engine.run(stay=True))
        try:
            await asyncio.sleep(1.0)  # books synced, instruments in the watchlist
            traded = [iid for iid, row in window.state.watch.items() if not np.isnan(row.last)]
            if traded:  # the chart and ladder follow an instrument that trades
                window.select_instrument(max(traded, key=lambda iid: window.state.watch[
                    iid].ts_ns))
            before = sum(engine.market_data.events.values())
            spans = [await heartbeat(SECONDS) for _ in range(SPANS)]
            delivered = sum(engine.market_data.events.values()) - before
        finally:
            engine.request_stop()
            await asyncio.gather(runner, return_exceptions=True)
            window.close()
            await engine.stop()
    return spans, delivered


def line(name: str, ours: np.ndarray, ref: np.ndarray) -> tuple[float, float]:
    p99, ref_p99 = float(np.percentile(ours, 99)), float(np.percentile(ref, 99))
    worst, ref_worst = float(ours.max()), float(ref.max())
    print(f"{name:44} p99 {p99:6.2f} ms ({p99 / max(ref_p99, 1e-3):5.1f}x idle loop "
          f"{ref_p99:.2f} ms), max {worst:6.2f} ms (idle {ref_worst:.2f} ms), "
          f"p50 {float(np.median(ours)):.2f} ms")
    return p99, worst


def main() -> None:
    import qasync
    from PySide6.QtWidgets import QApplication

    print("== event-loop stalls: window live while replaying at 500 frames/s ==")
    frames, span = frame_stats()
    speed = RATE * span / frames
    print(f"   data: {CAPTURE.name}, {frames:,} frames over {span:,.0f} s -> speed x{speed:.2f}"
          f" for {RATE:.0f} frames/s; heartbeat every {BEAT_S * 1e3:.0f} ms for "
          f"{SPANS} x {SECONDS:.0f} s")
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        idle = loop.run_until_complete(heartbeat(3.0))
        spans, delivered = loop.run_until_complete(live_window(speed))
    print(f"   {delivered:,} market data events delivered in the measured spans "
          f"({delivered / (SECONDS * SPANS):,.0f}/s)")
    figures = [line(f"loop lateness, span {k + 1} of {SPANS}", late, idle)
               for k, late in enumerate(spans)]
    p99 = float(np.median([f[0] for f in figures]))
    worst = float(np.median([f[1] for f in figures]))
    verdict = "met" if p99 <= 16 and worst < 50 else "NOT MET"
    print(f"{'loop lateness, median of the spans':44} p99 {p99:6.2f} ms, max {worst:6.2f} ms  "
          f"target p99 <= 16 ms, max < 50 ms: {verdict}")


if __name__ == "__main__":
    main()
