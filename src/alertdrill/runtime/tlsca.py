"""A certificate authority made for one run, and a server certificate it signs.

Why: FLUO's Alertmanager config says `smtp_require_tls: true`. A drill must not turn TLS off to
catch mail, so the SMTP sink offers STARTTLS with a certificate for the names Alertmanager dials
(127.0.0.1 locally, the recorder Service in a cluster), signed by a CA that exists only for this
run and that only this run's Alertmanager is told to trust (`tls_config.ca_file`).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from alertdrill.runtime.atomic import write_text_atomic

#: Long enough for any run (a scale-1 night), short enough that a leaked key is worthless soon.
VALIDITY = dt.timedelta(days=2)


@dataclass(frozen=True)
class RunCertificates:
    """Paths of the run's CA certificate and the sink's certificate chain and key."""

    ca_file: Path
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.cert_file, self.key_file)
        return ctx


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "alertdrill"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def issue_run_certificates(out_dir: Path, hosts: list[str], validity: dt.timedelta = VALIDITY) -> RunCertificates:
    """Write `ca.pem`, `sink.pem` and `sink.key` (0600) for `hosts` (IP addresses or DNS names)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)  # tolerate a little clock skew
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"alertdrill run CA {out_dir.parent.name}")
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + validity)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    alt_names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            alt_names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            alt_names.append(x509.DNSName(host))
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(hosts[0]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + validity)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    certs = RunCertificates(out_dir / "ca.pem", out_dir / "sink.pem", out_dir / "sink.key")
    write_text_atomic(certs.ca_file, ca.public_bytes(serialization.Encoding.PEM).decode())
    write_text_atomic(certs.cert_file, cert.public_bytes(serialization.Encoding.PEM).decode())
    write_text_atomic(certs.key_file, _pem_key(key).decode())
    certs.key_file.chmod(0o600)
    return certs
