"""`trading-terminal selftest`: the whole terminal, headless, on a throwaway data dir.

Each step is timed and reported on one line; the first failing step ends the run with a
clear message and exit status 1 (2 for bad arguments). The steps:

  data      find the short real recording (the Binance capture in ../shared/data)
  profile   first run: the default profile is written into the new data dir
  engine    start the engine: data dir, database migrated to the newest schema, paper broker,
            replay plugin, local API on a free loopback port
  plugins   every discovered plugin is imported (a broken one fails the test)
  kernels   a numba kernel compiles or loads from its cache
  replay    the recording is played to its end at full speed
  order     a paper market buy of 100 NKNUSDT fills against the replayed book
  api       GET /api/v1/health, then GET /api/v1/positions with a token made in-process
  logs      the log file in the data dir exists and holds no token secret
  stored    after stopping, the order and its fill read back from the database

Without the recording (an installed app has no ../shared/data) the replay and order steps
are reported as skipped and the rest still runs; `--data PATH` given explicitly must exist.
`--quick` skips the replay and the order: it measures a cold start (bench/package.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from terminal import __version__

if TYPE_CHECKING:
    from terminal.app import Engine

CAPTURE = Path("ws") / "cryptofeed__BINANCE.ws.1.0"
INSTRUMENTS = Path("ref") / "cryptofeed__BINANCE.0"
SYMBOL = "BINANCE:NKNUSDT"
ORDER_QTY = Decimal("100")
EXPECTED_PRICE = Decimal("0.3531")  # the best ask of NKNUSDT when the capture ends
DEFAULT_TIMEOUT_S = 180.0

log = logging.getLogger("terminal.selftest")


class StepFailed(Exception):
    """A step found something wrong; the message says what."""


class Skipped(Exception):
    """A step that cannot run here; the message says why."""


@dataclass
class Step:
    name: str
    status: str  # ok, skip, FAIL
    seconds: float
    detail: str


@dataclass
class Report:
    steps: list[Step] = field(default_factory=list)
    out: Any = None  # a text stream

    def line(self, step: Step) -> None:
        self.steps.append(step)
        print(f"  {step.status:<4}  {step.name:<8} {step.seconds:7.2f}s  {step.detail}",
              file=self.out, flush=True)

    @property
    def failed(self) -> Step | None:
        return next((s for s in self.steps if s.status == "FAIL"), None)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trading-terminal selftest",
        description="Start the engine headless on a temporary data dir, load every plugin, "
        "replay a short real recording, serve and call the local API, place and fill a paper "
        "order; exit 0 when every step passes.", allow_abbrev=False)
    parser.add_argument("--data", type=Path, default=None, metavar="PATH",
                        help="the shared market data folder holding ws/ and ref/ (default: "
                        "../shared/data next to the current dir, the source tree or the app)")
    parser.add_argument("--quick", action="store_true",
                        help="skip the replay and the order (a cold start check)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary data dir and print where it is")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, metavar="SECONDS",
                        help=f"give up after this long (default {DEFAULT_TIMEOUT_S:.0f})")
    return parser


def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def candidate_data_dirs(cwd: Path | None = None) -> list[Path]:
    """Where ../shared/data may be: next to the current dir, then next to the source tree or
    the frozen app's folder and each of their parents (dist/trading-terminal/ in a checkout)."""
    cwd = cwd or Path.cwd()
    out = [cwd.parent / "shared" / "data", cwd / "shared" / "data"]
    anchor = Path(sys.executable).resolve().parent if is_frozen() \
        else Path(__file__).resolve().parents[1]
    for base in (anchor, *list(anchor.parents)[:3]):
        out.append(base.parent / "shared" / "data")
    seen: list[Path] = []
    for path in out:
        if path not in seen:
            seen.append(path)
    return seen


