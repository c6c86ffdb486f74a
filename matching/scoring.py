"""Fellegi–Sunter scoring: levels become weights, weights add up to a match weight.

Each feature level carries ``m`` (how often true matches show that level) and ``u``
(how often unrelated pairs do); its weight is ``log2(m/u)``. The match weight is the
prior ``λ`` (log2 of the prior odds that a candidate pair is a match) plus the sum of
the feature weights; the probability is ``2^w / (1 + 2^w)`` and the band follows
from thresholds on the match weight. ``m``/``u`` and thresholds live in
``matching/data/algorithm-<version>.json``, written by ``bench/estimate_weights.py``.

The configuration file::

    {"algorithm": "tessera-fs", "version": "1.2",
     "prior": {"p_present": 0.5, "min_gallery": 500,           # from 1.2: by gallery size
               "default_gallery": 20000, "source": ..., "why": ...},
     # (1.0/1.1: "prior": {"lambda": 0.001, ...}, whatever the gallery size)
     "bands": {"strong": 9.97, "possible": 0.0, ...},        # lowest match weights
     "features": [                                             # scored in this order
       {"feature": "name", "source": "estimated: ...", "why": "...",
        "max_weight": 18.94,                                   # a name alone is never strong
        "levels": {"exact": {"m": ..., "u": ..., "n_match": ..., "n_random": ...}, ...},
        "rarity": {"centre_bits": {"exact": 32.2, ...}, "weight": 0.5, "cap": 4.0}},
       {"feature": "birth_date", ...}, ...],
     "accuracy": {"febrl4": {...}}}                            # declared, bench/febrl.py

``missing`` always weighs 0; a feature may set ``max_weight`` (applied after the
rarity shift). Older versions' files stay in the package: a run recorded with
``tessera-fs-1.0`` is scored again by ``load_algorithm("1.0")``. Adding a feature (e.g.
a face comparator with levels strong/close/far/different) takes a comparator and the
feature's levels: :func:`extend_algorithm`, or :func:`register_comparator` and an
entry in a new configuration version.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from importlib import resources
from typing import Any

from matching.attributes import judge_birth_place, judge_languages, judge_nationality, judge_sex
from matching.comparison import Comparison, Feature, MatchResult
from matching.dates import judge_birth_dates
from matching.documents import judge_document_sets
from matching.judgement import Judgement
from matching.names import clear_memos, judge_names
from matching.profile import Profile

__all__ = [
    "ALGORITHM",
    "BANDS",
    "DEFAULT",
    "Algorithm",
    "FeatureSpec",
    "band_for",
    "clear_caches",
    "declared_bands",
    "extend_algorithm",
    "load_algorithm",
    "probability",
    "rank_candidates",
    "register_comparator",
    "score_pair",
]

DEFAULT_VERSION = "1.5"

#: Name levels at which two people are taken to share the name (and so, mostly, its
#: naming tradition): the features after it use ``scorers_if_name_agrees``.
NAME_AGREES = frozenset({"exact", "transliteration", "strong", "close"})

#: Bands, best first.
BANDS: tuple[str, ...] = ("strong", "possible", "weak")

# The scorer builds a Feature per feature and a MatchResult per pair, tens of
# thousands a second (here, in a compiled module, rather than beside the classes, whose
# module stays Python): a frozen dataclass's __init__ sets each field through
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


Comparator = Callable[[Profile, Profile], Comparison]
#: A comparator as the scorer calls it: a judgement tuple and, for features whose
#: agreeing values differ in rarity, the information (bits) of the agreeing value.
Judge = Callable[[Profile, Profile], tuple[Judgement, float]]


def agreed_name_bits(bits: float, query_bits: float, candidate_bits: float) -> float:
    """Information of an agreeing name: what the comparison reports, but never more than
    either side's own name carries (the commoner reading decides)."""
    if 0 < query_bits < bits:
        bits = query_bits
    if 0 < candidate_bits < bits:
        bits = candidate_bits
    return bits


