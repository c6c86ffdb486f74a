"""The result shapes every comparator and the scorer return.

A comparator compares one feature of two profiles and says at which *level* they
agree, with the values it looked at and a sentence a caseworker can read. The scorer
turns each level into a weight (a log-likelihood ratio) and adds them up.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Comparison:
    """One feature of a pair, judged.

    ``level`` is one of the feature's named levels (``exact``, ``transliteration``,
    ``close``, ``different``, ``missing`` ...); ``similarity`` orders pairs inside a
    level (0..1) and never changes the level itself.
    """

    feature: str
    level: str
    query: str | None
    candidate: str | None
    detail: str
    similarity: float = 0.0


@dataclass(frozen=True, slots=True)
class Feature:
    """A judged feature with the weight the algorithm gave its level."""

    feature: str
    level: str
    weight: float
    query: str | None
    candidate: str | None
    detail: str


@dataclass(frozen=True, slots=True)
class MatchResult:
    """The score of one pair with every reason behind it."""

    algorithm: str
    match_weight: float
    probability: float
    band: str
    features: tuple[Feature, ...] = field(default_factory=tuple)
