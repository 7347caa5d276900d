"""The connections panel shows a live feed's own state and its reconnects."""

from __future__ import annotations

from terminal.ui.connections import feed_state


def test_a_feed_that_reports_its_state_shows_it_with_its_reconnects() -> None:
    assert feed_state({"state": "reconnecting", "detail": "connection refused",
                       "reconnects": 3}) == ("reconnecting", "connection refused; 3 reconnects")
    assert feed_state({"state": "connected", "detail": "", "reconnects": 0,
                       "bad_frames": 2}) == ("connected", "2 bad frames")


def test_a_feed_without_a_state_keeps_the_plugin_row() -> None:
    assert feed_state({"files": [], "errors": []}) is None
