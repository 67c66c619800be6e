"""The truth load users judge answers by (harness.load.truth): the same timetable, lab results
and certificate key the mocks derive from the seed, so a user needs no request to know them."""

from __future__ import annotations

import datetime as dt

import pytest

from harness.load.truth import Truth
from mock_services.common.dataset import generate
from mock_services.patient_app.certificates import signed, vaccination_certificate
from mock_services.patient_app.certificates_signing import CertificateSigner
from mock_services.patient_app.lab import results_of
from mock_services.patient_app.options import dev_secret

pytestmark = pytest.mark.unit

SEED = 27102025
DATA = generate(SEED, 40)
TRUTH = Truth(DATA)
PATIENT = DATA.patients[3]


def _signed_certificate(seed: int = SEED) -> dict[str, object]:
    signer = CertificateSigner(dev_secret("certificate", seed))
    body: dict[str, object] = signed(signer, vaccination_certificate(DATA, PATIENT)).model_dump(
        mode="json"
    )
    return body


def test_a_certificate_the_patient_app_signed_verifies() -> None:
    assert TRUTH.verify_certificate(_signed_certificate(), nik=PATIENT.nik) is None


def test_a_certificate_changed_after_signing_does_not() -> None:
    body = _signed_certificate()
    certificate = body["certificate"]
    assert isinstance(certificate, dict)
    certificate["vaksinasi"] = certificate["vaksinasi"][:1]  # a dose dropped on the way
    assert TRUTH.verify_certificate(body) == "the signature does not verify with the published key"


def test_a_certificate_signed_with_another_key_does_not() -> None:
    problem = TRUTH.verify_certificate(_signed_certificate(seed=SEED + 1))
    assert problem == "the signature does not verify with the published key"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"certificate": None, "signature": {"value": "x"}}, "no certificate in the answer"),
        ({"certificate": {}}, "no certificate in the answer"),
        ({"certificate": {"nik": "1"}, "signature": {}}, "the certificate carries no signature"),
        (
            {"certificate": {"nik": "1"}, "signature": {"value": "!!not base64!!"}},
            "the signature does not verify with the published key",
        ),
        ([], "the answer is not a JSON object"),
    ],
)
def test_what_is_not_a_signed_certificate_says_why(body: object, problem: str) -> None:
    assert TRUTH.verify_certificate(body) == problem


def test_another_patients_certificate_is_named() -> None:
    problem = TRUTH.verify_certificate(_signed_certificate(), nik=DATA.patients[0].nik)
    assert problem is not None
    assert PATIENT.nik in problem


def test_the_timetable_is_the_one_the_mocks_serve() -> None:
    day = dt.date(2026, 12, 2)
    for poli in TRUTH.polyclinics:
        slots = DATA.schedules_on(poli.kodepoli, day)
        assert TRUTH.schedule(poli.kodepoli, day.isoformat()) == slots
        assert TRUTH.practice_hours(poli.kodepoli, day) == {
            str(s.kodedokter): s.jadwal for s in slots
        }
    week = [day + dt.timedelta(days=n) for n in range(7)]
    assert any(TRUTH.schedule(p.kodepoli, d) for p in TRUTH.polyclinics for d in week)


def test_lab_results_and_patients_come_from_the_dataset() -> None:
    ids = TRUTH.lab_result_ids(PATIENT.nik)
    assert ids == tuple(r.id for r in results_of(DATA, PATIENT.nik))
    assert 1 <= len(ids) <= 3
    assert TRUTH.lab_result_ids("0" * 16) == ()
    assert TRUTH.patient(PATIENT.nik) == PATIENT
    assert TRUTH.patient("0" * 16) is None


def test_the_practice_day_is_the_first_with_slots_and_never_a_sunday() -> None:
    sunday = dt.date(2026, 12, 6)
    assert sunday.isoweekday() == 7
    for poli in TRUTH.polyclinics:
        assert not TRUTH.schedule(poli.kodepoli, sunday)  # the timetable has no Sundays
        day = TRUTH.practice_day(poli.kodepoli, sunday)
        assert sunday < day <= sunday + dt.timedelta(days=6)
        assert TRUTH.schedule(poli.kodepoli, day)
        assert all(
            not TRUTH.schedule(poli.kodepoli, sunday + dt.timedelta(days=n))
            for n in range((day - sunday).days)
        )
        assert TRUTH.practice_day(poli.kodepoli, day) == day
