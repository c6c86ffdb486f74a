"""Sex, nationality, place of birth and languages."""

from __future__ import annotations

from typing import Any

import pytest

from matching.attributes import (
    codes_from,
    compare_birth_place,
    compare_languages,
    compare_nationality,
    compare_sex,
    place_from,
    place_key,
    sex_from,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("M", "M"), (" f ", "F"), ("X", None), ("", None), (None, None), (1, None)],
)
def test_sex_is_read_as_m_or_f_and_anything_else_is_unknown(raw: Any, expected: str | None) -> None:
    assert sex_from(raw) == expected


def test_same_sex_is_same_and_different_sex_is_different() -> None:
    assert compare_sex("M", "M").level == "same"
    assert compare_sex("M", "F").level == "different"


def test_unknown_sex_is_missing() -> None:
    assert compare_sex(None, "F").level == "missing"
    assert compare_sex("M", None).level == "missing"


def test_codes_are_upper_cased_and_non_strings_dropped() -> None:
    assert codes_from(["chn", " ERI ", 3, ""]) == frozenset({"CHN", "ERI"})
    assert codes_from("syr") == frozenset({"SYR"})
    assert codes_from(None) == frozenset()


def test_one_shared_nationality_is_an_overlap() -> None:
    c = compare_nationality(frozenset({"ERI", "ETH"}), frozenset({"ETH", "SDN"}))
    assert c.level == "overlap"
    assert "ETH" in c.detail


def test_no_shared_nationality_is_different() -> None:
    assert compare_nationality(frozenset({"SYR"}), frozenset({"IRQ"})).level == "different"


def test_no_nationality_on_one_side_is_missing() -> None:
    assert compare_nationality(frozenset(), frozenset({"IRQ"})).level == "missing"


def test_languages_overlap_different_and_missing() -> None:
    assert compare_languages(frozenset({"TIR", "ARA"}), frozenset({"TIR"})).level == "overlap"
    assert compare_languages(frozenset({"TIR"}), frozenset({"AMH"})).level == "different"
    assert compare_languages(frozenset(), frozenset({"AMH"})).level == "missing"


def test_place_keys_fold_case_accents_punctuation_and_script() -> None:
    assert place_key("São-Paulo") == "saopaulo"
    assert place_key("Москва") == "moskva"


def place(name: str | None, country: str | None = None) -> Any:
    value: dict[str, str] = {}
    if name is not None:
        value["name"] = name
    if country is not None:
        value["country"] = country
    return place_from(value)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (("Fuqing", "CHN"), ("Fuqing", "CHN"), "same_place"),
        (("Fuqing", "CHN"), ("Fu Qing", "CHN"), "same_place"),
        (("Mogadishu", "SOM"), ("Mogadisho", None), "same_place"),
        (("Fuqing", "CHN"), ("Fuzhou", "CHN"), "same_country_other_place"),
        ((None, "CHN"), ("Fuzhou", "CHN"), "same_country"),
        (("Fuqing", "CHN"), ("Fuqing", "TWN"), "different"),
        (("Aleppo", None), ("Kabul", None), "different"),
        (("Aleppo", None), (None, "SYR"), "missing"),
    ],
)
def test_place_of_birth_levels(
    a: tuple[str | None, str | None], b: tuple[str | None, str | None], expected: str
) -> None:
    assert compare_birth_place(place(*a), place(*b)).level == expected
    assert compare_birth_place(place(*b), place(*a)).level == expected


def test_an_empty_place_is_no_place() -> None:
    assert place_from({}) is None
    assert place_from({"name": "  "}) is None
    assert place_from(42) is None


def test_no_place_on_one_side_is_missing() -> None:
    assert compare_birth_place(None, place("Kabul", "AFG")).level == "missing"
