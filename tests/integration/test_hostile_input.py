"""The hostile-input probe set of issue 23, as a test: every probe answers 4xx
problem+json with a stable code (or, for placeholder dates, is accepted as a
document prints it), never a 5xx, and stores nothing."""

from __future__ import annotations

import base64
import json
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from tests.conftest import AgencyUsers, auth

DEEP = 10_000
ARABIC_INDIC = "١٩٩٠-٠٥-٠٤"
FULL_WIDTH = "１９９０-０５-０４"
DEVANAGARI = "१९९०-०५-०४"
UNICODE_DIGIT_DATES = [ARABIC_INDIC, FULL_WIDTH, DEVANAGARI, "١٩٩٠", "1990-٠٥"]
INVISIBLE_NAMES = [
    "\u202e",  # right-to-left override
    "\u202e\u202e\u202e",
    "\u200d",  # zero-width joiner
    "\u200d\u200d",
    "\u200b",  # zero-width space
    "\u0301\u0301\u0301",  # combining acute accents
    "\u0308",
    "\u2066\u2069",  # isolates
    "\ufeff",
    "\u202e\u200d\u0301",
]


def _stored(conn: psycopg.Connection[Any], agency: AgencyUsers) -> tuple[int, ...]:
    """What the agency has in the database: cases, identities, evidence, audit events."""
    row = conn.execute(
        "SELECT (SELECT count(*) FROM cases WHERE agency_id = %(a)s),"
        " (SELECT count(*) FROM identities WHERE agency_id = %(a)s),"
        " (SELECT count(*) FROM evidence e JOIN cases c ON c.id = e.case_id"
        "  WHERE c.agency_id = %(a)s),"
        " (SELECT count(*) FROM audit_events WHERE agency_id = %(a)s),"
        " (SELECT count(*) FROM agencies), (SELECT count(*) FROM users),"
        " (SELECT count(*) FROM sharing_agreements)",
        {"a": agency.id},
    ).fetchone()
    assert row is not None
    return tuple(int(v) for v in row)


def _assert_problem(response: Any, code: str | None = None) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert response.headers["content-type"] == "application/problem+json", response.headers
    body = response.json()
    assert isinstance(body["code"], str) and body["code"], body
    assert body["status"] == response.status_code
    if code is not None:
        assert body["code"] == code, body


def _b64(value: bytes) -> str:
    return base64.urlsafe_b64encode(value).decode().rstrip("=")


