"""``jenkins-bridge serve`` terminating TLS itself: the front proxy proves itself with a client
certificate the bridge verified, and only then are ``X-Remote-User``/``X-Remote-Group`` believed."""

from __future__ import annotations

import datetime
import ipaddress
import os
import signal
import subprocess
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.e2e.test_serve_process import CLI, _free_port, _until

TOKEN = "tls-e2e-admin-token-8d2e"


class Ca:
    def __init__(self, folder: Path, name: str) -> None:
        self.folder, self.key = folder, ec.generate_private_key(ec.SECP256R1())
        self.name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        self.cert = self._sign(self.name, self.key.public_key(), ca=True)
        self.path = self._write(name, self.cert)

    def _sign(
        self, subject: x509.Name, public_key: ec.EllipticCurvePublicKey, *, ca: bool = False, **ext: object
    ):
        now = datetime.datetime.now(datetime.UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.name)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        for extension in ext.values():
            builder = builder.add_extension(extension, critical=False)  # type: ignore[arg-type]
        return builder.sign(self.key, hashes.SHA256())

    def _write(
        self, name: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey | None = None
    ) -> Path:
        path = self.folder / f"{name}.crt"
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        if key is not None:
            pem = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            (self.folder / f"{name}.key").write_bytes(pem)
        return path

    def issue(self, cn: str, *, server: bool = False) -> tuple[str, str]:
        key = ec.generate_private_key(ec.SECP256R1())
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        ext: dict[str, object] = {"eku": x509.ExtendedKeyUsage([usage])}
        if server:
            ext["san"] = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
        cert = self._sign(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]), key.public_key(), **ext)
        path = self._write(cn, cert, key)
        return str(path), str(self.folder / f"{cn}.key")


@pytest.fixture
def tls_bridge(tmp_path: Path):
    ca = Ca(tmp_path, "test-ca")
    cert, key = ca.issue("bridge", server=True)
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")},
        "BRIDGE_DATA_DIR": str(tmp_path / "data"),
        "BRIDGE_ADMIN_TOKEN": TOKEN,
        "BRIDGE_SECRET_KEY": Fernet.generate_key().decode(),
        "BRIDGE_API_TLS_CERT": cert,
        "BRIDGE_API_TLS_KEY": key,
        "BRIDGE_API_TLS_CLIENT_CA": str(ca.path),
        "BRIDGE_AUTH_PROXY_CLIENT_CNS": "console-backend",
    }
    proc = subprocess.Popen(
        [str(CLI), "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    base = f"https://127.0.0.1:{port}"
    try:
        _until(
            "the bridge to answer over TLS", lambda: requests.get(base + "/healthz", verify=str(ca.path)).ok
        )
        yield base, ca
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, out.decode(errors="replace")
    assert TOKEN.encode() not in out


def test_the_proxy_proves_itself_with_a_verified_client_certificate(tls_bridge) -> None:
    base, ca = tls_bridge
    headers = {"X-Remote-User": "alice", "X-Remote-Group": "devs"}
    proxy = requests.get(
        base + "/api/v1/whoami", headers=headers, cert=ca.issue("console-backend"), verify=str(ca.path)
    )
    assert proxy.status_code == 200, proxy.text
    assert proxy.json()["user"] == "alice" and "devs" in proxy.json()["groups"]

    other = requests.get(
        base + "/api/v1/whoami", headers=headers, cert=ca.issue("intruder"), verify=str(ca.path)
    )
    assert other.status_code == 401, "a verified certificate with another CN is not the proxy"
    bare = requests.get(base + "/api/v1/whoami", headers=headers, verify=str(ca.path))
    assert bare.status_code == 401, "the headers alone are ignored"
    admin = requests.get(
        base + "/api/v1/whoami", headers={"Authorization": f"Bearer {TOKEN}"}, verify=str(ca.path)
    )
    assert admin.status_code == 200


def test_a_certificate_from_another_ca_is_refused_at_the_handshake(tls_bridge, tmp_path: Path) -> None:
    base, ca = tls_bridge
    (tmp_path / "forged").mkdir()
    forged = Ca(tmp_path / "forged", "forged-ca")
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(
            base + "/api/v1/whoami",
            headers={"X-Remote-User": "alice"},
            cert=forged.issue("console-backend"),
            verify=str(ca.path),
        )
