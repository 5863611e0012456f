"""TLS for the services: a local certificate authority for development, and the client side
that trusts it.

``make run`` keeps a dev CA and one server certificate (for 127.0.0.1, ::1 and localhost) in a
folder of its own; the services serve HTTPS with that certificate, and the hops between them,
like any client such as simple-salesforce, verify it against the CA alone (never
``verify=False``). In production the certificate, its key and the CA to trust come from
settings (``<PREFIX>TLS_CERTFILE``, ``<PREFIX>TLS_KEYFILE``, ``<PREFIX>TLS_CA_FILE``).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

#: The names the dev certificate is valid for: the services listen on loopback only.
DEV_HOSTS = ("127.0.0.1", "::1", "localhost")
CA_FILE = "ca.pem"
CA_KEY_FILE = "ca-key.pem"
CERT_FILE = "server.pem"
KEY_FILE = "server-key.pem"
#: A server certificate is renewed when it has less than this left.
_RENEW_BEFORE = dt.timedelta(days=30)


@dataclass(frozen=True)
class DevCertificates:
    """Where the dev CA and the server certificate are."""

    folder: Path
    ca_path: Path
    cert_path: Path
    key_path: Path


def _write_private(path: Path, data: bytes) -> None:
    """Written 0600 from the start: a key is never readable by others, not for a moment."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Network-apps development"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _make_ca(folder: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    name = _name("Network-apps dev CA")
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(folder / CA_KEY_FILE, _key_pem(key))
    (folder / CA_FILE).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def _make_server(
    folder: Path,
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    hosts: tuple[str, ...],
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(hosts[0]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=397))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write_private(folder / KEY_FILE, _key_pem(key))
    (folder / CERT_FILE).write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _still_good(folder: Path, hosts: tuple[str, ...]) -> bool:
    paths = [folder / name for name in (CA_FILE, CA_KEY_FILE, CERT_FILE, KEY_FILE)]
    if not all(p.is_file() for p in paths):
        return False
    try:
        cert = x509.load_pem_x509_certificate((folder / CERT_FILE).read_bytes())
        ca = x509.load_pem_x509_certificate((folder / CA_FILE).read_bytes())
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (ValueError, x509.ExtensionNotFound):
        return False
    covered = {str(n) for n in names.get_values_for_type(x509.IPAddress)} | set(
        names.get_values_for_type(x509.DNSName)
    )
    now = dt.datetime.now(dt.UTC)
    return (
        cert.issuer == ca.subject
        and set(hosts) <= covered
        and cert.not_valid_after_utc - now > _RENEW_BEFORE
        and ca.not_valid_after_utc - now > _RENEW_BEFORE
    )


def ensure_dev_certificates(folder: Path, hosts: tuple[str, ...] = DEV_HOSTS) -> DevCertificates:
    """The dev CA and a server certificate for ``hosts`` in ``folder`` (0700), made when
    missing, expiring or not covering ``hosts``; kept otherwise, so a client that trusts the
    CA once keeps trusting it."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    if not _still_good(folder, hosts):
        ca_cert: x509.Certificate | None = None
        ca_key: ec.EllipticCurvePrivateKey | None = None
        try:
            ca_cert = x509.load_pem_x509_certificate((folder / CA_FILE).read_bytes())
            loaded = serialization.load_pem_private_key(
                (folder / CA_KEY_FILE).read_bytes(), password=None
            )
            ca_key = loaded if isinstance(loaded, ec.EllipticCurvePrivateKey) else None
            if ca_cert.not_valid_after_utc - dt.datetime.now(dt.UTC) <= _RENEW_BEFORE:
                ca_key = None
        except (OSError, ValueError):
            ca_key = None
        if ca_cert is None or ca_key is None:
            ca_cert, ca_key = _make_ca(folder)
        _make_server(folder, ca_cert, ca_key, hosts)
    return DevCertificates(folder, folder / CA_FILE, folder / CERT_FILE, folder / KEY_FILE)


def client_context(ca_file: str | Path | None) -> ssl.SSLContext | bool:
    """What an outgoing call verifies against: the CA file when one is configured, else the
    system's trust store (``True``). Verification is never switched off."""
    if not ca_file:
        return True
    return ssl.create_default_context(cafile=str(ca_file))
