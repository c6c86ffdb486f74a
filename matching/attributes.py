"""Sex, nationality, place of birth and languages: small features, each a comparator.

>>> compare_sex("M", "F").level
'different'
>>> compare_nationality(frozenset({"ERI", "ETH"}), frozenset({"ETH"})).level
'overlap'
>>> compare_birth_place(place_from({"name": "Fuqing", "country": "CHN"}),
...                     place_from({"name": "Fu-qing", "country": "CHN"})).level
'same_place'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rapidfuzz.distance import JaroWinkler

from matching.comparison import Comparison
from matching.judgement import Judgement, as_comparison, judgement

__all__ = [
    "LANGUAGE_LEVELS",
    "NATIONALITY_LEVELS",
    "PLACE_LEVELS",
    "SEX_LEVELS",
    "Place",
    "codes_from",
    "compare_birth_place",
    "compare_languages",
    "compare_nationality",
    "compare_sex",
    "place_from",
    "place_key",
    "sex_from",
]

SEX_LEVELS: tuple[str, ...] = ("same", "different", "missing")
NATIONALITY_LEVELS: tuple[str, ...] = ("overlap", "different", "missing")
PLACE_LEVELS: tuple[str, ...] = (
    "same_place",
    "same_country",
    "same_country_other_place",
    "different",
    "missing",
)
LANGUAGE_LEVELS: tuple[str, ...] = ("overlap", "different", "missing")

#: Jaro–Winkler similarity at or above which two place names are taken as one place.
PLACE_SIMILARITY = 0.9


def sex_from(value: Any) -> str | None:
    """``M`` or ``F``; ``X`` and anything else is unknown for matching."""
    if isinstance(value, str):
        v = value.strip().upper()
        if v in ("M", "F"):
            return v
    return None


def judge_sex(q: str | None, c: str | None) -> Judgement:
    """:func:`compare_sex` as a :data:`~matching.judgement.Judgement` tuple."""
    if q is None or c is None:
        return judgement("sex", "missing", q, c, "sex not recorded on one side")
    if q == c:
        return judgement("sex", "same", q, c, "same sex", 1.0)
    return judgement("sex", "different", q, c, "different sex recorded", 0.0)


def compare_sex(q: str | None, c: str | None) -> Comparison:
    """Sex as recorded: the same, or different (a strong sign of two people; ``X`` and
    unrecorded count as unknown)."""
    return as_comparison("sex", judge_sex(q, c))


def codes_from(values: Any) -> frozenset[str]:
    """Upper-cased codes (nationalities alpha-3, languages ISO 639-3) from a list."""
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, Iterable):
        return frozenset()
    return frozenset(v.strip().upper() for v in values if isinstance(v, str) and v.strip())


def _codes_text(codes: frozenset[str]) -> str | None:
    if not codes:
        return None
    if len(codes) == 1:
        return next(iter(codes))
    return ",".join(sorted(codes))


def judge_nationality(q: frozenset[str], c: frozenset[str]) -> Judgement:
    """:func:`compare_nationality` as a :data:`~matching.judgement.Judgement` tuple."""
    qt = _codes_text(q)
    ct = _codes_text(c)
    if not q or not c:
        return judgement("nationality", "missing", qt, ct, "nationality not known on one side")
    common = q & c
    if common:
        return judgement(
            "nationality", "overlap", qt, ct, f"shared nationality {','.join(sorted(common))}", 1.0
        )
    return judgement("nationality", "different", qt, ct, "no nationality in common", 0.0)


def compare_nationality(q: frozenset[str], c: frozenset[str]) -> Comparison:
    """Nationality: at least one nationality in common, or none in common (people do
    hold, claim and get recorded with different ones, so this is weak evidence)."""
    return as_comparison("nationality", judge_nationality(q, c))


def judge_languages(q: frozenset[str], c: frozenset[str]) -> Judgement:
    """:func:`compare_languages` as a :data:`~matching.judgement.Judgement` tuple."""
    qt = _codes_text(q)
    ct = _codes_text(c)
    if not q or not c:
        return judgement("languages", "missing", qt, ct, "languages not known on one side")
    common = q & c
    if common:
        return judgement(
            "languages", "overlap", qt, ct, f"shared language {','.join(sorted(common))}", 1.0
        )
    return judgement("languages", "different", qt, ct, "no language in common", 0.0)


def compare_languages(q: frozenset[str], c: frozenset[str]) -> Comparison:
    """Languages spoken: at least one in common, or none in common (a weak hint either
    way: many people share a language, and lists are rarely complete)."""
    return as_comparison("languages", judge_languages(q, c))


@dataclass(frozen=True, slots=True)
class Place:
    """A place of birth: its name as given, a comparable key, and its country (alpha-3)."""

    name: str | None
    key: str | None
    country: str | None
    #: Name and country for an explanation (computed when not given).
    text: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.text:
            object.__setattr__(self, "text", ", ".join(p for p in (self.name, self.country) if p))


_NON_ALNUM = re.compile(r"[^0-9a-z]+")


@lru_cache(maxsize=1)
def _latin() -> Any:
    import icu

    return icu.Transliterator.createInstance("Any-Latin; Latin-ASCII; Lower")


@lru_cache(maxsize=4096)
def place_key(name: str) -> str:
    """A comparable form of a place name: Latin letters and digits only, lower case.

    >>> place_key("São Paulo"), place_key("Москва")
    ('saopaulo', 'moskva')
    """
    text = unicodedata.normalize("NFKC", name).casefold()
    if not text.isascii():
        text = str(_latin().transliterate(text))
    return _NON_ALNUM.sub("", text)


def place_from(value: Any) -> Place | None:
    """A :class:`Place` from ``{"name", "country"}`` (either may be absent) or a string."""
    if isinstance(value, str):
        value = {"name": value}
    if not isinstance(value, Mapping):
        return None
    name = value.get("name")
    country = value.get("country")
    name = name.strip() if isinstance(name, str) and name.strip() else None
    country = country.strip().upper() if isinstance(country, str) and country.strip() else None
    key = place_key(name) if name else None
    if not key and not country:
        return None
    return Place(name, key or None, country)


def judge_birth_place(q: Place | None, c: Place | None) -> Judgement:
    """:func:`compare_birth_place` as a :data:`~matching.judgement.Judgement` tuple."""
    if q is None or c is None:
        return judgement(
            "birth_place",
            "missing",
            q.text if q else None,
            c.text if c else None,
            "place of birth not known on one side",
        )
    qt, ct = q.text, c.text
    countries_differ = q.country is not None and c.country is not None and q.country != c.country
    if q.key and c.key and not countries_differ:
        sim = 1.0 if q.key == c.key else JaroWinkler.similarity(q.key, c.key)
        if sim >= PLACE_SIMILARITY:
            detail = "same place" if sim == 1.0 else "same place, spelled differently"
            return judgement("birth_place", "same_place", qt, ct, detail, sim)
    if q.country is not None and q.country == c.country:
        if q.key and c.key:
            return judgement(
                "birth_place",
                "same_country_other_place",
                qt,
                ct,
                f"born in the same country ({q.country}) but in different places",
                0.3,
            )
        return judgement(
            "birth_place",
            "same_country",
            qt,
            ct,
            f"born in the same country ({q.country}); the place is not known on one side",
            0.5,
        )
    if countries_differ:
        return judgement("birth_place", "different", qt, ct, "born in different countries", 0.0)
    if q.key and c.key:
        return judgement("birth_place", "different", qt, ct, "different places of birth", 0.0)
    return judgement(
        "birth_place", "missing", qt, ct, "too little about the place of birth to compare"
    )


def compare_birth_place(q: Place | None, c: Place | None) -> Comparison:
    """Place of birth: the same place (spelling variants allowed), the same country
    where one side names no place, the same country but different places, or a
    different country."""
    return as_comparison("birth_place", judge_birth_place(q, c))
