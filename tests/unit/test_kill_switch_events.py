"""The kill switch tells its listeners when it changes, from any path, once per change;
the webhooks' bus bridge turns that into kill_switch.engaged / kill_switch.released."""

from __future__ import annotations

from typing import Any

from local_api.webhooks.events import BusBridge
from terminal.core.bus import EventBus
from terminal.services.risk.gate import RiskGate


def test_listeners_hear_each_change_once_and_can_stop() -> None:
    gate = RiskGate()
    heard: list[tuple[bool, str]] = []
    stop = gate.on_kill_switch(lambda on, why: heard.append((on, why)))
    gate.engage_kill_switch("manual")
    gate.engage_kill_switch("again")  # already engaged: no change
    gate.release_kill_switch()
    gate.release_kill_switch()
    gate.trip("daily loss")
    assert heard == [(True, "manual"), (False, "again"), (True, "daily loss")]
    stop()
    gate.release_kill_switch()
    assert len(heard) == 3


def test_the_bridge_publishes_kill_switch_events_while_started() -> None:
    gate = RiskGate()
    published: list[tuple[str, Any]] = []
    bridge = BusBridge(EventBus(), lambda name, data: published.append((name, data)) or [],
                       gate.on_kill_switch)
    gate.engage_kill_switch("before start")  # not watched yet
    bridge.start()
    gate.release_kill_switch()
    gate.engage_kill_switch("api test")
    bridge.stop()
    gate.release_kill_switch()
    assert published == [
        ("kill_switch.released", {"engaged": False, "reason": "before start"}),
        ("kill_switch.engaged", {"engaged": True, "reason": "api test"})]
