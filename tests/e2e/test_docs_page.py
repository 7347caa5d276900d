"""The interactive API docs at /docs render in a real browser from local assets only: every
operation of the OpenAPI document is listed, nothing is fetched from another host."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.api.live import LiveTerminal
from tests.e2e.test_companion_browser import browser  # noqa: F401 (a fixture)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def docs_terminal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveTerminal]:
    terminal = LiveTerminal(tmp_path_factory.mktemp("docs"), replay=[]).start()
    yield terminal
    terminal.stop()


def test_the_docs_page_renders_every_operation_offline(docs_terminal: LiveTerminal,
                                                        browser: Any) -> None:  # noqa: F811
    spec = httpx.get(docs_terminal.url + "/openapi.json").json()
    operations = sum(len(ops) for ops in spec["paths"].values())
    page = browser.new_page()
    foreign: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(docs_terminal.url)
            or r.url.startswith("data:") else foreign.append(r.url))
    page.goto(docs_terminal.url + "/docs")
    page.wait_for_selector(".opblock", timeout=30_000)
    assert "Unable to render this definition" not in page.content()
    assert page.locator(".opblock-summary").count() >= operations
    assert page.locator(".btn.authorize").count() == 1  # the bearer scheme is offered
    assert foreign == []
    page.close()
