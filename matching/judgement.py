"""A comparator's verdict as a plain tuple, for the scorer's hot loop.

Comparators are public as functions returning :class:`~matching.comparison.Comparison`;
each is a thin wrapper over a ``judge_*`` function returning this tuple, which the
scorer reads directly to avoid building an object per feature per pair.
"""

from __future__ import annotations

from matching.comparison import Comparison

__all__ = ["Judgement", "as_comparison", "judgement"]

#: (level, query value, candidate value, detail, similarity)
Judgement = tuple[str, str | None, str | None, str, float]


def judgement(
    feature: str,
    level: str,
    query: str | None,
    candidate: str | None,
    detail: str,
    similarity: float = 0.0,
) -> Judgement:
    """Same arguments as :class:`Comparison`; ``feature`` is implied by the caller."""
    return (level, query, candidate, detail, similarity)


def as_comparison(feature: str, j: Judgement) -> Comparison:
    """The public result shape of a judgement."""
    return Comparison(feature, j[0], j[1], j[2], j[3], j[4])