def find_recording(given: Path | None) -> tuple[Path, Path] | None:
    """(capture, instruments) files, or None when no data folder holds them.

    An explicitly given folder that lacks them is an error (StepFailed)."""
    if given is not None:
        capture, instruments = given / CAPTURE, given / INSTRUMENTS
        missing = [str(p) for p in (capture, instruments) if not p.is_file()]
        if missing:
            raise StepFailed(f"--data {given}: missing {', '.join(missing)}")
        return capture, instruments
    for folder in candidate_data_dirs():
        if (folder / CAPTURE).is_file() and (folder / INSTRUMENTS).is_file():
            return folder / CAPTURE, folder / INSTRUMENTS
    return None


class SelfTest:
    def __init__(self, args: argparse.Namespace, data_dir: Path, report: Report) -> None:
        self.args = args
        self.data_dir = data_dir
        self.report = report
        self.recording: tuple[Path, Path] | None = None
        self.engine: Engine | None = None
        self.order_id: str | None = None
        self.token_text: str | None = None

    async def step(self, name: str, fn: Callable[[], Awaitable[str]]) -> bool:
        started = time.perf_counter()
        try:
            detail = await fn()
            status = "ok"
        except Skipped as exc:
            status, detail = "skip", str(exc)
        except StepFailed as exc:
            status, detail = "FAIL", str(exc)
        except Exception as exc:  # anything else is a failure of the step, reported as such
            log.exception("selftest step %s failed", name)
            status, detail = "FAIL", f"{type(exc).__name__}: {exc}"
        self.report.line(Step(name, status, time.perf_counter() - started, detail))
        return status != "FAIL"

    async def run(self) -> None:
        steps: list[tuple[str, Callable[[], Awaitable[str]]]] = [
            ("data", self.data), ("profile", self.profile), ("engine", self.start_engine),
            ("plugins", self.plugins), ("kernels", self.kernels), ("replay", self.replay),
            ("order", self.order), ("api", self.api), ("logs", self.logs)]
        try:
            for name, fn in steps:
                if not await self.step(name, fn):
                    return
        finally:
            stopped = await self.step("stop", self.stop)
        if stopped:
            await self.step("stored", self.stored)

    # steps ------------------------------------------------------------------------------
    async def data(self) -> str:
        self.recording = find_recording(self.args.data)
        if self.recording is None:
            raise Skipped("no recording found (looked for ../shared/data/"
                          f"{CAPTURE.as_posix()}); replay and order are skipped — give "
                          "--data PATH to use one")
        capture, _ = self.recording
        if self.args.quick:
            raise Skipped(f"--quick: {capture} is not played")
        return f"{capture} ({capture.stat().st_size / 1e6:.2f} MB)"

    async def profile(self) -> str:
        from terminal.profile import PROFILE_FILE, load_profile

        if (self.data_dir / PROFILE_FILE).exists():
            raise StepFailed(f"{self.data_dir} is not a fresh data dir")
        created = load_profile(self.data_dir)
        if not created.created or not (self.data_dir / PROFILE_FILE).is_file():
            raise StepFailed("the default profile was not written on first run")
        again = load_profile(self.data_dir)
        if again.created or again.profile != created.profile or again.warnings:
            raise StepFailed(f"the profile does not read back as written: {again}")
        p = created.profile
        return f"{PROFILE_FILE} written: theme {p.theme}, {len(p.symbols)} symbols, " \
               f"API port {p.api_port}"

    async def start_engine(self) -> str:
        from local_api.settings import ApiSettings
        from terminal.app import DEFAULT_BALANCES, Engine, EngineOptions
        from terminal.persistence.db import Database

        replay = self.recording is not None and not self.args.quick
        capture, instruments = self.recording if self.recording else (None, None)
        options = EngineOptions(
            data_dir=self.data_dir, replay_paths=[capture] if replay and capture else [],
            instrument_files=[instruments] if replay and instruments else [], speed="max",
            starting_balances=dict(DEFAULT_BALANCES), api=ApiSettings(port=0))
        self.engine = Engine(options)
        await self.engine.start()
        db = self.engine.db
        assert db is not None
        revision, head = db.revision(), Database.head_revision()
        if revision != head:
            raise StepFailed(f"database at revision {revision}, expected {head}")
        if self.engine.api_server is None:
            raise StepFailed(f"the local API is not served: {self.engine.api_error}")
        if self.engine.errors:
            raise StepFailed("; ".join(self.engine.errors))
        return f"data dir {self.data_dir}, {db.dialect} at revision {revision}, " \
               f"API {self.engine.api_server.url}"

    async def plugins(self) -> str:
        from terminal.core.errors import PluginError

        engine = self._engine()
        entries = engine.registry.entries()
        ids = [e.id for e in entries]
        missing = [p for p in ("paper", "replay") if p not in ids]
        if missing:
            raise StepFailed(f"built-in plugins not discovered: {', '.join(missing)} (found: "
                             f"{', '.join(ids) or 'none'}; are the entry points in the "
                             "app's metadata?)")
        broken: list[str] = []
        for entry in entries:
            try:
                engine.registry.load(entry.id)
            except PluginError as exc:
                broken.append(str(exc))
        if broken:
            raise StepFailed("; ".join(broken))
        return f"{len(ids)} loaded: {', '.join(ids)}"

    async def kernels(self) -> str:
        import numpy as np

        from terminal.kernels import trend

        values = trend.sma(np.arange(1.0, 11.0), 4)
        if not np.isnan(values[2]) or values[-1] != 8.5:
            raise StepFailed(f"sma gave {values.tolist()}")
        where = os.environ.get("NUMBA_CACHE_DIR") or "next to the sources"
        return f"numba sma ok (cache: {where})"

    async def replay(self) -> str:
        engine = self._engine()
        if not engine.replaying:
            raise Skipped("no recording" if self.recording is None else "--quick")
        await engine.run()
        summary = engine.summary()
        events = summary["events"]["total"]
        if summary["errors"]:
            raise StepFailed("; ".join(summary["errors"][:3]))
        book = summary["books"].get(SYMBOL)
        if not events or book is None or not book["usable"]:
            raise StepFailed(f"{events} events; {SYMBOL} book {book}")
        return f"{events} events, {len(summary['books'])} books, {SYMBOL} book usable"

    async def order(self) -> str:
        from terminal.model.ids import InstrumentId
        from terminal.model.orders import OrderStatus, OrderType, Side
        from terminal.services.order_request import OrderRequest

        engine = self._engine()
        if not engine.replaying:
            raise Skipped("no market data to fill against")
        assert engine.orders is not None
        order = await engine.orders.submit(OrderRequest(
            InstrumentId.parse(SYMBOL), Side.BUY, OrderType.MARKET, ORDER_QTY,
            source="selftest"))
        self.order_id = order.client_order_id
        fills = [f for f in engine.orders.fills if f.client_order_id == order.client_order_id]
        if order.status is not OrderStatus.FILLED:
            raise StepFailed(f"order {order.client_order_id} is {order.status.value}"
                             f"{': ' + order.reject_reason if order.reject_reason else ''}")
        got = [(f.quantity, f.price) for f in fills]
        if got != [(ORDER_QTY, EXPECTED_PRICE)]:
            raise StepFailed(f"expected one fill of {ORDER_QTY} @ {EXPECTED_PRICE}, got {got}")
        return f"paper market buy {ORDER_QTY} {SYMBOL} filled {ORDER_QTY} @ {EXPECTED_PRICE} " \
               f"(fee {fills[0].fee} {fills[0].fee_currency})"

    async def api(self) -> str:
        import httpx

        engine = self._engine()
        server = engine.api_server
        assert server is not None
        async with httpx.AsyncClient(base_url=str(server.url), timeout=10.0) as client:
            health = await client.get("/api/v1/health")
            if health.status_code != 200 or health.json().get("status") != "ok":
                raise StepFailed(f"health: {health.status_code} {health.text[:200]}")
            refused = await client.get("/api/v1/positions")
            if refused.status_code != 401:
                raise StepFailed(f"positions without a token: {refused.status_code}, not 401")
            token, _record = server.tokens.create("selftest", "read")
            self.token_text = token
            answer = await client.get("/api/v1/positions",
                                      headers={"Authorization": f"Bearer {token}"})
        if answer.status_code != 200:
            raise StepFailed(f"positions: {answer.status_code} {answer.text[:200]}")
        positions = answer.json()
        mine = [p for p in positions if p.get("instrument_id") == SYMBOL]
        if self.order_id is not None:
            if not mine or Decimal(str(mine[0]["quantity"])) != ORDER_QTY:
                raise StepFailed(f"positions: expected {ORDER_QTY} {SYMBOL}, got {positions}")
            held = f"{SYMBOL} {mine[0]['quantity']}"
        else:
            held = f"{len(positions)} positions"
        # the token text goes through the logging on purpose: the log must hold it redacted
        log.info("selftest token %s answered the positions route", token)
        return f"health ok (version {health.json().get('version')}), 401 without a token, " \
               f"positions with a read token: {held}"

    async def logs(self) -> str:
        files = sorted((self.data_dir / "logs").glob("terminal.log*"))
        if not files:
            raise StepFailed(f"no log file in {self.data_dir / 'logs'}")
        for handler in logging.getLogger().handlers:
            handler.flush()
        text = "".join(p.read_text(encoding="utf-8", errors="replace") for p in files)
        if self.token_text is not None:
            secret = self.token_text.rsplit("_", 1)[1]
            if secret in text:
                raise StepFailed("a token secret is in the log file unredacted")
            if "selftest token tt_" not in text:
                raise StepFailed("the token log line is missing from the log file")
        return f"{len(files)} file(s), {len(text)} chars, no secrets"

    async def stop(self) -> str:
        engine = self.engine
        if engine is None:
            raise Skipped("no engine")
        await engine.stop()
        errors = engine.summary()["errors"]
        if errors:
            raise StepFailed("; ".join(errors[:3]))
        return "engine stopped cleanly"

    async def stored(self) -> str:
        from terminal.persistence.db import Database, default_url

        if self.order_id is None:
            raise Skipped("no order was placed")
        order_id = self.order_id
        with Database.open(default_url(self.data_dir)) as db:
            order = await asyncio.to_thread(db.orders.get, order_id)
            fills = await asyncio.to_thread(db.fills.for_order, order_id)
        if order is None or order.filled_qty != ORDER_QTY or len(fills) != 1:
            raise StepFailed(f"read back order {order} with {len(fills)} fills")
        return f"order {order_id} ({order.status.value}) and 1 fill read back from the database"

    def _engine(self) -> Engine:
        if self.engine is None:
            raise StepFailed("the engine did not start")
        return self.engine


