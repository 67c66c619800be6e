"""Vaccination certificates as signed documents the app can store and verify offline.

    GET /api/v1/certificates/vaccination   (bearer) {"certificate": {...}, "signature": {...}}
    GET /api/v1/certificates/keys          (public) the verification keys as a JWK set

See certificates_signing.py for the signature scheme. The certificate is derived from the seed and
the NIK, so it is the same document, with the same signature, on every call and after a restart:
a stored copy stays valid while the backend is down (incident 3).
"""

# No `from __future__ import annotations` here: FastAPI reads the endpoint annotations at runtime,
# and they name dependencies local to `router()`.
import datetime as dt
import hashlib
import random
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel

from mock_services.common.dataset import Dataset, Patient
from mock_services.patient_app.auth import PREFIX, CurrentPatient
from mock_services.patient_app.certificates_signing import ALGORITHM, CertificateSigner
from mock_services.patient_app.context import Context
from mock_services.patient_app.envelope import Envelope, ok

VACCINES = (
    "CoronaVac (Sinovac)",
    "Vaxzevria (AstraZeneca)",
    "Comirnaty (Pfizer-BioNTech)",
    "Spikevax (Moderna)",
)
ISSUER = "Kementerian Kesehatan Republik Indonesia (mock, development key)"


class DoseOut(BaseModel):
    dosis: int
    namaVaksin: str
    tanggal: str
    nomorBatch: str
    faskes: str


class CertificateOut(BaseModel):
    certificateId: str
    jenis: str
    nik: str
    nama: str
    tglLahir: str
    vaksinasi: list[DoseOut]
    penerbit: str
    diterbitkan: str


class SignatureOut(BaseModel):
    alg: str
    kid: str
    value: str


class SignedCertificateOut(BaseModel):
    certificate: CertificateOut
    signature: SignatureOut


class JwkOut(BaseModel):
    kty: str
    crv: str
    alg: str
    use: str
    kid: str
    x: str


class KeySetOut(BaseModel):
    keys: list[JwkOut]


def vaccination_certificate(dataset: Dataset, patient: Patient) -> CertificateOut:
    rng = random.Random(f"vaccination:{dataset.seed}:{patient.nik}")
    when = dt.date(2021, 3, 1) + dt.timedelta(days=rng.randint(0, 200))
    doses = []
    for dose in range(1, rng.randint(2, 3) + 1):
        vaccine = VACCINES[rng.randrange(2)] if dose < 3 else rng.choice(VACCINES)
        doses.append(
            DoseOut(
                dosis=dose,
                namaVaksin=vaccine,
                tanggal=when.isoformat(),
                nomorBatch=f"{vaccine[:2].upper()}{rng.randint(100000, 999999)}",
                faskes=dataset.facility.nama,
            )
        )
        when += dt.timedelta(days=28 if dose == 1 else rng.randint(180, 300))
    digest = hashlib.sha256(f"{dataset.seed}:{patient.nik}".encode()).hexdigest()[:12].upper()
    return CertificateOut(
        certificateId=f"VC-{digest}",
        jenis="VAKSINASI COVID-19",
        nik=patient.nik,
        nama=patient.nama,
        tglLahir=patient.tglLahir,
        vaksinasi=doses,
        penerbit=ISSUER,
        diterbitkan=f"{doses[-1].tanggal}T10:00:00+07:00",
    )


def signed(signer: CertificateSigner, certificate: CertificateOut) -> SignedCertificateOut:
    return SignedCertificateOut(
        certificate=certificate,
        signature=SignatureOut(
            alg=ALGORITHM,
            kid=signer.kid,
            value=signer.sign(certificate.model_dump(mode="json")),
        ),
    )


def router(ctx: Context, current_patient: CurrentPatient) -> APIRouter:
    api = APIRouter(prefix=PREFIX, tags=["certificates"])
    keys = KeySetOut(keys=[JwkOut(**ctx.certificates.jwk())])

    @api.get("/certificates/vaccination", response_model=Envelope[SignedCertificateOut])
    async def vaccination(patient: Annotated[Patient, Depends(current_patient)]) -> Response:
        return ok(signed(ctx.certificates, vaccination_certificate(ctx.dataset, patient)))

    @api.get("/certificates/keys", response_model=Envelope[KeySetOut])
    async def verification_keys() -> Response:
        return ok(keys)

    return api
