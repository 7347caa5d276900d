"""Property-based requests generated from /openapi.json against the real server: whatever
the input, no route answers with a 5xx. Bounded: a few examples per operation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error

from local_api.settings import Tier
from tests.api.live import LiveTerminal
from tests.api.live import settings as api_settings

EXAMPLES_PER_OPERATION = 10
ROOMY = {name: Tier(rate=10_000.0, burst=100_000) for name in
         ("read", "trade", "admin", "pairing")}


@pytest.fixture(scope="module")
def term(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveTerminal]:
    terminal = LiveTerminal(tmp_path_factory.mktemp("schemathesis"),
                            api_settings(tiers=ROOMY, auth_failure_burst=1_000_000)).start()
    terminal.wait_replayed()
    yield terminal
    terminal.stop()


@pytest.fixture(scope="module")
def admin_token(term: LiveTerminal) -> str:
    return term.token("admin")


def test_no_input_makes_a_route_fail_with_a_server_error(term: LiveTerminal) -> None:
    token = term.token("admin")
    schema = schemathesis.openapi.from_url(term.url + "/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        def probe(case: schemathesis.Case) -> None:
            case.call_and_validate(base_url=term.url,
                                   headers={"Authorization": f"Bearer {token}"},
                                   checks=[not_a_server_error], timeout=30)

        try:
            probe()
        except Exception as exc:  # every operation is tried; all failures are reported
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert operations >= 40
    served = term.call(lambda: term.engine.api_server.api.metrics.total)  # type: ignore[union-attr]
    assert served >= operations * 2  # the requests really reached the server
    assert not failures, "\n\n".join(failures)
