from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.live import LiveTerminal


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveTerminal]:
    terminal = LiveTerminal(tmp_path_factory.mktemp("api")).start()
    terminal.wait_replayed()
    yield terminal
    terminal.stop()
