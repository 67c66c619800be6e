"""The stack's TLS material (harness/stack/tls.py): a CA per stack and the mocks' certificate.

Unit tests: the certificates are parsed and verified in process (cryptography's own X.509
verifier, the same rules a TLS client applies), no socket. The HTTPS stack itself is tested on
real processes in tests/test_tls_stack.py.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from harness.stack.tls import CA_FILE, CERT_FILE, KEY_FILE, VALID_FOR, TlsFiles, issue

pytestmark = pytest.mark.unit

NOW = dt.datetime(2025, 3, 3, 8, 0, tzinfo=dt.UTC)


def _load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _verify(files: TlsFiles, host: x509.verification.Subject, *, at: dt.datetime) -> None:
    store = Store([_load(files.ca_bundle)])
    verifier = PolicyBuilder().store(store).time(at).build_server_verifier(host)
    verifier.verify(_load(files.cert), [])


def test_the_server_certificate_verifies_for_127_0_0_1_and_localhost(tmp_path: Path) -> None:
    files = issue(tmp_path / "tls", now=NOW)

    _verify(files, x509.IPAddress(ipaddress.ip_address("127.0.0.1")), at=NOW)
    _verify(files, x509.DNSName("localhost"), at=NOW)
    with pytest.raises(VerificationError):
        _verify(files, x509.DNSName("bpjs-kesehatan.go.id"), at=NOW)
    with pytest.raises(VerificationError):
        _verify(files, x509.IPAddress(ipaddress.ip_address("10.0.0.1")), at=NOW)


def test_it_is_valid_from_a_little_before_now_for_the_whole_validity(tmp_path: Path) -> None:
    files = issue(tmp_path, now=NOW)
    localhost = x509.DNSName("localhost")

    _verify(files, localhost, at=NOW - dt.timedelta(minutes=1))  # a clock a little behind
    _verify(files, localhost, at=NOW + VALID_FOR - dt.timedelta(minutes=1))
    with pytest.raises(VerificationError):
        _verify(files, localhost, at=NOW + VALID_FOR + dt.timedelta(minutes=1))
    with pytest.raises(VerificationError):
        _verify(files, localhost, at=NOW - dt.timedelta(hours=1))


def test_the_ca_signs_certificates_only_and_the_server_certificate_serves_only(
    tmp_path: Path,
) -> None:
    files = issue(tmp_path, now=NOW)
    ca, leaf = _load(files.ca_bundle), _load(files.cert)

    ca_constraints = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    assert ca_constraints.critical
    assert (ca_constraints.value.ca, ca_constraints.value.path_length) == (True, 0)
    ca_usage = ca.extensions.get_extension_for_class(x509.KeyUsage).value
    assert (ca_usage.key_cert_sign, ca_usage.crl_sign, ca_usage.digital_signature) == (
        True,
        True,
        False,
    )

    assert leaf.issuer == ca.subject
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    leaf_usage = leaf.extensions.get_extension_for_class(x509.KeyUsage)
    assert leaf_usage.critical
    assert (leaf_usage.value.digital_signature, leaf_usage.value.key_cert_sign) == (True, False)
    extended = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(extended) == [ExtendedKeyUsageOID.SERVER_AUTH]
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]


def test_the_key_is_the_certificates_and_only_its_owner_reads_it(tmp_path: Path) -> None:
    files = issue(tmp_path, now=NOW)

    key = load_pem_private_key(files.key.read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert key.public_key() == _load(files.cert).public_key()
    assert stat.S_IMODE(files.key.stat().st_mode) == 0o600
    assert stat.S_IMODE(files.ca_bundle.stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([CA_FILE, CERT_FILE, KEY_FILE])


def test_each_stack_gets_its_own_ca_and_a_new_one_replaces_the_old(tmp_path: Path) -> None:
    first = issue(tmp_path / "a", now=NOW)
    other = issue(tmp_path / "b", now=NOW)
    old_ca = first.ca_bundle.read_bytes()
    again = issue(tmp_path / "a", now=NOW)

    assert first.ca_bundle.read_bytes() != other.ca_bundle.read_bytes()
    assert again.ca_bundle.read_bytes() != old_ca
    old_store = Store([x509.load_pem_x509_certificate(old_ca)])
    verifier = PolicyBuilder().store(old_store).time(NOW)
    verifier_for_localhost = verifier.build_server_verifier(x509.DNSName("localhost"))
    with pytest.raises(VerificationError):  # an old CA does not vouch for the new certificate
        verifier_for_localhost.verify(_load(again.cert), [])
    assert stat.S_IMODE(again.key.stat().st_mode) == 0o600


def test_the_ssl_context_trusts_this_ca_only_and_checks_host_names(tmp_path: Path) -> None:
    files = issue(tmp_path)

    context = files.ssl_context()

    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    [trusted] = context.get_ca_certs()  # not the system's trust store
    assert (("organizationName", "health resilience harness"),) in trusted["subject"]
    assert TlsFiles.of_ca_bundle(files.ca_bundle) == files
