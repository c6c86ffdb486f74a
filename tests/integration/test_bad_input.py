"""Bad input gets a clear 4xx with a stable code, and changes nothing."""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from service.settings import Settings
from tests.conftest import AgencyUsers, auth


def _count(conn: psycopg.Connection[Any], agency: AgencyUsers) -> int:
    row = conn.execute(
        "SELECT (SELECT count(*) FROM cases WHERE agency_id = %(a)s) + "
        "(SELECT count(*) FROM identities WHERE agency_id = %(a)s)",
        {"a": agency.id},
    ).fetchone()
    assert row is not None
    return int(row[0])


def _post(
    client: TestClient,
    agency: AgencyUsers,
    path: str,
    content: bytes,
    content_type: str = "application/json",
) -> Any:
    return client.post(
        path, content=content, headers={**auth(agency.caseworker), "Content-Type": content_type}
    )


def _case_body(**subject: Any) -> bytes:
    return json.dumps(
        {"reference": "BAD-1", "subject": {"names": ["Test Person"], **subject}}, ensure_ascii=False
    ).encode()


@pytest.mark.parametrize(
    ("content", "content_type", "status", "code"),
    [
        (b"x" * 2_000_000, "application/json", 413, "request_too_large"),
        (_case_body(), "text/plain", 415, "unsupported_media_type"),
        (_case_body(), "application/xml", 415, "unsupported_media_type"),
        (b'{"reference": "BAD-1", "subject": ', "application/json", 400, "malformed_json"),
        (
            b'{"reference": "BAD-1", "subject": {"names": ["\xff\xfe"]}}',
            "application/json",
            400,
            "invalid_encoding",
        ),
        (
            b'{"reference": "BAD-1", "subject": {"names": ["\\ud800"]}}',
            "application/json",
            400,
            "invalid_encoding",
        ),
        (
            b'{"reference": "BAD-1", "subject": {"names": ["a\\u0000b"]}}',
            "application/json",
            422,
            "invalid_characters",
        ),
        (
            json.dumps({"reference": "BAD-1", "subject": {"names": ["A"]}, "extra": 1}).encode(),
            "application/json",
            422,
            "unknown_field",
        ),
        (
            json.dumps(
                {"reference": "BAD-1", "subject": {"names": ["A"], "eyes": "brown"}}
            ).encode(),
            "application/json",
            422,
            "unknown_field",
        ),
        (_case_body(birth_date="1990-02-30"), "application/json", 422, "invalid_birth_date"),
        (_case_body(birth_date="2990-01-01"), "application/json", 422, "invalid_birth_date"),
        (_case_body(birth_date="17.05.1990"), "application/json", 422, "invalid_birth_date"),
        (_case_body(nationality=["XYZ"]), "application/json", 422, "invalid_country"),
        (_case_body(nationality=["CN"]), "application/json", 422, "invalid_country"),
        (_case_body(languages=["zz9"]), "application/json", 422, "invalid_language"),
        (_case_body(sex="male"), "application/json", 422, "invalid_sex"),
        (
            _case_body(birth_date_range={"from": "1995", "to": "1990"}),
            "application/json",
            422,
            "invalid_birth_date_range",
        ),
        (
            json.dumps({"reference": "BAD-1", "subject": {"names": []}}).encode(),
            "application/json",
            422,
            "invalid_name",
        ),
        (json.dumps({"reference": "BAD-1"}).encode(), "application/json", 422, "missing_field"),
        (b"[]", "application/json", 422, "invalid_input"),
    ],
)
def test_a_bad_case_body_is_refused_and_changes_nothing(
    client: TestClient,
    agency: AgencyUsers,
    owner_conn: psycopg.Connection[Any],
    content: bytes,
    content_type: str,
    status: int,
    code: str,
) -> None:
    before = _count(owner_conn, agency)
    response = _post(client, agency, "/v1/cases", content, content_type)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code
    assert body["status"] == status
    assert body["detail"]
    assert _count(owner_conn, agency) == before


@pytest.mark.parametrize(
    ("name", "code", "loc", "message"),
    [
        ("", "invalid_name", "subject.names.0", "at least 1 character"),
        ("Bell\u0007Name", "invalid_name", "subject.names.0", "control characters"),
        ({"full": ""}, "invalid_name", "subject.names.0.full", "at least 1 character"),
        ({"given": "Ali"}, "missing_field", "subject.names.0.full", "Field required"),
        ({"full": "Ali", "kind": "nick"}, "invalid_name", "subject.names.0.kind", "'alias'"),
        (42, "invalid_name", "subject.names.0", "A name is a string or an object"),
        (["Ali"], "invalid_name", "subject.names.0", "A name is a string or an object"),
    ],
)
def test_a_bad_name_gets_the_one_error_of_its_form(
    client: TestClient,
    agency: AgencyUsers,
    owner_conn: psycopg.Connection[Any],
    name: Any,
    code: str,
    loc: str,
    message: str,
) -> None:
    # a name is a string or an object: the error speaks of the form the name took,
    # not of every form it might have taken (nor of the validator's internals)
    before = _count(owner_conn, agency)
    response = _post(client, agency, "/v1/cases", _case_body(names=["Ali Hassan", name]))
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == code
    wanted = loc.replace(".0", ".1")
    assert [".".join(e["loc"][1:]) for e in body["errors"]] == [wanted], body
    assert body["detail"].startswith(f"{wanted}: ") and message in body["detail"], body["detail"]
    assert _count(owner_conn, agency) == before


