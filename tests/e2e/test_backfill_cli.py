"""`trading-terminal backfill` against the local Binance server: the real 13,681 one-minute
bars stored with a progress bar, ready as chart history."""

from __future__ import annotations

import asyncio
import contextlib
import io
import time
from pathlib import Path

from terminal.backfill_cli import main
from terminal.persistence.db import Database, default_url
from tests.exchange_sim.server import running
from tests.plugins.test_binance_backfill import kline_rows
from tests.plugins.test_binance_connector import venue


def test_backfill_stores_the_bars_with_a_progress_bar(tmp_path: Path, monkeypatch) -> None:
    rows = kline_rows()
    days = (time.time() * 1000 - int(rows[0][0])) / 86_400_000 + 1

    async def scenario() -> tuple[int, str, str]:
        sim_venue = venue()
        sim_venue.klines["BTCUSDT"] = rows
        async with running(binance=sim_venue) as sim:
            out, err = io.StringIO(), io.StringIO()
            args = ["--symbol", "btcusdt", "--days", f"{days:.0f}", "--rest-url",
                    sim.rest_url("binance"), "--data-dir", str(tmp_path)]
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = await asyncio.to_thread(main, args)
            return code, out.getvalue(), err.getvalue()

    code, out, err = asyncio.run(scenario())
    assert code == 0, err
    assert f"stored {len(rows)} 1m bars of BINANCE:BTCUSDT" in out
    assert "backfill [" in err and "100%" in err
    with Database.open(default_url(tmp_path)) as db:
        stored = db.bars.range("BINANCE:BTCUSDT", 60_000_000_000)
    assert len(stored) == len(rows)
    assert stored[0].ts == int(rows[0][0]) * 1_000_000


def test_backfill_refuses_a_bad_range(tmp_path: Path, capsys) -> None:
    import pytest

    with pytest.raises(SystemExit) as stop:
        main(["--symbol", "BTCUSDT", "--days", "0", "--data-dir", str(tmp_path)])
    assert stop.value.code == 2 and "--days" in capsys.readouterr().err
