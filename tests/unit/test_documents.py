"""Document numbers: normalisation and the levels of agreement between document sets."""

from __future__ import annotations

from typing import Any

import pytest

from matching.documents import (
    compare_document_sets,
    documents_from,
    normalize_number,
    ocr_form,
)


def level(q: list[dict[str, Any]], c: list[dict[str, Any]]) -> str:
    return compare_document_sets(documents_from(q), documents_from(c)).level


def doc(number: str, issuer: str | None = "CHN", dtype: str = "passport") -> dict[str, Any]:
    return {"type": dtype, "number": number, "issuer": issuer}


def test_numbers_are_stripped_of_spaces_dashes_and_dots_and_upper_cased() -> None:
    assert normalize_number(" e 12-345.678/9 ") == "E123456789"


def test_ocr_form_maps_confusable_letters_to_digits() -> None:
    assert ocr_form("OISBZ") == "01582"


def test_documents_without_a_usable_number_are_dropped() -> None:
    docs = documents_from(
        [{"number": ""}, {"number": "12"}, {"type": "passport"}, "x", doc("AB1234")]
    )
    assert [d.number for d in docs] == ["AB1234"]


def test_issuer_and_type_are_normalised() -> None:
    (d,) = documents_from([{"type": " Passport ", "number": "x1234", "issuer": "chn"}])
    assert (d.type, d.number, d.issuer) == ("passport", "X1234", "CHN")


@pytest.mark.parametrize(
    ("q", "c", "expected"),
    [
        ("E12345678", "E12345678", "exact"),
        ("E12345678", "e12 345-678", "exact"),
        ("E12345678", "E12354678", "transposed"),
        ("E12345678", "E1234S678", "ocr"),
        ("L898902C3", "L8989O2C3", "ocr"),
        ("AB1234567", "A81234567", "ocr"),
        ("ZI000111", "21000111", "ocr"),
        ("E12345678", "G98765432", "different"),
    ],
)
def test_document_levels(q: str, c: str, expected: str) -> None:
    assert level([doc(q)], [doc(c)]) == expected
    assert level([doc(c)], [doc(q)]) == expected


def test_the_same_number_from_another_issuer_is_other_issuer() -> None:
    assert level([doc("E12345678", "CHN")], [doc("E12345678", "TWN")]) == "other_issuer"


def test_an_unknown_issuer_does_not_stop_an_exact_match() -> None:
    assert level([doc("E12345678", None)], [doc("E12345678", "CHN")]) == "exact"


def test_the_best_agreeing_pair_of_several_documents_counts() -> None:
    q = [doc("P0000001"), doc("E12345678", dtype="id_card")]
    c = [doc("E12345678", dtype="id_card"), doc("X9999999")]
    assert level(q, c) == "exact"


def test_documents_of_different_kinds_are_not_compared() -> None:
    assert (
        level([doc("E12345678", dtype="passport")], [doc("G98765432", dtype="id_card")])
        == "missing"
    )


def test_no_documents_on_one_side_is_missing() -> None:
    assert level([], [doc("E12345678")]) == "missing"
    assert level([doc("E12345678")], []) == "missing"


def test_the_explanation_names_the_numbers_and_the_issuer() -> None:
    c = compare_document_sets(
        documents_from([doc("E12345678")]), documents_from([doc("E1234S678")])
    )
    assert (c.query, c.candidate) == ("E12345678", "E1234S678")
    assert "CHN" in c.detail
