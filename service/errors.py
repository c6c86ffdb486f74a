"""One error hierarchy for the service, mapped to problem+json in one place."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from schemas.person import NAME_FORMS

PROBLEM = "application/problem+json"


class TesseraError(Exception):
    """A failure a client can act on. ``code`` is stable; ``detail`` is for people."""

    status = 400
    code = "bad_request"
    title = "Bad request"

    def __init__(self, detail: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.extra = extra


class InvalidInput(TesseraError):
    status = 422
    code = "invalid_input"
    title = "Invalid input"


class Unauthorized(TesseraError):
    status = 401
    code = "unauthorized"
    title = "Not signed in"


class Forbidden(TesseraError):
    status = 403
    code = "forbidden"
    title = "Not allowed"


class NotFound(TesseraError):
    status = 404
    code = "not_found"
    title = "Not found"


class Conflict(TesseraError):
    status = 409
    code = "conflict"
    title = "Conflict"


class PayloadTooLarge(TesseraError):
    status = 413
    code = "request_too_large"
    title = "Request too large"


class UnsupportedMediaType(TesseraError):
    status = 415
    code = "unsupported_media_type"
    title = "Unsupported media type"


class Unavailable(TesseraError):
    status = 503
    code = "unavailable"
    title = "Service unavailable"


def problem(status: int, code: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    """A problem+json response; every error of the API has this shape."""
    body: dict[str, Any] = {
        "type": f"https://tessera.invalid/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


# Field names whose validation failures get their own stable codes.
_FIELD_CODES = {
    "birth_date": "invalid_birth_date",
    "birth_date_range": "invalid_birth_date_range",
    "nationality": "invalid_country",
    "country": "invalid_country",
    "issuer": "invalid_country",
    "languages": "invalid_language",
    "language": "invalid_language",
    "sex": "invalid_sex",
    "names": "invalid_name",
    "mrz": "invalid_mrz",
    "confidence": "invalid_confidence",
    "protection": "invalid_protection",
}


def validation_code(errors: list[dict[str, Any]]) -> str:
    for error in errors:
        kind = error.get("type", "")
        if kind == "extra_forbidden":
            return "unknown_field"
        if kind == "json_invalid":
            return "malformed_json"
        if kind == "missing":
            return "missing_field"
        for part in reversed([str(p) for p in error.get("loc", ())]):
            if part in _FIELD_CODES:
                return _FIELD_CODES[part]
    return "invalid_input"


def error_location(error: Mapping[str, Any]) -> list[str]:
    """An error's location without the tag pydantic adds for the form a name took
    (``names.0.string`` is ``names.0``)."""
    loc = list(error.get("loc", ()))
    return [
        str(p)
        for i, p in enumerate(loc)
        if not (p in NAME_FORMS and i > 0 and isinstance(loc[i - 1], int))
    ]


def _describe(errors: list[dict[str, Any]]) -> str:
    parts = []
    for error in errors[:5]:
        loc = ".".join(p for p in error_location(error) if p != "body")
        message = str(error.get("msg", "invalid"))
        parts.append(f"{loc}: {message}" if loc else message)
    return "; ".join(parts)


def install(app: FastAPI) -> None:
    """Map every error to problem+json."""

    @app.exception_handler(TesseraError)
    async def _tessera(_: Request, exc: TesseraError) -> JSONResponse:
        return problem(exc.status, exc.code, exc.title, exc.detail, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [dict(e) for e in exc.errors()]
        code = validation_code(errors)
        status = 400 if code == "malformed_json" else 422
        title = "Malformed JSON" if status == 400 else "Invalid input"
        fields = [
            {
                "loc": error_location(e),
                "msg": str(e.get("msg", "")),
                "type": str(e.get("type", "")),
            }
            for e in errors[:20]
        ]
        return problem(status, code, title, _describe(errors), errors=fields)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}
        code = codes.get(exc.status_code, "http_error")
        return problem(exc.status_code, code, str(exc.detail), str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        return problem(
            500,
            "internal_error",
            "Internal error",
            "The server failed; the request changed nothing.",
        )
