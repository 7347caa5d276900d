"""Pacing: a replay follows the recorded receive times at the speed factor."""

import asyncio
import time

from terminal.app import Engine, EngineOptions
from tests.data_paths import SHARED_DATA

WS = SHARED_DATA / "ws"


def replay_wall_seconds(tmp_path, paths, speed, max_gap=None) -> tuple[float, dict]:
    async def scenario():
        engine = Engine(EngineOptions(data_dir=tmp_path, replay_paths=paths, speed=speed,
                                      max_gap_s=max_gap))
        await engine.start()
        start = time.monotonic()
        await engine.run()
        wall = time.monotonic() - start
        await engine.stop()
        return wall, engine.summary()

    return asyncio.run(scenario())


def test_speed_factor_paces_by_original_receive_times(tmp_path):
    # the Binance capture spans 1633998512.063 -> 1633998542.078, i.e. 30.0 s of frames
    wall, summary = replay_wall_seconds(tmp_path, [WS / "cryptofeed__BINANCE.ws.1.0"], 20.0)
    assert summary["ok"] and summary["events"]["total"] == 273
    assert wall >= 30.0 / 20 - 0.05  # never faster than the recording allows


def test_max_gap_skips_idle_stretches_between_files(tmp_path):
    # Coinbase ends at 1618677847.8, Kraken starts at 1618678132.8: 285 s apart, 2.85 s at
    # speed 100. With --max-gap 0.1 that stretch lasts 0.1 s; both captures last 0.3 s each.
    paths = [WS / "cryptofeed__COINBASE.ws.28.0", WS / "cryptofeed__KRAKEN.ws.48.0"]
    wall, summary = replay_wall_seconds(tmp_path, paths, 100.0, max_gap=0.1)
    assert summary["ok"]
    assert summary["events"]["by_kind"]["trade"] == 107 + 10  # both files played fully
    assert wall < 2.85  # the 285 s gap was not waited out
