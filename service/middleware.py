"""Checks every request passes before any handler runs: id, size, type, encoding.

A request refused here never reaches a transaction, so it changes nothing.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import problem

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,100}$")
_BODY_METHODS = {"POST", "PUT", "PATCH"}

#: The deepest nesting of arrays and objects a JSON body (or bulk line) may have;
#: checked on the raw bytes before parsing (a parser recurses once per level).
MAX_DEPTH = 64
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
# Control characters (C0 but tab, DEL, C1) and escape sequences; in a query string
# they are refused (invalid_query), in X-Purpose too (invalid_purpose).
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def json_depth(body: bytes) -> int:
    """The deepest nesting of ``[``/``{`` in raw JSON bytes, strings left out."""
    brackets = _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    depth = deepest = 0
    for byte in brackets:
        if byte in (0x5B, 0x7B):
            depth += 1
            if depth > deepest:
                deepest = depth
        else:
            depth -= 1
    return deepest


def _check_query(query: bytes) -> str | None:
    """Why a raw query string is refused, or None."""
    for part in query.split(b"&"):
        raw = unquote_to_bytes(part.replace(b"+", b" "))
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return "The query string is not valid UTF-8."
        if _CONTROL.search(text):
            return "Query parameters may not contain NUL or other control characters."
    return None


def _check_purpose(value: bytes) -> str | None:
    """Why an X-Purpose header is refused, or None."""
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        return "X-Purpose must be UTF-8 text."
    if _CONTROL.search(text):
        return "X-Purpose may not contain control characters or escape sequences."
    return None


def _expected_type(path: str) -> str:
    if path.endswith("/bulk"):
        return "application/x-ndjson"
    if path.endswith("/face-images"):
        return "multipart/form-data"
    if path.startswith("/desk/"):
        return "application/x-www-form-urlencoded"
    return "application/json"


class RequestGuard:
    """Request ids on every response; body size, content type and encoding checks."""

    def __init__(self, app: ASGIApp, *, max_body: int, max_upload: int, max_bulk: int) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload
        self.max_bulk = max_bulk

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        given = headers.get("x-request-id", "")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        reason = _check_query(scope.get("query_string", b""))
        if reason is not None:
            await self._refuse(send_with_id, 422, "invalid_query", "Invalid query", reason)
            return
        for key, value in scope["headers"]:
            if key.lower() == b"x-purpose":
                reason = _check_purpose(value)
                if reason is not None:
                    await self._refuse(
                        send_with_id, 422, "invalid_purpose", "Invalid purpose", reason
                    )
                    return

        if scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send_with_id)
            return

        path: str = scope["path"]
        expected = _expected_type(path)
        limit = {
            "multipart/form-data": self.max_upload,
            "application/x-ndjson": self.max_bulk,
        }.get(expected, self.max_body)
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(
                send_with_id,
                413,
                "request_too_large",
                "Request too large",
                f"The body is larger than the limit of {limit} bytes.",
            )
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body.extend(message.get("body", b""))
            more = message.get("more_body", False)
            if len(body) > limit:
                await self._refuse(
                    send_with_id,
                    413,
                    "request_too_large",
                    "Request too large",
                    f"The body is larger than the limit of {limit} bytes.",
                )
                return

        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if body or content_type:
            if content_type != expected:
                await self._refuse(
                    send_with_id,
                    415,
                    "unsupported_media_type",
                    "Unsupported media type",
                    f"This endpoint takes {expected}, not {content_type or 'an untyped body'}.",
                )
                return
            refusal = _check_text(bytes(body), expected)
            if refusal is not None:
                await self._refuse(send_with_id, *refusal)
                return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send_with_id)

    @staticmethod
    async def _refuse(send: Send, status: int, code: str, title: str, detail: str) -> None:
        response = problem(status, code, title, detail)
        await send(
            {
                "type": "http.response.start",
                "status": response.status_code,
                "headers": response.raw_headers,
            }
        )
        await send({"type": "http.response.body", "body": response.body})


def _check_text(body: bytes, content_type: str) -> tuple[int, str, str, str] | None:
    if content_type not in ("application/json", "application/x-ndjson"):
        return None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return (
            400,
            "invalid_encoding",
            "Invalid encoding",
            f"The body is not valid UTF-8 (byte {exc.start}).",
        )
    lines = body.split(b"\n") if content_type == "application/x-ndjson" else [body]
    for number, line in enumerate(lines, start=1):
        if json_depth(line) > MAX_DEPTH:
            where = f" (line {number})" if content_type == "application/x-ndjson" else ""
            return (
                422,
                "body_too_deep",
                "Body nested too deeply",
                f"JSON may nest arrays and objects at most {MAX_DEPTH} deep{where}.",
            )
    if content_type == "application/x-ndjson":
        return None
    try:
        value: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        return (
            400,
            "malformed_json",
            "Malformed JSON",
            f"The body is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.",
        )
    return check_json_strings(value)


def check_json_strings(value: Any) -> tuple[int, str, str, str] | None:
    """Refuse lone surrogates and NUL characters anywhere in a parsed JSON value."""
    dumped = json.dumps(value, ensure_ascii=False)
    try:
        dumped.encode("utf-8")
    except UnicodeEncodeError:
        return (
            400,
            "invalid_encoding",
            "Invalid encoding",
            "The body contains an unpaired UTF-16 surrogate escape.",
        )
    if "\\u0000" in dumped or "\x00" in dumped:
        return (
            422,
            "invalid_characters",
            "Invalid characters",
            "Text fields may not contain the NUL character.",
        )
    return None
