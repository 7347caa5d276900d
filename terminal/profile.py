"""The user's profile: a small JSON file in the data dir, written with defaults on first run.

`load_profile(data_dir)` writes `profile.json` when it is absent and reads it otherwise. A
file that cannot be read or holds bad values never stops the terminal: the defaults are used
for what is wrong, the file is left as it is, and the problems are returned as warnings.
Unknown keys are kept out of the result (a newer version may have written them).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

PROFILE_FILE = "profile.json"
PROFILE_VERSION = 1
THEMES = ("dark", "light")
DEFAULT_SYMBOLS = ("BINANCE:BTCUSDT", "BINANCE:ETHUSDT", "COINBASE:BTC-USD", "KRAKEN:XBT/USD")
DEFAULT_API_PORT = 8765


@dataclass(frozen=True)
class Profile:
    theme: str = "dark"
    symbols: tuple[str, ...] = DEFAULT_SYMBOLS  # the watchlist of a new install
    api_port: int = DEFAULT_API_PORT  # the local API's port on 127.0.0.1
    version: int = PROFILE_VERSION

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["symbols"] = list(self.symbols)
        return data


@dataclass(frozen=True)
class LoadedProfile:
    profile: Profile
    path: Path
    created: bool  # written just now (first run)
    warnings: list[str] = field(default_factory=list)


def load_profile(data_dir: Path) -> LoadedProfile:
    path = data_dir / PROFILE_FILE
    if not path.exists():
        profile = Profile()
        write_profile(path, profile)
        return LoadedProfile(profile, path, created=True)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return LoadedProfile(Profile(), path, False,
                             [f"{path}: cannot be read ({exc}); using the defaults"])
    if not isinstance(raw, dict):
        return LoadedProfile(Profile(), path, False,
                             [f"{path}: not a JSON object; using the defaults"])
    profile, warnings = _parse(raw)
    return LoadedProfile(profile, path, False, [f"{path}: {w}" for w in warnings])


def write_profile(path: Path, profile: Profile) -> None:
    """Write atomically: a crash mid-write leaves the old file or none, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(profile.as_json(), indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def _parse(raw: dict[str, Any]) -> tuple[Profile, list[str]]:
    default = Profile()
    warnings: list[str] = []
    theme = raw.get("theme", default.theme)
    if theme not in THEMES:
        warnings.append(f"theme {theme!r} is not one of {', '.join(THEMES)}; using "
                        f"{default.theme}")
        theme = default.theme
    symbols = raw.get("symbols", list(default.symbols))
    if not (isinstance(symbols, list) and all(isinstance(s, str) and s for s in symbols)):
        warnings.append("symbols must be a list of VENUE:SYMBOL strings; using the defaults")
        symbols = list(default.symbols)
    port = raw.get("api_port", default.api_port)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        warnings.append(f"api_port {port!r} is not a port number; using {default.api_port}")
        port = default.api_port
    version = raw.get("version", PROFILE_VERSION)
    if not isinstance(version, int) or isinstance(version, bool):
        version = PROFILE_VERSION
    return Profile(theme, tuple(symbols), port, version), warnings
