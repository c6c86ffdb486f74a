"""Building blocks shared by every request and response model."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from typing import Annotated, Any, Generic, TypeVar

import pycountry
from pydantic import AfterValidator, BaseModel, ConfigDict

T = TypeVar("T")

# ICAO 9303 codes that are not ISO 3166 countries but appear on travel documents
# (UTO is the specimen state "Utopia" of ICAO's examples).
_ICAO_EXTRA = {"XXA", "XXB", "XXC", "XXX", "UNO", "UNA", "UNK", "EUE", "XOM", "XPO", "XCC", "UTO"}


class StrictModel(BaseModel):
    """Unknown fields are refused; strings are stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


@lru_cache(maxsize=1)
def _countries() -> frozenset[str]:
    return frozenset(c.alpha_3 for c in pycountry.countries) | _ICAO_EXTRA


@lru_cache(maxsize=1)
def _languages() -> frozenset[str]:
    return frozenset(lang.alpha_3 for lang in pycountry.languages)


def _country(value: str) -> str:
    code = value.upper()
    if code not in _countries():
        raise ValueError(f"'{value}' is not an ISO 3166-1 alpha-3 country code")
    return code


def _language(value: str) -> str:
    code = value.lower()
    if code not in _languages():
        raise ValueError(f"'{value}' is not an ISO 639-3 language code")
    return code


_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def _partial_date(value: str) -> str:
    match = _PARTIAL_DATE.match(value)
    if match is None:
        raise ValueError(f"'{value}' is not a date of the form YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = match.groups()
    today = date.today()
    if not 1850 <= int(year) <= today.year:
        raise ValueError(f"year {year} is out of range")
    if month is not None and not 1 <= int(month) <= 12:
        raise ValueError(f"month {month} is out of range")
    if day is not None:
        try:
            day_date = date(int(year), int(month), int(day))
        except ValueError:
            raise ValueError(f"'{value}' is not a real calendar date") from None
        if day_date > today:
            raise ValueError(f"'{value}' is in the future")
    return value


# Unicode categories Cc (but tab and line breaks) and Cs, as one scan: bulk imports
# validate every name, and a per-character loop was a tenth of their time.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def check_text(value: str) -> str:
    """Refuse control characters (but tab and line breaks) and unpaired surrogates."""
    found = _FORBIDDEN.search(value)
    if found is not None:
        if "\ud800" <= found.group() <= "\udfff":
            raise ValueError("text may not contain unpaired surrogates")
        raise ValueError("text may not contain control characters")
    return value


Country = Annotated[str, AfterValidator(_country)]
Language = Annotated[str, AfterValidator(_language)]
PartialDate = Annotated[str, AfterValidator(_partial_date)]
Text = Annotated[str, AfterValidator(check_text)]


def plain(value: Any) -> Any:
    """A model dumped for JSON storage, without unset optional fields."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_none=True)
    return value
