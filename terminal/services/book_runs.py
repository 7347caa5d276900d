"""The state the run kernel (terminal.kernels.book_runs) works on, for one run source.

A source's instrument k maps to its book (a slot in the BookManager's store of book
arrays) and its quality slot; per k the context keeps whether the kernel may apply its
updates (`S_FAST`: the book is usable, its venue rule is one the kernel keeps, its feed is
not flagged quiet), whether anyone listens to every update of its book (`S_WATCHED`), and
the top of book last published for it. These are rebuilt whenever the book manager, the
quality monitor or the bus subscriptions report a change (each keeps a version counter),
so the kernel never acts on a state the Python path has since changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from terminal.kernels.book_runs import (
    INST_COLUMNS,
    NO_CRC,
    S_CRC,
    S_DEPTH,
    S_FAST,
    S_POLICY,
    S_QSLOT,
    S_SLOT,
    S_TEXT_P,
    S_TEXT_V,
    S_USABLE,
    S_VERIFIED,
    S_WATCHED,
)
from terminal.model.market_run import RunSource
from terminal.services.book_sync import KrakenChecksumSync

if TYPE_CHECKING:
    from terminal.services.books import BookManager, _Tracked
    from terminal.services.quality import QualityMonitor

NAN = float("nan")


class RunContext:
    def __init__(self, manager: BookManager, quality: QualityMonitor, source: RunSource,
                 versions: Callable[[], tuple[int, int, int]]) -> None:
        self._manager = manager
        self._quality = quality
        self.source = source
        self._versions = versions
        self._seen_versions = (-1, -1, -1)
        # per instrument of the source: its book, once the Python path has made one (a
        # quote alone makes none), and its quality slot, once quality has seen it
        self.tracked: list[_Tracked | None] = []
        self._kraken: list[int] = []  # instruments whose sync keeps checksum state
        self.inst: npt.NDArray[np.int64] = np.zeros((0, INST_COLUMNS), dtype=np.int64)
        self.tops: npt.NDArray[np.float64] = np.zeros((0, 4), dtype=np.float64)
        self.out = np.zeros(5, dtype=np.int64)

    def versions_seen(self) -> bool:
        """Nothing changed since the last rebuild (the common case after a publish)."""
        return self._versions() == self._seen_versions

    def ready(self) -> None:
        """Take in instruments new to the source, and rebuild after any change elsewhere."""
        instruments = self.source.instruments
        if len(instruments) != len(self.tracked):
            self.settle()
            self.tracked.extend([None] * (len(instruments) - len(self.tracked)))
            k = len(self.tracked)
            self.inst = np.zeros((k, INST_COLUMNS), dtype=np.int64)
            self.tops = np.full((k, 4), NAN, dtype=np.float64)
            self._seen_versions = (-1, -1, -1)
        if self._versions() != self._seen_versions:
            self.refresh()

    def refresh(self) -> None:
        """Rebuild every instrument's row. One without a book or not yet seen by quality
        gets none of the kernel's work (its frames take the Python path, which makes them):
        the kernel never makes a book or a quality slot the Python path would not."""
        manager, quality, fresh = self._manager, self._quality, self._quality.freshness
        self.settle()
        self._kraken = []
        for k, iid in enumerate(self.source.instruments):
            tracked = self.tracked[k] = manager.tracked_if_any(iid)
            qslot = fresh.slot_if_any(iid)
            row = [0] * INST_COLUMNS  # S_FAST, S_USABLE 0: the Python path; S_VERIFIED settled
            if tracked is None or qslot is None:
                self.inst[k] = row
                continue
            sync = tracked.sync
            policy = sync.run_policy
            manager.run_follow(tracked)
            quiet = quality.is_quiet(iid)
            row[S_SLOT] = tracked.slot
            row[S_TEXT_P], row[S_TEXT_V] = tracked.text_slots
            if isinstance(sync, KrakenChecksumSync):
                self._kraken.append(k)
                row[S_DEPTH] = sync.depth
                row[S_CRC] = NO_CRC
            row[S_POLICY] = -1 if policy is None else policy
            row[S_FAST] = int(policy is not None and sync.run_ready() and not quiet)
            row[S_USABLE] = int(sync.synced and not quiet)
            row[S_WATCHED] = int(manager.is_watched(tracked))
            row[S_QSLOT] = qslot
            self.inst[k] = row
            self.set_top(k, tracked)
        self._seen_versions = self._versions()

    def settle(self) -> None:
        """Hand what the kernel kept per instrument back to the Python side: checksums
        verified, and (as it may have changed the book) no cached checksum."""
        for k in self._kraken:
            tracked = self.tracked[k]
            assert tracked is not None
            sync = tracked.sync
            assert isinstance(sync, KrakenChecksumSync)
            sync.checksums_verified += int(self.inst[k, S_VERIFIED])
            self.inst[k, S_VERIFIED] = 0
            sync.forget_checksum()

    def set_top(self, k: int, tracked: _Tracked) -> None:
        bid, ask = tracked.top
        self.tops[k] = (*(bid if bid is not None else (NAN, NAN)),
                        *(ask if ask is not None else (NAN, NAN)))
