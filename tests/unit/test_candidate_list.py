"""Which scored candidates the service lists (service.pipeline's filter), without a DB."""

from __future__ import annotations

from matching import build_profile, score_pair
from service.pipeline import MATCHER, MIN_MATCH_WEIGHT, name_kept


def test_a_names_only_cross_script_agreement_is_listed_below_the_weight_floor() -> None:
    # one million records: the prior alone is about -21 bits, more than any name adds
    result = score_pair(
        build_profile({"names": ["קתרין"]}),
        build_profile({"names": ["Cathryn"]}),
        algorithm=MATCHER,
        gallery_size=1_000_000,
    )
    assert result.match_weight < MIN_MATCH_WEIGHT
    assert name_kept(result)


def test_a_different_name_is_not_kept_for_its_name() -> None:
    result = score_pair(
        build_profile({"names": ["קתרין"]}),
        build_profile({"names": ["Nguyen"]}),
        algorithm=MATCHER,
        gallery_size=1_000_000,
    )
    assert not name_kept(result)


def test_the_usual_spelling_outranks_an_odd_rarer_one_that_reads_the_same() -> None:
    # 1.2 gave the rarer spelling more weight (its own rarity) though it reads worse
    for native, true, odd in [("尼尔森", "Nelson", "Nailson"), ("رافال", "Rafal", "Ravil")]:
        q = build_profile({"names": [native]})
        weights = {
            c: score_pair(q, build_profile({"names": [c]}), algorithm=MATCHER).match_weight
            for c in (true, odd)
        }
        assert weights[true] > weights[odd], (native, weights)
