"""The fast name comparison gives exactly what the straightforward one gives.

:func:`matching.names.judge_names` remembers part comparisons, passes over forms that
cannot matter and compares many-form parts as matrices; ``names_reference`` is the
plain loop it replaced. Same level, names, explanation, similarity and rarity, on
cross-script pairs from the dev split (true spellings, near misses, random pairs,
both orders, several parts), hand-picked Latin variants and generated names; cold
(memos empty) and warm.
"""

from __future__ import annotations

import random
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.names import NameSet, build_name_set, clear_memos, judge_names
from tests.conftest import SHARED_DATA
from tests.unit.names_reference import reference_compare

XSCRIPT = SHARED_DATA / "xscript-names"
SCRIPTS = ("arabic", "chinese", "hebrew", "japanese", "katakana", "korean", "russian")


def same(q: NameSet, c: NameSet) -> None:
    ref, ref_bits = reference_compare(q, c)
    (level, qn, cn, detail, similarity), bits = judge_names(q, c)
    assert (level, qn, cn, detail, similarity, bits) == (
        ref.level,
        ref.query,
        ref.candidate,
        ref.detail,
        ref.similarity,
        ref_bits,
    )


def dev_pairs(script: str, n: int, seed: int) -> list[tuple[str, str]]:
    rows = []
    with (XSCRIPT / f"{script}.dev.tsv").open(encoding="utf-8") as fh:
        for line in fh:
            cols = line.rstrip("\n").split("\t")
            if len(cols) >= 2 and cols[0].strip() and cols[1].strip():
                rows.append((cols[0].strip(), "".join(cols[1].split())))
    return random.Random(f"{seed}:{script}").sample(rows, n)


@pytest.mark.parametrize("script", SCRIPTS)
def test_cross_script_pairs_compare_as_in_the_reference(script: str) -> None:
    rows = dev_pairs(script, 40, 5)
    people: list[tuple[NameSet, NameSet]] = []
    for (l1, n1), (l2, n2) in pairwise(rows):
        people.append((build_name_set([n1]), build_name_set([l1])))
        people.append((build_name_set([f"{n1} {n2}"]), build_name_set([f"{l2} {l1}"])))
        people.append(
            (build_name_set([n1 + n2, n2]), build_name_set([{"given": l1, "family": l2}]))
        )
    for cold in (True, False):
        if cold:
            clear_memos()
        for i, (native, latin) in enumerate(people):
            other_native, other_latin = people[(i * 7 + 3) % len(people)]
            same(native, latin)  # the true spelling
            same(latin, native)
            same(native, other_latin)  # someone else
            same(other_latin, native)
            same(native, other_native)  # same script on both sides
            same(latin, other_latin)


HAND = [
    ("Mohammed Ahmed", "Muhamad Ahmad"),
    ("J. Smith", "John Smith"),
    ("Siu Ming Chan", "Chen Xiaoming"),
    ("Hsiao Ming Wang", "Wang Xiaoming"),
    ("Chang Wei", "张伟"),
    ("Ahmad bin Abdullah", "Abdullah Ahmad"),
    ("Ali", "Ali Hassan"),
    ("van der Berg Jan", "Jan Vandenberg"),
    ("Abu Bakr al-Baghdadi", "Abubakr Baghdadi"),
    ("Ivan Petrovich Sidorov", "Sidorov Ivan"),
    ("A B", "A. B."),
    ("李 小龙", "Lee Siu Long"),
    ("Kim Minjun", "김민준"),
    ("Jose Maria Garcia Lopez", "José García"),
    ("O'Brien Patrick", "Patrick OBrien"),
    ("Katarina Schmidt", "Katrin Schmitz"),
    ("Tanaka Hiroshi", "タナカ ヒロシ"),
    ("Miriam Cohen", "מרים כהן"),
]


@pytest.mark.parametrize(("a", "b"), HAND)
def test_hand_picked_pairs_compare_as_in_the_reference(a: str, b: str) -> None:
    clear_memos()
    same(build_name_set([a]), build_name_set([b]))
    same(build_name_set([b]), build_name_set([a]))
    same(build_name_set([b]), build_name_set([a]))  # warm


PARTS = st.sampled_from(
    [
        "Ahmed",
        "Ahmad",
        "Mohammed",
        "Muhamad",
        "Ali",
        "J",
        "Chang",
        "Zhang",
        "Wei",
        "Siu",
        "Ming",
        "Xiaoming",
        "Ivanov",
        "Ivanova",
        "al",
        "bin",
        "محمد",
        "أحمد",
        "علي",
        "Мария",
        "Иванов",
        "王",
        "小明",
        "张伟",
        "タナカ",
        "김민준",
        "מרים",
    ]
)
NAMES = st.lists(PARTS, min_size=1, max_size=4).map(" ".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(NAMES, NAMES, st.booleans())
def test_generated_names_compare_as_in_the_reference(a: str, b: str, cold: bool) -> None:
    if cold:
        clear_memos()
    same(build_name_set([a]), build_name_set([b]))
