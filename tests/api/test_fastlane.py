"""The polling reads answered directly (local_api/fastlane.py) give exactly what the FastAPI
routes give, and refuse exactly what they refuse."""

from __future__ import annotations

import httpx
import pytest

from tests.api.live import LiveTerminal

PATHS = ["/api/v1/positions", "/api/v1/account", "/api/v1/quotes"]
# a query string the route ignores sends the request through FastAPI instead
VIA_FASTAPI = "?_=1"


@pytest.fixture(scope="module")
def tokens(live: LiveTerminal) -> dict[str, str]:
    trade = live.token("trade")
    placed = httpx.post(live.url + "/api/v1/orders", headers={"Authorization":
                                                                f"Bearer {trade}"},
                        json={"instrument_id": "BINANCE:NKNUSDT", "side": "buy",
                              "type": "market", "quantity": "60"})
    assert placed.status_code == 201  # so there is a position to list
    return {"read": live.token("read")}


@pytest.mark.parametrize("path", PATHS)
def test_both_paths_answer_the_same(live: LiveTerminal, tokens: dict[str, str],
                                    path: str) -> None:
    headers = {"Authorization": f"Bearer {tokens['read']}"}
    direct = httpx.get(live.url + path, headers=headers)
    routed = httpx.get(live.url + path + VIA_FASTAPI, headers=headers)
    assert direct.status_code == routed.status_code == 200
    assert direct.json() == routed.json() and direct.json()
    assert direct.headers["content-type"] == routed.headers["content-type"]
    for name in ("ratelimit-limit", "ratelimit-policy"):
        assert direct.headers[name] == routed.headers[name]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("authorization", [None, "Bearer nonsense"])
def test_both_paths_refuse_the_same(live: LiveTerminal, path: str,
                                    authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    direct = httpx.get(live.url + path, headers=headers)
    routed = httpx.get(live.url + path + VIA_FASTAPI, headers=headers)
    assert direct.status_code == routed.status_code == 401
    assert {k: v for k, v in direct.json().items() if k != "instance"} == \
        {k: v for k, v in routed.json().items() if k != "instance"}


def test_the_direct_path_is_counted_in_the_metrics(live: LiveTerminal,
                                                   tokens: dict[str, str]) -> None:
    headers = {"Authorization": f"Bearer {tokens['read']}"}
    before = live.call(lambda: live.engine.api_server.api.metrics.total)  # type: ignore[union-attr]
    httpx.get(live.url + "/api/v1/positions", headers=headers)
    admin = live.token("admin")
    text = httpx.get(live.url + "/metrics", headers={"Authorization": f"Bearer {admin}"}).text
    assert 'route="/positions",status="200"' in text
    assert live.call(lambda: live.engine.api_server.api.metrics.total) > before  # type: ignore[union-attr]
