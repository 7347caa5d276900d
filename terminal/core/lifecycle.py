"""Component lifecycle: components start in order and stop in reverse order."""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Protocol

log = logging.getLogger(__name__)


class State(StrEnum):
    NEW = "new"
    RUNNING = "running"
    STOPPED = "stopped"
    FAILED = "failed"


class Component(Protocol):
    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class Lifecycle:
    def __init__(self) -> None:
        self._components: list[Component] = []
        self._started: list[Component] = []
        self.states: dict[str, State] = {}

    def add(self, component: Component) -> None:
        self._components.append(component)
        self.states[component.name] = State.NEW

    async def start_all(self) -> None:
        for component in self._components:
            try:
                await component.start()
            except Exception:
                self.states[component.name] = State.FAILED
                await self.stop_all()
                raise
            self._started.append(component)
            self.states[component.name] = State.RUNNING

    async def stop_all(self) -> None:
        while self._started:
            component = self._started.pop()
            try:
                await component.stop()
                self.states[component.name] = State.STOPPED
            except Exception:
                self.states[component.name] = State.FAILED
                log.exception("component %s failed to stop", component.name)
