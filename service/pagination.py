"""Opaque cursors for paginated lists, strictly checked when they come back."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any
from uuid import UUID

from service.errors import InvalidInput

MAX_LIMIT = 500
#: The largest position a sequence cursor may hold (PostgreSQL's bigint).
MAX_SEQ = 2**63 - 1


def _refused() -> InvalidInput:
    return InvalidInput("That cursor is not one this API gave out.", code="invalid_cursor")


def encode_cursor(value: Any) -> str:
    raw = json.dumps(value, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> Any:
    """The position a cursor stands for, or None for the first page."""
    if not cursor:
        return None
    if len(cursor) > 400:
        raise _refused()
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.b64decode(padded.encode("ascii"), altchars=b"-_", validate=True)
        return json.loads(raw, parse_constant=_no_constant)
    except (ValueError, UnicodeError, binascii.Error, RecursionError):
        raise _refused() from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a cursor value")


def decode_seq_cursor(cursor: str | None) -> int:
    """A cursor that holds a sequence number (0 for the first page)."""
    value = decode_cursor(cursor)
    if value is None:
        return 0
    if type(value) is not int or not 0 <= value <= MAX_SEQ:
        raise _refused()
    return value


def decode_time_id_cursor(cursor: str | None) -> tuple[datetime, UUID] | None:
    """A cursor that holds ``[timestamp, uuid]``, or None for the first page."""
    value = decode_cursor(cursor)
    if value is None:
        return None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(part, str) for part in value)
    ):
        raise _refused()
    try:
        moment = datetime.fromisoformat(value[0])
        return moment, UUID(value[1])
    except ValueError:
        raise _refused() from None
