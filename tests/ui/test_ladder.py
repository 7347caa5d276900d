"""The order book ladder and depth chart on books built from the real captures."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QMessageBox

from plugins.replay.formats import open_recording
from plugins.replay.formats.cryptofeed_ref import read_instrument_file
from terminal.core.bus import EventBus
from terminal.model.ids import InstrumentId
from terminal.model.instrument import Instrument
from terminal.model.market import BookDelta, BookSnapshot, Level
from terminal.model.orders import Order, OrderStatus, OrderType, Side
from terminal.services.books import BookManager
from terminal.ui.ladder import Column, DepthChart, LadderWidget
from terminal.ui.ladder.grid import RowKind
from terminal.ui.ladder.style import STALE_TEXT
from tests.data_paths import SHARED_DATA

WS = SHARED_DATA / "ws"
BINANCE_WS = WS / "cryptofeed__BINANCE.ws.1.0"
KRAKEN_WS = WS / "cryptofeed__KRAKEN.ws.50.0"
NKN = InstrumentId("BINANCE", "NKNUSDT")
SC = InstrumentId("KRAKEN", "SC/EUR")
SCRATCH = Path("/work/scratch")

pytestmark = pytest.mark.skipif(not SHARED_DATA.is_dir(),
                                reason=f"shared data not found at {SHARED_DATA}")


def book_events(path: Path) -> Iterator[BookSnapshot | BookDelta]:
    events, _report = open_recording(path)
    for _ts, event in events:
        if isinstance(event, BookSnapshot | BookDelta):
            yield event


def feed(books: BookManager, event: BookSnapshot | BookDelta) -> None:
    if isinstance(event, BookSnapshot):
        books.on_snapshot(event)
    else:
        books.on_delta(event)


@cache
def final_levels(path: Path, iid: InstrumentId) -> tuple[list[Level], list[Level]]:
    books = BookManager(EventBus())
    for event in book_events(path):
        feed(books, event)
    assert books.is_usable(iid)
    return books.levels(iid, 1000)


@cache
def instrument(name: str, iid: InstrumentId) -> Instrument:
    found = [i for i in read_instrument_file(SHARED_DATA / "ref" / name, {}) if i.id == iid]
    assert len(found) == 1
    return found[0]


def nkn() -> Instrument:
    return instrument("cryptofeed__BINANCE.0", NKN)


def make_ladder(qtbot, inst: Instrument | None = None, *, tick: Decimal | None = None,
                levels: tuple[list[Level], list[Level]] | None = None,
                **kwargs: object) -> LadderWidget:
    inst = inst or nkn()
    widget = LadderWidget(**kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(widget)
    widget.resize(560, 640)
    widget.set_instrument(str(inst.id), inst.tick_size if tick is None else tick,
                          inst.price_decimals, inst.size_decimals)
    widget.set_book(*(levels or final_levels(BINANCE_WS, NKN)))
    widget.show()
    qtbot.waitExposed(widget)
    widget.refresh()
    return widget


def row_of(widget: LadderWidget, price_text: str) -> int:
    model = widget.model
    rows = [r for r in range(model.rowCount()) if model.text(r, Column.PRICE) == price_text]
    assert len(rows) == 1, f"{price_text}: {rows}"
    return rows[0]


def cells(widget: LadderWidget, row: int) -> list[str]:
    return [widget.model.text(row, col) for col in Column]


def click(qtbot, widget: LadderWidget, row: int, col: Column) -> None:
    index = widget.model.index(row, col)
    widget.view.scrollTo(index)
    rect = widget.view.visualRect(index)
    assert rect.isValid() and widget.view.viewport().rect().contains(rect.center())
    qtbot.mouseClick(widget.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def requests(widget: LadderWidget) -> list[tuple[str, Decimal]]:
    seen: list[tuple[str, Decimal]] = []
    widget.order_requested.connect(lambda side, price: seen.append((side, price)))
    return seen


def dark(widget) -> None:
    """The dark theme's colours, on this widget only (the app palette is shared by tests)."""
    palette = QPalette(widget.palette())
    for role, colour in {QPalette.ColorRole.Window: "#1e2126", QPalette.ColorRole.Base: "#16181c",
                         QPalette.ColorRole.AlternateBase: "#1b1e22",
                         QPalette.ColorRole.Button: "#1e2126", QPalette.ColorRole.Text: "#d7dae0",
                         QPalette.ColorRole.WindowText: "#d7dae0",
                         QPalette.ColorRole.ButtonText: "#d7dae0"}.items():
        palette.setColor(role, QColor(colour))
    widget.setPalette(palette)