def _names(q: Profile, c: Profile) -> tuple[Judgement, float]:
    judged, bits = judge_names(q.names, c.names)
    return judged, agreed_name_bits(bits, q.name_bits, c.name_bits)


def _birth_date(q: Profile, c: Profile) -> tuple[Judgement, float]:
    return judge_birth_dates(q.birth, c.birth), 0.0


def _sex(q: Profile, c: Profile) -> tuple[Judgement, float]:
    return judge_sex(q.sex, c.sex), 0.0


def _document(q: Profile, c: Profile) -> tuple[Judgement, float]:
    return judge_document_sets(q.documents, c.documents), 0.0


def _nationality(q: Profile, c: Profile) -> tuple[Judgement, float]:
    return judge_nationality(q.nationality, c.nationality), 0.0


def _birth_place(q: Profile, c: Profile) -> tuple[Judgement, float]:
    return judge_birth_place(q.birth_place, c.birth_place), 0.0


def _languages(q: Profile, c: Profile) -> tuple[Judgement, float]:
    return judge_languages(q.languages, c.languages), 0.0


_JUDGES: dict[str, Judge] = {
    "name": _names,
    "birth_date": _birth_date,
    "sex": _sex,
    "document": _document,
    "nationality": _nationality,
    "birth_place": _birth_place,
    "languages": _languages,
}


#: The comparators above, as shipped.
_BUILTIN_JUDGES: dict[str, Judge] = dict(_JUDGES)
#: Those of them that read one profile attribute each (and no rarity): the scorer
#: calls the comparator on the two values directly.
_BY_ATTRIBUTE: dict[str, tuple[Callable[[Any, Any], Judgement], str]] = {
    "birth_date": (judge_birth_dates, "birth"),
    "sex": (judge_sex, "sex"),
    "document": (judge_document_sets, "documents"),
    "nationality": (judge_nationality, "nationality"),
    "birth_place": (judge_birth_place, "birth_place"),
    "languages": (judge_languages, "languages"),
}
#: Of those, the ones with few distinct values (sex, nationality, languages): their
#: scored result is remembered by the two values, in a memo of this size. (Dates,
#: documents and places of birth are too varied for a memo to pay.)
_MEMO_SIZE: dict[str, int] = {"sex": 1024, "nationality": 16_384, "languages": 16_384}


def register_comparator(feature: str, comparator: Comparator) -> None:
    """Make a feature (e.g. ``face``) available to algorithms whose configuration lists
    it. The comparator takes two profiles and returns a :class:`Comparison`."""

    def judge(q: Profile, c: Profile) -> tuple[Judgement, float]:
        comp = comparator(q, c)
        return (comp.level, comp.query, comp.candidate, comp.detail, comp.similarity), 0.0

    _JUDGES[feature] = judge


#: Features whose values come from a small set, so their Feature objects are shared:
#: building a frozen dataclass costs more than the comparison itself.
_SHARED_FEATURES = frozenset({"sex", "nationality", "languages", "document", "birth_place"})
_FEATURE_CACHE_SIZE = 50_000
_FEATURES: dict[tuple[str, str, float, str | None, str | None, str], Feature] = {}


#: Every feature scorer's memo of results by attribute values (see FeatureScorer).
_SCORER_MEMOS: list[dict[Any, tuple[float, Feature]]] = []


