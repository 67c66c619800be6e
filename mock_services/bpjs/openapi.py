"""The OpenAPI document of the BPJS mock, describing requests as real clients send them.

The BPJS operations are not FastAPI routes (see `routing`) and read headers and bodies themselves
(bodies are JSON whatever the Content-Type, header names any case), so this module describes them
from the operation table: path parameters with their formats and working examples from the
dataset, the four signature headers on every operation, the JSON request bodies, and the envelope
each prefix answers with. The admin API's part is FastAPI's own generated document.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from mock_services.bpjs.config import BpjsConfig
from mock_services.bpjs.envelopes import Flavor, PrefixRouter
from mock_services.bpjs.routing import Operation

HEADER_PARAMETERS: list[dict[str, Any]] = [
    {
        "name": "X-cons-id",
        "in": "header",
        "required": True,
        "description": "Consumer id (case-insensitive header name).",
        "schema": {"type": "string"},
    },
    {
        "name": "X-timestamp",
        "in": "header",
        "required": True,
        "description": "Unix time in seconds (UTC), within the allowed skew of the server clock.",
        "schema": {"type": "string", "pattern": "^[0-9]{1,12}$"},
    },
    {
        "name": "X-signature",
        "in": "header",
        "required": True,
        "description": 'base64(HMAC-SHA256(key=secret, message="{consid}&{timestamp}")).',
        "schema": {"type": "string"},
    },
    {
        "name": "user_key",
        "in": "header",
        "required": True,
        "description": "The user key issued with the cons id.",
        "schema": {"type": "string"},
    },
]

ENVELOPES: dict[Flavor, tuple[str, dict[str, Any]]] = {
    Flavor.VCLAIM: (
        "VClaimEnvelope",
        {
            "type": "object",
            "required": ["metaData"],
            "properties": {
                "metaData": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                },
                "response": {
                    "description": "Encrypted payload (base64 text), a plain value, or null."
                },
            },
        },
    ),
    Flavor.ANTREAN: (
        "AntreanEnvelope",
        {
            "type": "object",
            "required": ["metadata"],
            "properties": {
                "metadata": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {"code": {"type": "integer"}, "message": {"type": "string"}},
                },
                "response": {
                    "description": "Encrypted payload (base64 text), absent for queue actions."
                },
            },
        },
    ),
}

PATH_FORMATS: dict[str, dict[str, Any]] = {
    "noKartu": {"type": "string", "pattern": "^[0-9]{13}$"},
    "nik": {"type": "string", "pattern": "^[0-9]{16}$"},
    "tglSEP": {"type": "string", "format": "date"},
    "tanggal": {"type": "string", "format": "date"},
}


def _body_schemas(operations: Sequence[Operation]) -> dict[str, Any]:
    components: dict[str, Any] = {}
    for model in {op.body for op in operations if op.body is not None}:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(schema.pop("$defs", {}))
        components[model.__name__] = schema
    return components


def _operation(op: Operation, *, envelope: str, examples: Mapping[str, str]) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = []
    for name in op.path_params:
        param: dict[str, Any] = {
            "name": name,
            "in": "path",
            "required": True,
            "schema": dict(PATH_FORMATS.get(name, {"type": "string"})),
        }
        if name in examples:
            param["example"] = examples[name]
        parameters.append(param)
    operation: dict[str, Any] = {
        "tags": [op.tag],
        "summary": op.summary,
        "operationId": re.sub(r"\W+", "_", f"{op.method.lower()}{op.path}").strip("_"),
        "parameters": parameters + [dict(h) for h in HEADER_PARAMETERS],
        "responses": {
            "200": {
                "description": "The service envelope (errors too, with their code).",
                "content": {
                    "application/json": {"schema": {"$ref": f"#/components/schemas/{envelope}"}}
                },
            }
        },
    }
    if op.body is not None:
        operation["requestBody"] = {
            "required": True,
            "description": "Raw JSON; read as JSON whatever the Content-Type says.",
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{op.body.__name__}"}}
            },
        }
    return operation


def document(
    app: FastAPI,
    *,
    config: BpjsConfig,
    operations: Sequence[Operation],
    examples: Mapping[str, str],
) -> dict[str, Any]:
    """The app's generated document (admin API) plus the BPJS operations, described in full."""
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    router = PrefixRouter(vclaim_prefix=config.vclaim_prefix, antrean_prefix=config.antrean_prefix)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(_body_schemas(operations))
    for name, envelope_schema in ENVELOPES.values():
        components[name] = envelope_schema
    for op in operations:
        envelope = ENVELOPES[router.flavor(op.path)][0]
        item = schema["paths"].setdefault(op.path, {})
        item[op.method.lower()] = _operation(op, envelope=envelope, examples=examples)
    return schema


def install(
    app: FastAPI,
    *,
    config: BpjsConfig,
    operations: Sequence[Operation],
    examples: Mapping[str, str],
) -> None:
    """Serve the completed document at /openapi.json (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(
                app, config=config, operations=operations, examples=examples
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