def test_an_out_of_range_confidence_is_refused(
    client: TestClient, agency: AgencyUsers, owner_conn: psycopg.Connection[Any]
) -> None:
    case = client.post(
        "/v1/cases",
        json={"reference": "RANGE", "subject": {"names": ["A"]}},
        headers=auth(agency.caseworker),
    ).json()
    response = client.post(
        f"/v1/cases/{case['id']}/evidence/language-tests",
        json={"language": "ara", "confidence": 1.5},
        headers=auth(agency.caseworker),
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_confidence"
    assert owner_conn.execute(
        "SELECT count(*) FROM evidence WHERE case_id = %s", (case["id"],)
    ).fetchone() == (0,)


def test_a_malformed_id_in_the_path_is_refused(client: TestClient, agency: AgencyUsers) -> None:
    response = client.get("/v1/cases/not-a-uuid", headers=auth(agency.caseworker))
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"


def test_a_bulk_body_that_is_not_utf8_is_refused(
    client: TestClient, agency: AgencyUsers, owner_conn: psycopg.Connection[Any]
) -> None:
    before = _count(owner_conn, agency)
    response = _post(
        client,
        agency,
        "/v1/identities/bulk",
        b'{"external_id": "A", "names": ["\xc3\x28"]}',
        "application/x-ndjson",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_encoding"
    assert _count(owner_conn, agency) == before


def test_an_unknown_path_is_a_problem_json_404(client: TestClient, agency: AgencyUsers) -> None:
    response = client.get("/v1/nothing-here", headers=auth(agency.caseworker))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("path", "body", "code"),
    [
        ("documents", {"type": "passport", "issuer": "XYZ"}, "invalid_country"),
        ("documents", {"type": "passport", "nationality": "DE"}, "invalid_country"),
        ("documents", {"type": "passport", "birth_date": "1990-02-30"}, "invalid_birth_date"),
        ("documents", {"type": "visa"}, "invalid_input"),
        ("documents", {"type": "passport", "mrz": ["P<UTO", "L898"]}, "invalid_mrz"),
        ("documents", {"type": "passport", "colour": "red"}, "unknown_field"),
        ("interviews", {"claims": {"names": ["A"], "birth_date": "2999"}}, "invalid_birth_date"),
        ("interviews", {"claims": {"names": ["A"], "languages": ["xx"]}}, "invalid_language"),
        ("interviews", {"notes": "no claims"}, "missing_field"),
        ("language-tests", {"language": "zz9", "confidence": 0.5}, "invalid_language"),
        ("language-tests", {"language": "ara", "confidence": -0.1}, "invalid_confidence"),
        ("language-tests", {"language": "ara", "confidence": "high"}, "invalid_confidence"),
        ("language-tests", {"language": "ara", "confidence": 0.5, "x": 1}, "unknown_field"),
        (
            "language-tests",
            {"language": "ara", "confidence": 0.5, "supersedes": "1"},
            "invalid_input",
        ),
    ],
)
def test_bad_evidence_is_refused_and_nothing_is_stored(
    client: TestClient,
    agency: AgencyUsers,
    owner_conn: psycopg.Connection[Any],
    path: str,
    body: dict[str, Any],
    code: str,
) -> None:
    case = client.post(
        "/v1/cases",
        json={"reference": "BAD-EVIDENCE", "subject": {"names": ["A"]}},
        headers=auth(agency.caseworker),
    ).json()
    response = client.post(
        f"/v1/cases/{case['id']}/evidence/{path}", json=body, headers=auth(agency.caseworker)
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code
    assert owner_conn.execute(
        "SELECT count(*) FROM evidence WHERE case_id = %s", (case["id"],)
    ).fetchone() == (0,)


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (
            b'{"external_id": "I-1", "names": ["A"], "birth_date": "1990-02-30"}',
            "invalid_birth_date",
        ),
        (b'{"external_id": "I-1", "names": ["A"], "nationality": ["ZZZ"]}', "invalid_country"),
        (b'{"external_id": "I-1", "names": ["A"], "height": 180}', "unknown_field"),
        (b'{"external_id": "I-1", "names": ["A"]', "malformed_json"),
        (b'{"external_id": "I-1", "names": ["\\udc00"]}', "invalid_encoding"),
    ],
)
def test_a_bad_identity_is_refused_and_nothing_is_stored(
    client: TestClient,
    agency: AgencyUsers,
    owner_conn: psycopg.Connection[Any],
    content: bytes,
    code: str,
) -> None:
    before = _count(owner_conn, agency)
    response = _post(client, agency, "/v1/identities", content)
    assert 400 <= response.status_code < 500
    assert response.json()["code"] == code
    assert _count(owner_conn, agency) == before


def test_a_bulk_body_that_is_not_ndjson_is_refused(
    client: TestClient, agency: AgencyUsers, owner_conn: psycopg.Connection[Any]
) -> None:
    before = _count(owner_conn, agency)
    response = _post(
        client,
        agency,
        "/v1/identities/bulk",
        b'{"external_id": "A", "names": ["A"]}',
        "application/json",
    )
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert _count(owner_conn, agency) == before


def test_a_bulk_body_over_its_limit_is_refused(
    client: TestClient,
    agency: AgencyUsers,
    settings: Settings,
    owner_conn: psycopg.Connection[Any],
) -> None:
    before = _count(owner_conn, agency)
    line = b'{"external_id": "BIG", "names": ["A"]}\n'
    body = line * (settings.max_bulk_bytes // len(line) + 1)
    response = _post(client, agency, "/v1/identities/bulk", body, "application/x-ndjson")
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    assert _count(owner_conn, agency) == before


def test_the_bulk_limit_is_larger_than_the_json_limit(settings: Settings) -> None:
    assert settings.max_bulk_bytes >= 64 * 1024 * 1024 > settings.max_body_bytes