def clear_caches() -> None:
    """Empty the scorer's and the comparators' memos (benchmarks measuring cold work
    call this; results never depend on it)."""
    _FEATURES.clear()
    for memo in _SCORER_MEMOS:
        memo.clear()
    clear_memos()


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """One feature of an algorithm: its comparator and the weight of each level."""

    name: str
    judge: Judge
    weights: Mapping[str, float]
    #: Per agreeing level, the average information (bits) of agreeing values in true
    #: matches; a value rarer than that adds weight, a commoner one removes it.
    rarity_centre: Mapping[str, float] = field(default_factory=dict)
    rarity_weight: float = 0.0
    rarity_cap: float = 0.0
    #: The most this feature may add (a face alone must never make a match strong).
    max_weight: float = math.inf
    #: Whether identical results recur often enough across candidates to share one
    #: (immutable) Feature object between results (sex, nationality, languages, ...).
    shared: bool = False
    #: From 1.3, per agreeing level, ``log2(m) - log2(chance ratio)``: the weight of an
    #: agreement is this plus the agreeing parts' information (bits), i.e. ``log2(m/u)``
    #: with ``u`` the share of people who share the name (see ``frequency`` in the
    #: configuration). Empty: the 1.0–1.2 rarity shift applies instead.
    frequency_base: Mapping[str, float] = field(default_factory=dict)
    #: Levels whose frequency weight never exceeds the level's own weight.
    frequency_capped: frozenset[str] = frozenset()
    #: From 1.3, the weights once the names agree (``if_name_agrees`` in the
    #: configuration): people who share a name mostly share its naming tradition, so
    #: they share a nationality, a language or a place of birth far more often by chance
    #: than two people drawn at random. Empty: the same weights whatever the name.
    weights_if_name_agrees: Mapping[str, float] = field(default_factory=dict)
    #: Per level, (centre, slope): the comparator's similarity moves the weight by
    #: ``slope * (similarity - centre)`` bits, so that within a level a closer reading
    #: weighs more (from 1.4, the cross-script name levels).
    similarity_slope: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    #: Levels (names only, from 1.4) at which an agreement is never more informative
    #: than the query's name read as its commonest plausible spellings
    #: (``Profile.reading_bits``): across scripts an unrelated record agrees whenever it
    #: bears any spelling the query reads as, so a candidate's odd rare spelling must not
    #: weigh more than the usual one.
    query_side_levels: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Algorithm:
    """A named, versioned list of features with weights, a prior and band thresholds.

    ``prior`` is the log2 prior odds at the default gallery size (λ in 1.0/1.1, where
    it is fixed); ``strong`` and ``possible`` are the lowest match weights of those
    bands. From 1.2 the prior depends on the gallery searched (:meth:`prior_for`):
    ``p_present`` is the assumed share of queries whose person is in the gallery,
    ``min_gallery`` the size below which the prior stops rising and
    ``default_gallery`` the size assumed when the caller gives none.
    """

    name: str
    version: str
    prior: float
    strong: float
    possible: float
    features: tuple[FeatureSpec, ...]
    p_present: float | None = None
    min_gallery: int = 1
    default_gallery: int | None = None
    #: One scorer per feature, built from ``features``: (weight, Feature) of a pair.
    scorers: tuple[FeatureScorer, ...] = field(init=False, compare=False, repr=False)
    #: The same, for the features after an agreeing name (see
    #: ``FeatureSpec.weights_if_name_agrees``).
    scorers_if_name_agrees: tuple[FeatureScorer, ...] = field(init=False, compare=False, repr=False)
    #: ``name-version``, as recorded with every match run.
    id: str = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        scorers = tuple(FeatureScorer(s) for s in self.features)
        object.__setattr__(self, "scorers", scorers)
        object.__setattr__(
            self,
            "scorers_if_name_agrees",
            tuple(
                FeatureScorer(
                    dataclasses.replace(
                        spec,
                        weights={**spec.weights, **spec.weights_if_name_agrees},
                        weights_if_name_agrees={},
                    )
                )
                if spec.weights_if_name_agrees
                else scorer
                for spec, scorer in zip(self.features, scorers, strict=True)
            ),
        )
        object.__setattr__(self, "id", f"{self.name}-{self.version}")

    def prior_for(self, gallery_size: int | None = None) -> float:
        """The log2 prior odds that one record of a gallery of ``gallery_size``
        reachable records is the person: ``log2(q/(1-q))`` with
        ``q = p_present / max(N, min_gallery)``; ``None`` means ``default_gallery``.
        Versions with a fixed λ ignore the size.

        >>> a = load_algorithm("1.2")
        >>> round(a.prior_for(20_000), 2), round(a.prior_for(40_000), 2)
        (-15.29, -16.29)
        >>> a.prior_for(10) == a.prior_for(500)
        True
        """
        if self.p_present is None:
            return self.prior
        n = self.default_gallery if gallery_size is None else gallery_size
        q = self.p_present / max(n or 1, self.min_gallery, 1)
        return gallery_prior(q)


