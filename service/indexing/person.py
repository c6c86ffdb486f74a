"""The person a case stands for, merged from its subject and its current evidence."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

_LIST_FIELDS = ("nationality", "languages")


def _names_of(data: Mapping[str, Any]) -> list[Any]:
    names: list[Any] = []
    raw = data.get("names")
    if isinstance(raw, list):
        names.extend(n for n in raw if isinstance(n, (str, Mapping)))
    elif isinstance(raw, (str, Mapping)):
        names.append(raw)
    for key in ("name", "name_original", "name_latin", "full_name"):
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            names.append(value)
    surname, given = data.get("surname"), data.get("given_names")
    if isinstance(surname, str) and surname.strip():
        full = f"{given} {surname}" if isinstance(given, str) and given.strip() else surname
        names.append({"full": full, "family": surname, "given": given or None})
    return names


def merge_person(
    subject: Mapping[str, Any], evidence: Iterable[tuple[str, Mapping[str, Any]]]
) -> dict[str, Any]:
    """One person from the case subject and its evidence: names, dates and codes united.

    The subject's own values come first; evidence adds names, aliases, documents,
    nationalities and languages, and fills in a birth date, sex or place only where
    the subject has none.
    """
    person: dict[str, Any] = {k: v for k, v in subject.items() if v not in (None, [], {})}
    names: list[Any] = list(_names_of(subject))
    documents: list[Any] = list(subject.get("documents") or [])
    lists: dict[str, list[str]] = {f: list(subject.get(f) or []) for f in _LIST_FIELDS}

    def fill(field: str, value: Any) -> None:
        if value not in (None, "", [], {}) and field not in person:
            person[field] = value

    for kind, data in evidence:
        claims: Mapping[str, Any] = data
        if kind == "interview":
            claims = data.get("claims") or {}
        elif kind == "language_test":
            language = data.get("language")
            if isinstance(language, str):
                lists["languages"].append(language)
            continue
        elif kind != "document":
            continue
        names.extend(_names_of(claims))
        for field in ("birth_date", "birth_date_range", "sex", "birth_place"):
            fill(field, claims.get(field))
        for field in _LIST_FIELDS:
            value = claims.get(field)
            if isinstance(value, str):
                lists[field].append(value)
            elif isinstance(value, list):
                lists[field].extend(v for v in value if isinstance(v, str))
        if kind == "document":
            issuer = claims.get("issuer") or claims.get("issuing_state")
            number = claims.get("number")
            if isinstance(number, str) and number.strip():
                documents.append(
                    {
                        "type": claims.get("type", "other"),
                        "number": number,
                        **({"issuer": issuer} if isinstance(issuer, str) else {}),
                    }
                )
        documents.extend(d for d in claims.get("documents") or [] if isinstance(d, Mapping))

    person["names"] = _unique(names)
    if documents:
        person["documents"] = _unique(documents)
    for field, values in lists.items():
        if values:
            person[field] = sorted(set(values))
    return person


def _unique(items: list[Any]) -> list[Any]:
    seen: set[str] = set()
    kept: list[Any] = []
    for item in items:
        key = json.dumps(item, sort_keys=True, ensure_ascii=False)
        if key not in seen:
            seen.add(key)
            kept.append(item)
    return kept


def person_hash(person: Mapping[str, Any]) -> str:
    """A stable digest of a person: the evidence state a match run answers for."""
    canonical = json.dumps(person, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
