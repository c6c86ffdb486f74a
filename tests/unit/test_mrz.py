"""ICAO 9303 machine-readable zones, checked against the ICAO specimen documents."""

from __future__ import annotations

import datetime as dt

import pytest

from matching.mrz import check_digit, compare_mrz_to_printed, parse_mrz

TODAY = dt.date(2026, 11, 27)

TD3 = [
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
]
TD2 = [
    "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
    "D231458907UTO7408122F1204159<<<<<<<6",
]
TD1 = [
    "I<UTOD231458907<<<<<<<<<<<<<<<",
    "7408122F1204159UTO<<<<<<<<<<<6",
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
]


def _with(lines: list[str], line: int, pos: int, ch: str) -> list[str]:
    out = list(lines)
    out[line] = out[line][:pos] + ch + out[line][pos + 1 :]
    return out


@pytest.mark.parametrize(
    ("field", "digit"),
    [("L898902C3", 6), ("740812", 2), ("120415", 9), ("ZE184226B<<<<<", 1), ("D23145890", 7)],
)
def test_check_digits_of_the_icao_specimens(field: str, digit: int) -> None:
    assert check_digit(field) == digit


def test_the_td3_passport_specimen_parses_and_validates() -> None:
    r = parse_mrz(TD3, today=TODAY)
    assert r.valid, r.errors
    assert r.format == "TD3"
    assert (r.document_type, r.issuer, r.nationality) == ("P", "UTO", "UTO")
    assert (r.surname, r.given_names) == ("ERIKSSON", "ANNA MARIA")
    assert r.document_number == "L898902C3"
    assert (r.birth_date, r.sex, r.expiry_date) == ("1974-08-12", "F", "2012-04-15")
    assert r.optional_data == "ZE184226B"


def test_the_td2_specimen_parses_and_validates() -> None:
    r = parse_mrz(TD2, today=TODAY)
    assert r.valid, r.errors
    assert (r.format, r.document_number, r.surname) == ("TD2", "D23145890", "ERIKSSON")


def test_the_td1_id_card_specimen_parses_and_validates() -> None:
    r = parse_mrz(TD1, today=TODAY)
    assert r.valid, r.errors
    assert r.format == "TD1"
    assert (r.document_number, r.birth_date, r.sex, r.nationality) == (
        "D23145890",
        "1974-08-12",
        "F",
        "UTO",
    )
    assert r.given_names == "ANNA MARIA"


def test_spaces_and_lower_case_from_ocr_are_tolerated() -> None:
    lines = [TD3[0].lower(), TD3[1][:20] + " " + TD3[1][20:]]
    assert parse_mrz(lines, today=TODAY).valid


@pytest.mark.parametrize(
    ("lines", "code"),
    [
        (_with(TD3, 1, 0, "M"), "mrz_check_digit_document_number"),
        (_with(TD3, 1, 14, "5"), "mrz_check_digit_birth_date"),
        (_with(TD3, 1, 22, "3"), "mrz_check_digit_expiry_date"),
        (_with(TD3, 1, 30, "F"), "mrz_check_digit_optional_data"),
        (_with(TD3, 1, 43, "5"), "mrz_check_digit_composite"),
        (_with(TD1, 0, 6, "3"), "mrz_check_digit_document_number"),
        (_with(TD1, 1, 29, "1"), "mrz_check_digit_composite"),
        (_with(TD2, 1, 35, "1"), "mrz_check_digit_composite"),
    ],
)
def test_a_wrong_character_is_caught_by_its_check_digit(lines: list[str], code: str) -> None:
    r = parse_mrz(lines, today=TODAY)
    assert code in r.errors
    assert not r.valid


def test_a_changed_field_also_breaks_the_composite_check() -> None:
    r = parse_mrz(_with(TD3, 1, 0, "M"), today=TODAY)
    assert "mrz_check_digit_composite" in r.errors


@pytest.mark.parametrize("lines", [[], ["P<UTO"], TD3[:1], [TD3[0], TD3[1] + "<"]])
def test_wrong_line_shapes_are_a_format_error(lines: list[str]) -> None:
    assert parse_mrz(lines, today=TODAY).errors == ("mrz_format",)


def test_invalid_characters_are_reported() -> None:
    r = parse_mrz(_with(TD3, 0, 10, "#"), today=TODAY)
    assert "mrz_invalid_characters" in r.errors


def test_an_impossible_birth_date_is_reported() -> None:
    r = parse_mrz(_with(TD3, 1, 15, "3"), today=TODAY)  # month 13
    assert "mrz_invalid_birth_date" in r.errors


def test_birth_dates_are_never_in_the_future() -> None:
    line = "L898902C36UTO2501011F3001012<<<<<<<<<<<<<<00"
    r = parse_mrz([TD3[0], line], today=dt.date(2026, 1, 1))
    assert r.birth_date == "2025-01-01"
    r2 = parse_mrz([TD3[0], line], today=dt.date(2024, 1, 1))
    assert r2.birth_date == "1925-01-01"


def test_printed_fields_that_agree_give_no_mismatch() -> None:
    r = parse_mrz(TD3, today=TODAY)
    printed = {
        "document_number": "L898902C3",
        "issuer": "UTO",
        "nationality": "UTO",
        "surname": "Eriksson",
        "given_names": "Anna María",
        "birth_date": "1974-08-12",
        "sex": "F",
        "expiry_date": "2012-04-15",
    }
    assert compare_mrz_to_printed(r, printed) == []


def test_printed_fields_that_disagree_are_listed_with_stable_codes() -> None:
    r = parse_mrz(TD3, today=TODAY)
    printed = {"number": "L898902C4", "surname": "Eriksen", "birth_date": "1974-08-21", "sex": "M"}
    codes = [m.code for m in compare_mrz_to_printed(r, printed)]
    assert codes == [
        "mrz_mismatch_document_number",
        "mrz_mismatch_surname",
        "mrz_mismatch_birth_date",
        "mrz_mismatch_sex",
    ]


def test_umlauts_may_be_written_either_way_in_the_mrz() -> None:
    lines = ["P<D<<MUELLER<<JUERGEN<<<<<<<<<<<<<<<<<<<<<<", TD3[1]]
    r = parse_mrz(lines, today=TODAY)
    assert compare_mrz_to_printed(r, {"surname": "Müller", "given_names": "Jürgen"}) == []