class FeatureScorer:
    """Scores one feature of a pair: its weight (the level's, moved by the agreeing
    value's rarity, capped) and the Feature with its reason. One per feature of an
    algorithm, built once; a plain class so that the compiled scorer calls it directly."""

    def __init__(self, spec: FeatureSpec) -> None:
        self.name = spec.name
        self.judge: Judge = spec.judge
        self.weights: dict[str, float] = dict(spec.weights)
        self.centre: dict[str, float] = dict(spec.rarity_centre)
        self.rarity_weight = spec.rarity_weight
        self.cap = spec.rarity_cap
        self.max_weight = spec.max_weight
        self.shared = spec.shared
        self.base: dict[str, float] = dict(spec.frequency_base)
        self.capped = spec.frequency_capped
        self.similarity: dict[str, tuple[float, float]] = dict(spec.similarity_slope)
        self.query_side = spec.query_side_levels
        #: For the built-in comparators that read one profile attribute each (and report
        #: no rarity): the comparator, called on the two values directly, and the
        #: attribute.
        self.direct: Callable[[Any, Any], Judgement] | None = None
        self.attribute = ""
        #: Results remembered by the two values (features with few distinct values).
        self.memo: dict[tuple[Any, Any], tuple[float, Feature]] | None = None
        self.memo_size = 0
        if spec.name in _BY_ATTRIBUTE and spec.judge is _BUILTIN_JUDGES.get(spec.name):
            self.direct, self.attribute = _BY_ATTRIBUTE[spec.name]
            size = _MEMO_SIZE.get(spec.name)
            if size is not None:
                self.memo = {}
                self.memo_size = size
                _SCORER_MEMOS.append(self.memo)

    def score(self, q: Profile, c: Profile) -> tuple[float, Feature]:
        direct = self.direct
        if direct is None:
            (level, qv, cv, detail, sim), bits = self.judge(q, c)
            weight = self.weights.get(level, 0.0)
            if level in self.query_side and 0 < q.reading_bits < bits:
                bits = q.reading_bits
            if self.base:
                if bits > 0 and level in self.base:
                    weight, detail = self.by_frequency(level, bits, weight, detail)
                weight, detail = self.graded(level, sim, weight, detail)
                return self.emit(level, weight, qv, cv, detail)
            weight, detail = self.graded(level, sim, weight, detail)
            if bits > 0 and weight > 0 and level in self.centre:
                shift = (bits - self.centre[level]) * self.rarity_weight
                shift = max(-self.cap, min(self.cap, shift))
                if abs(shift) >= 0.05:
                    weight = round(max(weight + shift, 0.0), 3)
                    detail = (
                        f"{detail}; {'rarer' if shift > 0 else 'more common'} name than usual "
                        f"({shift:+.1f})"
                    )
                if level == "exact":
                    # Each level's rarity centre is the typical name agreeing there, so a
                    # common name agreeing exactly could weigh less than the same name
                    # agreeing only across scripts; an exact agreement implies every
                    # lesser one, so it never weighs less than any of them would.
                    floor = max(
                        (self.shifted(other, bits) for other in self.centre if other != level),
                        default=0.0,
                    )
                    if floor > weight:
                        weight = floor
                        detail = f"{detail}; no less than a weaker agreement of it would weigh"
            return self.emit(level, weight, qv, cv, detail)
        qa = getattr(q, self.attribute)
        ca = getattr(c, self.attribute)
        memo = self.memo
        if memo is not None:
            remembered = memo.get((qa, ca))
            if remembered is not None:
                return remembered
        level, qv, cv, detail, _sim = direct(qa, ca)
        found = self.emit(level, self.weights.get(level, 0.0), qv, cv, detail)
        if memo is not None:
            if len(memo) >= self.memo_size:
                memo.clear()
            memo[(qa, ca)] = found
        return found

    def graded(self, level: str, sim: float, weight: float, detail: str) -> tuple[float, str]:
        """The weight moved by the comparator's similarity where the level is graded
        (from 1.4, the cross-script name levels): a closer reading weighs more."""
        graded = self.similarity.get(level)
        if graded is None or weight <= 0:
            return weight, detail
        move = graded[1] * (sim - graded[0])
        if abs(move) < 0.05:
            return weight, detail
        verdict = "closer" if move > 0 else "looser"
        return round(max(weight + move, 0.0), 3), f"{detail}; {verdict} reading ({move:+.1f})"

    def by_frequency(
        self, level: str, bits: float, weight: float, detail: str
    ) -> tuple[float, str]:
        """The weight of an agreeing name from how common it is: ``log2(m/u)`` with
        ``u = ratio · 2^-bits`` (the share of people sharing the agreeing parts, times
        how much likelier a chance agreement is at this level than an exact one); never
        more than the level's own weight where the level is capped, never below 0, and
        an exact agreement never below what a weaker one of the same name would weigh."""
        found = self.base[level] + bits
        if level in self.capped and found > weight:
            found = weight
        if level == "exact":
            for other, base in self.base.items():
                if other != level and other not in self.capped and base + bits > found:
                    found = base + bits
        found = round(max(found, 0.0), 3)
        one_in = 2.0**bits
        detail = (
            f"{detail}; the agreeing parts are borne together by about 1 in "
            f"{one_in:,.0f} people" + (" or fewer" if one_in >= 1e6 else "")
        )
        return found, detail

    def shifted(self, level: str, bits: float) -> float:
        """The weight of an agreeing ``level`` for a name of ``bits``, after the rarity
        shift (never below 0)."""
        weight = self.weights.get(level, 0.0)
        if weight <= 0:
            return 0.0
        shift = max(-self.cap, min(self.cap, (bits - self.centre[level]) * self.rarity_weight))
        return round(max(weight + shift, 0.0), 3) if abs(shift) >= 0.05 else weight

    def emit(
        self, level: str, weight: float, qv: str | None, cv: str | None, detail: str
    ) -> tuple[float, Feature]:
        """The weight, capped at the feature's maximum, and its Feature (shared)."""
        if weight > self.max_weight:
            weight = self.max_weight
            detail = f"{detail}; capped at {self.max_weight:g}"
        if not self.shared:
            return weight, new_feature(self.name, level, weight, qv, cv, detail)
        key = (self.name, level, weight, qv, cv, detail)
        feature = _FEATURES.get(key)
        if feature is None:
            if len(_FEATURES) >= _FEATURE_CACHE_SIZE:
                _FEATURES.clear()
            feature = _FEATURES[key] = new_feature(*key)
        return weight, feature


