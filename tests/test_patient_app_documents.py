"""Patient-app lab results (list + real PDF download) and signed vaccination certificates."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tests.patient_app_support import API, active_patients, authed, running_patient_app

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    with running_patient_app(tmp_path_factory.mktemp("patient-app-documents")) as (_, client):
        yield client


def check_pdf(data: bytes) -> int:
    """Validate the PDF's structure independently; return its page count."""
    assert data.startswith(b"%PDF-1.")
    assert data.rstrip().endswith(b"%%EOF")
    startxref = int(re.findall(rb"startxref\s+(\d+)\s+%%EOF", data)[-1])
    assert data[startxref : startxref + 4] == b"xref"
    header = re.match(rb"xref\s+0 (\d+)\s+", data[startxref:])
    assert header is not None
    count = int(header.group(1))
    table = data[startxref + header.end() :]
    entries = [table[i * 20 : (i + 1) * 20] for i in range(count)]
    assert entries[0].startswith(b"0000000000 65535 f")
    for number, entry in enumerate(entries[1:], start=1):
        offset = int(entry[:10])
        assert data[offset:].startswith(f"{number} 0 obj".encode()), f"object {number} misplaced"
    for match in re.finditer(rb"<< /Length (\d+) >>\nstream\n", data):
        length = int(match.group(1))
        assert data[match.end() + length : match.end() + length + 10] == b"\nendstream"
    pages = re.search(rb"/Type /Pages /Count (\d+)", data)
    assert pages is not None
    return int(pages.group(1))


def test_lab_results_list_and_pdf_download(app: httpx.Client) -> None:
    patient = active_patients()[0]
    headers = authed(app, patient)
    results = app.get(f"{API}/lab-results", headers=headers)
    assert results.status_code == 200
    items = results.json()["data"]
    assert 1 <= len(items) <= 3
    for item in items:
        assert item["status"] == "FINAL"
        assert item["hasil"]
        pdf = app.get(item["berkasUrl"], headers=headers)
        assert pdf.status_code == 200
        assert pdf.headers["content-type"] == "application/pdf"
        assert int(pdf.headers["content-length"]) == len(pdf.content) == item["ukuranBerkas"]
        assert 20_000 <= len(pdf.content) <= 200_000
        assert check_pdf(pdf.content) >= 2
        assert patient.nik.encode() in pdf.content
        assert item["id"].encode() in pdf.content
        # Deterministic: the same bytes on every download.
        assert app.get(item["berkasUrl"], headers=headers).content == pdf.content


def test_other_patients_lab_result_is_not_found(app: httpx.Client) -> None:
    owner = authed(app, active_patients()[1])
    url = app.get(f"{API}/lab-results", headers=owner).json()["data"][0]["berkasUrl"]
    stranger = authed(app, active_patients()[2])
    response = app.get(url, headers=stranger)
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"
    assert app.get(f"{API}/lab-results/NOPE/pdf", headers=owner).status_code == 404


def _public_key(app: httpx.Client, kid: str) -> Ed25519PublicKey:
    keys = app.get(f"{API}/certificates/keys").json()["data"]["keys"]
    jwk = next(k for k in keys if k["kid"] == kid)
    assert (jwk["kty"], jwk["crv"]) == ("OKP", "Ed25519")
    raw = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
    return Ed25519PublicKey.from_public_bytes(raw)


def _verify(app: httpx.Client, document: dict[str, Any]) -> None:
    """The documented scheme, implemented here: canonical JSON of `certificate`, Ed25519."""
    signature = document["signature"]
    assert signature["alg"] == "Ed25519"
    message = json.dumps(
        document["certificate"], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()
    value = base64.urlsafe_b64decode(signature["value"] + "=" * (-len(signature["value"]) % 4))
    _public_key(app, signature["kid"]).verify(value, message)


def test_vaccination_certificate_verifies_offline(app: httpx.Client) -> None:
    patient = active_patients()[3]
    response = app.get(f"{API}/certificates/vaccination", headers=authed(app, patient))
    assert response.status_code == 200
    document = response.json()["data"]
    certificate = document["certificate"]
    assert certificate["nik"] == patient.nik
    assert certificate["nama"] == patient.nama
    assert len(certificate["vaksinasi"]) >= 2
    _verify(app, document)
    # Stable: the stored copy is the same document the backend serves next time.
    again = app.get(f"{API}/certificates/vaccination", headers=authed(app, patient))
    assert again.json()["data"] == document


def test_tampered_certificate_fails_verification(app: httpx.Client) -> None:
    document = app.get(
        f"{API}/certificates/vaccination", headers=authed(app, active_patients()[4])
    ).json()["data"]
    document["certificate"]["nama"] = "SOMEONE ELSE"
    with pytest.raises(InvalidSignature):
        _verify(app, document)


def test_certificates_need_a_token(app: httpx.Client) -> None:
    response = app.get(f"{API}/certificates/vaccination")
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED"