def test_nkn_rows_sit_on_the_tick_with_sizes_and_cumulative_depth(qtbot):
    inst = nkn()
    assert (inst.tick_size, inst.price_decimals, inst.size_decimals) == (Decimal("0.0001"), 4, 0)
    widget = make_ladder(qtbot)
    model = widget.model
    assert model.rowCount() == 101 and model.columnCount() == 7
    best_bid = row_of(widget, "0.3527")
    assert cells(widget, best_bid) == ["", "9602", "9602", "0.3527", "", "", ""]
    assert cells(widget, best_bid + 1) == ["", "2829", "12431", "0.3526", "", "", ""]
    best_ask = row_of(widget, "0.3531")
    assert best_ask == best_bid - 4  # one row per tick, highest price on top
    assert cells(widget, best_ask) == ["", "", "", "0.3531", "152", "152", ""]
    assert cells(widget, best_ask - 1) == ["", "", "", "0.3532", "1101", "949", ""]
    for row in range(best_ask + 1, best_bid):  # inside the spread: prices only, highlighted
        assert [c for c in cells(widget, row) if c] == [model.text(row, Column.PRICE)]
        assert model.rows.kind[row] == RowKind.SPREAD
    assert model.row_of_kind(RowKind.BEST_BID) == best_bid
    assert model.row_of_kind(RowKind.BEST_ASK) == best_ask
    # the spread sits in the middle row band
    assert abs((best_bid + best_ask) / 2 - 50) <= 2
    # cumulative columns agree with the book manager's own depth measure
    books = BookManager(EventBus())
    for event in book_events(BINANCE_WS):
        feed(books, event)
    analytics = books.analytics(NKN, depth=5)
    assert analytics is not None
    bids, _asks = final_levels(BINANCE_WS, NKN)
    for k, cum in enumerate(analytics.bid_depth):
        row = row_of(widget, f"{bids[k][0]:.4f}")
        assert model.text(row, Column.CUM_BID) == f"{cum:.0f}"
    assert widget.header.bid.text() == "Bid  0.3527 × 9602"
    assert widget.header.ask.text() == "Ask  0.3531 × 152"
    assert widget.header.spread.text() == "Spread  0.0004 (4 ticks)"
    top10 = books.analytics(NKN, depth=10)
    assert top10 is not None
    assert widget.header.imbalance.text() == f"Imbalance  {top10.imbalance:+.2f}"


def test_click_on_a_side_requests_a_limit_order_at_the_rows_price(qtbot):
    widget = make_ladder(qtbot)
    seen = requests(widget)
    click(qtbot, widget, row_of(widget, "0.3527"), Column.BID)
    click(qtbot, widget, row_of(widget, "0.3531"), Column.ASK)
    click(qtbot, widget, row_of(widget, "0.3529"), Column.OWN_BID)  # any bid-side cell
    click(qtbot, widget, row_of(widget, "0.3540"), Column.CUM_ASK)
    click(qtbot, widget, row_of(widget, "0.3527"), Column.PRICE)  # the price column: nothing
    assert seen == [("buy", Decimal("0.3527")), ("sell", Decimal("0.3531")),
                    ("buy", Decimal("0.3529")), ("sell", Decimal("0.3540"))]
    assert [str(price) for _side, price in seen] == ["0.3527", "0.3531", "0.3529", "0.3540"]
    assert seen[0][0] == Side.BUY and seen[1][0] == Side.SELL


@pytest.mark.parametrize("answer", [True, False])
def test_confirm_clicks_asks_first_and_sends_only_when_accepted(qtbot, answer):
    questions: list[str] = []

    def confirm(_parent, question: str) -> bool:
        questions.append(question)
        return answer

    widget = make_ladder(qtbot, confirm=confirm)
    seen = requests(widget)
    click(qtbot, widget, row_of(widget, "0.3527"), Column.BID)
    assert questions == [] and seen == [("buy", Decimal("0.3527"))]  # off by default
    widget.confirm_clicks = True
    assert widget.confirm_box.isChecked()
    click(qtbot, widget, row_of(widget, "0.3531"), Column.ASK)
    assert questions == ["Sell BINANCE:NKNUSDT limit at 0.3531?"]
    assert seen[1:] == ([("sell", Decimal("0.3531"))] if answer else [])


