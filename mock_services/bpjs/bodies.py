"""Request bodies of the BPJS endpoints, and reading them whatever the Content-Type says.

Real clients send raw JSON, often under `Content-Type: Application/x-www-form-urlencoded`, so bodies
are never parsed by the framework: `parse_body` reads the bytes as JSON and validates them against
one of these models, and every problem becomes a one-line error naming the field.
Only the fields this mock uses are required; real clients send many more, which are ignored.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mock_services.common.app import ServiceError

BAD_INPUT_CODE = "400"

Digits13 = Annotated[str, Field(pattern=r"^[0-9]{13}$", description="13-digit BPJS card number")]
Digits16 = Annotated[str, Field(pattern=r"^[0-9]{16}$", description="16-digit NIK")]
NonEmpty = Annotated[str, Field(min_length=1, max_length=200)]
EpochMs = Annotated[int, Field(ge=0, le=10**14, description="Unix time in milliseconds")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


# --- VClaim ----------------------------------------------------------------------------------


class KlsRawat(_Body):
    klsRawatHak: str = "3"
    klsRawatNaik: str = ""
    pembiayaan: str = ""
    penanggungJawab: str = ""


class RujukanRef(_Body):
    asalRujukan: str = "1"
    tglRujukan: str = ""
    noRujukan: str = ""
    ppkRujukan: str = ""


class PoliTujuan(_Body):
    tujuan: NonEmpty
    eksekutif: Literal["0", "1"] = "0"


class TSep(_Body):
    noKartu: Digits13
    tglSep: dt.date
    ppkPelayanan: NonEmpty
    jnsPelayanan: Literal["1", "2"] = Field(description="1 rawat inap, 2 rawat jalan")
    klsRawat: KlsRawat = KlsRawat()
    noMR: NonEmpty
    rujukan: RujukanRef = RujukanRef()
    catatan: str = ""
    diagAwal: NonEmpty
    poli: PoliTujuan
    dpjpLayan: str = ""
    noTelp: str = ""
    user: NonEmpty


class SepInsertRequest(_Body):
    t_sep: TSep


class SepInsertBody(_Body):
    """`POST SEP/2.0/insert`."""

    request: SepInsertRequest


class TSepDelete(_Body):
    noSep: NonEmpty
    user: NonEmpty


class SepDeleteRequest(_Body):
    t_sep: TSepDelete


class SepDeleteBody(_Body):
    """`DELETE SEP/2.0/delete`."""

    request: SepDeleteRequest


# --- Antrean RS ------------------------------------------------------------------------------


class AntreanAddBody(_Body):
    """`POST antrean/add`."""

    kodebooking: NonEmpty
    jenispasien: Literal["JKN", "NON JKN"]
    nomorkartu: str = ""
    nik: Digits16
    nohp: str = ""
    kodepoli: NonEmpty
    namapoli: str = ""
    pasienbaru: Literal[0, 1]
    norm: str = ""
    tanggalperiksa: dt.date
    kodedokter: int
    namadokter: str = ""
    jampraktek: str = ""
    jeniskunjungan: Annotated[int, Field(ge=1, le=4)]
    nomorreferensi: str = ""
    nomorantrean: str = ""
    angkaantrean: int = 0
    estimasidilayani: EpochMs = 0
    sisakuotajkn: int = 0
    kuotajkn: int = 0
    sisakuotanonjkn: int = 0
    kuotanonjkn: int = 0
    keterangan: str = ""


class UpdateWaktuBody(_Body):
    """`POST antrean/updatewaktu`."""

    kodebooking: NonEmpty
    taskid: int
    waktu: EpochMs


class BatalBody(_Body):
    """`POST antrean/batal`."""

    kodebooking: NonEmpty
    keterangan: str = ""


class KodeBookingBody(_Body):
    """`POST antrean/getlisttask`."""

    kodebooking: NonEmpty


M = TypeVar("M", bound=BaseModel)


def _describe(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    return f"{where}: {first['msg']}"


def parse_body(raw: bytes, model: type[M]) -> M:
    """The body as `model`, or a ServiceError (code "400") saying what is wrong with it."""
    if not raw.strip():
        raise ServiceError(
            f"empty request body: send the JSON {model.__name__} (raw JSON; any Content-Type)",
            code=BAD_INPUT_CODE,
        )
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ServiceError(
            f"request body is not valid JSON ({exc}): send raw JSON, whatever the Content-Type",
            code=BAD_INPUT_CODE,
        ) from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ServiceError(f"invalid request body: {_describe(exc)}", code=BAD_INPUT_CODE) from None


def parse_date(value: str, *, name: str) -> dt.date:
    """A path date in yyyy-MM-dd, or a ServiceError naming the parameter."""
    try:
        if len(value) != 10:
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ServiceError(
            f"invalid {name} {value[:20]!r}: use a real date as yyyy-MM-dd", code=BAD_INPUT_CODE
        ) from None
