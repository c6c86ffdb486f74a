"""Search keys: the strings a profile is indexed and looked up by, for blocking.

Five families, kept small (a few dozen per stored profile):

* name keys from :func:`matching.names.name_keys` (``tr:``, ``sk:``, ``ph:``, the
  coarse ``sc:`` consonant classes, and ``nt:`` for a native-script part as written);
* ``doc:<number>`` for each document number, normalised and with OCR-confusable
  letters folded to digits, so ``E1234S678`` and ``E12345678`` share a key;
* ``by:<year>`` for the year of birth; for an age-assessment range, every year it
  covers, up to :data:`MAX_RANGE_YEARS` around its middle;
* ``sb:<skeleton>:<year>`` a name part's consonant skeleton together with a birth
  year. One part of a common name is shared by thousands of people in a large
  gallery, and one birth year by tens of thousands; the two together by a handful.
  This is what finds a person when only one name part survives transliteration.
* ``bd:<yyyy-mm-dd>`` a full date of birth (not a 1 January or other placeholder, not
  an age range). Among a million records one day of birth is shared by about a
  hundred people, while a very common name and its birth year are shared by a
  thousand or more: without it the record with the very date stated came back in
  the first 300 blocked only by chance (issue 18, bench/adversarial.py at
  1,000,000). A query also looks up the date with day and month swapped.

A stored profile is indexed under :func:`search_keys`. A query looks up
:func:`query_keys`: the same keys, except that a name part's skeleton is tried with
the years on either side of each birth year as well, since a year off by one is a
common error in stated dates of birth.

``by:`` keys are coarse (one year holds a large share of any gallery): use them to
rank or to narrow candidates found by name keys, not to block alone.

>>> from matching.profile import build_profile
>>> sorted(k for k in search_keys(build_profile(
...     {"names": [], "birth_date": "1990-05-17", "documents": [{"number": "e12 3456"}]})))
['bd:1990-05-17', 'by:1990', 'doc:E123456']
>>> sorted(k for k in search_keys(build_profile({"names": ["Ahmed"], "birth_date": "1990"})))
['by:1990', 'ph:amt', 'sb:hmd:1990', 'sc:nd', 'sk:hmd', 'tr:ahmed']
>>> sorted(k for k in query_keys(build_profile({"names": ["Ahmed"], "birth_date": "1990"}))
...        if k.startswith("sb:"))
['sb:hmd:1989', 'sb:hmd:1990', 'sb:hmd:1991']
"""

from __future__ import annotations

import datetime as dt

from matching.names import name_keys
from matching.profile import Profile

__all__ = ["KEYS_VERSION", "MAX_RANGE_YEARS", "query_keys", "search_keys"]

#: The key scheme's version: stored keys of another version must be rebuilt.
KEYS_VERSION = "keys-6"

#: The most birth-year keys a range gives (the years nearest its middle).
MAX_RANGE_YEARS = 7
#: How far a query's birth year may be from the stored one and still share a key.
QUERY_YEAR_SLACK = 1


def _birth_years(profile: Profile) -> list[int]:
    birth = profile.birth
    if birth is None:
        return []
    if birth.year is not None and not birth.has_range:
        return [birth.year]
    first = dt.date.fromordinal(birth.lo).year
    last = dt.date.fromordinal(birth.hi).year
    years = list(range(first, last + 1))
    if len(years) > MAX_RANGE_YEARS:
        middle = (first + last) // 2
        half = MAX_RANGE_YEARS // 2
        years = list(range(middle - half, middle + half + 1))
    if birth.year is not None and birth.year not in years:
        years.append(birth.year)
    return years


def _full_dates(profile: Profile, *, swapped: bool) -> list[str]:
    """The stated day of birth as ``yyyy-mm-dd`` when it is a real day (no placeholder,
    no age range), and with ``swapped`` the same with day and month exchanged too."""
    birth = profile.birth
    if (
        birth is None
        or birth.has_range
        or birth.placeholder
        or birth.year is None
        or birth.month is None
        or birth.day is None
    ):
        return []
    out = [f"{birth.year:04d}-{birth.month:02d}-{birth.day:02d}"]
    if swapped and birth.day <= 12 and birth.day != birth.month:
        out.append(f"{birth.year:04d}-{birth.day:02d}-{birth.month:02d}")
    return out


def _keys(profile: Profile, *, slack: int) -> frozenset[str]:
    keys = set(name_keys(profile.names))
    keys.update(f"doc:{d.ocr}" for d in profile.documents)
    years = _birth_years(profile)
    keys.update(f"by:{year}" for year in years)
    keys.update(f"bd:{day}" for day in _full_dates(profile, swapped=slack > 0))
    near = sorted({y + d for y in years for d in range(-slack, slack + 1)})
    skeletons = [k[3:] for k in keys if k.startswith("sk:")]
    keys.update(f"sb:{sk}:{year}" for sk in skeletons for year in near)
    return frozenset(keys)


def search_keys(profile: Profile) -> frozenset[str]:
    """Every key a stored profile is found by: name, ``doc:``, ``by:``, ``bd:`` and
    ``sb:`` keys."""
    return _keys(profile, slack=0)


def query_keys(profile: Profile) -> frozenset[str]:
    """The keys to look a profile up by: :func:`search_keys`, with each skeleton also
    paired with the birth years next to the stated ones, and the day of birth also
    with day and month swapped."""
    return _keys(profile, slack=QUERY_YEAR_SLACK)