@pytest.fixture
def case_id(client: TestClient, agency: AgencyUsers) -> str:
    response = client.post(
        "/v1/cases",
        json={"reference": "HOSTILE", "subject": {"names": ["Test Person"]}},
        headers=auth(agency.caseworker),
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


# --- bodies nested 10,000 deep --------------------------------------------------------

_DEEP_ARRAY = "[" * DEEP + "]" * DEEP
_DEEP_OBJECT = '{"a":' * DEEP + "1" + "}" * DEEP
_DEEP_BODIES = {
    "array": _DEEP_ARRAY,
    "object": _DEEP_OBJECT,
    "in_names": '{"reference": "D", "subject": {"names": ' + _DEEP_ARRAY + "}}",
    "in_subject": '{"reference": "D", "subject": ' + _DEEP_OBJECT + "}",
    "in_claims": '{"claims": ' + _DEEP_OBJECT + "}",
    "in_person": '{"person": {"names": ["A"], "documents": ' + _DEEP_ARRAY + "}}",
    "depth_65": "[" * 65 + "]" * 65,
}

# (path, token role); {case} is replaced by a fresh case's id
_JSON_POSTS = [
    ("/v1/cases", "caseworker"),
    ("/v1/identities", "caseworker"),
    ("/v1/cases/{case}/evidence/documents", "caseworker"),
    ("/v1/cases/{case}/evidence/interviews", "caseworker"),
    ("/v1/cases/{case}/evidence/language-tests", "caseworker"),
    ("/v1/cases/{case}/match", "caseworker"),
    ("/v1/match", "partner"),
    ("/v1/agencies", "admin"),
    ("/v1/users", "admin"),
    ("/v1/sharing-agreements", "admin"),
]


def _token(agency: AgencyUsers, admin_token: str, role: str) -> str:
    return admin_token if role == "admin" else str(getattr(agency, role))


@pytest.mark.parametrize("body", list(_DEEP_BODIES), ids=list(_DEEP_BODIES))
@pytest.mark.parametrize(("path", "role"), _JSON_POSTS, ids=[p for p, _ in _JSON_POSTS])
def test_a_deeply_nested_body_is_refused_before_parsing(
    client: TestClient,
    agency: AgencyUsers,
    admin_token: str,
    owner_conn: psycopg.Connection[Any],
    case_id: str,
    path: str,
    role: str,
    body: str,
) -> None:
    before = _stored(owner_conn, agency)
    response = client.post(
        path.format(case=case_id),
        content=_DEEP_BODIES[body].encode(),
        headers={**auth(_token(agency, admin_token, role)), "Content-Type": "application/json"},
    )
    _assert_problem(response, "body_too_deep")
    assert _stored(owner_conn, agency) == before


@pytest.mark.parametrize(
    "line",
    [
        _DEEP_ARRAY,
        '{"external_id": "D-1", "names": ' + _DEEP_ARRAY + "}",
        '{"external_id": "D-1", "names": ["A"], "birth_place": ' + _DEEP_OBJECT + "}",
    ],
    ids=["array", "in_names", "in_object"],
)
def test_a_deeply_nested_bulk_line_is_refused_and_nothing_is_imported(
    client: TestClient, agency: AgencyUsers, owner_conn: psycopg.Connection[Any], line: str
) -> None:
    before = _stored(owner_conn, agency)
    content = '{"external_id": "OK-1", "names": ["Fine Name"]}\n' + line + "\n"
    response = client.post(
        "/v1/identities/bulk",
        content=content.encode(),
        headers={**auth(agency.caseworker), "Content-Type": "application/x-ndjson"},
    )
    _assert_problem(response, "body_too_deep")
    assert _stored(owner_conn, agency) == before


def test_a_body_nested_within_the_limit_is_read(
    client: TestClient, agency: AgencyUsers, owner_conn: psycopg.Connection[Any]
) -> None:
    # brackets inside strings do not count, and ordinary bodies pass the scan
    response = client.post(
        "/v1/cases",
        json={"reference": "NEST-OK", "subject": {"names": ["Ana [" + "{" * 100 + "]"]}},
        headers=auth(agency.caseworker),
    )
    assert response.status_code == 201, response.text


# --- cursors that decode to the wrong thing ------------------------------------------

_BAD_CURSORS = {
    "object": _b64(b'{"a":1}'),
    "list_of_int": _b64(b"[1]"),
    "string": _b64(b'"x"'),
    "huge_float": _b64(b"1e999"),
    "huge_int": _b64(b"99999999999999999999"),
    "negative": _b64(b"-1"),
    "float": _b64(b"1.5"),
    "true": _b64(b"true"),
    "nan": _b64(b"NaN"),
    "infinity": _b64(b"Infinity"),
    "empty_list": _b64(b"[]"),
    "three_items": _b64(b'["2020-01-01T00:00:00+00:00", "x", 1]'),
    "bad_uuid": _b64(b'["2020-01-01T00:00:00+00:00", "not-a-uuid"]'),
    "bad_time": _b64(b'["yesterday", "00000000-0000-0000-0000-000000000000"]'),
    "numbers": _b64(b"[1, 2]"),
    "deep": _b64(b"[" * 5000 + b"]" * 5000),
    "not_json": _b64(b"\xff\xfe"),
    "not_base64": "!!!***",
    "very_long": "A" * 5000,
}


@pytest.mark.parametrize("cursor", list(_BAD_CURSORS), ids=list(_BAD_CURSORS))
@pytest.mark.parametrize(
    ("path", "role"),
    [("/v1/cases", "caseworker"), ("/v1/audit/events", "auditor")],
    ids=["cases", "audit"],
)
def test_a_cursor_that_is_not_ours_is_refused(
    client: TestClient,
    agency: AgencyUsers,
    owner_conn: psycopg.Connection[Any],
    path: str,
    role: str,
    cursor: str,
) -> None:
    before = _stored(owner_conn, agency)
    response = client.get(
        path, params={"cursor": _BAD_CURSORS[cursor]}, headers=auth(getattr(agency, role))
    )
    _assert_problem(response, "invalid_cursor")
    assert _stored(owner_conn, agency) == before


def test_a_cursor_we_gave_out_still_works(
    client: TestClient, agency: AgencyUsers, case_id: str
) -> None:
    for n in range(2):
        client.post(
            "/v1/cases",
            json={"reference": f"PAGE-{n}", "subject": {"names": ["A"]}},
            headers=auth(agency.caseworker),
        )
    first = client.get("/v1/cases", params={"limit": 1}, headers=auth(agency.caseworker))
    assert first.status_code == 200, first.text
    cursor = first.json()["next_cursor"]
    second = client.get(
        "/v1/cases", params={"limit": 1, "cursor": cursor}, headers=auth(agency.caseworker)
    )
    assert second.status_code == 200, second.text
    assert second.json()["items"][0]["id"] != first.json()["items"][0]["id"]
    events = client.get("/v1/audit/events", params={"limit": 1}, headers=auth(agency.auditor))
    assert events.status_code == 200, events.text
    after = client.get(
        "/v1/audit/events",
        params={"limit": 1, "cursor": events.json()["next_cursor"]},
        headers=auth(agency.auditor),
    )
    assert after.status_code == 200, after.text


# --- control characters in query parameters and X-Purpose ----------------------------


@pytest.mark.parametrize(
    "query",
    [
        "object_id=%00",
        "object_id=abc%00def",
        "action=%00",
        "action=case.create%00",
        "object_type=%00case",
        "action=%1b%5b31m",
        "object_id=%0d%0aX-Injected:%201",
        "action=%7f",
        "object_id=%c2%85",
        "object_id=%ff",
        "cursor=%00",
        "limit=1&action=%01",
    ],
)
def test_control_characters_in_a_query_are_refused(
    client: TestClient, agency: AgencyUsers, owner_conn: psycopg.Connection[Any], query: str
) -> None:
    before = _stored(owner_conn, agency)
    response = client.get(f"/v1/audit/events?{query}", headers=auth(agency.auditor))
    _assert_problem(response, "invalid_query")
    assert _stored(owner_conn, agency) == before


@pytest.mark.parametrize(
    "purpose",
    [
        b"\x1b[31mred",
        b"\x1b]0;title\x07",
        b"a\x00b",
        b"bell\x07",
        b"back\x08space",
        b"del\x7f",
        b"\xc2\x9b31m",  # C1 CSI in UTF-8
    ],
)
def test_control_characters_in_x_purpose_are_refused_and_not_logged(
    client: TestClient,
    agency: AgencyUsers,
    owner_conn: psycopg.Connection[Any],
    case_id: str,
    purpose: bytes,
) -> None:
    before = _stored(owner_conn, agency)
    headers: dict[str, Any] = {
        "Authorization": f"Bearer {agency.caseworker}",
        "X-Purpose": purpose,
    }
    response = client.get(f"/v1/cases/{case_id}", headers=headers)
    _assert_problem(response, "invalid_purpose")
    assert _stored(owner_conn, agency) == before


def test_a_plain_purpose_in_another_script_is_taken(
    client: TestClient, agency: AgencyUsers, case_id: str
) -> None:
    headers: dict[str, Any] = {
        "Authorization": f"Bearer {agency.caseworker}",
        "X-Purpose": "Prüfung des Antrags".encode(),
    }
    assert client.get(f"/v1/cases/{case_id}", headers=headers).status_code == 200


# --- dates -----------------------------------------------------------------------------


def _evidence_count(conn: psycopg.Connection[Any], case_id: str) -> int:
    row = conn.execute("SELECT count(*) FROM evidence WHERE case_id = %s", (case_id,)).fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.parametrize(
    "expiry",
    ["2012-13-45", "2012-02-30", "2012-00-10", ARABIC_INDIC, FULL_WIDTH, "2012-1-1", "20120101"],
)
def test_a_document_expiry_that_is_not_a_calendar_date_is_refused(
    client: TestClient,
    agency: AgencyUsers,
    owner_conn: psycopg.Connection[Any],
    case_id: str,
    expiry: str,
) -> None:
    response = client.post(
        f"/v1/cases/{case_id}/evidence/documents",
        json={"type": "passport", "expiry_date": expiry},
        headers=auth(agency.caseworker),
    )
    _assert_problem(response, "invalid_input")
    assert _evidence_count(owner_conn, case_id) == 0


def _date_probes() -> list[tuple[str, dict[str, Any], str]]:
    probes: list[tuple[str, dict[str, Any], str]] = []
    for value in UNICODE_DIGIT_DATES:
        probes += [
            ("case", {"names": ["A"], "birth_date": value}, "invalid_birth_date"),
            ("identity", {"names": ["A"], "birth_date": value}, "invalid_birth_date"),
            ("document", {"type": "passport", "birth_date": value}, "invalid_birth_date"),
            ("interview", {"claims": {"names": ["A"], "birth_date": value}}, "invalid_birth_date"),
            (
                "case",
                {"names": ["A"], "birth_date_range": {"from": value, "to": "1995"}},
                "invalid_birth_date_range",
            ),
        ]
    return probes


_EVIDENCE_PATHS = {"document": "documents", "interview": "interviews", "language": "language-tests"}


def _post_probe(
    client: TestClient, agency: AgencyUsers, case_id: str, target: str, body: dict[str, Any]
) -> Any:
    if target == "case":
        return client.post(
            "/v1/cases",
            json={"reference": "PROBE", "subject": body},
            headers=auth(agency.caseworker),
        )
    if target == "identity":
        return client.post(
            "/v1/identities",
            json={"external_id": "PROBE-1", **body},
            headers=auth(agency.caseworker),
        )
    if target == "bulk":
        line = json.dumps({"external_id": "PROBE-B", **body}, ensure_ascii=False)
        return client.post(
            "/v1/identities/bulk",
            content=line.encode(),
            headers={**auth(agency.caseworker), "Content-Type": "application/x-ndjson"},
        )
    if target == "partner":
        return client.post("/v1/match", json={"person": body}, headers=auth(agency.partner))
    return client.post(
        f"/v1/cases/{case_id}/evidence/{_EVIDENCE_PATHS[target]}",
        json=body,
        headers=auth(agency.caseworker),
    )


def _assert_nothing_new(
    conn: psycopg.Connection[Any], agency: AgencyUsers, before: tuple[int, ...], case_id: str
) -> None:
    assert _stored(conn, agency)[:3] == before[:3]
    assert _evidence_count(conn, case_id) == 0


@pytest.mark.parametrize(("target", "body", "code"), _date_probes())
def test_a_date_in_non_ascii_digits_is_refused(
    client: TestClient,
    agency: AgencyUsers,
    owner_conn: psycopg.Connection[Any],
    case_id: str,
    target: str,
    body: dict[str, Any],
    code: str,
) -> None:
    before = _stored(owner_conn, agency)
    response = _post_probe(client, agency, case_id, target, body)
    _assert_problem(response, code)
    _assert_nothing_new(owner_conn, agency, before, case_id)


# --- names with nothing to read ------------------------------------------------------


def _name_probes() -> list[tuple[str, dict[str, Any]]]:
    probes: list[tuple[str, dict[str, Any]]] = []
    for name in INVISIBLE_NAMES:
        probes += [
            ("case", {"names": [name]}),
            ("identity", {"names": ["Ali", {"full": name}]}),
            ("document", {"type": "passport", "surname": name}),
            ("interview", {"claims": {"names": [name]}}),
        ]
    for name in INVISIBLE_NAMES[:3]:
        probes += [
            ("document", {"type": "passport", "names": [name]}),
            ("interview", {"claims": {"names": ["A"]}, "parents": [name]}),
            ("partner", {"names": [name]}),
            ("bulk", {"names": [name]}),
        ]
    return probes


@pytest.mark.parametrize(("target", "body"), _name_probes())
def test_a_name_without_a_letter_is_refused(
    client: TestClient,
    agency: AgencyUsers,
    owner_conn: psycopg.Connection[Any],
    case_id: str,
    target: str,
    body: dict[str, Any],
) -> None:
    before = _stored(owner_conn, agency)
    response = _post_probe(client, agency, case_id, target, body)
    if target == "bulk" and response.status_code == 200:
        # a bulk import answers per line: the line is refused, nothing imported
        results = response.text
        assert "invalid_name" in results, results
    else:
        _assert_problem(response, "invalid_name")
    _assert_nothing_new(owner_conn, agency, before, case_id)


@pytest.mark.parametrize(
    "name", ["José", "Zoë", "محمد", "王 伟", "Nguyễn\u0301", "O'Brien", "A\u200dB", "X Æ A-12"]
)
def test_a_name_with_letters_and_marks_is_taken(
    client: TestClient, agency: AgencyUsers, name: str
) -> None:
    response = _post_probe(client, agency, "", "case", {"names": [name]})
    assert response.status_code == 201, response.text


# --- strict types ----------------------------------------------------------------------


@pytest.mark.parametrize("confidence", ["0.5", "1", "high", True, None, [0.5], {"v": 0.5}, ""])
def test_a_confidence_that_is_not_a_number_is_refused(
    client: TestClient,
    agency: AgencyUsers,
    owner_conn: psycopg.Connection[Any],
    case_id: str,
    confidence: Any,
) -> None:
    response = _post_probe(
        client, agency, case_id, "language", {"language": "ara", "confidence": confidence}
    )
    _assert_problem(response, "invalid_confidence")
    assert _evidence_count(owner_conn, case_id) == 0


def test_an_integer_confidence_is_a_number(
    client: TestClient, agency: AgencyUsers, case_id: str
) -> None:
    response = _post_probe(
        client, agency, case_id, "language", {"language": "ara", "confidence": 1}
    )
    assert response.status_code == 201, response.text


# --- 405 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/v1/cases", {"GET", "POST"}),
        ("PUT", "/v1/health", {"GET"}),
        ("PATCH", "/v1/audit/events", {"GET"}),
        ("GET", "/v1/match", {"POST"}),
        ("PUT", "/v1/identities/bulk", {"POST"}),
    ],
)
def test_a_405_says_which_methods_are_allowed(
    client: TestClient, agency: AgencyUsers, method: str, path: str, allowed: set[str]
) -> None:
    response = client.request(method, path, headers=auth(agency.caseworker))
    assert response.status_code == 405, response.text
    _assert_problem(response, "method_not_allowed")
    assert {m.strip() for m in response.headers["allow"].split(",")} >= allowed


