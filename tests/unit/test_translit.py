"""Learned transliteration: the context channel and the units it reads.

The channel scores a Latin spelling against a native token as pointwise mutual
information, ``log P(latin | token) − log P(latin)``: positive when the token explains
the spelling better than chance. These tests hold it to what it is for: the true
spelling above near and far distractors in every script, a sign that separates
spellings from unrelated names, and a total function (no input crashes it).
"""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.names import build_name_set, compare_names
from matching.normalize import detect_script, normalize_text
from matching.translit import (
    _MODELS_FOR_SCRIPT,
    SCRIPT_MODELS,
    _channel,
    _token_positions,
    channel_logprob,
    channel_pmi,
    channel_similarity,
    has_channel_model,
    native_units,
    pmi_similarity,
    sound_fold,
)

# native token, its Latin spelling, a near miss, an unrelated name
SPELLINGS = [
    ("Мария", "mariya", "marina", "johnson"),
    ("Щукин", "shchukin", "shukri", "patel"),
    ("מרילנה", "marilena", "marilyn", "okafor"),
    ("דוד", "david", "dudek", "fernandez"),
    ("محمد", "mohammed", "mahmoud", "svensson"),
    ("فيروز", "feyrouz", "ferris", "kowalski"),
    ("伊莎貝拉", "isabella", "isaac", "kruger"),
    ("克里彭", "crippen", "kreisler", "tanaka"),
    ("클라우스", "klaus", "claude", "moreno"),
    ("김민준", "kimminjun", "kimura", "oliveira"),
    ("キャサリン", "catherine", "katharina", "dubois"),
    ("ジェンティリーニ", "gentilini", "gentile", "okonkwo"),
]


@pytest.mark.parametrize(("native", "latin", "near", "far"), SPELLINGS)
def test_true_spelling_outscores_near_and_far_names(
    native: str, latin: str, near: str, far: str
) -> None:
    true = channel_pmi(native, latin)
    assert true > channel_pmi(native, near), (native, latin, near)
    assert true > channel_pmi(native, far), (native, latin, far)


@pytest.mark.parametrize(("native", "latin", "near", "far"), SPELLINGS)
def test_pmi_is_positive_for_a_spelling_and_negative_for_an_unrelated_name(
    native: str, latin: str, near: str, far: str
) -> None:
    assert channel_pmi(native, latin) > 0.0
    assert channel_pmi(native, far) < 0.0


def test_every_learned_script_has_a_channel() -> None:
    for token in ("Мария", "מרים", "مريم", "瑪麗", "마리아", "マリア"):
        assert has_channel_model(token), token
    assert not has_channel_model("Maria")


def test_a_latin_spelling_longer_than_the_token_allows_has_no_alignment() -> None:
    assert channel_pmi("דוד", "d" * 40) == -math.inf
    assert channel_pmi("דוד", "") == -math.inf
    assert channel_pmi("David", "david") == -math.inf  # not a native token


def test_channel_logprob_is_the_forward_probability_per_character() -> None:
    lp = channel_logprob("джентилини", "gentilini")
    assert -3.0 < lp < 0.0
    assert lp > channel_logprob("джентилини", "martinez")


def _forward_over_every_cell(native: str, latin: str) -> float:
    """log P(latin | native) summed over every cell of the alignment lattice, the
    textbook way (the library skips cells that cannot reach the end)."""
    name = _MODELS_FOR_SCRIPT[detect_script(native)][0]
    channel = _channel(name)
    assert channel is not None
    positions = _token_positions(name, normalize_text(native))
    m = len(latin)
    alpha = [1.0] + [0.0] * m
    for pos in positions:
        new = [0.0] * (m + 1)
        for j in range(m + 1):
            for k in range(min(channel.max_seg, m - j) + 1):
                new[j + k] += alpha[j] * pos.prob(latin[j : j + k])
        alpha = new
    return math.log(alpha[m]) if alpha[m] > 0.0 else -math.inf