def gallery_prior(q: float) -> float:
    """log2 odds of a probability ``q`` (0 < q < 1)."""
    return math.log2(q / (1.0 - q))


def _weight(m: float, u: float) -> float:
    return math.log2(m / u)


def algorithm_from_config(config: Mapping[str, Any]) -> Algorithm:
    """Build an :class:`Algorithm` from a parsed configuration (see the data files)."""
    specs = []
    for feature in config["features"]:
        fname = feature["feature"]
        if fname not in _JUDGES:
            raise KeyError(f"no comparator registered for feature {fname!r}")
        weights = {
            level: 0.0 if level == "missing" else round(_weight(float(v["m"]), float(v["u"])), 3)
            for level, v in feature["levels"].items()
        }
        weights.setdefault("missing", 0.0)
        if_name = (feature.get("if_name_agrees") or {}).get("u", {})
        weights_if_name = {
            level: round(_weight(float(feature["levels"][level]["m"]), float(u)), 3)
            for level, u in if_name.items()
        }
        rarity = feature.get("rarity") or {}
        frequency = feature.get("frequency") or {}
        ratios = {k: float(v) for k, v in frequency.get("chance_ratio", {}).items()}
        m_of = {k: float(v) for k, v in frequency.get("m", {}).items()}
        base = {
            level: round(math.log2(m_of.get(level, float(feature["levels"][level]["m"])) / r), 3)
            for level, r in ratios.items()
        }
        specs.append(
            FeatureSpec(
                fname,
                _JUDGES[fname],
                weights,
                {k: float(v) for k, v in rarity.get("centre_bits", {}).items()},
                float(rarity.get("weight", 0.0)),
                float(rarity.get("cap", 0.0)),
                float(feature.get("max_weight", math.inf)),
                fname in _SHARED_FEATURES,
                base,
                frozenset(frequency.get("capped_at_level", ())),
                weights_if_name,
                {
                    str(level): (float(v["centre"]), float(v["slope"]))
                    for level, v in (feature.get("similarity") or {}).get("levels", {}).items()
                },
                frozenset(frequency.get("query_side_levels", ())),
            )
        )
    prior = config["prior"]
    bands = config["bands"]
    if "p_present" in prior:
        p_present = float(prior["p_present"])
        min_gallery = int(prior.get("min_gallery", 1))
        default_gallery = int(prior["default_gallery"])
        at_default = gallery_prior(p_present / max(default_gallery, min_gallery, 1))
        return Algorithm(
            name=config["algorithm"],
            version=config["version"],
            prior=at_default,
            strong=float(bands["strong"]),
            possible=float(bands["possible"]),
            features=tuple(specs),
            p_present=p_present,
            min_gallery=min_gallery,
            default_gallery=default_gallery,
        )
    return Algorithm(
        name=config["algorithm"],
        version=config["version"],
        prior=gallery_prior(float(prior["lambda"])),
        strong=float(bands["strong"]),
        possible=float(bands["possible"]),
        features=tuple(specs),
    )


