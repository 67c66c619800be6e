"""FHIR R4 resources of the ERM: how they are built from the dataset, and what a client may post.

Systems and codes follow SATUSEHAT (shared/health-apis.md): the NIK and IHS-number identifier
systems, `http://sys-ids.kemkes.go.id/encounter/{orgId}` for Encounter identifiers, the v3 ActCode
classes AMB/EMER/IMP and LOINC vital signs. Posted resources are checked with pydantic models that
keep unknown elements (`extra="allow"`), so a client's extra FHIR elements are stored and echoed.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mock_services.common.dataset import REFERENCE_DATE, Dataset, Facility, Patient
from mock_services.erm.errors import FHIRError, IssueType

NIK_SYSTEM = "https://fhir.kemkes.go.id/id/nik"
IHS_SYSTEM = "https://fhir.kemkes.go.id/id/ihs-number"
ACT_CODE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
LOINC_SYSTEM = "http://loinc.org"
OBSERVATION_CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
SMART_OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"

# The dataset has no "last updated" time per patient: a fixed one keeps responses reproducible.
PATIENT_LAST_UPDATED = f"{REFERENCE_DATE.isoformat()}T08:00:00+00:00"

ENCOUNTER_CLASSES = {"AMB": "ambulatory", "EMER": "emergency", "IMP": "inpatient encounter"}

# LOINC vital signs (the FHIR vital-signs profile's codes).
VITAL_SIGNS = {
    "85354-9": "Blood pressure panel with all children optional",
    "8480-6": "Systolic blood pressure",
    "8462-4": "Diastolic blood pressure",
    "8867-4": "Heart rate",
    "9279-1": "Respiratory rate",
    "8310-5": "Body temperature",
    "29463-7": "Body weight",
    "8302-2": "Body height",
    "39156-5": "Body mass index (BMI) [Ratio]",
    "59408-5": "Oxygen saturation in Arterial blood by Pulse oximetry",
    "2708-6": "Oxygen saturation in Arterial blood",
    "9843-4": "Head Occipital-frontal circumference",
}


def encounter_system(facility: Facility) -> str:
    return f"http://sys-ids.kemkes.go.id/encounter/{facility.organization_id}"


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


# --- Patient ---------------------------------------------------------------------------------


def patient_resource(patient: Patient) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": patient.ihs_number,
        "meta": {"versionId": "1", "lastUpdated": PATIENT_LAST_UPDATED},
        "identifier": [
            {"use": "official", "system": NIK_SYSTEM, "value": patient.nik},
            {"use": "official", "system": IHS_SYSTEM, "value": patient.ihs_number},
        ],
        "active": True,
        "name": [{"use": "official", "text": patient.nama}],
        "telecom": [{"system": "phone", "value": patient.noTelepon, "use": "mobile"}],
        "gender": "female" if patient.sex == "P" else "male",
        "birthDate": patient.tglLahir,
        "address": [{"use": "home", "text": patient.alamat, "country": "ID"}],
    }


def searchset(
    resources: list[dict[str, Any]], *, base: str, self_url: str, resource_type: str
) -> dict[str, Any]:
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "link": [{"relation": "self", "url": self_url}],
    }
    if resources:
        bundle["entry"] = [
            {
                "fullUrl": f"{base}/{resource_type}/{r['id']}",
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in resources
        ]
    return bundle


# --- CapabilityStatement ---------------------------------------------------------------------


def capability_statement(*, token_url: str) -> dict[str, Any]:
    def search(*names: str) -> list[dict[str, str]]:
        return [{"name": n, "type": "date" if n == "date" else "token"} for n in names]

    def interactions(*codes: str) -> list[dict[str, str]]:
        return [{"code": c} for c in codes]

    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": REFERENCE_DATE.isoformat(),
        "kind": "instance",
        "software": {"name": "ERM mock (SATUSEHAT-like)"},
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/"
                                    "restful-security-service",
                                    "code": "OAuth",
                                }
                            ]
                        }
                    ],
                    "extension": [
                        {
                            "url": SMART_OAUTH_URIS,
                            "extension": [{"url": "token", "valueUri": token_url}],
                        }
                    ],
                },
                "resource": [
                    {
                        "type": "Patient",
                        "interaction": interactions("read", "search-type"),
                        "searchParam": search("identifier"),
                    },
                    {
                        "type": "Encounter",
                        "interaction": interactions(
                            "read", "create", "update", "patch", "search-type"
                        ),
                        "searchParam": search("subject", "date"),
                    },
                    {"type": "Observation", "interaction": interactions("read", "create")},
                ],
            }
        ],
    }


# --- what clients post -----------------------------------------------------------------------


class _Element(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Coding(_Element):
    system: str | None = None
    code: str | None = None
    display: str | None = None


class CodeableConcept(_Element):
    coding: Annotated[list[Coding], Field(min_length=1)]
    text: str | None = None


class Reference(_Element):
    reference: Annotated[str, Field(min_length=1, max_length=200)]
    display: str | None = None


def _check_datetime(value: str | None) -> str | None:
    if value is None:
        return value
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"{value!r} is not a FHIR dateTime (e.g. 2025-10-27T08:00:00+07:00)"
        ) from None
    if len(value) > 10 and parsed.tzinfo is None:
        raise ValueError(f"{value!r} needs a time zone (e.g. +07:00 or Z)")
    return value


class Period(_Element):
    start: str | None = None
    end: str | None = None

    _dates = field_validator("start", "end")(_check_datetime)


class Identifier(_Element):
    system: str | None = None
    value: str | None = None
    use: str | None = None


class EncounterStatus(StrEnum):
    PLANNED = "planned"
    ARRIVED = "arrived"
    TRIAGED = "triaged"
    IN_PROGRESS = "in-progress"
    ONLEAVE = "onleave"
    FINISHED = "finished"
    CANCELLED = "cancelled"
    ENTERED_IN_ERROR = "entered-in-error"
    UNKNOWN = "unknown"


# The SATUSEHAT outpatient flow; anything else (skipping a step, going back, leaving a final
# state) is rejected.
TRANSITIONS: dict[EncounterStatus, frozenset[EncounterStatus]] = {
    EncounterStatus.ARRIVED: frozenset({EncounterStatus.IN_PROGRESS, EncounterStatus.CANCELLED}),
    EncounterStatus.IN_PROGRESS: frozenset({EncounterStatus.FINISHED, EncounterStatus.CANCELLED}),
}


class StatusHistory(_Element):
    status: EncounterStatus
    period: Period


class EncounterIn(_Element):
    """An Encounter as posted (create) or put (update)."""

    resourceType: Literal["Encounter"]
    id: str | None = None
    status: EncounterStatus
    class_: Annotated[Coding, Field(alias="class")]
    subject: Reference
    period: Period
    identifier: list[Identifier] | None = None
    statusHistory: list[StatusHistory] | None = None
    serviceProvider: Reference | None = None


class Quantity(_Element):
    value: float
    unit: str | None = None
    system: str | None = None
    code: str | None = None


class ObservationIn(_Element):
    """An Observation as posted: a LOINC vital sign."""

    resourceType: Literal["Observation"]
    id: str | None = None
    status: Literal["registered", "preliminary", "final", "amended"]
    code: CodeableConcept
    subject: Reference
    encounter: Reference | None = None
    effectiveDateTime: str | None = None
    valueQuantity: Quantity | None = None
    component: list[dict[str, Any]] | None = None

    _dates = field_validator("effectiveDateTime")(_check_datetime)


def unprocessable(text: str, *, code: IssueType = IssueType.PROCESSING) -> FHIRError:
    return FHIRError(text, status=422, code=code)


def patient_id_of(reference: Reference, dataset: Dataset) -> str:
    """The IHS number a `Patient/{id}` reference points at; 422 if no such patient."""
    kind, _, ident = reference.reference.partition("/")
    if kind != "Patient" or not ident:
        raise unprocessable(
            f"subject.reference {reference.reference!r} must be 'Patient/<IHS number>'",
            code=IssueType.VALUE,
        )
    if ident not in patient_ids(dataset):
        raise unprocessable(
            f"subject {reference.reference!r}: no such Patient (search Patient by NIK first)",
            code=IssueType.NOT_FOUND,
        )
    return ident


def patient_ids(dataset: Dataset) -> frozenset[str]:
    return frozenset(p.ihs_number for p in dataset.patients)


def check_encounter(encounter: EncounterIn, facility: Facility) -> None:
    """Business rules beyond the shape: class, start time and the facility's identifier system."""
    if encounter.class_.system not in (None, ACT_CODE_SYSTEM) or (
        encounter.class_.code not in ENCOUNTER_CLASSES
    ):
        raise unprocessable(
            f"class must be a {ACT_CODE_SYSTEM} code, one of {', '.join(ENCOUNTER_CLASSES)}",
            code=IssueType.VALUE,
        )
    if encounter.period.start is None:
        raise unprocessable("period.start is required", code=IssueType.REQUIRED)
    expected = encounter_system(facility)
    for ident in encounter.identifier or ():
        if ident.system != expected or not ident.value:
            raise unprocessable(
                f"identifier must have system {expected!r} and a value", code=IssueType.VALUE
            )


