"""The OpenAPI document as the service enforces it: bearer security, X-Purpose where
it is required, and the problem+json errors every operation may answer."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from schemas.common import country_codes, language_codes

#: Operations open without a token.
PUBLIC = frozenset({("get", "/v1/health")})
#: Operations that refuse a request without X-Purpose (``Context.require_purpose``).
PURPOSE_REQUIRED = frozenset(
    {
        ("get", "/v1/cases/{case_id}"),
        ("get", "/v1/identities/{identity_id}"),
        ("get", "/v1/cases/{case_id}/candidates"),
        ("post", "/v1/match"),
        ("get", "/v1/cases/{case_id}/export"),
        ("delete", "/v1/cases/{case_id}"),
        ("delete", "/v1/identities/{identity_id}"),
        ("get", "/v1/cases/{case_id}/dossier"),
        ("get", "/v1/cases/{case_id}/subject/history"),
    }
)
#: The error statuses an authenticated operation may answer, all problem+json.
ERRORS = {
    "400": "Malformed body or encoding (code: malformed_json, invalid_encoding).",
    "401": "No token, or not a valid one (code: unauthorized, invalid_token).",
    "403": "The token's role may not do this, or the purpose is not one an agreement "
    "allows (code: role_not_allowed, purpose_not_allowed).",
    "404": "No such object, or not one of your agency's (code: not_found).",
    "409": "Conflicts with the current state (code: conflict and others).",
    "413": "Body larger than the limit (code: request_too_large).",
    "415": "Wrong content type (code: unsupported_media_type).",
    "422": "Invalid input; `code` says which rule (e.g. invalid_name, invalid_cursor, "
    "body_too_deep, invalid_query, invalid_purpose).",
    "429": "Too many requests; wait as Retry-After says (code: rate_limited, "
    "too_many_failed_sign_ins).",
    "503": "Not available now (code: matching_suspended, unavailable).",
}
_PROBLEM = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "description": "Stable, machine-readable reason."},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
}
#: What the request guard takes in a query parameter (service.middleware): no control
#: characters but tab.
QUERY_TEXT = "^[^\\u0000-\\u0008\\u000a-\\u001f\\u007f-\\u009f]*$"
#: X-Purpose as the schema states it: printable ASCII with something that is not a
#: space (a header carries bytes; the service also takes UTF-8 text there).
PURPOSE_PATTERN = "^[\\t -~]*[!-~][\\t -~]*$"
#: A pagination cursor: what the API hands out (base64url), to be given back as it is.
CURSOR = {"type": "string", "maxLength": 400, "pattern": "^[A-Za-z0-9_-]*$"}
_PURPOSE_DESCRIPTION = (
    "Why this request is made; recorded in the audit log. Up to 500 characters of "
    "UTF-8 text without control characters."
)


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """The document, built once and kept."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
    )
    components = schema.setdefault("components", {})
    components.setdefault("securitySchemes", {})["bearer"] = {
        "type": "http",
        "scheme": "bearer",
        "description": "The token given when the user was created.",
    }
    components.setdefault("schemas", {})["Problem"] = _PROBLEM
    # the code lists the validators check (schemas.common.Country, Language)
    components["schemas"]["CountryCode"] = {
        "type": "string",
        "description": "ISO 3166-1 alpha-3 or an ICAO 9303 document code; taken in any case.",
        "enum": country_codes(),
    }
    components["schemas"]["LanguageCode"] = {
        "type": "string",
        "description": "ISO 639-3; taken in any case.",
        "enum": language_codes(),
    }
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or method not in {
                "get",
                "post",
                "put",
                "patch",
                "delete",
            }:
                continue
            document_operation(operation, method, path, problem_ref)
    app.openapi_schema = schema
    return schema


def document_operation(
    operation: dict[str, Any], method: str, path: str, problem_ref: dict[str, Any]
) -> None:
    """Security, headers and error responses of one operation."""
    key = (method, path)
    params = [
        p
        for p in operation.get("parameters", [])
        if not (p.get("in") == "header" and p.get("name", "").lower() == "authorization")
    ]
    for param in params:
        if param.get("in") == "header" and param.get("name", "").lower() == "x-purpose":
            param["required"] = key in PURPOSE_REQUIRED
            param["description"] = _PURPOSE_DESCRIPTION
            param["schema"] = {
                "type": "string",
                "minLength": 1,
                "maxLength": 500,
                "pattern": PURPOSE_PATTERN,
            }
        if param.get("in") == "query":
            if param.get("name") == "cursor":
                param["schema"] = {"anyOf": [dict(CURSOR), {"type": "null"}]}
            for text in _string_schemas(param.get("schema", {})):
                text.setdefault("pattern", QUERY_TEXT)
    if params:
        operation["parameters"] = params
    else:
        operation.pop("parameters", None)
    responses = operation.setdefault("responses", {})
    if key in PUBLIC:
        operation["security"] = []
        if key == ("get", "/v1/health"):
            responses["503"] = {
                "description": "Degraded: the database, the broker or the workers are not "
                "all there (the body says which).",
                "content": {"application/json": {"schema": {"type": "object"}}},
            }
        return
    operation["security"] = [{"bearer": []}]
    for status, description in ERRORS.items():
        if status == "422" and status in responses:
            responses[status] = {
                "description": description,
                "content": {"application/problem+json": {"schema": problem_ref}},
            }
            continue
        responses.setdefault(
            status,
            {
                "description": description,
                "content": {"application/problem+json": {"schema": problem_ref}},
            },
        )


def _string_schemas(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The string schemas of a parameter (itself, or the string members of anyOf)."""
    if schema.get("type") == "string" and "format" not in schema and "enum" not in schema:
        return [schema]
    return [
        member
        for member in schema.get("anyOf", [])
        if member.get("type") == "string" and "format" not in member and "enum" not in member
    ]


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        return build_openapi(app)

    app.openapi = openapi  # type: ignore[method-assign]
