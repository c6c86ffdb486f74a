"""Every endpoint that takes an id, called by a caseworker of another agency: the same
404 as a missing id, nothing leaked, nothing changed. (Match runs and candidates are
covered with a real run in test_pipeline.py.)"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import psycopg
import pytest
from fastapi.testclient import TestClient

from tests.conftest import FACES, AgencyUsers, auth

PHOTO = FACES / "images" / "deepface_img1.jpg"

CASE_CALLS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/v1/cases/{id}", None),
    ("GET", "/v1/cases/{id}/candidates", None),
    ("POST", "/v1/cases/{id}/match", None),
    ("POST", "/v1/cases/{id}/evidence/documents", {"type": "passport", "number": "X1234567"}),
    ("POST", "/v1/cases/{id}/evidence/interviews", {"claims": {"names": ["Someone"]}}),
    ("POST", "/v1/cases/{id}/evidence/language-tests", {"language": "ara", "confidence": 0.5}),
    ("POST", "/v1/cases/{id}/evidence/face-images", None),
]


def _call(
    client: TestClient, token: str, method: str, path: str, body: dict[str, Any] | None
) -> Any:
    if path.endswith("face-images"):
        with open(PHOTO, "rb") as handle:
            return client.post(
                path, files={"image": ("f.jpg", handle.read(), "image/jpeg")}, headers=auth(token)
            )
    if method == "GET":
        return client.get(path, headers=auth(token))
    return client.post(path, json=body, headers=auth(token))


def _footprint(conn: psycopg.Connection[Any], case_id: str) -> tuple[Any, ...]:
    row = conn.execute(
        """SELECT (SELECT count(*) FROM evidence WHERE case_id = %(c)s),
                  (SELECT count(*) FROM match_runs WHERE case_id = %(c)s),
                  (SELECT state FROM cases WHERE id = %(c)s),
                  (SELECT count(*) FROM face_images WHERE case_id = %(c)s)""",
        {"c": case_id},
    ).fetchone()
    assert row is not None
    return tuple(row)


@pytest.mark.parametrize(("method", "template", "body"), CASE_CALLS)
def test_another_agency_gets_the_same_404_as_for_a_missing_case(
    client: TestClient,
    agency: AgencyUsers,
    other_agency: AgencyUsers,
    owner_conn: psycopg.Connection[Any],
    method: str,
    template: str,
    body: dict[str, Any] | None,
) -> None:
    case = client.post(
        "/v1/cases",
        json={"reference": "X-1", "subject": {"names": ["Amina Yusuf"], "birth_date": "1994"}},
        headers=auth(agency.caseworker),
    ).json()
    before = _footprint(owner_conn, case["id"])
    foreign = _call(client, other_agency.caseworker, method, template.format(id=case["id"]), body)
    missing = _call(client, other_agency.caseworker, method, template.format(id=uuid4()), body)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json()["code"] == missing.json()["code"] == "case_not_found"
    assert foreign.json()["detail"] == missing.json()["detail"]
    assert "Amina" not in foreign.text
    assert _footprint(owner_conn, case["id"]) == before
    own = _call(client, agency.caseworker, method, template.format(id=case["id"]), body)
    assert own.status_code in (200, 201, 202)


def test_another_agency_gets_the_same_404_for_an_identity(
    client: TestClient, agency: AgencyUsers, other_agency: AgencyUsers
) -> None:
    record = client.post(
        "/v1/identities",
        json={"external_id": "X-ID", "names": ["Ivan Ivanov"]},
        headers=auth(agency.caseworker),
    ).json()
    foreign = client.get(f"/v1/identities/{record['id']}", headers=auth(other_agency.caseworker))
    missing = client.get(f"/v1/identities/{uuid4()}", headers=auth(other_agency.caseworker))
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json() | {"detail": foreign.json()["detail"]}
    assert foreign.json()["code"] == "identity_not_found"
    assert "Ivan" not in foreign.text


def test_another_agency_cannot_overwrite_a_record_by_external_id(
    client: TestClient,
    agency: AgencyUsers,
    other_agency: AgencyUsers,
    owner_conn: psycopg.Connection[Any],
) -> None:
    client.post(
        "/v1/identities",
        json={"external_id": "SHARED-REF", "names": ["Original"]},
        headers=auth(agency.caseworker),
    )
    line = b'{"external_id": "SHARED-REF", "names": ["Overwritten"]}'
    response = client.post(
        "/v1/identities/bulk",
        content=line,
        headers={**auth(other_agency.caseworker), "Content-Type": "application/x-ndjson"},
    )
    assert response.json()["created"] == 1  # its own record under its own agency
    rows = owner_conn.execute(
        "SELECT agency_id, person->'names'->>0 FROM identities WHERE external_id = 'SHARED-REF' "
        "ORDER BY created_at"
    ).fetchall()
    assert rows == [(agency.id, "Original"), (other_agency.id, "Overwritten")]


@pytest.mark.parametrize("role", ["partner", "auditor"])
def test_other_roles_cannot_use_caseworker_endpoints(
    client: TestClient, agency: AgencyUsers, role: str
) -> None:
    case = client.post(
        "/v1/cases",
        json={"reference": "ROLE-1", "subject": {"names": ["A B"]}},
        headers=auth(agency.caseworker),
    ).json()
    token = getattr(agency, role)
    for method, template, body in CASE_CALLS:
        response = _call(client, token, method, template.format(id=case["id"]), body)
        assert response.status_code == 403, (template, response.text)
    assert (
        client.post(
            "/v1/cases", json={"reference": "R", "subject": {"names": ["A"]}}, headers=auth(token)
        ).status_code
        == 403
    )
