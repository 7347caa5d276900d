"""Where the server is and how a client presents itself to it."""

from __future__ import annotations

from pathlib import Path

import orjson

from local_api.client.calls import API

DISCOVERY_FILE = "api.json"
DEFAULT_URL = "http://127.0.0.1:8765"
USER_AGENT = "trading-terminal-sdk/1"


def root_url(base_url: str) -> str:
    """The server's root: `http://127.0.0.1:8765`, with or without `/api/v1` given."""
    url = base_url.strip().rstrip("/")
    if url.endswith(API):
        url = url[: -len(API)]
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"base_url {base_url!r}: give http://HOST:PORT")
    return url


def stream_url(base_url: str) -> str:
    root = root_url(base_url)
    scheme, rest = root.split("://", 1)
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest}{API}/stream"


def discovered_url(data_dir: str | Path) -> str:
    """The URL a running terminal wrote to `api.json` in its data dir."""
    path = Path(data_dir) / DISCOVERY_FILE
    try:
        doc = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        raise FileNotFoundError(f"{path} does not exist: is the terminal running with its "
                                "API on (not --no-api) on this data dir?") from None
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"{path} is not JSON: {exc}") from None
    url = doc.get("url") if isinstance(doc, dict) else None
    if not isinstance(url, str):
        raise ValueError(f"{path} names no url")
    return url


def headers(token: str | None) -> dict[str, str]:
    out = {"User-Agent": USER_AGENT}
    if token:
        if any(c in token for c in "\r\n"):
            raise ValueError("the token contains a line break")
        out["Authorization"] = f"Bearer {token.strip()}"
    return out
