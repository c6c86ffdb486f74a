"""Invariants of scoring over generated persons (hypothesis)."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import ALGORITHM, build_profile, score_pair
from matching.scoring import DEFAULT, band_for, probability

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

NAME_PARTS = [
    "Ahmed",
    "Mansour",
    "Mohammed",
    "Ali",
    "Zhang",
    "Wei",
    "Chang",
    "Wang",
    "Xiaoming",
    "Tesfay",
    "Gebremedhin",
    "Haile",
    "Sergey",
    "Ivanov",
    "María",
    "González",
    "Nguyễn",
    "王",
    "小明",
    "张伟",
    "أحمد",
    "منصور",
    "محمد",
    "Сергей",
    "Иванов",
    "タナカ",
    "김민준",
    "al-",
    "bin",
    "Dr.",
    "O'Brien",
    "-",
    "",
]

names = st.lists(
    st.one_of(
        st.lists(st.sampled_from(NAME_PARTS), min_size=1, max_size=4).map(" ".join),
        st.text(max_size=20),
        st.fixed_dictionaries(
            {},
            optional={
                "full": st.lists(st.sampled_from(NAME_PARTS), max_size=3).map(" ".join),
                "given": st.sampled_from(NAME_PARTS),
                "family": st.sampled_from(NAME_PARTS),
                "kind": st.sampled_from(["primary", "alias", "birth"]),
            },
        ),
    ),
    max_size=3,
)

years = st.integers(1900, 2025)
dates = st.one_of(
    st.builds(
        lambda y, m, d: f"{y:04d}-{m:02d}-{d:02d}", years, st.integers(1, 12), st.integers(1, 28)
    ),
    st.builds(lambda y, m: f"{y:04d}-{m:02d}", years, st.integers(1, 12)),
    years.map(str),
    st.builds(lambda y: f"{y:04d}-01-01", years),
    st.builds(lambda y: f"{y:04d}-00-00", years),
    st.text(max_size=12),
)
ranges = st.builds(lambda a, b: {"from": f"{a:04d}-01-01", "to": f"{b:04d}-12-31"}, years, years)
codes = st.lists(st.sampled_from(["CHN", "SYR", "ERI", "ETH", "AFG", "RUS", "xx", ""]), max_size=3)
documents = st.lists(
    st.fixed_dictionaries(
        {
            "number": st.one_of(
                st.text(alphabet="ABCDEIOSZ0123456789 -", max_size=12), st.text(max_size=10)
            )
        },
        optional={
            "type": st.sampled_from(["passport", "id_card", "driving_licence"]),
            "issuer": st.sampled_from(["CHN", "SYR", "ERI", "TWN"]),
        },
    ),
    max_size=3,
)

persons: st.SearchStrategy[dict[str, Any]] = st.fixed_dictionaries(
    {"names": names},
    optional={
        "birth_date": dates,
        "birth_date_range": ranges,
        "sex": st.sampled_from(["M", "F", "X"]),
        "nationality": codes,
        "birth_place": st.fixed_dictionaries(
            {},
            optional={
                "name": st.sampled_from(["Fuqing", "Fu Qing", "Aleppo", "Халеб", "", "Asmara"]),
                "country": st.sampled_from(["CHN", "SYR", "ERI"]),
            },
        ),
        "documents": documents,
        "languages": st.lists(st.sampled_from(["cmn", "ara", "tir", "rus"]), max_size=2),
    },
)


@SETTINGS
@given(persons, persons)
def test_a_profile_scores_at_least_as_high_against_itself_as_against_anyone(
    a: dict[str, Any], b: dict[str, Any]
) -> None:
    pa, pb = build_profile(a), build_profile(b)
    assert score_pair(pa, pa).match_weight >= score_pair(pa, pb).match_weight


@SETTINGS
@given(persons, persons)
def test_scoring_is_deterministic(a: dict[str, Any], b: dict[str, Any]) -> None:
    first = score_pair(build_profile(a), build_profile(b))
    again = score_pair(build_profile(a), build_profile(b))
    assert first == again


@SETTINGS
@given(persons, persons)
def test_any_valid_person_scores_with_a_probability_and_a_consistent_band(
    a: dict[str, Any], b: dict[str, Any]
) -> None:
    result = score_pair(build_profile(a), build_profile(b))
    assert 0.0 <= result.probability <= 1.0
    assert result.band == band_for(result.match_weight)
    assert result.algorithm == ALGORITHM
    assert [f.feature for f in result.features] == [s.name for s in DEFAULT.features]
    assert math.isclose(
        result.match_weight,
        DEFAULT.prior + sum(f.weight for f in result.features),
        abs_tol=0.01,
    )


@SETTINGS
@given(persons, persons)
def test_missing_features_weigh_nothing(a: dict[str, Any], b: dict[str, Any]) -> None:
    result = score_pair(build_profile(a), build_profile(b))
    assert all(f.weight == 0.0 for f in result.features if f.level == "missing")


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
def test_probability_is_monotone_and_bounded(w: float) -> None:
    p = probability(w)
    assert 0.0 <= p <= 1.0
    assert probability(w + 1.0) >= p


@SETTINGS
@given(persons, persons)
def test_every_feature_but_the_name_weighs_the_same_both_ways(
    a: dict[str, Any], b: dict[str, Any]
) -> None:
    pa, pb = build_profile(a), build_profile(b)
    forward = {f.feature: (f.level, f.weight) for f in score_pair(pa, pb).features}
    backward = {f.feature: (f.level, f.weight) for f in score_pair(pb, pa).features}
    del forward["name"], backward["name"]
    assert forward == backward