def extend_algorithm(
    algorithm: Algorithm,
    feature: Mapping[str, Any],
    comparator: Comparator,
    *,
    label: str,
) -> Algorithm:
    """The algorithm with one more feature appended, e.g. faces::

        extend_algorithm(DEFAULT, load_face_config().feature, face_comparator, label="face-1.0")

    ``feature`` has the shape of a feature in ``algorithm-<version>.json`` (``levels``
    with ``m``/``u``, optional ``max_weight``); ``comparator`` takes two profiles and
    returns a :class:`Comparison`. The version becomes ``<version>+<label>`` so that
    every match run records exactly what scored it.
    """
    register_comparator(str(feature["feature"]), comparator)
    spec = algorithm_from_config(
        {
            "algorithm": algorithm.name,
            "version": algorithm.version,
            "prior": {"lambda": 0.5},
            "bands": {"strong": algorithm.strong, "possible": algorithm.possible},
            "features": [feature],
        }
    ).features[0]
    return dataclasses.replace(
        algorithm,
        version=f"{algorithm.version}+{label}",
        features=(*algorithm.features, spec),
    )


def load_config(version: str = DEFAULT_VERSION) -> dict[str, Any]:
    """The packaged configuration ``algorithm-<version>.json``, parsed."""
    text = (
        resources.files("matching")
        .joinpath("data", f"algorithm-{version}.json")
        .read_text(encoding="utf-8")
    )
    data: dict[str, Any] = json.loads(text)
    return data


def versions() -> list[str]:
    """The packaged algorithm versions, oldest first."""
    names = [
        entry.name[len("algorithm-") : -len(".json")]
        for entry in resources.files("matching").joinpath("data").iterdir()
        if entry.name.startswith("algorithm-") and entry.name.endswith(".json")
    ]
    return sorted(names, key=lambda v: tuple(int(p) for p in v.split(".")))


