"""Lab results: a list per patient, and each result as a downloadable PDF report.

    GET /api/v1/lab-results                 (bearer)
    GET /api/v1/lab-results/{id}/pdf        (bearer) application/pdf with Content-Length

Results are derived from the seed and the patient's NIK, so they are the same in every process
and need no storage. The PDF is a real multi-page document of a few tens of KB (see pdf.py).
"""

# No `from __future__ import annotations` here: FastAPI reads the endpoint annotations at runtime,
# and they name dependencies local to `router()`.
import datetime as dt
import hashlib
import random
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel

from mock_services.common.dataset import REFERENCE_DATE, Dataset, Patient
from mock_services.patient_app.auth import PREFIX, CurrentPatient
from mock_services.patient_app.context import Context
from mock_services.patient_app.envelope import Envelope, ErrorCode, app_error, ok
from mock_services.patient_app.pdf import build_pdf

PDF_TYPE = "application/pdf"

# (panel, [(parameter, unit, low, high)]): common Indonesian hospital lab panels.
PANELS: tuple[tuple[str, tuple[tuple[str, str, float, float], ...]], ...] = (
    (
        "Hematologi Lengkap",
        (
            ("Hemoglobin", "g/dL", 12.0, 16.0),
            ("Leukosit", "10^3/uL", 4.0, 10.0),
            ("Trombosit", "10^3/uL", 150.0, 400.0),
            ("Hematokrit", "%", 37.0, 48.0),
            ("Eritrosit", "10^6/uL", 4.2, 5.4),
        ),
    ),
    (
        "Kimia Klinik",
        (
            ("Glukosa Darah Puasa", "mg/dL", 70.0, 100.0),
            ("Kreatinin", "mg/dL", 0.6, 1.2),
            ("Ureum", "mg/dL", 10.0, 50.0),
            ("SGOT", "U/L", 0.0, 35.0),
            ("SGPT", "U/L", 0.0, 45.0),
        ),
    ),
    (
        "Profil Lipid",
        (
            ("Kolesterol Total", "mg/dL", 0.0, 200.0),
            ("HDL", "mg/dL", 40.0, 80.0),
            ("LDL", "mg/dL", 0.0, 130.0),
            ("Trigliserida", "mg/dL", 0.0, 150.0),
        ),
    ),
    (
        "Urinalisis",
        (
            ("Berat Jenis", "", 1.005, 1.030),
            ("pH", "", 4.5, 8.0),
            ("Protein", "mg/dL", 0.0, 15.0),
            ("Leukosit Urin", "/LPB", 0.0, 5.0),
        ),
    ),
)


class LabItemOut(BaseModel):
    parameter: str
    hasil: float
    satuan: str
    nilaiRujukan: str
    flag: str  # "" normal, "H" high, "L" low


class LabResultOut(BaseModel):
    id: str
    tanggal: str
    jenisPemeriksaan: str
    status: str
    dokterPengirim: str
    hasil: list[LabItemOut]
    ukuranBerkas: int
    berkasUrl: str


@dataclass(frozen=True, slots=True)
class LabResult:
    id: str
    tanggal: dt.date
    panel: str
    doctor: str
    items: tuple[LabItemOut, ...]


def results_of(dataset: Dataset, nik: str) -> tuple[LabResult, ...]:
    """A patient's lab results, newest first: derived from the seed and the NIK (also the
    harness's truth, harness.load.truth)."""
    rng = random.Random(f"lab:{dataset.seed}:{nik}")
    doctors = [d.namadokter for d in dataset.doctors]
    results = []
    for index in range(rng.randint(1, 3)):
        panel, params = PANELS[rng.randrange(len(PANELS))]
        items = []
        for name, unit, low, high in params:
            value = round(rng.uniform(low * 0.8, high * 1.2 if high else 1.0), 2)
            flag = "H" if value > high else "L" if value < low else ""
            items.append(
                LabItemOut(
                    parameter=name,
                    hasil=value,
                    satuan=unit,
                    nilaiRujukan=f"{low:g}-{high:g}",
                    flag=flag,
                )
            )
        digest = hashlib.sha256(f"{dataset.seed}:{nik}:{index}".encode()).hexdigest()[:10].upper()
        results.append(
            LabResult(
                id=f"LAB{digest}",
                tanggal=REFERENCE_DATE - dt.timedelta(days=rng.randint(1, 365)),
                panel=panel,
                doctor=rng.choice(doctors),
                items=tuple(items),
            )
        )
    return tuple(sorted(results, key=lambda r: r.tanggal, reverse=True))


