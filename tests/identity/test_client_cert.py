"""The proxy's client certificate: its CN is read from the verified certificate in the WSGI environ."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bridge.api.access import client_cert_cn


def pem_with_cn(cn: str | None) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "test")]
    if cn is not None:
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    name = x509.Name(attrs)
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def test_cn_of_the_verified_client_certificate() -> None:
    assert client_cert_cn({"SSL_CLIENT_CERT": pem_with_cn("console-backend")}) == "console-backend"


def test_no_or_unusable_certificate_gives_no_cn() -> None:
    assert client_cert_cn({}) is None
    assert client_cert_cn({"SSL_CLIENT_CERT": ""}) is None
    assert (
        client_cert_cn({"SSL_CLIENT_CERT": "-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----"})
        is None
    )
    assert client_cert_cn({"SSL_CLIENT_CERT": pem_with_cn(None)}) is None
    # a header of that name arrives as HTTP_SSL_CLIENT_CERT and is never read
    assert client_cert_cn({"HTTP_SSL_CLIENT_CERT": pem_with_cn("console-backend")}) is None
