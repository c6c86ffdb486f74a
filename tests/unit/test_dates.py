"""Birth dates: parsing the shapes people give, and the levels of agreement."""

from __future__ import annotations

import pytest

from matching.dates import DATE_LEVELS, compare_birth_dates, parse_birth_date


def level(
    a: str | None, b: str | None, ra: dict[str, str] | None = None, rb: dict[str, str] | None = None
) -> str:
    return compare_birth_dates(parse_birth_date(a, ra), parse_birth_date(b, rb)).level


def test_full_date_is_read_to_the_day() -> None:
    d = parse_birth_date("1990-05-17")
    assert d is not None
    assert (d.year, d.month, d.day, d.precision) == (1990, 5, 17, "day")


def test_year_month_and_year_alone_are_read_with_their_precision() -> None:
    assert parse_birth_date("1990-05").precision == "month"  # type: ignore[union-attr]
    assert parse_birth_date("1990").precision == "year"  # type: ignore[union-attr]


def test_first_of_january_is_read_as_a_placeholder_year() -> None:
    d = parse_birth_date("1985-01-01")
    assert d is not None
    assert d.precision == "year"
    assert d.placeholder


def test_zero_month_and_day_are_read_as_unknown() -> None:
    d = parse_birth_date("1985-00-00")
    assert d is not None and d.precision == "year" and d.placeholder
    d2 = parse_birth_date("1985-06-00")
    assert d2 is not None and d2.precision == "month"


@pytest.mark.parametrize("bad", ["", "unknown", "1990-13-01", "1990-02-30", "12-05-1990", "0000"])
def test_unreadable_dates_give_none(bad: str) -> None:
    assert parse_birth_date(bad) is None


def test_non_string_values_give_none() -> None:
    assert parse_birth_date(1990) is None
    assert parse_birth_date(None, None) is None


def test_a_range_alone_is_a_range() -> None:
    d = parse_birth_date(None, {"from": "1988-01-01", "to": "1992-12-31"})
    assert d is not None and d.precision == "range" and d.has_range


def test_a_reversed_range_is_put_in_order() -> None:
    d = parse_birth_date(None, {"from": "1992-12-31", "to": "1988-01-01"})
    assert d is not None and d.lo < d.hi


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("1990-05-17", "1990-05-17", "exact"),
        ("1990-05-07", "1990-07-05", "swapped"),
        ("1990-05-17", "1990-05-18", "month"),
        ("1990-05-17", "1990-05", "month"),
        ("1990-05-17", "1990-06-17", "typo"),
        ("1989-05-17", "1998-05-17", "typo"),
        ("1990-05-17", "1980-05-17", "same_day_month"),
        ("1983-05-17", "1989-05-17", "same_day_month"),
        ("1983-05-17", "1990-05-17", "same_day_month"),
        ("1990-05-17", "1990", "year"),
        ("1990-05-17", "1990-01-01", "year"),
        ("1990-05-17", "1990-00-00", "year"),
        ("1990-05-17", "1990-11-28", "same_year"),
        ("1990-05-17", "1991-05-17", "near_year"),
        ("1990-05-17", "1989-12-30", "near_year"),
        ("1990-05-17", "1975-03-02", "different"),
        ("1990-05-17", None, "missing"),
        (None, None, "missing"),
    ],
)
def test_date_levels(a: str | None, b: str | None, expected: str) -> None:
    assert level(a, b) == expected
    assert level(b, a) == expected


def test_a_date_inside_an_age_assessment_range_is_in_range_by_its_width() -> None:
    five = {"from": "1988-01-01", "to": "1992-12-31"}
    assert level("1990-05-17", None, rb=five) == "in_range_5y"
    assert level("1990-05-17", None, rb={"from": "1989-01-01", "to": "1991-12-31"}) == (
        "in_range_3y"
    )
    assert level("1990-05-17", None, rb={"from": "1990-01-01", "to": "1990-12-31"}) == (
        "in_range_1y"
    )
    assert level("1990-05-17", None, rb={"from": "1980-01-01", "to": "1995-12-31"}) == (
        "in_range_wide"
    )


def test_a_year_off_with_the_same_day_and_month_says_the_year_did_not_agree() -> None:
    c = compare_birth_dates(parse_birth_date("1983-05-17"), parse_birth_date("1990-05-17"))
    assert c.level == "same_day_month"
    assert "7 apart" in c.detail and "does not agree" in c.detail


def test_a_range_explanation_says_how_wide_the_range_was() -> None:
    c = compare_birth_dates(
        parse_birth_date("1990-05-17"),
        parse_birth_date(None, {"from": "1988-01-01", "to": "1992-12-31"}),
    )
    assert "5 year(s) wide" in c.detail


def test_a_date_just_outside_a_range_is_near_year() -> None:
    assert level("1993-03-01", None, rb={"from": "1988-01-01", "to": "1992-12-31"}) == "near_year"


def test_a_date_far_outside_a_range_is_different() -> None:
    assert level("1970-03-01", None, rb={"from": "1988-01-01", "to": "1992-12-31"}) == "different"


def test_two_overlapping_ranges_are_in_range() -> None:
    assert (
        level(
            None,
            None,
            ra={"from": "1985-01-01", "to": "1990-12-31"},
            rb={"from": "1989-01-01", "to": "1995-12-31"},
        )
        == "in_range_wide"
    )


def test_a_claimed_date_that_disagrees_but_falls_in_the_other_range_is_in_range() -> None:
    assert (
        level("1980-01-05", "1991-04-02", ra=None, rb={"from": "1978-01-01", "to": "1982-12-31"})
        == "in_range_wide"
    )


def test_every_level_produced_is_a_declared_level() -> None:
    for a, b in [("1990-05-17", "1990-05-17"), ("1990", None), ("1990", "1970")]:
        assert level(a, b) in DATE_LEVELS


def test_explanations_carry_the_values_compared() -> None:
    c = compare_birth_dates(parse_birth_date("1990-05-07"), parse_birth_date("1990-07-05"))
    assert (c.query, c.candidate) == ("1990-05-07", "1990-07-05")
    assert "swapped" in c.detail
