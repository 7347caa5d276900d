"""HTTP fault injection shared by the venues: bursts of 429 / 418 answers."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.exchange_sim.http import Request, Response


@dataclass
class HttpFault:
    status: int
    count: int
    retry_after: float
    path_prefix: str = ""


@dataclass
class HttpFaults:
    pending: list[HttpFault] = field(default_factory=list)
    answered: list[tuple[float, int, str]] = field(default_factory=list)  # (time, status, path)

    def add(self, status: int, count: int, retry_after: float, path_prefix: str = "") -> None:
        self.pending.append(HttpFault(status, count, retry_after, path_prefix))

    def check(self, request: Request, path: str) -> Response | None:
        for fault in self.pending:
            if fault.count > 0 and path.startswith(fault.path_prefix):
                fault.count -= 1
                self.answered.append((request.received, fault.status, path))
                return Response.json({"code": -1003, "msg": "Too many requests; banned"
                                      if fault.status == 418 else "Too many requests"},
                                     fault.status, **{"Retry-After": f"{fault.retry_after:g}"})
        self.answered.append((request.received, 200, path))
        return None
