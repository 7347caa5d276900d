"""The typed Python SDK of the terminal's local API.

    from local_api.client import Client

    with Client("http://127.0.0.1:8765", token) as api:
        print(api.book("BINANCE:NKNUSDT", depth=5).bids)

`Client` blocks, `AsyncClient` has the same methods as coroutines; both parse answers into
the models of `local_api.schemas` and raise `ApiError` subclasses on problems. `stream()`
subscribes to the websocket and resumes by itself after a disconnect. See docs/api.md.
"""

from local_api.client.aio import AsyncClient
from local_api.client.calls import RateLimit
from local_api.client.errors import (
    ApiError,
    AuthenticationError,
    Conflict,
    InvalidRequest,
    NotFound,
    OrderRefused,
    PermissionDenied,
    RateLimited,
    RequestRefused,
    RiskRejected,
    ServerError,
    StreamError,
    Unavailable,
)
from local_api.client.messages import Event, Heartbeat, ResumeGap, StreamMessage, Subscribed
from local_api.client.stream import AsyncStream, Stream
from local_api.client.sync import Client

__all__ = [
    "ApiError",
    "AsyncClient",
    "AsyncStream",
    "AuthenticationError",
    "Client",
    "Conflict",
    "Event",
    "Heartbeat",
    "InvalidRequest",
    "NotFound",
    "OrderRefused",
    "PermissionDenied",
    "RateLimit",
    "RateLimited",
    "RequestRefused",
    "ResumeGap",
    "RiskRejected",
    "ServerError",
    "Stream",
    "StreamError",
    "StreamMessage",
    "Subscribed",
    "Unavailable",
]