def declared_bands(version: str = DEFAULT_VERSION) -> dict[str, Any] | None:
    """How often each band named the wrong person on the labelled benchmark, per gallery
    size (``declared`` in the configuration, written by ``bench/declare_bands.py``), for
    the service to show beside the bands; ``None`` for versions that declare nothing."""
    declared = load_config(version).get("declared")
    return dict(declared) if isinstance(declared, Mapping) else None


def load_algorithm(version: str = DEFAULT_VERSION) -> Algorithm:
    """The packaged algorithm of that version."""
    return algorithm_from_config(load_config(version))


DEFAULT: Algorithm = load_algorithm()

#: The default algorithm's id (``tessera-fs-<version>``), recorded with each match run.
ALGORITHM: str = DEFAULT.id


def probability(match_weight: float) -> float:
    """``2^w / (1 + 2^w)``, computed without overflow.

    >>> probability(0.0)
    0.5
    """
    if match_weight >= 0:
        return 1.0 / (1.0 + math.pow(2.0, -min(match_weight, 1000.0)))
    e = math.pow(2.0, max(match_weight, -1000.0))
    return e / (1.0 + e)


def band_for(match_weight: float, algorithm: Algorithm = DEFAULT) -> str:
    """``strong``, ``possible`` or ``weak`` for a match weight."""
    if match_weight >= algorithm.strong:
        return "strong"
    if match_weight >= algorithm.possible:
        return "possible"
    return "weak"


def score_pair(
    query: Profile,
    candidate: Profile,
    *,
    algorithm: Algorithm = DEFAULT,
    gallery_size: int | None = None,
) -> MatchResult:
    """Score a query profile against a candidate: every feature in the algorithm's order,
    each with its level, weight and reason; then the match weight, probability and band.

    ``gallery_size`` is the number of reachable records searched: the larger the
    gallery, the lower the prior odds that this one is the person (from 1.2; ``None``
    takes the algorithm's ``default_gallery``). Deterministic; a level missing on
    either side weighs 0. An agreeing name weighs more when the name is rare and less
    when it is common (never below 0).
    """
    total = algorithm.prior if gallery_size is None else algorithm.prior_for(gallery_size)
    features: list[Feature] = []
    scorers = algorithm.scorers
    for i in range(len(scorers)):
        weight, feature = scorers[i].score(query, candidate)
        total += weight
        features.append(feature)
        if i == 0 and feature.feature == "name" and feature.level in NAME_AGREES:
            # what follows is weighed among people who share the name
            scorers = algorithm.scorers_if_name_agrees
    total = round(total, 3)
    return new_match_result(
        algorithm.id,
        total,
        probability(total),
        "strong"
        if total >= algorithm.strong
        else "possible"
        if total >= algorithm.possible
        else "weak",
        tuple(features),
    )


def rank_candidates(
    query: Profile,
    candidates: Sequence[Profile],
    *,
    algorithm: Algorithm = DEFAULT,
    min_band: str = "weak",
    limit: int | None = None,
    gallery_size: int | None = None,
) -> list[tuple[int, MatchResult]]:
    """Score every candidate (a blocked set: hundreds, not the gallery) and return
    ``(index, result)`` for those at ``min_band`` or better, best first (ties keep the
    candidates' order), at most ``limit`` of them. ``gallery_size``: the number of
    reachable records the candidates were blocked from (see :func:`score_pair`).
    """
    floor = {"weak": -math.inf, "possible": algorithm.possible, "strong": algorithm.strong}[
        min_band
    ]
    scored = [
        (i, r)
        for i, c in enumerate(candidates)
        if (r := score_pair(query, c, algorithm=algorithm, gallery_size=gallery_size)).match_weight
        >= floor
    ]
    scored.sort(key=lambda item: (-item[1].match_weight, item[0]))
    return scored if limit is None else scored[:limit]
