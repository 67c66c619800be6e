"""The BPJS Kesehatan mock: VClaim v2 and Antrean RS, as real hospital clients expect them.

    python -m mock_services bpjs --port 8081 --seed 1 [--db bpjs.sqlite]

Development defaults (flags in parentheses):

- credentials: cons id "1000" (`--cons-id`), secret "mock-secret" (`--secret`),
  user key "mock-user-key" (`--user-key`);
- path prefixes: `/vclaim-rest` (`--vclaim-prefix`; the real dev path is `/vclaim-rest-dev`) and
  `/antreanrs` (`--antrean-prefix`);
- allowed clock skew between X-timestamp and the server clock: 300 s either way (`--max-skew`);
- storage: in memory unless `--db PATH` (SQLite, WAL) is given.

Every request must carry X-cons-id, X-timestamp, X-signature and user_key (names in any case);
X-signature is base64(HMAC-SHA256(secret, "{consid}&{timestamp}")). Responses with a payload carry
it encrypted: base64(AES-256-CBC(key=SHA-256(consid+secret+timestamp), iv=key[:16], PKCS7(
LZString.compressToEncodedURIComponent(json)))). VClaim answers `{"metaData": {"code": "200", ...},
"response": ...}` with string codes, Antrean RS `{"metadata": {"code": 200, ...}, ...}` with integer
codes; errors the service itself answers come with HTTP 200 and their code ("201" not found or
refused, "400" malformed input, "401" signature/credentials), see `envelopes`.

Modules: `config` (flags), `auth` (signature), `crypto` (AES + LZ-string), `codec` (payload faults,
compression cache, encryption), `envelopes` (both envelopes, error rendering), `bodies` (request
bodies), `peserta` and `rujukan` (payloads from the shared dataset), `store` (SQLite), `tasks`
(updatewaktu rules), `vclaim` and `antrean` (routes), `openapi` (the schema), `app` (wiring).
"""

from __future__ import annotations

from mock_services.bpjs.app import build_app
from mock_services.bpjs.config import add_arguments
from mock_services.common.service import ServiceDefinition
from service_contract.services import ServiceName

SERVICE = ServiceDefinition(
    name=ServiceName.BPJS,
    summary="BPJS VClaim v2 + Antrean RS mock (signed requests, encrypted responses)",
    default_port=8081,
    add_arguments=add_arguments,
    build_app=build_app,
)

__all__ = ["SERVICE"]
