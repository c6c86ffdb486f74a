"""Search keys: the strings a profile is indexed and looked up by, for blocking.

Three families, kept small (a few dozen per profile):

* name keys from :func:`matching.names.name_keys` (``tr:``, ``sk:``, ``ph:``);
* ``doc:<number>`` for each document number, normalised and with OCR-confusable
  letters folded to digits, so ``E1234S678`` and ``E12345678`` share a key;
* ``by:<year>`` for the year of birth; for an age-assessment range, every year it
  covers, up to :data:`MAX_RANGE_YEARS` around its middle.

``by:`` keys are coarse (one year holds a large share of any gallery): use them to
rank or to narrow candidates found by name keys, not to block alone.

>>> from matching.profile import build_profile
>>> sorted(k for k in search_keys(build_profile(
...     {"names": [], "birth_date": "1990-05-17", "documents": [{"number": "e12 3456"}]})))
['by:1990', 'doc:E123456']
"""

from __future__ import annotations

import datetime as dt

from matching.names import name_keys
from matching.profile import Profile

__all__ = ["MAX_RANGE_YEARS", "search_keys"]

#: The most birth-year keys a range gives (the years nearest its middle).
MAX_RANGE_YEARS = 7


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


def search_keys(profile: Profile) -> frozenset[str]:
    """Every key a profile is found by: name keys, ``doc:`` and ``by:`` keys."""
    keys = set(name_keys(profile.names))
    keys.update(f"doc:{d.ocr}" for d in profile.documents)
    keys.update(f"by:{year}" for year in _birth_years(profile))
    return frozenset(keys)
