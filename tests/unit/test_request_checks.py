"""The raw-byte checks the request guard makes before any parsing, and the
placeholder birth dates the matching library reads."""

from __future__ import annotations

import pytest

from matching.dates import parse_birth_date
from schemas.common import known_part
from service.middleware import _check_purpose, _check_query, json_depth


@pytest.mark.parametrize(
    ("body", "depth"),
    [
        (b"{}", 1),
        (b"1", 0),
        (b'{"a": [[1], {"b": []}]}', 4),
        (b'{"a": "[[[[{{{{"}', 1),
        (b'["\\"[[[", ["]"]]', 2),
        (b"[" * 10_000 + b"]" * 10_000, 10_000),
    ],
)
def test_json_depth_counts_brackets_outside_strings(body: bytes, depth: int) -> None:
    assert json_depth(body) == depth


@pytest.mark.parametrize(
    ("value", "refused"),
    [
        (b"readmission", False),
        ("Prüfung".encode(), False),
        (b"tab\tis fine", False),
        (b"\x1b[31m", True),
        (b"a\x00b", True),
        (b"\xc2\x9b", True),
        (b"\xff\xfe", True),
    ],
)
def test_a_purpose_with_control_characters_or_not_utf8_is_refused(
    value: bytes, refused: bool
) -> None:
    assert (_check_purpose(value) is not None) is refused


@pytest.mark.parametrize(
    ("query", "refused"),
    [
        (b"", False),
        (b"action=case.create&limit=5", False),
        (b"object_id=M%C3%BCller+x", False),
        (b"object_id=%00", True),
        (b"action=%1b", True),
        (b"action=%ff", True),
        (b"action=a%0ab", True),
    ],
)
def test_a_query_with_control_characters_is_refused(query: bytes, refused: bool) -> None:
    assert (_check_query(query) is not None) is refused


@pytest.mark.parametrize(
    ("written", "known", "precision"),
    [
        ("1990-00-00", "1990", "year"),
        ("1990-XX-XX", "1990", "year"),
        ("1990-05-00", "1990-05", "month"),
        ("1990-05-XX", "1990-05", "month"),
        ("1990-05-04", "1990-05-04", "day"),
    ],
)
def test_a_placeholder_date_says_what_is_known(written: str, known: str, precision: str) -> None:
    assert known_part(written) == known
    parsed = parse_birth_date(written)
    assert parsed is not None
    assert parsed.precision == precision
    assert parsed.text == written
