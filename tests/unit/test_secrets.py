"""Secrets go to the keyring only; without a backend the user is told what to do."""

import keyring
import pytest
from keyring.backend import KeyringBackend

from terminal.secrets import KeyringUnavailable, SecretStore


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture
def memory_keyring():
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_round_trip_through_the_keyring(memory_keyring):
    store = SecretStore()
    assert store.available()
    store.put("plugin.binance", "api_secret", "s3cr3t")
    assert memory_keyring.store == {("trading-terminal", "plugin.binance/api_secret"): "s3cr3t"}
    assert store.get("plugin.binance", "api_secret") == "s3cr3t"
    store.delete("plugin.binance", "api_secret")
    assert store.get("plugin.binance", "api_secret") is None


def test_without_a_backend_the_message_says_what_to_do():
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        store = SecretStore()
        assert not store.available()
        with pytest.raises(KeyringUnavailable) as err:
            store.put("plugin.binance", "api_secret", "s3cr3t")
        assert "Secret Service" in str(err.value) and "s3cr3t" not in str(err.value)
        assert store.get("plugin.binance", "api_secret") is None
    finally:
        keyring.set_keyring(previous)


class PlaintextKeyring(MemoryKeyring):
    """Stands for keyrings.alt.file.PlaintextKeyring: secrets in a plain file."""

    priority = 0.5  # type: ignore[assignment]


def test_a_plaintext_file_keyring_is_refused():
    previous = keyring.get_keyring()
    backend = PlaintextKeyring()
    keyring.set_keyring(backend)
    try:
        store = SecretStore()
        assert not store.available()
        with pytest.raises(KeyringUnavailable) as err:
            store.put("local_api", "key", "s3cr3t")
        assert "plain file" in str(err.value)
        assert backend.store == {} and store.get("local_api", "key") is None
    finally:
        keyring.set_keyring(previous)