async def _run(args: argparse.Namespace, data_dir: Path, report: Report) -> None:
    test = SelfTest(args, data_dir, report)
    try:
        await asyncio.wait_for(test.run(), timeout=args.timeout)
    except TimeoutError:
        report.line(Step("timeout", "FAIL", args.timeout,
                         f"the self-test did not finish within {args.timeout:.0f} s"))
        if test.engine is not None:
            with contextlib.suppress(Exception):
                await test.engine.stop()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(list(argv) if argv is not None else None)
    from terminal.logging_setup import close_logging, configure_logging

    started = time.perf_counter()
    data_dir = Path(tempfile.mkdtemp(prefix="tt-selftest-"))
    report = Report(out=sys.stdout)
    print(f"trading-terminal selftest {__version__} ({'frozen' if is_frozen() else 'source'}"
          f", Python {platform.python_version()}, {platform.system()} {platform.machine()})",
          flush=True)
    try:
        # INFO into the file only: the report is the console output
        configure_logging("INFO", data_dir, console=False)
        asyncio.run(_run(args, data_dir, report))
    finally:
        close_logging()
        if args.keep:
            print(f"data dir kept: {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    total = time.perf_counter() - started
    failed = report.failed
    if failed is not None:
        print(f"selftest FAILED at step {failed.name}: {failed.detail} ({total:.1f} s)",
              file=sys.stderr)
        return 1
    skipped = [s.name for s in report.steps if s.status == "skip"]
    print(f"selftest passed in {total:.1f} s" +
          (f" (skipped: {', '.join(skipped)})" if skipped else ""))
    return 0
