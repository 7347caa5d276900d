"""Trading is not part of this template's feed: every order is refused with a reason.
A broker connector implements submit/cancel (and open_orders for reconciliation) here and
adds "broker" to the manifest's kinds."""

from __future__ import annotations

import time

from terminal.model.orders import Order
from terminal.plugin_host.base import ExecutionClient, PluginContext


class TemplateExecutionClient(ExecutionClient):
    def __init__(self, context: PluginContext) -> None:
        self._ctx = context

    async def connect(self) -> None:
        return None

    async def disconnect(self) -> None:
        return None

    async def submit(self, order: Order) -> None:
        self._ctx.execution.on_rejected(order.client_order_id, "the template does not trade",
                                        time.time_ns())

    async def cancel(self, order: Order) -> None:
        return None