def encounter_natural_key(encounter: EncounterIn, facility: Facility) -> str:
    """The facility's own identifier when given (what a replayed submission repeats), else
    subject + date: two encounters with the same key are the same visit entered twice."""
    system = encounter_system(facility)
    for ident in encounter.identifier or ():
        if ident.system == system and ident.value:
            return f"{system}|{ident.value}"
    start = encounter.period.start or ""
    return f"{encounter.subject.reference}|{start[:10]}"


def check_transition(old: EncounterStatus, new: EncounterStatus) -> None:
    if old == new:
        return
    if new not in TRANSITIONS.get(old, frozenset()):
        allowed = ", ".join(sorted(TRANSITIONS.get(old, frozenset()))) or "none (final state)"
        raise FHIRError(
            f"Illegal Encounter status transition {old.value} -> {new.value}; "
            f"allowed from {old.value}: {allowed}.",
            status=422,
            code=IssueType.BUSINESS_RULE,
        )


def with_status_history(
    resource: dict[str, Any], *, old: EncounterStatus | None, new: EncounterStatus, at: str
) -> dict[str, Any]:
    """`resource` with statusHistory carried forward: the previous status's period ends at `at`
    and the new one starts, unless the client already sent a history that ends in `new`."""
    history: list[dict[str, Any]] = list(resource.get("statusHistory") or [])
    if history and history[-1].get("status") == new.value:
        return {**resource, "statusHistory": history}
    if history and old is not None and history[-1].get("status") == old.value:
        last = dict(history[-1])
        last["period"] = {**last.get("period", {}), "end": at}
        history[-1] = last
    history.append({"status": new.value, "period": {"start": at}})
    out = {**resource, "statusHistory": history}
    if new in (EncounterStatus.FINISHED, EncounterStatus.CANCELLED):
        out["period"] = {**out.get("period", {}), "end": out.get("period", {}).get("end") or at}
    return out


def check_observation(observation: ObservationIn) -> str:
    """The LOINC vital-sign code of `observation`; 422 when it is not one or has no value."""
    loinc = [c.code for c in observation.code.coding if c.system == LOINC_SYSTEM and c.code]
    code = next((c for c in loinc if c in VITAL_SIGNS), None)
    if code is None:
        raise unprocessable(
            f"code.coding needs a LOINC ({LOINC_SYSTEM}) vital-sign code, one of "
            f"{', '.join(VITAL_SIGNS)}",
            code=IssueType.VALUE,
        )
    if observation.valueQuantity is None and not observation.component:
        raise unprocessable(
            "a vital sign needs valueQuantity (or component, for a panel)", code=IssueType.REQUIRED
        )
    return code
