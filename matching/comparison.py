"""The result shapes every comparator and the scorer return.

A comparator compares one feature of two profiles and says at which *level* they
agree, with the values it looked at and a sentence a caseworker can read. The scorer
turns each level into a weight (a log-likelihood ratio) and adds them up.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields


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


# The scorer builds a Feature per feature and a MatchResult per pair, tens of
# thousands a second: a frozen dataclass's __init__ sets each field through
# object.__setattr__, about twice the cost of setting the slots directly as below.
# Same objects (equal, hashable, frozen); tests/unit/test_scoring.py checks that these
# build exactly what the constructors build.

_new = object.__new__
_FEATURE_FIELDS = ("feature", "level", "weight", "query", "candidate", "detail")
_RESULT_FIELDS = ("algorithm", "match_weight", "probability", "band", "features")
if (
    tuple(f.name for f in fields(Feature)) != _FEATURE_FIELDS
    or tuple(f.name for f in fields(MatchResult)) != _RESULT_FIELDS
):  # pragma: no cover - a field was added above and not here
    raise RuntimeError("new_feature/new_match_result no longer match their classes")
_f_feature, _f_level, _f_weight, _f_query, _f_candidate, _f_detail = (
    getattr(Feature, name).__set__ for name in _FEATURE_FIELDS
)
_r_algorithm, _r_match_weight, _r_probability, _r_band, _r_features = (
    getattr(MatchResult, name).__set__ for name in _RESULT_FIELDS
)


def new_feature(
    feature: str, level: str, weight: float, query: str | None, candidate: str | None, detail: str
) -> Feature:
    """``Feature(feature, level, weight, query, candidate, detail)``, faster."""
    f = _new(Feature)
    _f_feature(f, feature)
    _f_level(f, level)
    _f_weight(f, weight)
    _f_query(f, query)
    _f_candidate(f, candidate)
    _f_detail(f, detail)
    return f


def new_match_result(
    algorithm: str,
    match_weight: float,
    probability: float,
    band: str,
    features: tuple[Feature, ...],
) -> MatchResult:
    """``MatchResult(algorithm, match_weight, probability, band, features)``, faster."""
    r = _new(MatchResult)
    _r_algorithm(r, algorithm)
    _r_match_weight(r, match_weight)
    _r_probability(r, probability)
    _r_band(r, band)
    _r_features(r, features)
    return r
