"""Name-frequency priors (issue 18): a common name weighs less than a rare one, even in a
small gallery; the gallery's own counts shift the prior; the table says where each
figure comes from."""

from __future__ import annotations

import pytest

from matching import build_profile, score_pair
from matching.frequency import (
    PSEUDO_COUNT,
    UNLISTED_SHARE,
    blended_share,
    load_name_priors,
    part_bits,
    part_share,
)
from matching.profile import name_count_keys, with_name_counts
from matching.scoring import load_algorithm

TRADITIONS = {
    "chinese",
    "vietnamese",
    "arabic_persian",
    "horn_of_africa",
    "west_african",
    "slavic",
    "south_asian",
}


def _exact_pair(name: str, date: str = "1990-05-17", gallery: int = 20_000) -> float:
    person = {"names": [name], "birth_date": date, "sex": "M"}
    return (
        score_pair(build_profile(person), build_profile(person), gallery_size=gallery)
        .features[0]
        .weight
    )


def test_the_table_covers_every_tradition_the_issue_names_and_cites_each_figure() -> None:
    priors = load_name_priors()
    assert set(priors.traditions) >= TRADITIONS
    for tradition, parts in priors.traditions.items():
        assert len(parts) >= 20, tradition
        for form, (share, kind, source) in parts.items():
            assert 0 < share <= 0.5, (tradition, form)
            assert kind in {"published", "rank", "assumption"}, (tradition, form)
            assert source in priors.sources, (tradition, form)
    for url in priors.sources.values():
        assert "http" in url


def test_published_shares_are_read_as_published() -> None:
    traditions = load_name_priors().traditions
    assert traditions["vietnamese"]["nguyen"][:2] == (0.38, "published")
    assert traditions["chinese"]["wang"][:2] == (0.0725, "published")
    assert traditions["slavic"]["smirnov"][:2] == (0.0161, "published")
    assert traditions["west_african"]["diallo"][:2] == (0.10, "published")


@pytest.mark.parametrize(
    ("common", "rare"),
    [
        ("nguyen", "zhanibekov"),
        ("mohammed", "ruhollah"),
        ("kone", "zoumanigui"),
        ("wang", "xylophantis"),
        ("tesfaye", "weldegiorgis"),
    ],
)
def test_a_common_part_carries_fewer_bits_than_a_rare_one(common: str, rare: str) -> None:
    assert part_share(common) > part_share(rare)
    assert part_bits(common) < part_bits(rare)


def test_an_unlisted_part_is_never_taken_as_rarer_than_one_in_ten_thousand() -> None:
    assert part_share("qqxzvw") == UNLISTED_SHARE


@pytest.mark.parametrize(
    "common",
    ["Tran Van Huong", "Ahmed Mohammed Al-Hassan", "Kadiatou Kone", "Nguyen Van Hung", "王小明"],
)
@pytest.mark.parametrize("gallery", [1, 500, 20_000, 1_000_000])
def test_a_very_common_name_weighs_less_than_a_rare_one_in_any_gallery(
    common: str, gallery: int
) -> None:
    rare = _exact_pair("Zelimkhan Yandarbiev", gallery=gallery)
    assert _exact_pair(common, gallery=gallery) < rare


def test_the_gallery_counts_shift_the_prior_both_ways() -> None:
    prior = part_share("zhanibekov")
    # a gallery where many bear it makes it commoner than the prior said...
    assert blended_share("zhanibekov", 500, 20_000) > prior
    # ...a large gallery where nobody else does makes it rarer
    assert blended_share("zhanibekov", 1, 1_000_000) < prior
    # the candidate's own record is not counted as another bearer
    assert blended_share("zhanibekov", 1, 20_000) == pytest.approx(
        PSEUDO_COUNT * prior / (PSEUDO_COUNT + 19_999)
    )
    # in an empty gallery the prior alone decides
    assert blended_share("nguyen", 0, 0) == pytest.approx(part_share("nguyen"))


