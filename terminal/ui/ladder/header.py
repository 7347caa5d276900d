"""The line above the ladder: best bid and ask, spread and imbalance."""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QWidget

from terminal.ui.ladder import style
from terminal.ui.ladder.grid import Book, PriceGrid
from terminal.ui.ladder.overlay import status_word

IMBALANCE_LEVELS = 10  # as BookManager.analytics: the top levels of each side


@dataclass(frozen=True, slots=True)
class TopOfBook:
    bid: str
    ask: str
    spread: str
    imbalance: str


def top_of_book(book: Book, grid: PriceGrid) -> TopOfBook:
    pd, sd = grid.price_decimals, grid.size_decimals

    def best(prices: list[float], sizes: list[float]) -> str:
        return f"{prices[0]:.{pd}f} × {sizes[0]:.{sd}f}" if prices else "—"

    bid = best(book.bids.prices[:1].tolist(), book.bids.sizes[:1].tolist())
    ask = best(book.asks.prices[:1].tolist(), book.asks.sizes[:1].tolist())
    spread = "—"
    gap = book.best_ask - book.best_bid
    if not math.isnan(gap):
        spread = f"{gap:.{pd}f}"
        if grid.by_tick:
            spread += f" ({round(gap / float(grid.tick_size))} ticks)"
    bid_volume = float(book.bids.sizes[:IMBALANCE_LEVELS].sum())
    ask_volume = float(book.asks.sizes[:IMBALANCE_LEVELS].sum())
    total = bid_volume + ask_volume
    imbalance = f"{(bid_volume - ask_volume) / total:+.2f}" if total > 0 else "—"
    return TopOfBook(bid, ask, spread, imbalance)


class BookHeader(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._usable: bool | None = None
        self.instrument = QLabel()
        self.status = QLabel()
        self.bid = QLabel()
        self.ask = QLabel()
        self.spread = QLabel()
        self.imbalance = QLabel()
        for label in (self.bid, self.ask, self.spread, self.imbalance):
            # live text must not ask the dock (and so the window) for a new layout each time
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.instrument.setStyleSheet("font-weight: bold; font-size: 11pt;")
        self.status.setStyleSheet(f"color: {style.STALE_ACCENT}; font-weight: bold;")
        layout = QGridLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setHorizontalSpacing(16)
        layout.setVerticalSpacing(1)
        layout.addWidget(self.instrument, 0, 0)
        layout.addWidget(self.status, 0, 1)
        layout.addWidget(self.bid, 1, 0)
        layout.addWidget(self.ask, 1, 1)
        layout.addWidget(self.spread, 2, 0)
        layout.addWidget(self.imbalance, 2, 1)
        layout.setColumnStretch(0, 1)
        layout.setColumnStretch(1, 1)

    def show_book(self, label: str, top: TopOfBook | None, usable: bool,
                  reason: str | None = None) -> None:
        if usable != self._usable:
            self._colour(usable)
        self.status.setText("" if usable else status_word(reason))
        self.instrument.setText(label)
        top = top or TopOfBook("—", "—", "—", "—")
        self.bid.setText(f"Bid  {top.bid}")
        self.ask.setText(f"Ask  {top.ask}")
        self.spread.setText(f"Spread  {top.spread}")
        self.imbalance.setText(f"Imbalance  {top.imbalance}")

    def _colour(self, usable: bool) -> None:
        self._usable = usable  # restyling re-polishes: only on a change of status
        self.status.setText("" if usable else "STALE")
        grey = f"color: {style.STALE_TEXT.name()};"
        self.bid.setStyleSheet(f"color: {style.BID_TEXT.name()};" if usable else grey)
        self.ask.setStyleSheet(f"color: {style.ASK_TEXT.name()};" if usable else grey)
        self.spread.setStyleSheet("" if usable else grey)
        self.imbalance.setStyleSheet("" if usable else grey)