def _report_lines(dataset: Dataset, patient: Patient, result: LabResult) -> list[list[str]]:
    facility = dataset.facility
    header = [
        facility.nama,
        facility.alamat,
        f"Telp. {facility.telepon}",
        "",
        "LAPORAN HASIL PEMERIKSAAN LABORATORIUM",
        "",
        f"No. Lab        : {result.id}",
        f"Tanggal        : {result.tanggal.isoformat()}",
        f"Nama Pasien    : {patient.nama}",
        f"NIK            : {patient.nik}",
        f"No. RM         : {patient.noMR}",
        f"Tanggal Lahir  : {patient.tglLahir}",
        f"Dokter Pengirim: {result.doctor}",
        f"Pemeriksaan    : {result.panel}",
        "",
        f"{'Parameter':<28}{'Hasil':>10}  {'Satuan':<10}{'Nilai Rujukan':<16}Flag",
        "-" * 72,
    ]
    header += [
        f"{i.parameter:<28}{i.hasil:>10g}  {i.satuan:<10}{i.nilaiRujukan:<16}{i.flag}"
        for i in result.items
    ]
    header += ["-" * 72, "", "Hasil telah divalidasi oleh dokter penanggung jawab laboratorium."]
    pages = [header]
    # Method notes and the quality-control log: what makes a real report a few tens of KB.
    rng = random.Random(f"labpdf:{result.id}")
    for page in range(1, 5):
        lines = [f"Lampiran {page}: catatan metode dan kendali mutu ({result.id})", ""]
        for row in range(60):
            lot = rng.randint(100000, 999999)
            cv = rng.uniform(0.5, 4.5)
            lines.append(
                f"{page:02d}.{row + 1:03d}  QC lot {lot}  level {1 + row % 3}  CV {cv:4.2f}%  "
                f"alat AUTOANALYZER-{rng.randint(1, 4)}  status: dalam batas kendali (Westgard)"
            )
        pages.append(lines)
    return pages


def _report_pdf(dataset: Dataset, patient: Patient, result: LabResult) -> bytes:
    created = f"D:{result.tanggal:%Y%m%d}090000+07'00'"
    return build_pdf(
        _report_lines(dataset, patient, result),
        title=f"Hasil Laboratorium {result.id}",
        created=created,
    )


class LabCatalog:
    """Each patient's results and their PDFs, built on first use and kept (bounded)."""

    MAX_CACHED_PDFS = 128

    def __init__(self, dataset: Dataset) -> None:
        self._dataset = dataset
        self._results: dict[str, tuple[LabResult, ...]] = {}
        self._pdfs: dict[str, bytes] = {}

    def results(self, nik: str) -> tuple[LabResult, ...]:
        found = self._results.get(nik)
        if found is None:
            found = self._results[nik] = results_of(self._dataset, nik)
        return found

    def pdf(self, patient: Patient, result: LabResult) -> bytes:
        found = self._pdfs.get(result.id)
        if found is None:
            if len(self._pdfs) >= self.MAX_CACHED_PDFS:
                self._pdfs.clear()
            found = self._pdfs[result.id] = _report_pdf(self._dataset, patient, result)
        return found


def router(ctx: Context, current_patient: CurrentPatient) -> APIRouter:
    api = APIRouter(prefix=PREFIX, tags=["lab results"])
    Me = Annotated[Patient, Depends(current_patient)]
    catalog = LabCatalog(ctx.dataset)

    def out(patient: Patient, result: LabResult) -> LabResultOut:
        return LabResultOut(
            id=result.id,
            tanggal=result.tanggal.isoformat(),
            jenisPemeriksaan=result.panel,
            status="FINAL",
            dokterPengirim=result.doctor,
            hasil=list(result.items),
            ukuranBerkas=len(catalog.pdf(patient, result)),
            berkasUrl=f"{PREFIX}/lab-results/{result.id}/pdf",
        )

    @api.get("/lab-results", response_model=Envelope[list[LabResultOut]])
    async def lab_results(patient: Me) -> Response:
        return ok([out(patient, r) for r in catalog.results(patient.nik)])

    @api.get(
        "/lab-results/{result_id}/pdf",
        response_class=Response,
        responses={
            200: {"content": {PDF_TYPE: {"schema": {"type": "string", "format": "binary"}}}}
        },
    )
    async def lab_result_pdf(
        patient: Me, result_id: Annotated[str, Path(min_length=1, max_length=40)]
    ) -> Response:
        result = next((r for r in catalog.results(patient.nik) if r.id == result_id), None)
        if result is None:
            raise app_error(ErrorCode.NOT_FOUND, f"no lab result {result_id!r} for this patient")
        return Response(
            content=catalog.pdf(patient, result),
            media_type=PDF_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{result.id}.pdf"'},
        )

    return api
