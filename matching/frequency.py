"""How common a name part is: the chance that a random other person bears it.

An agreeing name is evidence in proportion to how rarely unrelated people share it, so
the name feature's weight comes from ``u``, the share of people bearing each agreeing
part (see :mod:`matching.scoring`). That share comes from two places:

* a shipped prior per naming tradition (``data/name_priors.json``, built with cited
  sources by ``bench/build_name_priors.py``): Nguyen 38 % of Vietnamese people, Wang
  7.25 % of Chinese, Diallo about 10 % of Guineans, Muhammad about one in ten where it is
  given; a part the table does not list takes the larger of the reference name list's
  share (``data/name_freq.json.gz``) and :data:`UNLISTED_SHARE`;
* the gallery's own counts, as it grows: how many of its ``N`` records bear the part.

They are blended as a Beta prior with :data:`PSEUDO_COUNT` pseudo-records::

    share = (PSEUDO_COUNT * prior + others) / (PSEUDO_COUNT + N)

where ``others`` is the count less the candidate's own record. In a small gallery the
table decides (a very common name weighs little even before the gallery shows it); in a
large one the gallery's counts do. The table's share is that of the tradition's own
people, so a name is taken as common as it is among its own — the safe side when the
gallery mixes traditions. Pure: no I/O but reading the package data, once.

>>> part_share("nguyen") > part_share("zhanibekov")
True
>>> round(blended_share("nguyen", 0, 0), 2)
0.38
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

__all__ = [
    "PSEUDO_COUNT",
    "UNLISTED_SHARE",
    "NamePriors",
    "blended_share",
    "listed_share",
    "load_name_priors",
    "part_bits",
    "part_share",
]

#: The prior's weight, in records: the table counts as much as a gallery of this size.
PSEUDO_COUNT = 2000
#: The share of a name part no table lists (1 in 10,000): most people bear a name part
#: shared by more than that, so an unknown part is not taken as rarer.
UNLISTED_SHARE = 1e-4
#: The share above which no part is taken (a name part borne by everyone says nothing,
#: but the log must stay finite).
MAX_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class NamePriors:
    """The shipped table: per folded spelling, the largest share any tradition gives it,
    and where each figure comes from."""

    shares: Mapping[str, float]
    #: tradition → spelling → (share, kind, source)
    traditions: Mapping[str, Mapping[str, tuple[float, str, str]]]
    sources: Mapping[str, str]
    #: The reference name list (name-part counts and their total), for unlisted parts.
    reference: Mapping[str, int]
    reference_total: float


@lru_cache(maxsize=1)
def load_name_priors() -> NamePriors:
    """The packaged priors (read once)."""
    data_dir = resources.files("matching").joinpath("data")
    table = json.loads(data_dir.joinpath("name_priors.json").read_text(encoding="utf-8"))
    traditions: dict[str, dict[str, tuple[float, str, str]]] = {}
    shares: dict[str, float] = {}
    for tradition, parts in table["traditions"].items():
        rows = traditions.setdefault(str(tradition), {})
        for form, (share, kind, source) in parts.items():
            rows[str(form)] = (float(share), str(kind), str(source))
            shares[str(form)] = max(shares.get(str(form), 0.0), float(share))
    reference: dict[str, int] = {}
    total = 1.0
    try:
        with gzip.open(str(data_dir.joinpath("name_freq.json.gz")), "rt", encoding="utf-8") as fh:
            ref = json.load(fh)
        reference = {str(k): int(v) for k, v in ref["counts"].items()}
        total = float(ref["total"])
    except (OSError, ValueError, KeyError):  # pragma: no cover - the file ships
        pass
    return NamePriors(shares, traditions, dict(table["sources"]), reference, total)


def listed_share(form: str) -> float | None:
    """The table's share of a part in its tradition, ``None`` when no table lists it."""
    return load_name_priors().shares.get(form)


def part_share(form: str) -> float:
    """The prior share of people bearing a (folded, Latin) name part: the table's, else
    the reference list's, never below :data:`UNLISTED_SHARE`."""
    priors = load_name_priors()
    listed = priors.shares.get(form)
    if listed is not None:
        return min(listed, MAX_SHARE)
    counted = priors.reference.get(form, 0) / priors.reference_total
    return min(max(counted, UNLISTED_SHARE), MAX_SHARE)


def blended_share(form: str, gallery_count: int, gallery_size: int) -> float:
    """The share of *other* records bearing ``form`` in a gallery of ``gallery_size``
    where ``gallery_count`` records bear it (the candidate's own among them): the prior
    as :data:`PSEUDO_COUNT` pseudo-records plus the gallery's counts.

    >>> blended_share("zhanibekov", 1, 20_000) < blended_share("zhanibekov", 400, 20_000)
    True
    """
    others = max(gallery_count - 1, 0)
    n = max(gallery_size - 1, 0)
    share = (PSEUDO_COUNT * part_share(form) + others) / (PSEUDO_COUNT + n)
    return min(share, MAX_SHARE)


def part_bits(form: str, counts: Mapping[str, int] | None = None, gallery_size: int = 0) -> float:
    """``-log2`` of the part's share: its information, in bits. ``counts`` maps a form to
    the number of gallery records bearing it (``None``: the prior alone)."""
    if counts is None or gallery_size <= 0:
        return -math.log2(part_share(form))
    return -math.log2(blended_share(form, int(counts.get(form, 0)), gallery_size))
