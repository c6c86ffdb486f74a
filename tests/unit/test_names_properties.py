"""Invariants of name handling that must hold for every input."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.names import LEVELS, build_name_set, compare_names, name_keys
from matching.normalize import ascii_fold, detect_script, normalize_text, tokenize
from matching.translit import latin_renderings

RANK = {lvl: i for i, lvl in enumerate(LEVELS)}

# letters from the scripts the matcher reads, plus marks, digits, emoji and punctuation
ALPHABET = st.sampled_from(
    list("abcdeéüßzAZ -'.,")
    + list("мариявлдщёъь")
    + list("محمدعليبنال")
    + list("דוידשלםו")
    + list("王小明伊莎貝拉")
    + list("キャサリンーさくら")
    + list("김민준")
    + ["\u0301", "\u064e", "\u05b7", "\u200d", "🙂", "\ufeff", "0", "\t"]
)
NAMES = st.text(ALPHABET, min_size=0, max_size=30)
ANY_TEXT = st.text(max_size=60)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(ANY_TEXT)
def test_no_string_crashes_normalisation(text: str) -> None:
    normalize_text(text)
    tokenize(text)
    ascii_fold(text)
    detect_script(text)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(st.one_of(NAMES, ANY_TEXT), max_size=3))
def test_no_string_crashes_building_comparing_or_keying(names: list[str]) -> None:
    ns = build_name_set(names)
    compare_names(ns, ns)
    name_keys(ns)
    for n in names:
        latin_renderings(n)


def test_a_very_long_name_is_handled() -> None:
    ns = build_name_set(["Ab" * 5000, "王" * 10000])
    assert compare_names(ns, ns).level in LEVELS


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(NAMES, NAMES)
def test_a_name_set_compares_at_least_as_well_with_itself(a: str, b: str) -> None:
    sa, sb = build_name_set([a]), build_name_set([b])
    if not sa:
        return
    own = compare_names(sa, sa)
    other = compare_names(sa, sb)
    assert own.level in ("exact", "transliteration", "strong")
    assert (RANK[own.level], -own.similarity) <= (RANK[other.level], -other.similarity)


@settings(max_examples=80, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(NAMES, NAMES)
def test_comparison_is_deterministic(a: str, b: str) -> None:
    sa, sb = build_name_set([a]), build_name_set([b])
    assert compare_names(sa, sb) == compare_names(build_name_set([a]), build_name_set([b]))


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(NAMES, NAMES)
def test_comparison_level_is_symmetric(a: str, b: str) -> None:
    sa, sb = build_name_set([a]), build_name_set([b])
    ab, ba = compare_names(sa, sb), compare_names(sb, sa)
    assert ab.level == ba.level
    assert abs(ab.similarity - ba.similarity) < 1e-6


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(NAMES)
def test_keys_are_deterministic_and_prefixed(a: str) -> None:
    keys = name_keys(build_name_set([a]))
    assert keys == name_keys(build_name_set([a]))
    assert all(k[:3] in ("tr:", "sk:", "ph:", "sc:", "nt:") for k in keys)