@pytest.mark.parametrize(("button", "sent"), [(QMessageBox.StandardButton.Yes, True),
                                              (QMessageBox.StandardButton.No, False)])
def test_the_default_confirmation_is_a_message_box(qtbot, button, sent):
    widget = make_ladder(qtbot)
    widget.confirm_clicks = True
    seen = requests(widget)
    shown: list[str] = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(10, answer)
            return
        shown.append(box.text())
        assert box.defaultButton() is box.button(QMessageBox.StandardButton.No)
        box.button(button).click()

    QTimer.singleShot(0, answer)
    click(qtbot, widget, row_of(widget, "0.3527"), Column.BID)
    assert shown == ["Buy BINANCE:NKNUSDT limit at 0.3527?"]
    assert seen == ([("buy", Decimal("0.3527"))] if sent else [])


def order(cid: str, side: Side, qty: str, price: str,
          status: OrderStatus = OrderStatus.ACCEPTED, filled: str = "0") -> Order:
    return Order(cid, NKN, side, OrderType.LIMIT, Decimal(qty), Decimal(price), status=status,
                 filled_qty=Decimal(filled))


OWN_ORDERS = [
    order("b1", Side.BUY, "500", "0.3525"),
    order("b2", Side.BUY, "400", "0.3525", OrderStatus.PARTIALLY_FILLED, filled="150"),
    order("b3", Side.BUY, "100", "0.3529", OrderStatus.PENDING_NEW),  # inside the spread
    order("s1", Side.SELL, "1000", "0.3534"),
    order("gone", Side.SELL, "70", "0.3533", OrderStatus.CANCELED),
    order("done", Side.BUY, "70", "0.3524", OrderStatus.FILLED, filled="70"),
]


def test_own_working_orders_show_count_and_quantity_at_their_price(qtbot):
    widget = make_ladder(qtbot)
    widget.set_own_orders(OWN_ORDERS)
    assert widget.refresh()
    model = widget.model
    assert model.text(row_of(widget, "0.3525"), Column.OWN_BID) == "750 (2)"
    assert model.text(row_of(widget, "0.3529"), Column.OWN_BID) == "100 (1)"
    assert model.text(row_of(widget, "0.3534"), Column.OWN_ASK) == "1000 (1)"
    assert model.text(row_of(widget, "0.3533"), Column.OWN_ASK) == ""  # canceled
    assert model.text(row_of(widget, "0.3524"), Column.OWN_BID) == ""  # filled
    own = [(r, c) for r in range(model.rowCount()) for c in (Column.OWN_BID, Column.OWN_ASK)
           if model.text(r, c)]
    assert len(own) == 3
    tip = model.index(row_of(widget, "0.3525"), Column.OWN_BID).data(
        Qt.ItemDataRole.ToolTipRole)
    assert tip == "2 working buy orders, 750 left to fill"
    widget.set_own_orders([])
    assert widget.refresh()
    assert model.text(row_of(widget, "0.3525"), Column.OWN_BID) == ""


def stale_run(widget: LadderWidget, drop_nth: int = 10) -> str:
    """Replay the Binance capture into the widget the way the UI bridge does, leaving out one
    NKNUSDT diff: the book goes stale on a sequence gap and the manager offers no levels."""
    books = BookManager(EventBus())
    count = 0
    for event in book_events(BINANCE_WS):
        if isinstance(event, BookDelta) and event.instrument_id == NKN:
            count += 1
            if count == drop_nth:
                continue
        feed(books, event)
        if event.instrument_id == NKN:
            status = books.status(NKN)
            assert status is not None
            widget.set_status(status.usable, status.reason)
            widget.set_book(*books.levels(NKN, 1000))
    status = books.status(NKN)
    assert status is not None and not status.usable and status.reason
    assert books.levels(NKN, 1000) == ([], [])
    return status.reason


