"""HTTPS for a stack: a certificate authority made for one stack, and the mocks' certificate.

BPJS and SATUSEHAT are HTTPS-only, so a stack can serve every mock over TLS. Each stack (a
scenario run, a `harness up`, a pytest session) gets its own CA; the CA issues one server
certificate for 127.0.0.1 and localhost, which every mock of the stack serves. Clients trust the
CA file (the client file's `{ca_bundle}`); the harness's own calls to the mocks (readiness, admin
API, ledgers) verify against it too (`ssl_context`). Why: docs/decisions/0011-https-mocks.md.

    files = issue(run_dir / "tls")   # ca.pem, server.pem, server-key.pem (0600)
    files.ca_bundle                  # what clients trust, e.g. REQUESTS_CA_BUNDLE or CA_BUNDLE
    files.ssl_context()              # an ssl.SSLContext that trusts only this CA

The CA's private key is never written: nothing needs it once the server certificate is issued,
and a key that does not exist cannot be stolen to sign for other hosts.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_FILE: Final = "ca.pem"
CERT_FILE: Final = "server.pem"
KEY_FILE: Final = "server-key.pem"
HOSTS: Final = ("127.0.0.1", "localhost")
VALID_FOR: Final = dt.timedelta(days=30)  # a `harness up` may stay up for days
BACKDATE: Final = dt.timedelta(minutes=5)  # clocks a little behind still accept it


@dataclass(frozen=True)
class TlsFiles:
    """Where a stack's TLS files are: the CA certificate clients trust, the mocks' certificate
    and its private key (PEM)."""

    directory: Path

    @classmethod
    def of_ca_bundle(cls, ca_bundle: str | os.PathLike[str]) -> TlsFiles:
        """The files next to a CA bundle that `issue` wrote (as a stack's state file names it)."""
        return cls(Path(ca_bundle).parent)

    @property
    def ca_bundle(self) -> Path:
        return self.directory / CA_FILE

    @property
    def cert(self) -> Path:
        return self.directory / CERT_FILE

    @property
    def key(self) -> Path:
        return self.directory / KEY_FILE

    def ssl_context(self) -> ssl.SSLContext:
        """A client context that verifies the mocks against this CA only (and their host name)."""
        return ssl.create_default_context(cafile=str(self.ca_bundle))


def issue(directory: Path, *, now: dt.datetime | None = None) -> TlsFiles:
    """Make a CA and a server certificate for 127.0.0.1 and localhost, written to `directory`.

    Any files an earlier stack left there are replaced. The key file is readable by its owner
    only (0600); the certificates are public.
    """
    now = now or dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "health resilience harness"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"harness test CA {now:%Y-%m-%d %H:%M:%S}"),
        ]
    )
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        _builder(ca_name, ca_name, ca_key.public_key(), now)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.IPAddress(ipaddress.ip_address(HOSTS[0]))]
    names += [x509.DNSName(host) for host in HOSTS[1:]]
    cert = (
        _builder(
            x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]),
            ca_name,
            key.public_key(),
            now,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    files = TlsFiles(directory)
    directory.mkdir(parents=True, exist_ok=True)
    _write(files.ca_bundle, ca_cert.public_bytes(serialization.Encoding.PEM), mode=0o644)
    _write(files.cert, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write(files.key, private, mode=0o600)
    return files


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey, now: dt.datetime
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + VALID_FOR)
    )


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _write(path: Path, data: bytes, *, mode: int) -> None:
    """Write `data` to a new file created with `mode` (never briefly wider), then move it in."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.chmod(tmp, mode)  # the umask may have narrowed it; the certificates are meant to be read
    tmp.replace(path)
