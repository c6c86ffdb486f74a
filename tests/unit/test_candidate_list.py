"""Which scored candidates the service lists (service.indexing.search's filter), no DB."""

from __future__ import annotations

from matching import build_profile, score_pair
from matching.scoring import DEFAULT as MATCHER
from matching.scoring import load_algorithm
from service.indexing.search import LIMITS, name_kept


def test_a_names_only_cross_script_agreement_is_listed_below_the_evidence_floor() -> None:
    # one million records: the prior alone is about -21 bits, and a very common name
    # agreeing across scripts adds less than the 5 bits of evidence that list a candidate
    result = score_pair(
        build_profile({"names": ["محمد"]}),
        build_profile({"names": ["Mohammed"]}),
        algorithm=MATCHER,
        gallery_size=1_000_000,
    )
    assert result.match_weight < MATCHER.prior_for(1_000_000) + LIMITS.min_evidence
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
    # 1.2 gave the rarer spelling more weight (its own rarity) though it reads worse, and
    # so did 1.3 (the share of people bearing the candidate's spelling): from 1.4 the
    # query's commonest reading caps both and the closer reading weighs more
    for native, true, odd in [("尼尔森", "Nelson", "Nailson"), ("رافال", "Rafal", "Ravil")]:
        q = build_profile({"names": [native]})
        weights = {
            c: score_pair(q, build_profile({"names": [c]}), algorithm=MATCHER).match_weight
            for c in (true, odd)
        }
        assert weights[true] > weights[odd], (native, weights)


def test_the_commonest_reading_only_ever_lowers_a_cross_script_agreement() -> None:
    # the same pair under 1.3 and 1.4: 1.4 never weighs the name more than 1.3 did
    # beyond the similarity grading (at most slope x (1 - centre) = 1 bit)
    old = load_algorithm("1.3")
    for native, latin in [("尼尔森", "Nailson"), ("김", "Kim"), ("محمد", "Mohammed")]:
        q, c = build_profile({"names": [native]}), build_profile({"names": [latin]})
        assert q.reading_bits <= q.name_bits
        name_13 = next(f for f in score_pair(q, c, algorithm=old).features if f.feature == "name")
        name_14 = next(
            f for f in score_pair(q, c, algorithm=MATCHER).features if f.feature == "name"
        )
        assert name_14.weight <= name_13.weight + 1.0, (native, latin)


def test_a_latin_name_reads_as_itself() -> None:
    p = build_profile({"names": ["Anna Eriksson"]})
    assert p.reading_bits == p.name_bits
