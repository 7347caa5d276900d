"""Webhook secrets in the keyring: an endpoint's signing secret (and during a rotation the
previous one), a hook's shared secret. Read once and kept in memory: a keyring call can take
a desktop round trip, and a delivery must not wait for one."""

from __future__ import annotations

from terminal.secrets import SecretStore

OUT = "webhook.out"
IN = "webhook.in"
PREVIOUS = ".previous"


class WebhookKeys:
    def __init__(self, store: SecretStore | None = None) -> None:
        self.store = store or SecretStore()
        self._cache: dict[tuple[str, str], str | None] = {}

    def _get(self, scope: str, name: str) -> str | None:
        key = (scope, name)
        if key not in self._cache:
            self._cache[key] = self.store.get(scope, name)
        return self._cache[key]

    def _put(self, scope: str, name: str, value: str) -> None:
        self.store.put(scope, name, value)
        self._cache[(scope, name)] = value

    def _delete(self, scope: str, name: str) -> None:
        self.store.delete(scope, name)
        self._cache.pop((scope, name), None)

    def signing(self, endpoint_id: str, with_previous: bool) -> list[str]:
        """The secrets that sign an endpoint's deliveries, newest first."""
        out = [s for s in (self._get(OUT, endpoint_id),) if s]
        if with_previous:
            previous = self._get(OUT, endpoint_id + PREVIOUS)
            if previous:
                out.append(previous)
        return out

    def set_signing(self, endpoint_id: str, secret: str, keep_previous: bool) -> None:
        current = self._get(OUT, endpoint_id)
        if keep_previous and current:
            self._put(OUT, endpoint_id + PREVIOUS, current)
        self._put(OUT, endpoint_id, secret)

    def drop_signing(self, endpoint_id: str) -> None:
        self._delete(OUT, endpoint_id)
        self._delete(OUT, endpoint_id + PREVIOUS)

    def hook(self, hook_id: str) -> str | None:
        return self._get(IN, hook_id)

    def set_hook(self, hook_id: str, secret: str) -> None:
        self._put(IN, hook_id, secret)

    def drop_hook(self, hook_id: str) -> None:
        self._delete(IN, hook_id)

    def forget(self) -> None:
        """Read the keyring afresh next time (another process may have changed it)."""
        self._cache.clear()
