"""Secrets in the OS keyring, and nowhere else. The only module that imports keyring.

Broker keys, webhook secrets and signing keys are stored under the service name
"trading-terminal" with a key `<scope>/<name>` (e.g. `plugin.binance/api_secret`). Where no
keyring backend exists (a bare Linux box without a desktop session), nothing is stored and
`KeyringUnavailable` explains what to do; secrets are then asked for each session.
"""

from __future__ import annotations

import contextlib

import keyring
from keyring.errors import KeyringError, NoKeyringError, PasswordDeleteError

from terminal.core.errors import TerminalError

SERVICE = "trading-terminal"
NO_BACKEND_HELP = (
    "No keyring backend is available on this machine, so secrets cannot be saved. A desktop "
    "session provides one (GNOME Keyring, KWallet, macOS Keychain, Windows Credential "
    "Manager); on a server, run a Secret Service daemon in the session (e.g. "
    "`gnome-keyring-daemon --unlock --components=secrets` under `dbus-run-session`). A "
    "keyring that keeps secrets in a plain file is refused. Without one, secrets are asked "
    "for each session and features that must store one (webhook endpoints) are unavailable.")


class KeyringUnavailable(TerminalError):
    def __init__(self) -> None:
        super().__init__(NO_BACKEND_HELP)


def _plaintext(backend: object) -> bool:
    """A backend that writes secrets unencrypted to a file (keyrings.alt's Plaintext
    keyring, which `keyring` picks silently once keyrings.alt is installed)."""
    return "plaintext" in type(backend).__name__.lower()


class SecretStore:
    def __init__(self, service: str = SERVICE) -> None:
        self.service = service

    def available(self) -> bool:
        backend = keyring.get_keyring()
        priority = getattr(backend, "priority", 0)
        return not (type(backend).__module__.startswith("keyring.backends.fail")
                    or _plaintext(backend)
                    or (isinstance(priority, int | float) and priority <= 0))

    def put(self, scope: str, name: str, value: str) -> None:
        if _plaintext(keyring.get_keyring()):
            raise KeyringUnavailable()
        try:
            keyring.set_password(self.service, f"{scope}/{name}", value)
        except NoKeyringError:
            raise KeyringUnavailable() from None
        except KeyringError as exc:  # never echo the value
            raise TerminalError(f"the keyring refused to store {scope}/{name}: "
                                f"{type(exc).__name__}") from None

    def get(self, scope: str, name: str) -> str | None:
        if _plaintext(keyring.get_keyring()):
            return None
        try:
            return keyring.get_password(self.service, f"{scope}/{name}")
        except NoKeyringError:
            return None

    def delete(self, scope: str, name: str) -> None:
        with contextlib.suppress(PasswordDeleteError, NoKeyringError):
            keyring.delete_password(self.service, f"{scope}/{name}")