def test_a_name_the_gallery_holds_often_weighs_less_against_its_records() -> None:
    person = {"names": ["Zelimkhan Yandarbiev"], "birth_date": "1990-05-17"}
    query, candidate = build_profile(person), build_profile(person)
    keys = name_count_keys(query.names)
    assert keys == {"tr:zelimkhan", "tr:yandarbiev"}
    rare_here = with_name_counts(query, {k: 1 for k in keys}, 20_000)
    common_here = with_name_counts(query, {k: 2_000 for k in keys}, 20_000)
    weight = [
        score_pair(q, candidate, gallery_size=20_000).features[0].weight
        for q in (rare_here, common_here)
    ]
    assert weight[0] > weight[1]
    assert common_here.name_bits < query.name_bits


def test_a_rare_exact_name_and_exact_date_are_strong_at_twenty_thousand_and_a_million() -> None:
    person = {"names": ["Zelimkhan Yandarbiev"], "birth_date": "1990-05-17", "sex": "M"}
    q, c = build_profile(person), build_profile(person)
    for gallery in (20_000, 1_000_000):
        counted = with_name_counts(q, {"tr:zelimkhan": 1, "tr:yandarbiev": 1}, gallery)
        assert score_pair(counted, c, gallery_size=gallery).band == "strong"


def test_a_common_name_with_a_date_only_in_a_range_is_not_strong() -> None:
    q = build_profile(
        {
            "names": ["Nguyen Van Hung"],
            "birth_date_range": {"from": "1978-01-01", "to": "1982-12-31"},
            "sex": "M",
            "nationality": ["VNM"],
        }
    )
    c = build_profile(
        {"names": ["Nguyen Van Hung"], "birth_date": "1980-03-04", "sex": "M"}
        | {"nationality": ["VNM"]}
    )
    for gallery in (500, 20_000, 1_000_000):
        assert score_pair(q, c, gallery_size=gallery).band != "strong"


def test_a_common_exact_name_and_exact_date_with_nationality_is_strong_at_twenty_thousand() -> None:
    person = {
        "names": ["Olga Smirnova"],
        "birth_date": "1990-02-06",
        "sex": "F",
        "nationality": ["RUS"],
    }
    assert score_pair(build_profile(person), build_profile(person), gallery_size=20_000).band == (
        "strong"
    )


def test_the_explanation_says_how_common_the_name_is() -> None:
    person = {"names": ["Nguyen Van Hung"]}
    detail = score_pair(build_profile(person), build_profile(person)).features[0].detail
    assert "borne together by about 1 in" in detail


def test_older_versions_keep_their_rarity_shift() -> None:
    assert load_algorithm("1.2").features[0].frequency_base == {}
    assert load_algorithm("1.3").features[0].frequency_base


def test_the_default_version_declares_how_often_strong_names_the_wrong_person() -> None:
    from matching.scoring import declared_bands

    declared = declared_bands()
    assert declared is not None and declared["source"].startswith("bench/adversarial.py")
    strong = declared["by_gallery_size"]["20000"]["bands"]["strong"]
    assert 0 <= strong["wrong_given_band"] <= 1
    assert 0 <= strong["negatives_with_wrong"] <= 1
    assert declared_bands("1.2") is None


def test_parts_of_one_tradition_are_not_counted_as_independent_in_a_mixed_gallery() -> None:
    """Hoang, Ngoc and Lan held by 0.7 %, 1 % and 0.3 % of a mixed gallery are held far
    more often together than 0.7 % × 1 % × 0.3 %: whoever bears Hoang is most likely
    Vietnamese. The name weighs less than the product of the gallery's shares says."""
    person = {"names": ["Hoang Ngoc Lan"]}
    query = build_profile(person)
    counts = {"tr:hoang": 140, "tr:ngoc": 200, "tr:lan": 60}
    counted = with_name_counts(query, counts, 20_000)
    assert counted.names.tradition_bits > 1
    independent = sum(
        part_bits(f, {f: counts[f"tr:{f}"]}, 20_000) for f in ("hoang", "ngoc", "lan")
    )
    assert counted.name_bits < independent - 1
    # a name no table lists says nothing of its tradition
    rare = with_name_counts(build_profile({"names": ["Zelimkhan Yandarbiev"]}), {}, 20_000)
    assert rare.names.tradition_bits == 0.0