def test_a_stale_book_is_greyed_with_its_reason_and_refuses_clicks(qtbot):
    widget = make_ladder(qtbot, levels=([], []))
    seen = requests(widget)
    reason = stale_run(widget)
    assert reason.startswith("gap: expected ")
    assert widget.refresh()
    model = widget.model
    assert widget.overlay.isVisible()
    assert widget.overlay.text() == f"STALE — {reason}"
    assert widget.overlay.geometry() == widget.view.rect()
    assert widget.header.status.text() == "STALE"
    # the last levels seen before the gap stay on screen, greyed
    assert model.stale and model.rowCount() == 101
    row = model.row_of_kind(RowKind.BEST_BID)
    assert row is not None and model.text(row, Column.BID)
    for col in Column:
        colour = model.index(row, col).data(Qt.ItemDataRole.ForegroundRole)
        assert colour == STALE_TEXT
    click(qtbot, widget, row, Column.BID)
    widget._on_clicked(model.index(row, Column.BID))  # even past the overlay
    assert seen == []
    # back in sync: the overlay goes and clicks trade again
    widget.set_status(True, None)
    widget.set_book(*final_levels(BINANCE_WS, NKN))
    assert widget.refresh()
    assert not widget.overlay.isVisible() and not model.stale
    click(qtbot, widget, row_of(widget, "0.3527"), Column.BID)
    assert seen == [("buy", Decimal("0.3527"))]


def test_stale_before_the_first_refresh_blocks_clicks_at_once(qtbot):
    widget = make_ladder(qtbot)
    seen = requests(widget)
    widget.set_status(False, "checksum mismatch")
    click(qtbot, widget, row_of(widget, "0.3527"), Column.BID)  # the frame has not run yet
    assert seen == []


class Emissions:
    def __init__(self, widget: LadderWidget) -> None:
        self.resets = 0
        self.changes: list[tuple[int, int, int, int]] = []
        model = widget.model
        model.modelReset.connect(self._reset)
        model.dataChanged.connect(self._changed)

    def _reset(self) -> None:
        self.resets += 1

    def _changed(self, top: QModelIndex, bottom: QModelIndex, _roles: object = None) -> None:
        self.changes.append((top.row(), top.column(), bottom.row(), bottom.column()))

    @property
    def total(self) -> int:
        return self.resets + len(self.changes)


def test_refresh_repaints_only_what_changed(qtbot):
    widget = make_ladder(qtbot)
    bids, asks = final_levels(BINANCE_WS, NKN)
    emitted = Emissions(widget)
    assert not widget.refresh()  # nothing set since the last frame
    widget.set_book(list(bids), list(asks))  # the same book again
    widget.set_own_orders([])
    widget.set_status(True, None)
    assert not widget.refresh()
    assert emitted.total == 0
    # one level deeper in the book changes: one small block, no reset
    changed = [bids[0], bids[1], (bids[2][0], bids[2][1] + 5), *bids[3:]]
    widget.set_book(changed, asks)
    assert widget.refresh()
    assert emitted.resets == 0
    assert len(emitted.changes) == 1
    row = row_of(widget, "0.3525")
    top_row, left, bottom_row, right = emitted.changes[0]
    assert top_row == row and left == Column.BID
    assert bottom_row >= row and right == Column.CUM_BID
    assert widget.model.text(row, Column.BID) == "1855"
    assert not widget.refresh()
    assert len(emitted.changes) == 1


def test_auto_centre_follows_the_spread_and_can_be_switched_off(qtbot):
    widget = make_ladder(qtbot)
    bids, asks = final_levels(BINANCE_WS, NKN)

    def shifted(ticks: int) -> tuple[list[Level], list[Level]]:
        move = ticks * 0.0001
        return ([(round(p + move, 4), s) for p, s in bids],
                [(round(p + move, 4), s) for p, s in asks])

    widget.set_book(*shifted(1))  # within the band: the window stays
    widget.refresh()
    assert widget.model.text(50, Column.PRICE) == "0.3529"
    widget.set_book(*shifted(10))
    widget.refresh()
    assert widget.model.text(50, Column.PRICE) == "0.3539"
    assert widget.model.row_of_kind(RowKind.BEST_BID) == 52
    widget.auto_centre = False
    widget.set_book(*shifted(30))
    widget.refresh()
    assert widget.model.text(50, Column.PRICE) == "0.3539"  # the window holds still
    assert widget.model.row_of_kind(RowKind.BEST_BID) == 32
    widget.centre_button.click()
    widget.refresh()
    assert widget.model.text(50, Column.PRICE) == "0.3559"
    assert not widget.auto_centre


