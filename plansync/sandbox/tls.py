"""Throwaway TLS for sandboxes served on 127.0.0.1, and the client session that trusts it.

Why TLS at all: ``simple-salesforce`` builds every URL itself as ``https://{instance}/...``
(and ``https://{domain}.salesforce.com/...`` for logins), with no switch for plain HTTP, so a
local Salesforce must speak TLS. We serve real TLS over loopback, with a certificate made at
start, rather than mounting a fake transport adapter on the client's ``requests.Session``: an
adapter would skip the socket, the handshake, certificate checks, keep-alive and the wire
format, i.e. exactly what differs between "works in a test" and "works in production". With
real TLS the client runs unchanged; the only difference from production is which CA the
session trusts.

What is made (:func:`make_loopback_certificate`): a CA (the file to trust) and a server
certificate it signs for ``127.0.0.1`` (IP SAN) and ``localhost``, EC P-256 (fast to make),
valid a day. A CA plus leaf rather than one self-signed leaf, because strict verifiers (Python
3.13's ``VERIFY_X509_STRICT``) refuse a CA certificate presented as a server certificate.

The client side (:meth:`LoopbackCertificate.client_session`) sets ``verify`` to the CA file and
``trust_env = False``: with ``trust_env`` on, ``requests`` lets ``REQUESTS_CA_BUNDLE`` /
``CURL_CA_BUNDLE`` override a session's ``verify`` and applies ``HTTPS_PROXY`` to 127.0.0.1, so
the sandbox would be untrusted or unreachable on machines that set them (CI images do).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALIDITY = dt.timedelta(days=1)


@dataclass(frozen=True)
class LoopbackCertificate:
    """Files of one throwaway certificate: ``ca_path`` is what clients trust."""

    ca_path: Path
    cert_path: Path
    key_path: Path

    def server_context(self) -> ssl.SSLContext:
        """The context to give ``serve_in_thread`` (TLS 1.2 or later)."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_path, self.key_path)
        return context

    def client_session(self) -> requests.Session:
        """A session that trusts this certificate only, ignoring CA and proxy variables."""
        session = requests.Session()
        session.verify = str(self.ca_path)
        session.trust_env = False
        return session


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)


def make_loopback_certificate(folder: Path) -> LoopbackCertificate:
    """Make a CA and a server certificate for 127.0.0.1/localhost in ``folder`` (created if
    missing) and return their paths. The caller owns the folder: it holds a private key."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)  # tolerate clock skew

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("plansync sandbox CA")
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
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
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )

    certificate = LoopbackCertificate(
        ca_path=folder / "sandbox-ca.pem",
        cert_path=folder / "sandbox-server.pem",
        key_path=folder / "sandbox-server.key",
    )
    certificate.ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    certificate.cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_key(certificate.key_path, key)
    return certificate
