"""The OpenAPI document as the service enforces it: bearer security, X-Purpose where
it is required, and the problem+json errors every operation may answer."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

#: Operations open without a token.
PUBLIC = frozenset({("get", "/v1/health")})
#: Operations that refuse a request without X-Purpose (``Context.require_purpose``).
PURPOSE_REQUIRED = frozenset(
    {
        ("get", "/v1/cases/{case_id}"),
        ("get", "/v1/identities/{identity_id}"),
        ("get", "/v1/cases/{case_id}/candidates"),
        ("post", "/v1/match"),
    }
)
#: The error statuses an authenticated operation may answer, all problem+json.
ERRORS = {
    "400": "Malformed body or encoding (code: malformed_json, invalid_encoding).",
    "401": "No token, or not a valid one (code: unauthorized, invalid_token).",
    "403": "The token's role may not do this (code: forbidden).",
    "404": "No such object, or not one of your agency's (code: not_found).",
    "409": "Conflicts with the current state (code: conflict and others).",
    "413": "Body larger than the limit (code: request_too_large).",
    "415": "Wrong content type (code: unsupported_media_type).",
    "422": "Invalid input; `code` says which rule (e.g. invalid_name, invalid_cursor, "
    "body_too_deep, invalid_query, invalid_purpose).",
    "429": "Too many requests; wait as Retry-After says (code: rate_limited).",
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
            param["schema"] = {"type": "string", "minLength": 1, "maxLength": 500}
    if params:
        operation["parameters"] = params
    else:
        operation.pop("parameters", None)
    responses = operation.setdefault("responses", {})
    if key in PUBLIC:
        operation["security"] = []
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


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        return build_openapi(app)

    app.openapi = openapi  # type: ignore[method-assign]
