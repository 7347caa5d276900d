"""The Binance connector under faults injected by the local exchange server: every stream
dropped at once, 429 and 418 bursts, a sequence gap, a bad frame, a stalled stream and the
venue's connection age limit. Each ends with the books equal to those built directly from
the capture."""

from __future__ import annotations

import asyncio

from plugins.binance.hostgate import HostGate
from tests.exchange_sim.harness import Harness
from tests.exchange_sim.server import running
from tests.plugins.test_binance_connector import IIDS, capture_books, connector, venue

TRUTH = capture_books()


def obeys_rate(granted: list[float], rate: float, burst: int) -> bool:
    """No stretch of the grants holds more calls than burst + rate x its length."""
    return all(j - i + 1 <= burst + (granted[j] - granted[i]) * rate + 1e-9
               for i in range(len(granted)) for j in range(i + 1, len(granted)))


async def play(harness: Harness, sim, conn, *, released_at: int | None = None,
               **checks) -> None:
    """Connect, let the tape run to `released_at` and wait until books are usable."""
    binance = sim.venues["binance"]
    binance.tape.release(released_at)
    await conn.data.connect()
    harness.tasks.spawn(conn.data.run(), "binance")
    await harness.until(lambda: binance.tape.at_limit() and binance.tape.clients)


async def finish(harness: Harness, sim, conn) -> None:
    binance = sim.venues["binance"]
    binance.tape.release(None)
    await harness.until(lambda: binance.tape.finished.is_set())
    await harness.until(lambda: all(harness.books.levels(i, 1000) == TRUTH.levels(i, 1000)
                                    for i in IIDS))
    assert all(harness.books.is_usable(i) for i in IIDS)
    await conn.data.disconnect()
    await harness.tasks.cancel_all()


def test_all_streams_dropped_at_once_recover_within_the_snapshot_budget(tmp_path):
    rate, burst = 10.0, 2

    async def scenario() -> None:
        harness = Harness(tmp_path)
        async with running(binance=venue()) as sim:
            binance = sim.venues["binance"]
            conn = connector(harness, sim, snapshot_rate=rate, snapshot_burst=burst)
            await play(harness, sim, conn, released_at=80)
            await harness.until(lambda: len(binance.depth_requests) == 4
                                and all(harness.books.is_usable(i) for i in IIDS))
            assert binance.drop_all() == 1  # one combined stream carries all four symbols
            binance.tape.lose(10)  # frames played while nobody listened: gaps
            await harness.until(lambda: binance.connections == 2)
            await finish(harness, sim, conn)
            gate: HostGate = conn.data.gate
            t0 = gate.granted[0]
            assert obeys_rate(gate.granted, rate, burst), [round(g - t0, 3) for g in gate.granted]
            # one snapshot per symbol per connection, plus one per book that went stale
            stale = [s for s in harness.statuses if not s.usable]
            assert len(binance.depth_requests) <= 8 + len(stale)
            assert len(binance.depth_requests) == len(gate.granted)
            assert binance.connections == 2  # one reconnect, no storm
            states = [c["state"] for c in harness.connection]
            assert "reconnecting" in states and states[-1] in ("live", "closed")
            assert any("reconnecting" in e["message"] for e in harness.system)
            assert conn.data.stats()["reconnects"] == 1
    asyncio.run(scenario())


def test_a_429_burst_and_a_418_are_waited_out_for_their_retry_after(tmp_path):
    async def scenario() -> None:
        harness = Harness(tmp_path)
        async with running(binance=venue()) as sim:
            binance = sim.venues["binance"]
            binance.faults.add(429, 3, 0.2, "/api/v3/depth")
            binance.faults.add(418, 1, 0.3, "/api/v3/depth")
            conn = connector(harness, sim)
            await play(harness, sim, conn)
            await finish(harness, sim, conn)
            answered = [a for a in binance.faults.answered if a[2] == "/api/v3/depth"]
            statuses = [status for _t, status, _p in answered]
            assert statuses[:4] == [429, 429, 429, 418] and set(statuses[4:]) == {200}
            # after each refusal arrived, nothing was let through to the host before its
            # Retry-After had passed (requests already in flight may still arrive)
            gate: HostGate = conn.data.gate
            assert [round(s, 3) for _when, s in gate.pauses] == [0.2, 0.2, 0.2, 0.3]
            for when, seconds in gate.pauses:
                assert not [g for g in gate.granted if when < g < when + seconds]
            first_ok = min(t for t, status, _ in answered if status == 200)
            assert first_ok >= max(w + s for w, s in gate.pauses)  # the pauses were waited out
            assert len(conn.data.gate.pauses) == 4
    asyncio.run(scenario())


def test_a_sequence_gap_makes_the_book_stale_and_a_new_snapshot_heals_it(tmp_path):
    async def scenario() -> None:
        harness = Harness(tmp_path)
        async with running(binance=venue()) as sim:
            binance = sim.venues["binance"]
            nkn_diffs = binance.depth_items("NKNUSDT")
            binance.tape.drop_at.add(nkn_diffs[30])
            conn = connector(harness, sim)
            await play(harness, sim, conn, released_at=nkn_diffs[30] - 1)
            await harness.until(lambda: all(harness.books.is_usable(i) for i in IIDS))
            await finish(harness, sim, conn)
            stale = [s for s in harness.statuses if not s.usable]
            assert [s.instrument_id for s in stale] == [IIDS[0]]
            assert stale[0].reason.startswith("gap: expected")
            assert conn.data.stats()["resyncs"] >= 5
    asyncio.run(scenario())


def test_a_bad_frame_is_reported_and_the_stream_goes_on(tmp_path):
    async def scenario() -> None:
        harness = Harness(tmp_path)
        async with running(binance=venue()) as sim:
            binance = sim.venues["binance"]
            conn = connector(harness, sim)
            await play(harness, sim, conn, released_at=50)
            binance.tape.broadcast('{"stream":"nknusdt@aggTrade","data":{"e":"aggTrade"')
            await harness.until(lambda: harness.market_data.problem_count == 1)
            await finish(harness, sim, conn)
            assert harness.market_data.problems[0].reason.startswith("bad frame")
            assert binance.connections == 1
    asyncio.run(scenario())


def test_a_silent_stream_is_replaced(tmp_path):
    async def scenario() -> None:
        harness = Harness(tmp_path)
        async with running(binance=venue()) as sim:
            binance = sim.venues["binance"]
            conn = connector(harness, sim, silence_timeout_s=0.3)
            await play(harness, sim, conn, released_at=40)
            binance.tape.stall()  # the socket stays open, nothing comes
            await harness.until(lambda: binance.connections == 2)
            binance.tape.stall(False)
            await finish(harness, sim, conn)
            assert conn.data.stats()["stalls"] >= 1
            assert "stalled" in [c["state"] for c in harness.connection]
    asyncio.run(scenario())


def test_the_venue_connection_age_limit_is_a_reconnect(tmp_path):
    async def scenario() -> None:
        harness = Harness(tmp_path)
        async with running(binance=venue(max_connection_age_s=0.2)) as sim:
            binance = sim.venues["binance"]
            conn = connector(harness, sim)
            await play(harness, sim, conn, released_at=60)
            await harness.until(lambda: binance.connections >= 2)
            binance.max_connection_age_s = None
            await finish(harness, sim, conn)
    asyncio.run(scenario())
