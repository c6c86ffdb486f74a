"""The service's face-extended algorithm: the face counts, but never makes a match alone."""

from __future__ import annotations

import numpy as np

from matching import build_profile, score_pair
from service.indexing.algorithm import ALGORITHM, FACE_CONFIG, register

MATCHER = register().algorithm

FACE = np.linspace(-0.2, 0.2, 128)
SAME_FACE = FACE + 0.001
OTHER_FACE = -FACE

SUPPORT = {"sex": "F", "nationality": ["SYR"], "languages": ["ara"]}


def test_the_run_label_names_the_face_configuration() -> None:
    assert ALGORITHM == "tessera-fs-1.5+face-1.0"
    assert MATCHER.features[-1].name == "face"


def test_an_identical_face_with_every_weak_attribute_agreeing_is_not_strong() -> None:
    query = build_profile({"names": ["Amal Haddad"], **SUPPORT}, faces=[FACE])
    candidate = build_profile(
        {"names": ["Noura Khalil"], "birth_place": {"name": "Aleppo"}, **SUPPORT},
        faces=[SAME_FACE],
    )
    result = score_pair(query, candidate, algorithm=MATCHER)
    face = next(f for f in result.features if f.feature == "face")
    assert face.level == "strong"
    assert face.weight == FACE_CONFIG.max_weight
    assert "capped" in face.detail and "face distance" in face.detail
    assert result.band != "strong"


def test_a_face_adds_to_names_and_dates_that_agree() -> None:
    person = {"names": ["Amal Haddad"], "birth_date": "1991-04-02", **SUPPORT}
    with_face = score_pair(
        build_profile(person, faces=[FACE]),
        build_profile(person, faces=[SAME_FACE]),
        algorithm=MATCHER,
    )
    without = score_pair(build_profile(person), build_profile(person), algorithm=MATCHER)
    assert with_face.match_weight > without.match_weight
    assert with_face.band == "strong"


def test_a_different_face_counts_against_and_a_missing_one_weighs_nothing() -> None:
    person = {"names": ["Amal Haddad"], "birth_date": "1991-04-02"}
    plain = score_pair(build_profile(person), build_profile(person), algorithm=MATCHER)
    other = score_pair(
        build_profile(person, faces=[FACE]),
        build_profile(person, faces=[OTHER_FACE]),
        algorithm=MATCHER,
    )
    one_side = score_pair(
        build_profile(person, faces=[FACE]), build_profile(person), algorithm=MATCHER
    )
    assert other.match_weight < plain.match_weight
    assert one_side.match_weight == plain.match_weight
    assert next(f for f in one_side.features if f.feature == "face").level == "missing"
