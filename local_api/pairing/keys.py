"""Where the device signing key and the LAN certificate's key are kept: the OS keyring.

Without a keyring backend the terminal still pairs devices, with keys that last for the
session: access tokens are then refused after a restart (the device refreshes them with its
refresh token, which is in the database as a hash), and a LAN certificate made anew changes
its fingerprint (phones must pair again). The log says so.
"""

from __future__ import annotations

import logging
from pathlib import Path

from local_api.pairing.service import decode_key, encode_key, new_signing_key
from local_api.pairing.tls import CERT_FILE, LanCertificate, make_certificate
from terminal.core.errors import TerminalError
from terminal.secrets import SecretStore

log = logging.getLogger(__name__)
SCOPE = "local_api"


def signing_key(store: SecretStore) -> bytes:
    try:
        text = store.get(SCOPE, "device_signing_key")
        if text:
            return decode_key(text)
        key = new_signing_key()
        store.put(SCOPE, "device_signing_key", encode_key(key))
        return key
    except TerminalError as exc:
        log.warning("device signing key kept for this session only: %s", exc)
        return new_signing_key()


def lan_certificate(data_dir: Path, store: SecretStore, host: str) -> LanCertificate:
    """The stored certificate for `host` (made on first use), its key from the keyring."""
    cert_path = data_dir / CERT_FILE
    try:
        key_pem = store.get(SCOPE, "lan_tls_key")
        if key_pem and cert_path.exists():
            return LanCertificate(cert_path.read_bytes(), key_pem.encode())
        cert = make_certificate([host, "localhost"])
        store.put(SCOPE, "lan_tls_key", cert.key_pem.decode())
        cert_path.write_bytes(cert.cert_pem)
        return cert
    except TerminalError as exc:
        log.warning("LAN certificate made for this session only (its fingerprint changes "
                    "at the next start): %s", exc)
        return make_certificate([host, "localhost"])
