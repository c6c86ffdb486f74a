"""Building blocks shared by every request and response model."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from typing import Annotated, Any, Generic, TypeVar

import pycountry
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

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


# ASCII digits only: ``\d`` would take Arabic-Indic or full-width digits too.
_PARTIAL_DATE = re.compile(r"^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?$")
# The placeholders documents print for an unknown month or day: 00 or XX.
_PLACEHOLDER_DATE = re.compile(r"^([0-9]{4})-(00|XX)-(00|XX)$|^([0-9]{4})-([0-9]{2})-(00|XX)$")


def known_part(value: str) -> str:
    """What a date with placeholders says: ``1990-00-00`` and ``1990-XX-XX`` are
    ``1990``, ``1990-05-00`` and ``1990-05-XX`` are ``1990-05``; others as given."""
    match = _PLACEHOLDER_DATE.match(value)
    if match is None:
        return value
    if match.group(1) is not None:
        return match.group(1)
    return f"{match.group(4)}-{match.group(5)}"


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


def _document_date(value: str) -> str:
    """A date as a document prints it: a partial date, or one with 00/XX placeholders
    for an unknown month or day (checked as the part that is known)."""
    _partial_date(known_part(value))
    return value


def _calendar_date(value: str) -> str:
    """A full, real calendar date in ASCII digits (``YYYY-MM-DD``)."""
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value) is None:
        raise ValueError(f"'{value}' is not a date of the form YYYY-MM-DD")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"'{value}' is not a real calendar date") from None
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


# A letter or digit (``\w`` without ``_``): combining marks, joiners and direction
# marks are not, so a name made only of them has nothing to read.
_VISIBLE = re.compile(r"[^\W_]")


def check_visible_letter(value: str) -> str:
    """Refuse a name with no letter or digit in it (only marks, joiners, overrides)."""
    if _VISIBLE.search(value) is None:
        raise ValueError("a name must contain at least one letter")
    return value


# The patterns go into the OpenAPI schema only (the validators say more, and say it
# in their own words); they make schema-valid values valid ones. The code lists are
# enums in components (CountryCode, LanguageCode; service.openapi adds them), which
# the validators' case-insensitive forms extend ("deu" is taken as "DEU").
COUNTRY_REF = "#/components/schemas/CountryCode"
LANGUAGE_REF = "#/components/schemas/LanguageCode"


def country_codes() -> list[str]:
    """Every country code the API takes, as the schema lists them."""
    return sorted(_countries())


def language_codes() -> list[str]:
    return sorted(_languages())


Country = Annotated[
    str,
    AfterValidator(_country),
    Field(json_schema_extra={"pattern": "^[A-Za-z]{3}$", "allOf": [{"$ref": COUNTRY_REF}]}),
]
Language = Annotated[
    str,
    AfterValidator(_language),
    Field(json_schema_extra={"pattern": "^[A-Za-z]{3}$", "allOf": [{"$ref": LANGUAGE_REF}]}),
]


def _year_pattern(last: int) -> str:
    """Years 1850 to ``last`` as a regular expression (``last`` from 1900 to 2099)."""
    decade, unit = divmod(last - 2000, 10) if last >= 2000 else (None, None)
    years = ["18[5-9][0-9]", "19[0-9]{2}"]
    if decade is not None and unit is not None:
        if decade:
            years.append(f"20[0-{decade - 1}][0-9]")
        years.append(f"20{decade}[0-{unit}]")
    return "(" + "|".join(years) + ")"


# Months and days as the calendar has them (29 February left out: it is real only in
# leap years, which a regular expression does not know). Up to last year: a date of
# this year may still lie in the future, which the validator refuses.
_MONTH_DAY = (
    "(0[13578]|1[02])(-(0[1-9]|[12][0-9]|3[01]))?"
    "|(0[469]|11)(-(0[1-9]|[12][0-9]|30))?"
    "|02(-(0[1-9]|1[0-9]|2[0-8]))?"
)
_YEARS = _year_pattern(date.today().year - 1)
PARTIAL_DATE_PATTERN = f"^{_YEARS}(-({_MONTH_DAY}))?$"
PartialDate = Annotated[
    str,
    AfterValidator(_partial_date),
    Field(json_schema_extra={"pattern": PARTIAL_DATE_PATTERN}),
]
#: A birth date as documents carry it: ``PartialDate`` or 00/XX placeholders, kept as
#: written (``known_part`` gives what it says).
DOCUMENT_DATE_PATTERN = f"^{_YEARS}(-({_MONTH_DAY}|(00|XX)-(00|XX)|(0[1-9]|1[0-2])-(00|XX)))?$"
DocumentDate = Annotated[
    str,
    AfterValidator(_document_date),
    Field(json_schema_extra={"pattern": DOCUMENT_DATE_PATTERN}),
]
CalendarDate = Annotated[
    str,
    AfterValidator(_calendar_date),
    Field(
        json_schema_extra={
            "pattern": "^[0-9]{4}-((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])"
            "|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0[1-9]|1[0-9]|2[0-8]))$"
        }
    ),
]

# Control characters (but tab and line breaks), as check_text refuses them, and at
# least one character that is not white space (strings are stripped before their
# length is checked); names need a letter or digit (check_visible_letter).
_CONTROL = "\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f"
TEXT_PATTERN = f"^([^{_CONTROL}]*[^\\s{_CONTROL}][^{_CONTROL}]*)?$"
NAME_PATTERN = f"^(?=[^{_CONTROL}]*[^\\W_])[^{_CONTROL}]*$"
Text = Annotated[
    str, AfterValidator(check_text), Field(json_schema_extra={"pattern": TEXT_PATTERN})
]


def plain(value: Any) -> Any:
    """A model dumped for JSON storage, without unset optional fields."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_none=True)
    return value