def _four_levels(native: str, place: int, seg: str) -> float:
    """P(seg | unit, neighbours) straight from the count tables: each level smoothed
    toward the one below, the unit level toward the segment prior P0."""
    name = _MODELS_FOR_SCRIPT[detect_script(native)][0]
    ch = _channel(name)
    assert ch is not None
    units = native_units(normalize_text(native), name)
    unit = units[place]
    left = units[place - 1] if place > 0 else "^"
    right = units[place + 1] if place < len(units) - 1 else "$"
    sep = "\x1f"
    k2a, k2b, k3 = left + sep + unit, unit + sep + right, left + sep + unit + sep + right
    p0 = ch.segments.get(seg, 1e-7 * 0.1 ** max(len(seg) - 1, 0))
    c1, m1 = ch.unit.get(unit, {}), ch.unit_mass.get(unit, 0.0)
    p1 = (c1.get(seg, 0.0) + ch.beta * p0) / (m1 + ch.beta)
    c2a, m2a = ch.left.get(k2a, {}), ch.left_mass.get(k2a, 0.0)
    c2b, m2b = ch.right.get(k2b, {}), ch.right_mass.get(k2b, 0.0)
    p2a = (c2a.get(seg, 0.0) + ch.a2 * p1) / (m2a + ch.a2)
    p2b = (c2b.get(seg, 0.0) + ch.a2 * p1) / (m2b + ch.a2)
    c3, m3 = ch.both.get(k3, {}), ch.both_mass.get(k3, 0.0)
    return (c3.get(seg, 0.0) + ch.a3 * 0.5 * (p2a + p2b)) / (m3 + ch.a3)


@pytest.mark.parametrize(("native", "latin", "near", "far"), SPELLINGS)
def test_each_place_gives_the_four_level_probability_of_every_segment(
    native: str, latin: str, near: str, far: str
) -> None:
    # segments with counts (looked up, then remembered) and the short way for the
    # rest both equal the formula over the raw counts, to the last bit
    name = _MODELS_FOR_SCRIPT[detect_script(native)][0]
    positions = _token_positions(name, normalize_text(native))
    assert positions
    for place, pos in enumerate(positions):
        segs = {s[j : j + k] for s in (latin, near, far) for j in range(len(s)) for k in range(6)}
        segs |= set(itertools.islice(pos.counted, 20))
        assert any(s in pos.counted for s in segs) and any(s not in pos.counted for s in segs)
        for seg in sorted(segs):
            assert pos.prob(seg) == _four_levels(native, place, seg), (native, place, seg)
            assert pos.prob(seg) == _four_levels(native, place, seg), "remembered"


@pytest.mark.parametrize(("native", "latin", "near", "far"), SPELLINGS)
def test_the_pruned_forward_sum_equals_the_sum_over_every_cell(
    native: str, latin: str, near: str, far: str
) -> None:
    name = _MODELS_FOR_SCRIPT[detect_script(native)][0]
    channel = _channel(name)
    assert channel is not None
    positions = _token_positions(name, normalize_text(native))
    for spelling in (latin, near, far, latin[:2], latin + latin[-2:]):
        if len(spelling) > channel.max_seg * len(positions):
            continue
        # the same terms added in the same order: equal to the last bit
        assert channel.logprob(positions, spelling) == _forward_over_every_cell(native, spelling), (
            native,
            spelling,
        )


def test_hangul_syllables_are_read_as_their_letters() -> None:
    # 클 = ㅋ + ㅡ + ㄹ: the vowel ㅡ is often only there to make the consonant sayable
    jamo = "\u110f\u1173\u11af\u1105\u1161\u110b\u116e\u1109\u1173"
    assert native_units("클라우스", "korean") == list(jamo)


def test_traditional_and_simplified_characters_read_alike() -> None:
    assert native_units("伊莎貝拉", "chinese") == native_units("伊莎贝拉", "chinese")
    assert channel_pmi("伊莎貝拉", "isabella") == pytest.approx(channel_pmi("伊莎贝拉", "isabella"))


def test_hiragana_reads_as_katakana() -> None:
    assert native_units("さくら", "katakana") == native_units("サクラ", "katakana")


def test_pmi_maps_onto_the_comparators_scale_strictly_increasing() -> None:
    values = [pmi_similarity(x / 2) for x in range(-120, 120)]
    assert all(a < b for a, b in itertools.pairwise(values))
    assert values[0] > 0.0
    assert values[-1] < 1.0
    assert pmi_similarity(-math.inf) == 0.0
    # the anchors are the comparator's weak, close and strong thresholds
    assert pmi_similarity(-2.0) == pytest.approx(0.70)
    assert pmi_similarity(1.0) == pytest.approx(0.78)
    assert pmi_similarity(4.0) == pytest.approx(0.86)


