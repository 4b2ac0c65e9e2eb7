"""The OpenAPI 3.1 document, generated from the route table and the msgspec models.

Generated, not hand-written, so it cannot drift from the routes: a test
checks that every aiohttp route is in the document and every documented path
is routed. JSON Schemas come from ``msgspec.json.schema_components`` (JSON
Schema 2020-12, the dialect of OpenAPI 3.1).
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from smsgate import __version__
from smsgate.api.operations import Operation, Response
from smsgate.api.problems import ProblemCode

_PATH_PARAMETER = re.compile(r"{([^}/]+)}")
_REF = "#/components/schemas/{name}"

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details with a stable machine-readable code.",
    "required": ["type", "title", "status", "code", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string", "enum": [code.value for code in ProblemCode]},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
    },
    "additionalProperties": True,
}


def openapi_document(operations: list[Operation]) -> dict[str, Any]:
    """The whole OpenAPI 3.1 document for ``operations``."""
    models = _models(operations)
    schemas, components = msgspec.json.schema_components(models, ref_template=_REF)
    refs = dict(zip(models, schemas, strict=True))
    paths: dict[str, dict[str, Any]] = {}
    for operation in operations:
        item = paths.setdefault(operation.path, {})
        item[operation.method.lower()] = _operation(operation, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "smsgate",
            "version": __version__,
            "description": "Compliance-first SMS gateway for debt collection.",
        },
        "paths": paths,
        "components": {
            "schemas": {**components, "Problem": PROBLEM_SCHEMA},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _models(operations: list[Operation]) -> list[Any]:
    models: list[Any] = []
    for operation in operations:
        candidates = [operation.request_model, *(r.model for r in operation.responses.values())]
        models += [m for m in candidates if m is not None and m not in models]
    return models


def _operation(operation: Operation, refs: dict[Any, Any]) -> dict[str, Any]:
    document: dict[str, Any] = {
        "operationId": operation.operation_id,
        "summary": operation.summary,
        "tags": [operation.tag],
        "responses": {
            str(status): _response(response, refs)
            for status, response in sorted(operation.responses.items())
        },
    }
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PATH_PARAMETER.findall(operation.path)
    ]
    parameters += [
        {
            "name": name,
            "in": "header",
            "required": False,
            "schema": {"type": "string"},
            "description": description,
        }
        for name, description in operation.headers.items()
    ]
    parameters += [
        {
            "name": name,
            "in": "query",
            "required": False,
            "schema": dict(parameter.schema),
            "description": parameter.description,
        }
        for name, parameter in operation.query.items()
    ]
    if operation.query:
        document["responses"].setdefault("400", _problem("Invalid query parameter"))
    if parameters:
        document["parameters"] = parameters
    if not operation.public:
        document["security"] = [{"bearer": []}]
        document["description"] = "Roles: " + ", ".join(sorted(operation.roles))
        for status, description in _KEY_REFUSALS:
            document["responses"].setdefault(status, _problem(description))
    if operation.description:
        said = [document.get("description", ""), operation.description]
        document["description"] = ". ".join(part for part in said if part)
    if operation.request_model is not None:
        document["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": refs[operation.request_model]}},
        }
        for refusal, explained in _BODY_REFUSALS:
            document["responses"].setdefault(refusal, _problem(explained))
    return document


_KEY_REFUSALS = (
    ("401", "No valid API key"),
    ("403", "The key lacks the role"),
    (
        "429",
        "Too many failed authentications from this address (auth_rate_limited; see Retry-After)",
    ),
)
_BODY_REFUSALS = (
    ("400", "Malformed or invalid request"),
    ("408", "The body did not arrive in time (request_timeout)"),
    ("413", "The body exceeds SMSGATE_MAX_BODY_BYTES (payload_too_large)"),
    ("415", "The body is not application/json (unsupported_media_type)"),
)


def _response(response: Response, refs: dict[Any, Any]) -> dict[str, Any]:
    if response.problem:
        return _problem(response.description)
    content = {kind: {"schema": dict(schema)} for kind, schema in response.media.items()}
    if response.model is not None:
        content = {"application/json": {"schema": refs[response.model]}, **content}
    if not content:
        return {"description": response.description}
    return {"description": response.description, "content": content}


def _problem(description: str) -> dict[str, Any]:
    schema = {"$ref": _REF.format(name="Problem")}
    return {"description": description, "content": {"application/problem+json": {"schema": schema}}}
