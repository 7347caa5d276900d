"""The LAN listener's self-signed certificate: made once, its key in the keyring, its
SHA-256 fingerprint in the pairing QR so the phone pins it (no CA is involved)."""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import os
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

CERT_FILE = "api-lan-cert.pem"
KEY_NAME = ("local_api", "lan_tls_key")
VALID_DAYS = 825


@dataclass(frozen=True)
class LanCertificate:
    cert_pem: bytes
    key_pem: bytes

    @property
    def fingerprint(self) -> str:
        der = x509.load_pem_x509_certificate(self.cert_pem).public_bytes(
            serialization.Encoding.DER)
        return hashlib.sha256(der).hexdigest()

    def ssl_context(self) -> ssl.SSLContext:
        """A server context; the key touches the disk only for the instant `ssl` needs a
        file (a private 0600 temp file, deleted at once)."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        fd, name = tempfile.mkstemp(suffix=".pem")
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, self.cert_pem + self.key_pem)
            os.close(fd)
            context.load_cert_chain(name)
        finally:
            Path(name).unlink(missing_ok=True)
        return context


def make_certificate(hosts: list[str]) -> LanCertificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Trading Terminal LAN API")])
    alt: list[x509.GeneralName] = []
    for host in hosts:
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            alt.append(x509.DNSName(host))
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
            .add_extension(x509.SubjectAlternativeName(alt), critical=False)
            .sign(key, hashes.SHA256()))
    return LanCertificate(
        cert.public_bytes(serialization.Encoding.PEM),
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                          serialization.NoEncryption()))


def fingerprint_of_der(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()
