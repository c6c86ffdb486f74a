"""Profiles: a person (the api.md shape, as a plain mapping) prepared for matching.

A profile is built once — names normalised and transliterated, dates parsed,
document numbers normalised — and then compared with many others, so everything a
comparator needs is computed here and nothing in scoring re-parses input.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from matching.attributes import Place, codes_from, place_from, sex_from
from matching.dates import BirthDate, parse_birth_date
from matching.documents import Document, documents_from
from matching.names import (
    NameSet,
    build_name_set,
    commonest_reading,
    compare_names_with_rarity,
    name_count_keys,
)
from matching.names import with_name_counts as _names_with_counts

__all__ = ["Profile", "build_profile", "name_count_keys", "name_information", "with_name_counts"]


@dataclass(frozen=True, slots=True)
class Profile:
    """Everything matching reads about one person, ready to compare."""

    names: NameSet
    name_text: str | None
    #: Information (bits) of the person's own name; caps the rarity of any agreement.
    name_bits: float
    birth: BirthDate | None
    sex: str | None
    nationality: frozenset[str]
    birth_place: Place | None
    documents: tuple[Document, ...]
    languages: frozenset[str]
    #: Face embeddings (from :mod:`matching.faces`), attached by the caller: they are
    #: evidence items, not part of the person shape.
    faces: tuple[Any, ...] = field(default=(), compare=False, repr=False)
    #: Information (bits) of the name read as its commonest plausible spellings
    #: (:func:`matching.names.commonest_reading`): below ``name_bits`` only for a name
    #: with native-script parts. From 1.4 it caps the cross-script agreements of a query.
    reading_bits: float = 0.0


def _first_name_text(names: list[Any]) -> str | None:
    for item in names:
        if isinstance(item, str) and item.strip():
            return item.strip()
        if isinstance(item, Mapping):
            full = item.get("full")
            if isinstance(full, str) and full.strip():
                return full.strip()
            parts = [
                item[k].strip()
                for k in ("given", "family")
                if isinstance(item.get(k), str) and item[k].strip()
            ]
            if parts:
                return " ".join(parts)
    return None


def name_information(names: NameSet) -> float:
    """How informative a person's own name is, in bits (0.0 without a usable name).

    A name agreement is never rarer than either side's own name: a native-script
    spelling the frequency table does not know must not make "Mohammed Ahmed" rare.
    """
    return compare_names_with_rarity(names, names)[1] if names else 0.0


def reading_information(names: NameSet, own: float) -> float:
    """:func:`name_information` of the name read as its commonest plausible spellings
    (``own``, the name's own information, when it has no native-script part)."""
    common = commonest_reading(names)
    return own if common is names else name_information(common)


def build_profile(person: Mapping[str, Any], *, faces: Sequence[Any] = ()) -> Profile:
    """Prepare a person for matching. Never raises on odd values: what cannot be read
    counts as unknown. ``faces`` are the person's face embeddings, if any.

    >>> p = build_profile({"names": ["Anna Maria Eriksson"], "birth_date": "1974-08-12",
    ...                    "sex": "F", "documents": [{"number": "L898902C3"}]})
    >>> p.sex, p.birth.year, p.documents[0].number
    ('F', 1974, 'L898902C3')
    """
    raw_names = person.get("names")
    if isinstance(raw_names, (str, Mapping)):
        raw_names = [raw_names]
    names: list[Any] = (
        [n for n in raw_names if isinstance(n, (str, Mapping))]
        if isinstance(raw_names, (list, tuple))
        else []
    )
    date_range = person.get("birth_date_range")
    documents = person.get("documents")
    name_set = build_name_set(names)
    name_bits = name_information(name_set)
    return Profile(
        names=name_set,
        name_text=_first_name_text(names),
        name_bits=name_bits,
        birth=parse_birth_date(
            person.get("birth_date"), date_range if isinstance(date_range, Mapping) else None
        ),
        sex=sex_from(person.get("sex")),
        nationality=codes_from(person.get("nationality")),
        birth_place=place_from(person.get("birth_place")),
        documents=documents_from(documents if isinstance(documents, (list, tuple)) else ()),
        languages=codes_from(person.get("languages")),
        faces=tuple(faces),
        reading_bits=reading_information(name_set, name_bits),
    )


def with_name_counts(profile: Profile, counts: Mapping[str, int], gallery_size: int) -> Profile:
    """The query profile with its name parts' frequencies blended with the gallery's
    counts (``tr:<form>`` → records bearing it, of ``gallery_size``; the keys are
    :func:`name_count_keys` of ``profile.names``): the service calls this once per query
    with the counts it read for blocking. Stored candidates keep the prior alone; an
    agreement weighs by the commoner of the two readings.

    >>> p = build_profile({"names": ["Kadiatou Kone"]})
    >>> with_name_counts(p, {"tr:kadiatou": 300, "tr:kone": 900}, 20_000).name_bits < p.name_bits
    True
    """
    if gallery_size <= 0 or not profile.names:
        return profile
    names = _names_with_counts(profile.names, counts, gallery_size)
    bits = name_information(names)
    return dataclasses.replace(
        profile, names=names, name_bits=bits, reading_bits=reading_information(names, bits)
    )
