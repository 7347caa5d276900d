"""`GET /companion`: the companion web client (a phone's browser pairs with the terminal and
follows positions, quotes and orders), served as static files from resources/companion/.

No token: the files hold no data; the client authenticates its API calls itself. Every
answer carries a Content-Security-Policy that allows only this origin's own scripts, styles
and API (no inline script, no CDN), and the files a browser must re-check on each visit (the
page, the manifest and the service worker) are `no-cache`; answers have an ETag so a re-check
costs a 304. Not part of the OpenAPI document.
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

from fastapi import APIRouter, Request
from starlette.responses import Response

from local_api.problems import ApiProblem

router = APIRouter(include_in_schema=False)

INDEX = "index.html"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".webmanifest": "application/manifest+json",
    ".json": "application/json",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}
# re-checked with the server on every use (the shell must never go stale against the API)
NO_CACHE = frozenset({INDEX, "manifest.webmanifest", "service-worker.js", "app.js",
                      "style.css"})
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; "
       "connect-src 'self' ws: wss:; img-src 'self' data:; manifest-src 'self'; "
       "worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")


def companion_dir() -> Path:
    """resources/companion in the checkout, or beside the bundle's files when frozen."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen is not None:
        return Path(frozen) / "resources" / "companion"
    return Path(__file__).resolve().parents[2] / "resources" / "companion"


def _headers(name: str, etag: str) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cache-Control": "no-cache" if name in NO_CACHE else "public, max-age=86400",
        "ETag": etag,
    }
    if name == "service-worker.js":
        # the worker lives in /companion/ but also controls the page at /companion itself
        headers["Service-Worker-Allowed"] = "/companion"
    return headers


def _serve(request: Request, name: str) -> Response:
    suffix = Path(name).suffix
    if not _NAME.match(name) or suffix not in CONTENT_TYPES:
        raise ApiProblem("not-found", f"no companion file {name[:64]}")
    path = companion_dir() / name
    try:
        body = path.read_bytes()
    except OSError:
        raise ApiProblem("not-found", f"no companion file {name}") from None
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = _headers(name, etag)
    if etag in (request.headers.get("if-none-match") or ""):
        return Response(status_code=304, headers=headers)
    if request.method == "HEAD":
        headers["Content-Length"] = str(len(body))
        return Response(status_code=200, headers=headers, media_type=CONTENT_TYPES[suffix])
    return Response(body, headers=headers, media_type=CONTENT_TYPES[suffix])


@router.api_route("/companion", methods=["GET", "HEAD"])
async def index(request: Request) -> Response:
    """The client's page; the pairing link puts its code in the fragment (never sent)."""
    return _serve(request, INDEX)


@router.api_route("/companion/", methods=["GET", "HEAD"])
async def index_slash(request: Request) -> Response:
    return _serve(request, INDEX)


@router.api_route("/companion/{name}", methods=["GET", "HEAD"])
async def asset(request: Request, name: str) -> Response:
    """One of the client's files (scripts, styles, manifest, worker, icons)."""
    return _serve(request, name)
