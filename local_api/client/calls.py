"""What one API call is, independently of how it is sent, and the descriptor that turns one
definition of an endpoint into a blocking method on `Client` and a coroutine method on
`AsyncClient`."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload
from urllib.parse import quote

import httpx
from pydantic import TypeAdapter

from local_api.client.errors import problem_error

P = ParamSpec("P")
T = TypeVar("T")
API = "/api/v1"

Amount = Decimal | str | int | float
Params = Mapping[str, str | int | float | bool | None]


def segment(text: str) -> str:
    """A path segment: instrument ids keep their colon, anything else odd is escaped."""
    return quote(text, safe=":")


def amount(value: Amount | None) -> str | int | float | None:
    """Decimals travel as plain decimal strings (never as floats)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def compact(values: Mapping[str, Any]) -> dict[str, Any]:
    """The fields that were given: None lets the server's default apply."""
    return {k: v for k, v in values.items() if v is not None}


@functools.cache
def _adapter(kind: Any) -> TypeAdapter[Any]:
    return TypeAdapter(kind)


@dataclass(frozen=True)
class RateLimit:
    """The budget the server reported with the last answer (RateLimit-* headers)."""

    limit: int
    remaining: int
    reset_s: int
    policy: str

    @classmethod
    def of(cls, headers: httpx.Headers) -> RateLimit | None:
        try:
            return cls(int(headers["ratelimit-limit"]), int(headers["ratelimit-remaining"]),
                       int(headers["ratelimit-reset"]), headers.get("ratelimit-policy", ""))
        except (KeyError, ValueError):
            return None


@dataclass(frozen=True)
class Call(Generic[T]):
    """An HTTP request and how its answer becomes a `T`."""

    method: str
    path: str
    result: Any  # a type (a pydantic model, list[...], dict[...]), None or str
    params: Params = field(default_factory=dict)
    body: Any = None
    expect: int = 200

    def request(self) -> dict[str, Any]:
        out: dict[str, Any] = {"method": self.method, "url": self.path}
        params = {k: _param(v) for k, v in self.params.items() if v is not None}
        if params:
            out["params"] = params
        if self.body is not None:
            out["json"] = self.body
        return out

    def parse(self, response: httpx.Response) -> T:
        if response.status_code >= 400:
            raise problem_error(response.status_code, response.content, response.headers)
        if self.result is None:
            return None  # type: ignore[return-value]
        if self.result is str:
            return response.text  # type: ignore[return-value]
        value: T = _adapter(self.result).validate_json(response.content)
        return value


def _param(value: str | int | float | bool) -> str | int | float:
    return str(value).lower() if isinstance(value, bool) else value


class SyncSender:
    """What a blocking client provides to the endpoints."""

    def _send(self, call: Call[T]) -> T:
        raise NotImplementedError


class AsyncSender:
    """What an asyncio client provides to the endpoints."""

    async def _send(self, call: Call[T]) -> T:
        raise NotImplementedError


class Endpoint(Generic[P, T]):
    """One endpoint, defined once as a function building its `Call`; read from a `Client`
    it is a blocking method, from an `AsyncClient` a coroutine method."""

    def __init__(self, build: Callable[Concatenate[Any, P], Call[T]]) -> None:
        self._build = build
        self.__doc__ = build.__doc__
        self.__name__ = build.__name__
        signature = inspect.signature(build)
        self._signature = signature.replace(parameters=list(signature.parameters.values())[1:])

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> Endpoint[P, T]: ...
    @overload
    def __get__(self, obj: SyncSender, owner: type | None = None) -> Callable[P, T]: ...
    @overload
    def __get__(self, obj: AsyncSender, owner: type | None = None
                ) -> Callable[P, Coroutine[Any, Any, T]]: ...

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        if obj is None:
            return self
        build = self._build
        method: Any
        if isinstance(obj, AsyncSender):
            sender = obj

            async def method(*args: Any, **kwargs: Any) -> Any:
                return await sender._send(build(sender, *args, **kwargs))
        elif isinstance(obj, SyncSender):
            blocking = obj

            def method(*args: Any, **kwargs: Any) -> Any:
                return blocking._send(build(blocking, *args, **kwargs))
        else:
            raise TypeError(f"{type(obj).__name__} is neither a sync nor an async client")
        method.__name__ = self.__name__
        method.__qualname__ = f"{type(obj).__name__}.{self.__name__}"
        method.__doc__ = self.__doc__
        method.__signature__ = self._signature
        return method


def endpoint(build: Callable[Concatenate[Any, P], Call[T]]) -> Endpoint[P, T]:
    return Endpoint(build)