def kraken_sc() -> tuple[list[Level], list[Level]]:
    return final_levels(KRAKEN_WS, SC)


def test_kraken_sc_eur_renders_with_the_instruments_decimals(qtbot):
    inst = instrument("cryptofeed__KRAKEN.0", SC)
    assert (inst.tick_size, inst.price_decimals, inst.size_decimals) == (
        Decimal("0.00001"), 5, 8)
    widget = make_ladder(qtbot, inst, levels=kraken_sc())
    best_bid = row_of(widget, "0.04307")
    assert cells(widget, best_bid)[:4] == ["", "5794.10440061", "5794.10440061", "0.04307"]
    assert cells(widget, best_bid + 3)[:4] == ["", "30600.00000000", "36394.10440061", "0.04304"]
    assert cells(widget, best_bid + 1)[:4] == ["", "", "5794.10440061", "0.04306"]
    assert cells(widget, row_of(widget, "0.04317"))[3:6] == ["0.04317", "20000.00000000",
                                                             "20000.00000000"]
    seen = requests(widget)
    click(qtbot, widget, best_bid, Column.BID)
    assert seen == [("buy", Decimal("0.04307"))] and str(seen[0][1]) == "0.04307"


def test_kraken_wire_precision_and_a_precision_change_while_running(qtbot):
    """The websocket quotes SC/EUR with 6 decimals ("0.043070"); on that grid the 10-tick
    spread becomes 100 rows, and the ladder follows a precision change without a crash."""
    inst = instrument("cryptofeed__KRAKEN.0", SC)
    widget = make_ladder(qtbot, inst, levels=kraken_sc())
    widget.set_instrument(str(inst.id), Decimal("0.000001"), 6, 8)
    assert widget.refresh()
    best_bid = row_of(widget, "0.043070")
    assert widget.model.text(best_bid, Column.BID) == "5794.10440061"
    assert widget.model.text(best_bid - 1, Column.PRICE) == "0.043071"
    ask_row = widget.model.row_of_kind(RowKind.BEST_ASK)  # 100 ticks up, at the window's edge
    assert ask_row is None or best_bid - ask_row == 100
    assert widget.header.spread.text() == "Spread  0.000100 (100 ticks)"
    seen = requests(widget)
    click(qtbot, widget, best_bid, Column.BID)
    assert seen == [("buy", Decimal("0.043070"))]


def test_a_tick_of_zero_puts_rows_on_the_books_own_levels(qtbot):
    inst = instrument("cryptofeed__KRAKEN.0", SC)
    widget = make_ladder(qtbot, inst, tick=Decimal(0), levels=kraken_sc(), rows_per_side=20)
    model = widget.model
    assert model.rowCount() == 40
    assert cells(widget, 20)[:4] == ["", "5794.10440061", "5794.10440061", "0.04307"]
    assert cells(widget, 21)[:4] == ["", "30600.00000000", "36394.10440061", "0.04304"]
    assert cells(widget, 19)[3:6] == ["0.04317", "20000.00000000", "20000.00000000"]
    assert cells(widget, 18)[3:6] == ["0.04318", "62461.83886926", "42461.83886926"]
    assert model.rows.kind[20] == RowKind.BEST_BID and model.rows.kind[19] == RowKind.BEST_ASK
    assert widget.header.spread.text() == "Spread  0.00010"
    seen = requests(widget)
    click(qtbot, widget, 21, Column.CUM_BID)
    click(qtbot, widget, 18, Column.ASK)
    assert seen == [("buy", Decimal("0.04304")), ("sell", Decimal("0.04318"))]
    # an own order between levels gets a row of its own
    widget.set_own_orders([Order("o", SC, Side.BUY, OrderType.LIMIT, Decimal("10"),
                                 Decimal("0.04305"), status=OrderStatus.ACCEPTED)])
    assert widget.refresh()
    assert cells(widget, 21) == ["10.00000000 (1)", "", "5794.10440061", "0.04305", "", "",
                                 ""]
    assert model.text(22, Column.PRICE) == "0.04304"


