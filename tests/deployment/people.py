"""Made-up identity records, each name, date and passport number of its own."""

from __future__ import annotations

import json
from typing import Any

_ONSETS = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z"]
_VOWELS = ["a", "e", "i", "o", "u"]
_SYLLABLES = [onset + vowel for onset in _ONSETS for vowel in _VOWELS]  # 70


def _word(n: int, length: int) -> str:
    """The ``n``-th word of ``length`` syllables (distinct ``n`` give distinct words)."""
    parts = []
    for _ in range(length):
        n, digit = divmod(n, len(_SYLLABLES))
        parts.append(_SYLLABLES[digit])
    return "".join(parts).capitalize()


def person(prefix: str, n: int) -> dict[str, Any]:
    """Record ``n`` of a set: ``external_id`` ``{prefix}-{n}``, a name no other record
    of the set carries."""
    return {
        "external_id": f"{prefix}-{n}",
        "names": [f"{_word(n * 7 + 3, 3)} {_word(n, 3)}"],
        "birth_date": f"19{50 + n % 50:02d}-{1 + n % 12:02d}-{1 + n % 28:02d}",
        "sex": "F" if n % 2 else "M",
        "documents": [{"type": "passport", "number": f"{prefix}{n:07d}", "issuer": "DEU"}],
    }


def people(prefix: str, count: int) -> list[dict[str, Any]]:
    return [person(prefix, n) for n in range(count)]


def ndjson(records: list[dict[str, Any]]) -> bytes:
    return "\n".join(json.dumps(record) for record in records).encode()


def exact_copy(record: dict[str, Any]) -> dict[str, Any]:
    """The record as a query: everything but its owner's reference."""
    return {k: v for k, v in record.items() if k != "external_id"}
