"""Opaque cursors for paginated lists."""

from __future__ import annotations

import base64
import json
from typing import Any

from service.errors import InvalidInput

MAX_LIMIT = 500


def encode_cursor(value: Any) -> str:
    raw = json.dumps(value, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> Any:
    """The position a cursor stands for, or None for the first page."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput(
            "That cursor is not one this API gave out.", code="invalid_cursor"
        ) from None
