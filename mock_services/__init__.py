"""Mock health backends for resilience testing.

- `mock_services.bpjs`: BPJS Kesehatan VClaim v2 and Antrean RS, with real signatures and
  encrypted, LZ-string-compressed responses;
- `mock_services.erm`: a SATUSEHAT-like FHIR R4 ERM plus the facility's visit registration, with a
  ledger that proves nothing was lost or entered twice;
- `mock_services.patient_app`: a hospital patient-app backend (login, schedules, booking, queue,
  lab results, certificates, e-HAC style declarations);
- `mock_services.common`: what they share (app factory, faults, dataset, storage, serving).

Start one with `python -m mock_services <bpjs|erm|patient-app> --port N --seed S`.
The mocks know nothing of the harness; the harness drives them over HTTP.
"""