def test_channel_similarity_keeps_the_readings_for_han_only() -> None:
    pmi = channel_pmi("Мария", "mariya")
    assert channel_similarity("Мария", pmi, 0.99) == pmi_similarity(pmi)
    han = channel_pmi("伊莎貝拉", "isabel")
    assert channel_similarity("伊莎貝拉", han, 0.88) == max(0.88, pmi_similarity(han))
    assert channel_similarity("伊莎貝拉", han, 0.1) == pmi_similarity(han)


def test_a_han_reading_counts_up_to_the_cap_and_the_channel_orders_above_it() -> None:
    # "bos" is one of 伯斯's readings, but the channel finds "boes" likelier
    boes, bos = channel_pmi("伯斯", "boes"), channel_pmi("伯斯", "bos")
    assert boes > bos
    assert pmi_similarity(bos) < 0.90 < pmi_similarity(boes)
    assert channel_similarity("伯斯", bos, 1.0) == pytest.approx(0.90)
    assert channel_similarity("伯斯", boes, 0.96) > channel_similarity("伯斯", bos, 1.0)


@pytest.mark.parametrize(
    ("latin", "folded"),
    [
        ("jeans", "jins"),  # vowel pairs written for one sound
        ("peek", "pik"),
        ("vancouver", "vankuver"),
        ("wynne", "win"),  # y as a vowel, a doubled consonant, a silent final e
        ("stallone", "stalon"),
        ("philippe", "filip"),
        ("schmidt", "shmidt"),
        ("cecil", "sesil"),  # c before e, i, y sounds s; elsewhere k
        ("alexander", "aleksander"),
    ],
)
def test_sound_fold_spells_a_name_as_it_sounds(latin: str, folded: str) -> None:
    assert sound_fold(latin) == folded


@pytest.mark.parametrize("latin", ["li", "ana", "maria", "", "e", "ye"])
def test_sound_fold_is_empty_when_nothing_or_too_little_is_left(latin: str) -> None:
    assert sound_fold(latin) == ""


@pytest.mark.parametrize(
    ("native", "latin"),
    [("匹克", "Peek"), ("金斯", "Jeans")],
)
def test_a_spelling_the_channel_knows_only_by_its_sound_is_a_transliteration(
    native: str, latin: str
) -> None:
    folded = sound_fold(latin.lower())
    # the channel finds the spelling itself unlikely and the sounds likely
    assert channel_pmi(native, latin.lower()) < 1.0 < channel_pmi(native, folded)
    compared = compare_names(build_name_set([native]), build_name_set([latin]))
    assert compared.level == "transliteration"
    # and the caseworker reads why
    assert f"{latin.lower()} sounds like {folded}, a likely spelling of {native}" in compared.detail


@pytest.mark.parametrize(("native", "latin"), [("菲利普", "Philip"), ("Щукин", "Shchukin")])
def test_a_spelling_the_channel_knows_itself_is_not_explained_by_its_sounds(
    native: str, latin: str
) -> None:
    folded = sound_fold(latin.lower())
    assert folded  # the sounds were read too, and the spelling won
    assert channel_pmi(native, latin.lower()) > channel_pmi(native, folded)
    compared = compare_names(build_name_set([native]), build_name_set([latin]))
    assert compared.level == "transliteration"
    assert "sounds like" not in compared.detail


@pytest.mark.parametrize(
    ("native", "latin"), [("匹克", "Pollock"), ("金斯", "Jones"), ("史特龍", "Stevens")]
)
def test_folding_the_sounds_does_not_make_other_names_agree(native: str, latin: str) -> None:
    compared = compare_names(build_name_set([native]), build_name_set([latin]))
    assert compared.level in ("different", "weak")


def test_script_models_cover_every_learned_script() -> None:
    assert set(SCRIPT_MODELS) == {
        "arabic",
        "chinese",
        "hebrew",
        "japanese",
        "katakana",
        "korean",
        "russian",
    }


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=30), st.text(alphabet="abcdefghijklmnopqrstuvwxyz", max_size=30))
def test_channel_pmi_is_total(native: str, latin: str) -> None:
    value = channel_pmi(native, latin)
    assert isinstance(value, float)
    assert not math.isnan(value)


@settings(max_examples=100, deadline=None)
@given(
    st.text(alphabet="абвгдежзийклмнопрстуфхцчшщъыьэюя", min_size=1, max_size=12),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=20),
)
def test_channel_pmi_is_deterministic(native: str, latin: str) -> None:
    assert channel_pmi(native, latin) == channel_pmi(native, latin)
