"""Certificate pinning for clients of the LAN listener: the certificate is self-signed, so
trust comes from its SHA-256 fingerprint (carried by the pairing QR), not from a CA."""

from __future__ import annotations

import hmac
import socket
import ssl

from local_api.pairing.tls import fingerprint_of_der


class PinMismatch(ssl.SSLError):
    pass


def pinned_context() -> ssl.SSLContext:
    """A client context that skips CA checks: call `check_pin` on every connection."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def check_pin(sock: ssl.SSLSocket, fingerprint: str) -> None:
    der = sock.getpeercert(binary_form=True)
    seen = fingerprint_of_der(der) if der else ""
    if not hmac.compare_digest(seen, fingerprint.lower().replace(":", "")):
        raise PinMismatch(f"the server's certificate {seen[:16]}… is not the pinned one")


def connect_pinned(host: str, port: int, fingerprint: str, timeout: float = 10.0
                   ) -> ssl.SSLSocket:
    """A TLS connection to the terminal that fails unless its certificate is the pinned one;
    nothing is sent before the check."""
    raw = socket.create_connection((host, port), timeout=timeout)
    sock = pinned_context().wrap_socket(raw, server_hostname=host)
    try:
        check_pin(sock, fingerprint)
    except BaseException:
        sock.close()
        raise
    return sock
