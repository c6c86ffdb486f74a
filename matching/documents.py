"""Identity documents: normalised numbers and how two sets of documents agree.

Numbers are compared after removing spaces, dashes, dots and slashes and upper-casing.
Beyond exact agreement, two slips are common enough to count: two neighbouring
characters swapped when typing, and characters a scanner or a tired eye confuses
(O/0/Q/D, I/1/L, S/5, B/8, Z/2, G/6).

>>> normalize_number(" e12-345 678 ")
'E12345678'
>>> compare_document_sets(
...     (Document("passport", "E12345678", "CHN"),), (Document("passport", "E1234S678", "CHN"),)
... ).level
'ocr'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from matching.comparison import Comparison
from matching.judgement import Judgement, as_comparison, judgement

__all__ = [
    "DOCUMENT_LEVELS",
    "Document",
    "compare_document_sets",
    "compare_documents",
    "documents_from",
    "normalize_number",
    "ocr_form",
]

FEATURE = "document"

#: Levels of the document feature, most to least telling.
DOCUMENT_LEVELS: tuple[str, ...] = (
    "exact",
    "transposed",
    "ocr",
    "other_issuer",
    "different",
    "missing",
)

#: Shortest normalised number worth comparing; shorter ones collide by chance.
MIN_NUMBER_LENGTH = 4

_STRIP_RE = re.compile(r"[\s\-‐-―_./\\]+")
_OCR_TABLE = str.maketrans(
    {"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "S": "5", "B": "8", "Z": "2", "G": "6"}
)


def normalize_number(number: str) -> str:
    """Upper-case and drop spaces, dashes, dots, slashes and underscores."""
    return _STRIP_RE.sub("", number).upper()


def ocr_form(number: str) -> str:
    """Map each OCR-confusable letter to the digit it is mistaken for.

    >>> ocr_form("B0OKI5")
    '800K15'
    """
    return number.translate(_OCR_TABLE)


@dataclass(frozen=True, slots=True)
class Document:
    """A document as matching sees it: type, normalised number and issuer (alpha-3)."""

    type: str | None
    number: str
    issuer: str | None
    #: The number in its OCR-confusion-free form (computed when not given).
    ocr: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.ocr:
            object.__setattr__(self, "ocr", ocr_form(self.number))


def documents_from(items: Iterable[Any]) -> tuple[Document, ...]:
    """Documents from api.md document objects, skipping unusable ones; sorted, unique."""
    found: set[Document] = set()
    for item in items:
        if not isinstance(item, Mapping):
            continue
        raw = item.get("number")
        if not isinstance(raw, str):
            continue
        number = normalize_number(raw)
        if len(number) < MIN_NUMBER_LENGTH:
            continue
        dtype = item.get("type")
        issuer = item.get("issuer")
        found.add(
            Document(
                dtype.strip().lower() if isinstance(dtype, str) and dtype.strip() else None,
                number,
                issuer.strip().upper() if isinstance(issuer, str) and issuer.strip() else None,
            )
        )
    return tuple(sorted(found, key=lambda d: (d.number, d.issuer or "", d.type or "")))


def _transposed(a: str, b: str) -> bool:
    if len(a) != len(b):
        return False
    first = -1
    for i in range(len(a)):
        if a[i] != b[i]:
            first = i
            break
    if first < 0 or first + 1 >= len(a):
        return False
    return (
        a[first] == b[first + 1] and a[first + 1] == b[first] and a[first + 2 :] == b[first + 2 :]
    )


_RANK = {level: i for i, level in enumerate(DOCUMENT_LEVELS)}


def _level(q: Document, c: Document) -> tuple[str, str]:
    issuers_differ = q.issuer is not None and c.issuer is not None and q.issuer != c.issuer
    if q.number == c.number:
        level, how = "exact", "same number"
    elif _transposed(q.number, c.number):
        level, how = "transposed", "same number with two neighbouring characters swapped"
    elif q.ocr == c.ocr:
        level, how = "ocr", "same number but for characters scanners confuse (O/0, I/1, S/5 ...)"
    else:
        return "different", "different numbers"
    if issuers_differ:
        return "other_issuer", f"{how}, but issued by {q.issuer} vs {c.issuer}"
    if q.issuer is not None and q.issuer == c.issuer:
        return level, f"{how}, both issued by {q.issuer}"
    return level, f"{how}; issuer not known on one side"


def _comparable(q: Document, c: Document) -> bool:
    """Could these two be the same document (same kind and issuer, as far as known)?"""
    same_type = q.type is None or c.type is None or q.type == c.type
    same_issuer = q.issuer is None or c.issuer is None or q.issuer == c.issuer
    return same_type and same_issuer


def compare_documents(q: Document, c: Document) -> Comparison:
    """One document against another; see :func:`compare_document_sets` for the levels."""
    level, detail = _level(q, c)
    return Comparison(FEATURE, level, q.number, c.number, detail, _SIM[level])


_SIM = {
    "exact": 1.0,
    "transposed": 0.9,
    "ocr": 0.85,
    "other_issuer": 0.5,
    "different": 0.0,
    "missing": 0.0,
}


def judge_document_sets(q: tuple[Document, ...], c: tuple[Document, ...]) -> Judgement:
    """:func:`compare_document_sets` as a :data:`~matching.judgement.Judgement` tuple."""
    if not q or not c:
        return judgement(
            FEATURE,
            "missing",
            q[0].number if q else None,
            c[0].number if c else None,
            "no document number on one side",
        )
    best: tuple[int, Document, Document, str] | None = None
    for qd in q:
        for cd in c:
            level, detail = _level(qd, cd)
            rank = _RANK[level]
            if best is None or rank < best[0]:
                best = (rank, qd, cd, detail)
                if rank == 0:
                    break
        if best is not None and best[0] == 0:
            break
    assert best is not None
    rank, qd, cd, detail = best
    level = DOCUMENT_LEVELS[rank]
    if level == "different":
        if not any(_comparable(qd, cd) for qd in q for cd in c):
            return judgement(
                FEATURE,
                "missing",
                q[0].number,
                c[0].number,
                "no documents of the same kind and issuer to compare",
            )
        if len(q) > 1 or len(c) > 1:
            detail = "no document number in common"
    return level, qd.number, cd.number, detail, _SIM[level]  # judgement(), inlined


def compare_document_sets(q: tuple[Document, ...], c: tuple[Document, ...]) -> Comparison:
    """Document numbers: the same number (spaces and dashes aside) from the same issuer,
    the same with two neighbouring characters swapped, the same but for characters
    scanners confuse (O/0, I/1/L, S/5, B/8, Z/2), the same number from a different
    issuer, or no number in common. A person may hold several documents, so the best
    agreeing pair counts; different numbers are weak evidence against, since
    documents are renewed and replaced.
    """
    return as_comparison(FEATURE, judge_document_sets(q, c))
