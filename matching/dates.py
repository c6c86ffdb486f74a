"""Dates of birth: parsing the shapes people give, and comparing two of them.

A date of birth arrives as a full date (``1990-05-17``), a year and month
(``1990-05``), a year (``1990``), zeros for unknown parts (``1990-00-00``), or an
age-assessment range (``{"from": "1988-01-01", "to": "1992-12-31"}``). Registries
that need a full date often write 1 January of a guessed year; that placeholder
says no more than the year, so it is read as year-only.

>>> parse_birth_date("1990-01-01").precision
'year'
>>> compare_birth_dates(parse_birth_date("1990-05-07"), parse_birth_date("1990-07-05")).level
'swapped'
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from matching.comparison import Comparison
from matching.judgement import Judgement, as_comparison, judgement

__all__ = [
    "DATE_LEVELS",
    "BirthDate",
    "compare_birth_dates",
    "parse_birth_date",
]

FEATURE = "birth_date"

#: Levels of the birth-date feature, most to least telling.
DATE_LEVELS: tuple[str, ...] = (
    "exact",
    "swapped",
    "month",
    "typo",
    "year",
    "in_range_1y",
    "in_range_3y",
    "same_day_month",
    "same_year",
    "near_year",
    "in_range_5y",
    "in_range_wide",
    "different",
    "missing",
)

_DATE_RE = re.compile(r"^\s*(\d{4})(?:[-/.]?(\d{1,2})(?:[-/.]?(\d{1,2}))?)?\s*$")


@dataclass(frozen=True, slots=True)
class BirthDate:
    """A date of birth as far as it is known.

    ``year``/``month``/``day`` hold what the source said (``month``/``day`` are
    ``None`` when unknown or a placeholder); ``lo``/``hi`` are the first and last
    possible day as proleptic ordinals, combining the date and any range;
    ``text`` is the value as the caseworker gave it.
    """

    text: str
    year: int | None
    month: int | None
    day: int | None
    placeholder: bool
    lo: int
    hi: int
    has_range: bool

    @property
    def precision(self) -> str:
        """``day``, ``month``, ``year`` or ``range`` (only an age range is known)."""
        if self.year is None:
            return "range"
        if self.day is not None:
            return "day"
        if self.month is not None:
            return "month"
        return "year"


def _last_day(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (dt.date(year, month + 1, 1) - dt.timedelta(days=1)).day


def _parse_parts(text: str) -> tuple[int, int | None, int | None, bool] | None:
    """(year, month, day, placeholder) from a date string, or None if unreadable."""
    m = _DATE_RE.match(text)
    if m is None:
        return None
    year = int(m.group(1))
    if not 1800 <= year <= 2200:
        return None
    month = int(m.group(2)) if m.group(2) else None
    day = int(m.group(3)) if m.group(3) else None
    placeholder = False
    if month == 0:
        month, day, placeholder = None, None, True
    if day == 0:
        day, placeholder = None, True
    if month is not None and not 1 <= month <= 12:
        return None
    if month is not None and day is not None:
        if not 1 <= day <= _last_day(year, month):
            return None
        if month == 1 and day == 1:
            return year, None, None, True
    return year, month, day, placeholder


def _span(year: int, month: int | None, day: int | None) -> tuple[int, int]:
    if month is None:
        return dt.date(year, 1, 1).toordinal(), dt.date(year, 12, 31).toordinal()
    if day is None:
        first = dt.date(year, month, 1).toordinal()
        return first, dt.date(year, month, _last_day(year, month)).toordinal()
    d = dt.date(year, month, day).toordinal()
    return d, d


def _range_bound(value: Any, *, upper: bool) -> int | None:
    if not isinstance(value, str):
        return None
    parts = _parse_parts(value)
    if parts is None:
        return None
    year, month, day, placeholder = parts
    if placeholder and month is None and not upper:
        # "1988-01-01" as a lower bound means the start of 1988, which is the same day.
        return dt.date(year, 1, 1).toordinal()
    lo, hi = _span(year, month, day)
    return hi if upper else lo


def parse_birth_date(
    value: Any = None, date_range: Mapping[str, Any] | None = None
) -> BirthDate | None:
    """Read a birth date and/or an age-assessment range; None when neither is usable.

    Unreadable input gives None rather than an error: matching works on what is known.

    >>> parse_birth_date("1990-05").precision
    'month'
    >>> parse_birth_date(None, {"from": "1988-01-01", "to": "1992-12-31"}).precision
    'range'
    >>> parse_birth_date("1990-02-30") is None
    True
    """
    # documents print XX as well as 00 for an unknown month or day (1990-XX-XX)
    parts = _parse_parts(value.replace("XX", "00")) if isinstance(value, str) else None
    lo_r = hi_r = None
    if isinstance(date_range, Mapping):
        lo_r = _range_bound(date_range.get("from"), upper=False)
        hi_r = _range_bound(date_range.get("to"), upper=True)
        if lo_r is not None and hi_r is not None and lo_r > hi_r:
            lo_r, hi_r = hi_r, lo_r
    has_range = lo_r is not None or hi_r is not None
    if has_range:
        lo_r = lo_r if lo_r is not None else _FAR_PAST
        hi_r = hi_r if hi_r is not None else _FAR_FUTURE
    if parts is None:
        if lo_r is None or hi_r is None:
            return None
        text = f"{_fmt(lo_r)}…{_fmt(hi_r)}"
        return BirthDate(text, None, None, None, False, lo_r, hi_r, True)
    year, month, day, placeholder = parts
    lo, hi = _span(year, month, day)
    if lo_r is not None and hi_r is not None:
        # Both a claimed date and an assessed range: either may be the right one.
        lo, hi = min(lo, lo_r), max(hi, hi_r)
    return BirthDate(str(value).strip(), year, month, day, placeholder, lo, hi, has_range)


_FAR_PAST = dt.date(1800, 1, 1).toordinal()
_FAR_FUTURE = dt.date(2200, 12, 31).toordinal()


def _fmt(ordinal: int | None) -> str:
    return "" if ordinal is None else dt.date.fromordinal(ordinal).isoformat()


def _adjacent_swap(a: str, b: str) -> bool:
    """Same length, and exactly two adjacent digits swapped (1989 vs 1998)."""
    if len(a) != len(b):
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    return (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and a[diff[0]] == b[diff[1]]
        and a[diff[1]] == b[diff[0]]
    )


#: Widths (days) of an age-assessment range up to which it counts as about 1, 3 and 5
#: years wide; wider ranges are ``in_range_wide``. A wider range is covered by more
#: unrelated people's dates, so it weighs less.
RANGE_WIDTHS: tuple[tuple[int, str], ...] = (
    (400, "in_range_1y"),
    (1140, "in_range_3y"),
    (1870, "in_range_5y"),
)


def range_level(width_days: int) -> str:
    """The ``in_range_*`` level of a range this many days wide.

    >>> range_level(5 * 365)
    'in_range_5y'
    """
    for limit, level in RANGE_WIDTHS:
        if width_days <= limit:
            return level
    return "in_range_wide"


def _one_edit(a: str, b: str) -> bool:
    """Same length, and one digit differs or two adjacent digits are swapped."""
    if len(a) != len(b):
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    if len(diff) == 1:
        return True
    return (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and a[diff[0]] == b[diff[1]]
        and a[diff[1]] == b[diff[0]]
    )


def _range_text(d: BirthDate) -> str:
    return f"{_fmt(d.lo)}…{_fmt(d.hi)}"


def judge_birth_dates(q: BirthDate | None, c: BirthDate | None) -> Judgement:
    """:func:`compare_birth_dates` as a :data:`~matching.judgement.Judgement` tuple."""
    if q is None or c is None:
        return judgement(
            FEATURE,
            "missing",
            q.text if q else None,
            c.text if c else None,
            "date of birth not known on one side",
        )
    qt, ct = q.text, c.text
    if q.year is not None and c.year is not None:
        level, detail = _compare_dated(q, c)
        if level != "different" or not (q.has_range or c.has_range):
            return level, qt, ct, detail, _SIM[level]  # judgement(), inlined: the hot path
    # At least one side is only a range, or the dates disagree but a range was also given.
    if q.lo <= c.hi and c.lo <= q.hi:
        ranged = [d for d in (q, c) if d.has_range] or [q, c]
        widest = max(ranged, key=lambda d: d.hi - d.lo)
        width = widest.hi - widest.lo + 1
        level = range_level(width)
        return judgement(
            FEATURE,
            level,
            qt,
            ct,
            f"the other date falls inside the age-assessment range {_range_text(widest)} "
            f"(about {max(1, round(width / 365.25))} year(s) wide): only that much agreed",
            _SIM[level],
        )
    gap_days = max(q.lo - c.hi, c.lo - q.hi)
    if gap_days <= 366:
        return judgement(
            FEATURE,
            "near_year",
            qt,
            ct,
            "within a year of the age-assessment range",
            _SIM["near_year"],
        )
    return judgement(
        FEATURE,
        "different",
        qt,
        ct,
        f"about {gap_days // 365} year(s) outside the range",
        0.0,
    )


def compare_birth_dates(q: BirthDate | None, c: BirthDate | None) -> Comparison:
    """Dates of birth: the same day, day and month swapped, the same month, a one-digit
    slip, the same year (when a side knows only the year, or gives the 1 January
    placeholder), a year apart, inside an age-assessment range, or different.

    >>> a = parse_birth_date("1990-05-17")
    >>> compare_birth_dates(a, parse_birth_date("1990")).level
    'year'
    >>> compare_birth_dates(a, parse_birth_date("1991-05-17")).level
    'near_year'
    """
    return as_comparison(FEATURE, judge_birth_dates(q, c))


_SIM: dict[str, float] = {
    "exact": 1.0,
    "swapped": 0.9,
    "month": 0.85,
    "typo": 0.8,
    "year": 0.7,
    "same_year": 0.5,
    "near_year": 0.4,
    "in_range_1y": 0.6,
    "in_range_3y": 0.45,
    "same_day_month": 0.35,
    "in_range_5y": 0.3,
    "in_range_wide": 0.2,
    "different": 0.0,
    "missing": 0.0,
}


def _compare_dated(q: BirthDate, c: BirthDate) -> tuple[str, str]:
    assert q.year is not None and c.year is not None
    placeholder = q.placeholder or c.placeholder
    if q.year == c.year:
        if q.month is not None and q.month == c.month:
            if q.day is not None and q.day == c.day:
                return "exact", "same date of birth"
            if q.day is None or c.day is None:
                return "month", "same year and month; the day is not known on one side"
            return "month", f"same year and month, day {q.day} vs {c.day}"
        if q.month is None or c.month is None:
            why = (
                "1 January or 00 read as a placeholder, so only the year counts"
                if placeholder
                else "only the year is known on one side"
            )
            return "year", f"same year; {why}"
        if q.day is not None and q.day == c.month and q.month == c.day:
            return "swapped", "day and month swapped"
        if (
            q.day is not None
            and c.day is not None
            and _one_edit(f"{q.month:02d}{q.day:02d}", f"{c.month:02d}{c.day:02d}")
        ):
            return "typo", "same year; month and day differ by one digit"
        return "same_year", "same year, different month and day"
    if q.month is not None and q.month == c.month and q.day is not None and q.day == c.day:
        gap = abs(q.year - c.year)
        if gap > 1 and _adjacent_swap(f"{q.year:04d}", f"{c.year:04d}"):
            return "typo", (
                f"same day and month; the year's two adjacent digits swapped ({q.year} vs {c.year})"
            )
        if gap > 1:
            return "same_day_month", (
                f"same day and month ({q.day:02d}.{q.month:02d}) but years {gap} apart "
                f"({q.year} vs {c.year}): the year does not agree"
            )
    if abs(q.year - c.year) == 1:
        return "near_year", f"a year apart ({q.year} vs {c.year})"
    return "different", f"different years ({q.year} vs {c.year})"