# --- placeholder dates documents print --------------------------------------------------


@pytest.mark.parametrize("written", ["1990-00-00", "1990-05-00", "1990-XX-XX", "1990-05-XX"])
def test_a_placeholder_birth_date_is_taken_as_written(
    client: TestClient,
    agency: AgencyUsers,
    owner_conn: psycopg.Connection[Any],
    case_id: str,
    written: str,
) -> None:
    case = _post_probe(client, agency, case_id, "case", {"names": ["A"], "birth_date": written})
    assert case.status_code == 201, case.text
    assert case.json()["subject"]["birth_date"] == written
    identity = client.post(
        "/v1/identities",
        json={"external_id": f"PH-{written}", "names": ["A"], "birth_date": written},
        headers=auth(agency.caseworker),
    )
    assert identity.status_code == 201, identity.text
    document = _post_probe(
        client, agency, case_id, "document", {"type": "passport", "birth_date": written}
    )
    assert document.status_code == 201, document.text
    stored = owner_conn.execute(
        "SELECT subject->>'birth_date' FROM cases WHERE id = %s", (case.json()["id"],)
    ).fetchone()
    assert stored == (written,)


@pytest.mark.parametrize(
    "written", ["1990-00-05", "1990-XX-05", "1990-13-00", "1990-xx-xx", "2990-00-00", "1990-X-X"]
)
def test_a_placeholder_where_the_known_part_is_wrong_is_refused(
    client: TestClient,
    agency: AgencyUsers,
    owner_conn: psycopg.Connection[Any],
    case_id: str,
    written: str,
) -> None:
    before = _stored(owner_conn, agency)
    probes: list[tuple[str, dict[str, Any]]] = [
        ("case", {"names": ["A"], "birth_date": written}),
        ("document", {"type": "passport", "birth_date": written}),
    ]
    for target, body in probes:
        response = _post_probe(client, agency, case_id, target, body)
        _assert_problem(response, "invalid_birth_date")
    _assert_nothing_new(owner_conn, agency, before, case_id)
