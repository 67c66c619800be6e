"""The two BPJS envelopes, and the error renderer that picks one by path prefix.

- VClaim: `{"metaData": {"code": "200", "message": "OK"}, "response": ...}`, string codes.
- Antrean RS: `{"metadata": {"code": 200, "message": "Ok"}, "response": ...}`, integer codes.

Codes this mock uses (the real services' exact messages are unconfirmed): "200" OK, "201" not found
or refused by a business rule, "400" malformed input, "401" signature/credential problem, "404" and
"405" unknown route or method, "500" internal error. Errors the service itself answers (bad input,
bad signature, not found) come with HTTP 200, as BPJS does; an explicit status wins (the app
factory's 404/405 for unknown routes and methods, 400 for framework validation, 500 for an
unexpected exception, or a `status` given to a service_error fault).
"""

from __future__ import annotations

import json
from enum import StrEnum

from starlette.responses import Response

from mock_services.common.faults import ErrorRenderer
from service_contract.faults import ServiceErrorParams

JSON = "application/json"
_JSON_BYTES = JSON.encode()


class Flavor(StrEnum):
    VCLAIM = "vclaim"
    ANTREAN = "antrean"


def _antrean_code(code: str) -> int:
    try:
        return int(code)
    except ValueError:
        return 201  # a non-numeric code given to a fault: still an integer, as Antrean RS sends


def envelope(flavor: Flavor, *, code: str, message: str, response: object = None) -> bytes:
    """The serialised envelope; `response=None` gives `"response": null`."""
    if flavor is Flavor.VCLAIM:
        body: dict[str, object] = {"metaData": {"code": code, "message": message}}
    else:
        body = {"metadata": {"code": _antrean_code(code), "message": message}}
    body["response"] = response
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def metadata_only(flavor: Flavor, *, message: str) -> bytes:
    """An Antrean RS action's answer (add, updatewaktu, batal): metadata and no response field."""
    if flavor is Flavor.VCLAIM:
        return envelope(flavor, code="200", message=message)
    return json.dumps({"metadata": {"code": 200, "message": message}}).encode()


_OK_PREFIX = {
    Flavor.VCLAIM: b'{"metaData":{"code":"200","message":"OK"},"response":"',
    Flavor.ANTREAN: b'{"metadata":{"code":200,"message":"Ok"},"response":"',
}


def ok_encrypted(flavor: Flavor, ciphertext: bytes) -> bytes:
    """The OK envelope around base64 text, which needs no JSON escaping: the hot path."""
    return _OK_PREFIX[flavor] + ciphertext + b'"}'


class JsonResponse(Response):
    """HTTP 200 with a ready JSON body: Starlette's Response minus its header assembly."""

    def __init__(self, body: bytes) -> None:
        self.status_code = 200
        self.body = body
        self.background = None
        self.raw_headers = [(b"content-type", _JSON_BYTES), (b"content-length", b"%d" % len(body))]


def ok(flavor: Flavor, response: object) -> bytes:
    return envelope(
        flavor, code="200", message="OK" if flavor is Flavor.VCLAIM else "Ok", response=response
    )


class PrefixRouter:
    """Which flavour a path belongs to: the longest configured prefix that matches wins."""

    def __init__(self, *, vclaim_prefix: str, antrean_prefix: str) -> None:
        self._prefixes = sorted(
            ((vclaim_prefix, Flavor.VCLAIM), (antrean_prefix, Flavor.ANTREAN)),
            key=lambda item: len(item[0]),
            reverse=True,
        )

    def flavor(self, path: str) -> Flavor:
        for prefix, flavor in self._prefixes:
            if path == prefix or path.startswith(prefix + "/"):
                return flavor
        return Flavor.VCLAIM  # unknown paths (e.g. "/"): the older and more common of the two


def error_renderer(router: PrefixRouter) -> ErrorRenderer:
    def render(path: str, params: ServiceErrorParams) -> tuple[int, str, bytes]:
        body = envelope(router.flavor(path), code=params.code, message=params.message)
        return params.status or 200, JSON, body

    return render
