"""What the webhook tests share: an in-memory keyring, a real HTTP receiver on 127.0.0.1
(in a thread) whose paths answer 200, 500, 410, 503 + Retry-After or hang, and polling."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

import keyring
import pytest
from keyring.backend import KeyringBackend

T = TypeVar("T")


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture(scope="module")
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    server: ThreadingHTTPServer
    received: list[Received] = field(default_factory=list)
    hanging: threading.Event = field(default_factory=threading.Event)  # a request is held
    release: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def on(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]


def start_receiver() -> Receiver:
    holder: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            me = holder["r"]
            me.received.append(Received(self.path, {k.lower(): v for k, v in
                                                    self.headers.items()}, body,
                                        time.monotonic()))
            status, extra = 200, {}
            if self.path.startswith("/fail"):
                status = 500
            elif self.path.startswith("/gone"):
                status = 410
            elif self.path.startswith("/busy"):
                status, extra = 503, {"Retry-After": "1"}
            elif self.path.startswith("/hang"):
                me.hanging.set()
                me.release.wait(60)
            answer = b'{"ok": true}' if status == 200 else b"nope"
            self.send_response(status)
            for k, v in extra.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver = holder["r"] = Receiver(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver


def until(fn: Callable[[], T | None], what: str, timeout_s: float = 30.0) -> T:
    deadline = time.monotonic() + timeout_s
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)
