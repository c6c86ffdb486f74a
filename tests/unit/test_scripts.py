"""Every script a return unit meets: detected, read into Latin by the conventions in
use, compared and keyed (issue 19).

A golden row per script: the native name and its common Latin spelling agree at
``close`` or better, identical native strings are ``exact``, an unrelated Latin name
does not agree; the native name and the Latin spelling share a search key.
"""

from __future__ import annotations

import pytest

from matching.keys import search_keys
from matching.names import LEVELS, build_name_set, compare_names, name_keys
from matching.normalize import ascii_fold, detect_script, tokenize
from matching.profile import build_profile

# script, native name, its Latin spelling, an unrelated Latin name
GOLDEN = [
    ("ethiopic", "ተስፋይ", "Tesfay", "Giorgi"),
    ("ethiopic", "ተስፋይ", "Tesfaye", "Murugan"),
    ("ethiopic", "ኃይሌ", "Haile", "Perera"),
    ("ethiopic", "ኃይሌ", "Hayle", "Somchai"),
    ("ethiopic", "መሓሪ", "Mehari", "Khachatryan"),
    ("georgian", "გიორგი", "Giorgi", "Tesfay"),
    ("georgian", "ჯავახიშვილი", "Javakhishvili", "Sharma"),
    ("armenian", "Խաչատրյան", "Khachatryan", "Tesfaye"),
    ("armenian", "Խաչատրյան", "Khachatrian", "Selvam"),
    ("devanagari", "राम शर्मा", "Ram Sharma", "Giorgi Beridze"),
    ("devanagari", "प्रकाश", "Prakash", "Mehari"),
    ("bengali", "রহিম", "Rahim", "Giorgi"),
    ("devanagari", "दीपक", "Deepak", "Khachatryan"),
    ("gurmukhi", "ਸਿੰਘ", "Singh", "Tesfay"),
    ("gurmukhi", "ਗੁਰਪ੍ਰੀਤ ਸਿੰਘ", "Gurpreet Singh", "Giorgi Beridze"),
    ("tamil", "முருகன்", "Murugan", "Javakhishvili"),
    ("tamil", "செல்வம்", "Selvam", "Haile"),
    ("sinhala", "පෙරේරා", "Perera", "Tesfay"),
    ("thai", "สมชาย", "Somchai", "Giorgi"),
    ("myanmar", "အောင်ဆန်း", "Aung San", "Mehari"),
    ("myanmar", "မင်းအောင်လှိုင်", "Min Aung Hlaing", "Tesfay Haile"),
    ("khmer", "សុខ", "Sok", "Perera"),
]

GOOD = LEVELS[: LEVELS.index("close") + 1]


def _level(a: str, b: str) -> str:
    return compare_names(build_name_set([a]), build_name_set([b])).level


@pytest.mark.parametrize(("script", "native", "latin", "other"), GOLDEN)
def test_script_is_detected(script: str, native: str, latin: str, other: str) -> None:
    assert detect_script(native) == script


@pytest.mark.parametrize(("script", "native", "latin", "other"), GOLDEN)
def test_native_matches_its_latin_spelling(
    script: str, native: str, latin: str, other: str
) -> None:
    comparison = compare_names(build_name_set([native]), build_name_set([latin]))
    assert comparison.level in GOOD, comparison
    assert "→" in comparison.detail  # the convention that read it is said


@pytest.mark.parametrize(("script", "native", "latin", "other"), GOLDEN)
def test_identical_native_names_are_exact(script: str, native: str, latin: str, other: str) -> None:
    comparison = compare_names(build_name_set([native]), build_name_set([native]))
    assert comparison.level == "exact"
    assert comparison.similarity == 1.0


@pytest.mark.parametrize(("script", "native", "latin", "other"), GOLDEN)
def test_unrelated_name_does_not_agree(script: str, native: str, latin: str, other: str) -> None:
    assert _level(native, other) not in GOOD
    assert _level(native, other) != "missing"


@pytest.mark.parametrize(("script", "native", "latin", "other"), GOLDEN)
def test_native_and_latin_share_a_key(script: str, native: str, latin: str, other: str) -> None:
    native_keys = name_keys(build_name_set([native]))
    assert native_keys & name_keys(build_name_set([latin]))
    assert "nt:" + tokenize(native)[0] in native_keys  # an exact copy is found
    stored = search_keys(build_profile({"names": [native], "birth_date": "1990"}))
    assert stored & search_keys(build_profile({"names": [latin], "birth_date": "1990"}))


def test_hindi_schwa_is_dropped() -> None:
    assert _level("राम", "Ram") == "transliteration"
    detail = compare_names(build_name_set(["राम"]), build_name_set(["Ram"])).detail
    assert "final schwa dropped" in detail


def test_different_native_names_of_one_script_differ() -> None:
    assert _level("ተስፋይ", "መሓሪ") not in GOOD
    assert _level("გიორგი", "ჯავახიშვილი") not in GOOD


# Persian, Dari, Pashto and Urdu letters read as themselves
PERSIAN = [
    ("پرویز", "Parviz"),
    ("چنگیز", "Changiz"),
    ("ژیلا", "Zhila"),
    ("گل", "Gul"),
    ("کاظم", "Kazem"),
    ("زاده", "Zadeh"),
]


@pytest.mark.parametrize(("native", "latin"), PERSIAN)
def test_persian_letters_are_read(native: str, latin: str) -> None:
    comparison = compare_names(build_name_set([native]), build_name_set([latin]))
    assert comparison.level in GOOD, comparison
    assert name_keys(build_name_set([native])) & name_keys(build_name_set([latin]))


@pytest.mark.parametrize(
    ("folded", "plain"),
    [
        ("Nguyễn", "Nguyen"),
        ("Đặng", "Dang"),
        ("Şahin", "Sahin"),
        ("Işık", "Isik"),
        ("Çelik", "Celik"),
    ],
)
def test_vietnamese_and_turkish_diacritics_fold_both_ways(folded: str, plain: str) -> None:
    assert ascii_fold(folded) == ascii_fold(plain)
    assert _level(folded, plain) == "exact"
    assert _level(plain, folded) == "exact"
    assert name_keys(build_name_set([folded])) == name_keys(build_name_set([plain]))


def test_unreadable_part_is_said_not_dropped() -> None:
    comparison = compare_names(build_name_set(["Ali Ꭰ"]), build_name_set(["Ali"]))
    assert comparison.level == "strong"  # not exact: one side has a part not read
    assert "part 'Ꭰ' in an unsupported script was not compared" in comparison.detail
    alone = compare_names(build_name_set(["Ꭰ"]), build_name_set(["Ali"]))
    assert alone.level == "missing"
    assert "unsupported script" in alone.detail
    assert compare_names(build_name_set(["Ꭰ"]), build_name_set(["Ꭰ"])).level == "exact"
    assert "nt:Ꭰ" in name_keys(build_name_set(["Ꭰ"]))
