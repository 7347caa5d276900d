"""The companion web client in a real browser against a real terminal.

A terminal replays the Binance capture and serves its API on loopback (tests/api/live.py);
Debian's Chromium, driven headless by Playwright, opens the pairing link on a phone-sized
page, pairs, follows a paper fill into its positions, places a limit order from the page's
ticket and cancels it there, refreshes its tokens (ahead of expiry, and once after a 401),
goes back to pairing when a used refresh token is replayed, pairs again, opens offline from
its service worker, and goes back to pairing when the terminal unpairs it. Screenshots go
to docs/screenshots/companion_*.png.

Set-up: `tests/tools/chromium.sh install` (the Makefile's test target runs it) and
playwright from requirements.lock; the browser tests are skipped when either is missing.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.live import LiveTerminal
from tests.data_paths import REPO_ROOT

try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import expect, sync_playwright
    HAVE_PLAYWRIGHT = True
except ImportError:  # the static-route tests still run
    HAVE_PLAYWRIGHT = False

pytestmark = pytest.mark.slow

CHROMIUM = Path(os.environ.get("TT_CHROMIUM", "/usr/bin/chromium"))
# the docs' screenshots are remade only when asked (TT_UPDATE_SCREENSHOTS=1): a test run
# must not change files in the checkout
SCREENSHOTS = REPO_ROOT / "docs" / "screenshots" if os.environ.get("TT_UPDATE_SCREENSHOTS") \
    else Path(tempfile.gettempdir()) / "tt-companion-screenshots"
PHONE = {"width": 390, "height": 844}
NKN = "BINANCE:NKNUSDT"
WAIT_MS = 30_000  # generous: a 2-core CI machine replays and renders at once


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveTerminal]:
    terminal = LiveTerminal(tmp_path_factory.mktemp("companion")).start()
    terminal.wait_replayed()
    yield terminal
    terminal.stop()


@pytest.fixture(scope="module")
def admin(live: LiveTerminal) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=30,
                      headers={"Authorization": f"Bearer {live.token('admin')}"}) as client:
        yield client


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not HAVE_PLAYWRIGHT:
        pytest.skip("playwright is not installed (it is in the dev extra and requirements.lock)")
    if not CHROMIUM.is_file():
        pytest.skip(f"no Chromium at {CHROMIUM}: run `tests/tools/chromium.sh install`")
    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        except PlaywrightError as exc:
            pytest.skip(f"{CHROMIUM} does not start under Playwright: {str(exc)[:300]}")
        yield launched
        launched.close()


def _phone(browser: Any) -> Any:
    return browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                               has_touch=True, locale="en-GB", timezone_id="UTC")


def _watch(page: Any) -> list[str]:
    """Uncaught script errors and Content-Security-Policy refusals: there must be none."""
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))
    page.on("console", lambda msg: problems.append(f"console: {msg.text}")
            if msg.type == "error" and "Content Security Policy" in msg.text else None)
    return problems


def _shot(page: Any, name: str, full_page: bool = False) -> None:
    """A phone-sized screenshot, from the top, once the last notice has gone."""
    expect(page.locator("#toast")).to_be_hidden(timeout=WAIT_MS)
    page.evaluate("window.scrollTo(0, 0)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"companion_{name}.png"), full_page=full_page)


# -- the static route, no browser needed ---------------------------------------------------
def test_companion_files_are_served_with_their_types_and_a_strict_policy(
        live: LiveTerminal) -> None:
    with httpx.Client(base_url=live.url, timeout=30) as client:
        page = client.get("/companion")
        assert page.status_code == 200
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        csp = page.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "connect-src 'self' ws: wss:" in csp
        assert "img-src 'self' data:" in csp and "unsafe-inline" not in csp
        assert page.headers["cache-control"] == "no-cache"
        assert page.headers["x-content-type-options"] == "nosniff"
        assert "<script src=\"/companion/app.js\"" in page.text
        assert "<script>" not in page.text and " style=" not in page.text  # nothing inline
        assert client.get("/companion/").text == page.text

        types = {"app.js": "text/javascript; charset=utf-8",
                 "style.css": "text/css; charset=utf-8",
                 "manifest.webmanifest": "application/manifest+json",
                 "service-worker.js": "text/javascript; charset=utf-8",
                 "icon-192.png": "image/png", "icon-512.png": "image/png",
                 "icon-maskable-512.png": "image/png", "icon-180.png": "image/png"}
        for name, ctype in types.items():
            answer = client.get(f"/companion/{name}")
            assert answer.status_code == 200, name
            assert answer.headers["content-type"] == ctype, name
            assert "content-security-policy" in answer.headers, name
        for name in ("manifest.webmanifest", "service-worker.js"):
            assert client.get(f"/companion/{name}").headers["cache-control"] == "no-cache"
        worker = client.get("/companion/service-worker.js")
        assert worker.headers["service-worker-allowed"] == "/companion"
        manifest = client.get("/companion/manifest.webmanifest").json()
        assert manifest["start_url"] == "/companion" and manifest["display"] == "standalone"
        assert {i["sizes"] for i in manifest["icons"]} >= {"192x192", "512x512"}

        again = client.get("/companion", headers={"If-None-Match": page.headers["etag"]})
        assert again.status_code == 304 and not again.content
        head = client.head("/companion/app.js")
        assert head.status_code == 200 and not head.content
        assert int(head.headers["content-length"]) > 1000

        for missing in ("/companion/make_icons.py", "/companion/.hidden.js",
                        "/companion/nothing.js", "/companion/%2e%2e%2fpyproject.toml",
                        "/companion/..%2fapp.js"):
            answer = client.get(missing)
            assert answer.status_code == 404, missing
            assert answer.headers["content-type"] == "application/problem+json", missing
        paths = client.get("/openapi.json").json()["paths"]
        assert not [p for p in paths if p.startswith("/companion")]


# -- the phone's browser -------------------------------------------------------------------
def test_a_wrong_code_is_shown_as_the_terminals_problem(live: LiveTerminal,
                                                        browser: Any) -> None:
    context = _phone(browser)
    page = context.new_page()
    problems = _watch(page)
    page.goto(f"{live.url}/companion#pair=ZZZZZ-ZZZZZ&fp=&scopes=read")
    expect(page.locator("#pair-code")).to_have_value("ZZZZZ-ZZZZZ", timeout=WAIT_MS)
    assert "#" not in page.url  # the code left the address bar at once
    page.fill("#device-name", "Wrong code phone")
    with page.expect_response(lambda r: r.url.endswith("/pairing/complete")) as answer:
        page.click("#pair-submit")
    assert answer.value.status in (400, 401, 403, 404, 409, 410, 422)
    detail = answer.value.json()["detail"]
    expect(page.locator("#pair-error")).to_have_text(detail, timeout=WAIT_MS)
    expect(page.locator("#main-screen")).to_be_hidden()
    assert page.evaluate("localStorage.getItem('tt.companion.credentials')") is None
    assert problems == []
    context.close()


def test_pair_follow_a_fill_place_and_cancel_from_the_phone(live: LiveTerminal,
                                                           admin: httpx.Client,
                                                           browser: Any) -> None:
    assert live.engine is not None and live.engine.api_server is not None
    service = live.engine.api_server.pairing
    offer = live.call(lambda: service.start(scope="trade"))
    assert offer.url.startswith(f"{live.url}/companion#pair=")

    context = _phone(browser)
    page = context.new_page()
    problems = _watch(page)

    # 1. the pairing link fills in the code; the page asks for a name, then pairs
    page.goto(offer.url)
    expect(page.locator("#pair-code")).to_have_value(offer.code, timeout=WAIT_MS)
    expect(page.locator("#pair-scopes")).to_contain_text("trade")
    page.fill("#device-name", "Test phone")
    _shot(page, "pair")
    with page.expect_response(lambda r: r.url.endswith("/pairing/complete")) as answer:
        page.click("#pair-submit")
    assert answer.value.status == 201
    paired = answer.value.json()
    assert paired["scope"] == "trade" and paired["token_type"] == "Bearer"
    device_id, confirmation = live.call(lambda: service.outcome(offer.code))
    assert device_id == paired["device_id"]
    expect(page.locator("#confirmation")).to_have_text(confirmation, timeout=WAIT_MS)
    stored = page.evaluate("JSON.parse(localStorage.getItem('tt.companion.credentials'))")
    assert stored["refresh_token"] == paired["refresh_token"]
    _shot(page, "confirmation")
    page.click("#pair-continue")
    expect(page.locator("#link")).to_have_text("live", timeout=WAIT_MS)
    expect(page.locator("#ticket-card")).to_be_visible()

    # 2. a paper market buy placed by a script shows up as a position, strings as given
    with httpx.Client(base_url=live.url, timeout=30,
                      headers={"Authorization": f"Bearer {live.token('trade')}"}) as trader:
        bought = trader.post("/api/v1/orders", json={
            "instrument_id": NKN, "side": "buy", "type": "market", "quantity": "100"})
        assert bought.status_code == 201, bought.text
        position = _position(trader)
        assert position["avg_price"] == "0.3531"
        row = page.locator(f'#positions .row[data-instrument="{NKN}"]')
        expect(row.locator(".qty")).to_have_text(_shown(position["quantity"]), timeout=WAIT_MS)
        assert _shown(position["quantity"]) == "100"
        expect(row.locator(".avg")).to_have_text("0.3531")
        expect(row.locator(".pnl")).not_to_have_text("…", timeout=WAIT_MS)
        expect(row.locator(".pnl")).to_have_text(_shown(_position(trader)["unrealized_pnl"]))
        fill = trader.get("/api/v1/fills", params={"instrument": NKN}).json()[-1]
        assert fill["price"].rstrip("0") == "0.3531"
        expect(page.locator("#feed .feed-item.fill").first).to_contain_text(
            f"Bought {_shown(fill['quantity'])} NKNUSDT @ {_shown(fill['price'])}",
            timeout=WAIT_MS)
        watch = page.locator(f'#quotes .row[data-instrument="{NKN}"]')
        quote = trader.get(f"/api/v1/quotes/{NKN}").json()
        expect(watch.locator(".bid")).to_have_text(_js_number(quote["bid"]))
        expect(watch.locator(".ask")).to_have_text(_js_number(quote["ask"]))

        # 3. a resting limit order from the page's ticket...
        page.fill("#t-instrument", NKN)
        page.click("label[for=t-buy]")
        page.select_option("#t-type", "limit")
        page.fill("#t-qty", "50")
        page.fill("#t-price", "0.3400")
        expect(page.locator("#t-submit")).to_have_text("Buy 50 NKNUSDT @ 0.3400")
        with page.expect_response(lambda r: r.url.endswith("/api/v1/orders")
                                  and r.request.method == "POST") as placed_answer:
            page.click("#t-submit")
        assert placed_answer.value.status == 201, placed_answer.value.text()
        placed = placed_answer.value.json()
        assert placed["type"] == "limit" and Decimal(placed["quantity"]) == 50
        assert Decimal(placed["price"]) == Decimal("0.34")
        order_row = page.locator(f'#orders .row[data-order="{placed["client_order_id"]}"]')
        expect(order_row).to_be_visible(timeout=WAIT_MS)
        expect(order_row.locator(".order-price")).to_have_text(_shown(placed["price"]))
        expect(order_row.locator(".order-qty")).to_have_text("50")
        working = trader.get("/api/v1/orders", params={"status": "working"}).json()
        assert placed["client_order_id"] in {o["client_order_id"] for o in working}
        _shot(page, "main", full_page=True)

        # ...canceled from the page
        order_row.get_by_role("button", name="Cancel").click()
        expect(order_row).to_have_count(0, timeout=WAIT_MS)
        expect(page.locator("#orders-empty")).to_be_visible()
        expect(page.locator("#feed .feed-item.order").first).to_contain_text(
            "Canceled: buy 50 NKNUSDT @ 0.34", timeout=WAIT_MS)
        canceled = trader.get(f"/api/v1/orders/{placed['client_order_id']}").json()
        assert canceled["status"] == "canceled"
    _shot(page, "canceled", full_page=True)

    # 4. tokens: refreshed ahead of expiry; a refused access token gets one refresh, then
    # the request again (the page stays live, with a new refresh token each time)
    old = _credentials(page)["refresh_token"]
    _tamper(page, "c.expires_at = Date.now() + 1000")  # as if it were about to expire
    page.reload()
    _wait_rotated(page, old)
    expect(page.locator("#link")).to_have_text("live", timeout=WAIT_MS)
    expect(page.locator("#main-screen")).to_be_visible()
    old = _credentials(page)["refresh_token"]
    _tamper(page, "c.access_token = 'eyJhbGciOiJIUzI1NiJ9.e30.not-signed-here'")
    page.reload()
    _wait_rotated(page, old)
    expect(page.locator("#link")).to_have_text("live", timeout=WAIT_MS)
    expect(page.locator(f'#positions .row[data-instrument="{NKN}"] .avg')).to_have_text(
        "0.3531")
    assert _grant(live, paired["refresh_token"]).status_code == 401  # long dead
    reused = _grant(live, old)  # the one the page just traded in: a copy is being used
    assert reused.status_code == 401 and reused.json()["type"].endswith("/token-revoked")
    # so the terminal revoked the device, and its page is sent back to pairing
    expect(page.locator("#pair-screen")).to_be_visible(timeout=WAIT_MS)
    assert page.evaluate("localStorage.getItem('tt.companion.credentials')") is None
    _shot(page, "revoked")

    # 5. pair again (a new code), then the shell opens offline from the service worker
    offer = live.call(lambda: service.start(scope="trade"))
    page.goto(offer.url)
    expect(page.locator("#pair-code")).to_have_value(offer.code, timeout=WAIT_MS)
    with page.expect_response(lambda r: r.url.endswith("/pairing/complete")) as answer:
        page.click("#pair-submit")
    assert answer.value.status == 201
    device_id = answer.value.json()["device_id"]
    page.click("#pair-continue")
    expect(page.locator("#link")).to_have_text("live", timeout=WAIT_MS)
    expect(page.locator(f'#positions .row[data-instrument="{NKN}"] .avg')).to_have_text(
        "0.3531", timeout=WAIT_MS)
    assert page.evaluate("navigator.serviceWorker.ready.then(r => Boolean(r.active))")
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=WAIT_MS)
    context.set_offline(True)
    page.reload()
    expect(page.locator("#main-screen")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator(f'#positions .row[data-instrument="{NKN}"] .avg')).to_have_text(
        "0.3531")
    expect(page.locator("#link")).not_to_have_text("live")
    expect(page.locator("#stale")).to_be_visible()
    _shot(page, "offline")
    context.set_offline(False)
    expect(page.locator("#link")).to_have_text("live", timeout=WAIT_MS)

    # 6. unpaired in the terminal: the stream closes (4401), the page forgets its tokens
    assert admin.delete(f"/api/v1/devices/{device_id}").status_code == 204
    expect(page.locator("#pair-screen")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#pair-error")).to_contain_text("unpaired in the terminal")
    assert page.evaluate("localStorage.getItem('tt.companion.credentials')") is None
    assert problems == []
    context.close()


def _grant(live: LiveTerminal, refresh_token: str) -> httpx.Response:
    return httpx.post(f"{live.url}/api/v1/pairing/token", timeout=30,
                      json={"grant_type": "refresh_token", "refresh_token": refresh_token})


def _credentials(page: Any) -> dict[str, Any]:
    return dict(page.evaluate(
        "JSON.parse(localStorage.getItem('tt.companion.credentials'))"))


def _tamper(page: Any, change: str) -> None:
    page.evaluate("() => { const c = JSON.parse(localStorage.getItem("
                  "'tt.companion.credentials')); " + change + "; localStorage.setItem("
                  "'tt.companion.credentials', JSON.stringify(c)); }")


def _wait_rotated(page: Any, old: str) -> None:
    page.wait_for_function(
        "old => { const c = JSON.parse(localStorage.getItem('tt.companion.credentials')); "
        "return c !== null && c.refresh_token !== old; }", arg=old, timeout=WAIT_MS)


def _position(client: httpx.Client) -> dict[str, Any]:
    found = [p for p in client.get("/api/v1/positions").json() if p["instrument_id"] == NKN]
    assert found, "no NKNUSDT position after the fill"
    return dict(found[0])


def _shown(text: str | None) -> str:
    """How the page shows an exact amount: the API's text less the fraction's trailing
    zeros (never a float, never rounded)."""
    if text is None:
        return "—"
    body = text.lstrip("+-")
    if "." in text and body.replace(".", "", 1).isdigit():
        return text.rstrip("0").rstrip(".")
    return text


def _js_number(value: float | None) -> str:
    """How the page prints a market-data number: JavaScript's shortest round-trip text."""
    if value is None:
        return "—"
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text