def test_depth_chart_plots_cumulative_steps_around_the_mid(qtbot):
    bids, asks = final_levels(BINANCE_WS, NKN)
    chart = DepthChart(levels=50)
    qtbot.addWidget(chart)
    chart.resize(600, 350)
    chart.set_book(bids, asks)
    chart.show()
    qtbot.waitExposed(chart)
    assert chart.refresh()
    assert not chart.refresh()
    bid_x, bid_y = chart.bids.getData()
    ask_x, ask_y = chart.asks.getData()
    assert (bid_x[0], bid_y[0], bid_y[1]) == (0.3527, 0.0, 9602.0)
    assert (ask_x[0], ask_y[0], ask_y[1]) == (0.3531, 0.0, 152.0)
    assert bid_y[-1] == pytest.approx(sum(s for _p, s in bids[:50]))
    assert len(bid_x) == 100 and all(b >= a for a, b in itertools.pairwise(bid_y))
    assert chart.mid.value() == pytest.approx(0.3529)
    (x_low, x_high), _ = chart.plot.viewRange()
    assert x_low <= bid_x[-1] and x_high >= ask_x[-1]
    assert (x_low + x_high) / 2 == pytest.approx(0.3529)
    assert not chart.overlay.isVisible()
    chart.set_status(False, "gap: expected 5, got 9")
    chart.set_book([], [])  # a stale book offers nothing: the last curves stay, greyed
    assert chart.refresh()
    assert chart.overlay.isVisible() and chart.overlay.text() == "STALE — gap: expected 5, got 9"
    assert chart.bids.getData()[1][-1] == bid_y[-1]
    assert chart.bids.opts["pen"].color() == STALE_TEXT
    dark(chart)
    chart.grab().save(str(SCRATCH / "depth_stale.png"))


def test_screenshots(qtbot):
    """For looking at: /work/scratch/ladder.png and ladder_stale.png (and depth.png)."""
    SCRATCH.mkdir(parents=True, exist_ok=True)
    widget = make_ladder(qtbot)
    dark(widget)
    widget.set_own_orders(OWN_ORDERS)
    widget.refresh()
    QApplication.processEvents()
    assert widget.grab().save(str(SCRATCH / "ladder.png"))
    reason = stale_run(widget)
    widget.refresh()
    QApplication.processEvents()
    assert widget.grab().save(str(SCRATCH / "ladder_stale.png"))
    assert widget.overlay.text().endswith(reason)
    chart = DepthChart()
    qtbot.addWidget(chart)
    chart.resize(600, 320)
    chart.set_book(*final_levels(BINANCE_WS, NKN))
    chart.show()
    chart.refresh()
    QApplication.processEvents()
    assert chart.grab().save(str(SCRATCH / "depth.png"))



def test_ladder_clicks_are_confirmed_in_a_new_window_and_after_a_restart(qtbot, tmp_path):
    """The Trading menu's "Confirm ladder clicks" and the ladder's own box are one setting,
    on by default, in a new window and in one restored from saved settings."""
    from terminal.app import Engine, EngineOptions
    from terminal.ui.main_window import MainWindow

    for _ in range(2):  # a new window, then one restored from the saved settings
        window = MainWindow(Engine(EngineOptions(data_dir=tmp_path)), tmp_path / "window.ini")
        qtbot.addWidget(window)
        assert window.confirm_action.isChecked()
        assert window.ladder.confirm_clicks and window.confirm_ladder_clicks
        window.save_layout()
        window.close()
    window = MainWindow(Engine(EngineOptions(data_dir=tmp_path)), tmp_path / "window.ini")
    qtbot.addWidget(window)
    window.ladder.confirm_box.setChecked(False)  # switched off in the ladder...
    assert not window.confirm_action.isChecked() and not window.confirm_ladder_clicks
    window.close()
    again = MainWindow(Engine(EngineOptions(data_dir=tmp_path)), tmp_path / "window.ini")
    qtbot.addWidget(again)
    assert not again.ladder.confirm_clicks and not again.confirm_action.isChecked()  # ...kept
    again.confirm_action.setChecked(True)
    assert again.ladder.confirm_clicks
