"""One error hierarchy for the service, mapped to problem+json in one place."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

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


class TooManyFailedSignIns(TesseraError):
    """Too many failed sign-ins from this source (or for this token id) just now."""

    status = 429
    code = "too_many_failed_sign_ins"
    title = "Too many failed sign-ins"

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(
            f"Too many failed sign-ins from here; try again in {retry_after_s} s.",
            retry_after_s=retry_after_s,
        )
        self.retry_after_s = retry_after_s


class TooManyQueries(TesseraError):
    """The partner agency has used up its queries for the current window."""

    status = 429
    code = "rate_limited"
    title = "Too many queries"

    def __init__(self, retry_after_s: int, limit: int, window_s: int) -> None:
        super().__init__(
            f"Your agency may make {limit} queries in {window_s} s; "
            f"try again in {retry_after_s} s.",
            retry_after_s=retry_after_s,
        )
        self.retry_after_s = retry_after_s


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
    "surname": "invalid_name",
    "given_names": "invalid_name",
    "parents": "invalid_name",
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


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app takes on this request's path (a path
    served by two routes, GET and POST, gets both)."""
    methods: set[str] = set()
    for method in _METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes):
            methods.add(method)
    return sorted(methods)


def install(app: FastAPI) -> None:
    """Map every error to problem+json."""

    @app.exception_handler(TesseraError)
    async def _tessera(_: Request, exc: TesseraError) -> JSONResponse:
        response = problem(exc.status, exc.code, exc.title, exc.detail, **exc.extra)
        if isinstance(exc, TooManyFailedSignIns | TooManyQueries):
            response.headers["Retry-After"] = str(exc.retry_after_s)
        return response

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
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}
        code = codes.get(exc.status_code, "http_error")
        response = problem(exc.status_code, code, str(exc.detail), str(exc.detail))
        # a 405 says which methods the path takes (Allow), as RFC 9110 asks
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        if exc.status_code == 405:
            response.headers["Allow"] = ", ".join(_allowed_methods(request))
        return response

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        return problem(
            500,
            "internal_error",
            "Internal error",
            "The server failed; the request changed nothing.",
        )
