"""Helpers of the desk tests: signing in over plain HTTP, reading form tokens, data."""

from __future__ import annotations

import json
import re
from typing import Any

import psycopg
from fastapi.testclient import TestClient

from service.ops.demo import GALLERY
from tests.conftest import AgencyUsers, auth, create_agency, open_case

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')

# A TD3 passport zone for WANG XIAOMING, E12345678, born 1990-05-17: every check digit
# right, so the desk must show the ICAO 9303 check as passed.
MRZ = [
    "P<CHNWANG<<XIAOMING<<<<<<<<<<<<<<<<<<<<<<<<<",
    "E123456782CHN9005178M3001019<<<<<<<<<<<<<<08",
]


def csrf_of(html: str) -> str:
    """The first form token on a page."""
    found = _CSRF.search(html)
    assert found is not None, "the page has no form token"
    return found.group(1)


def sign_in(client: TestClient, token: str, purpose: str = "desk test") -> Any:
    """Sign in through the form as a browser would: GET the form, POST it back."""
    form = client.get("/desk/sign-in")
    assert form.status_code == 200, form.text
    return client.post(
        "/desk/sign-in",
        data={"token": token, "purpose": purpose, "csrf": csrf_of(form.text), "next": ""},
        follow_redirects=False,
    )


#: The people of the desk tests' agency: names that read like the real thing in
#: screenshots.
DESK_PEOPLE = {
    "caseworker": "A. Keller",
    "caseworker2": "B. Haddad",
    "partner": "Consulate liaison",
    "auditor": "M. Lindqvist",
}


def named_agency(client: TestClient, admin_token: str, name: str) -> AgencyUsers:
    """An agency named ``name`` whose users have people's names."""
    return create_agency(client, admin_token, name=name, people=DESK_PEOPLE)


def import_demo_gallery(client: TestClient, agency: AgencyUsers) -> list[str]:
    """The demo's gallery, as NDJSON through the bulk API; the ids of its records."""
    body = "\n".join(json.dumps(record, ensure_ascii=False) for record in GALLERY)
    response = client.post(
        "/v1/identities/bulk",
        content=body.encode(),
        headers={**auth(agency.caseworker), "Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["created"] == len(GALLERY)
    return [record["external_id"] for record in GALLERY]


def create_case(client: TestClient, token: str, reference: str, subject: dict[str, Any]) -> str:
    case_id: str = open_case(client, token, reference, subject)["id"]
    return case_id


def add_evidence(client: TestClient, token: str, case_id: str, kind: str, body: Any) -> str:
    response = client.post(f"/v1/cases/{case_id}/evidence/{kind}", json=body, headers=auth(token))
    assert response.status_code == 201, response.text
    evidence_id: str = response.json()["id"]
    return evidence_id


def indexed(owner_url: str, agency: AgencyUsers, count: int) -> bool:
    """Whether the worker has indexed ``count`` identity records of the agency."""
    with psycopg.connect(owner_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM match_profiles "
            "WHERE agency_id = %s AND subject_kind = 'identity'",
            (agency.id,),
        ).fetchone()
        return row is not None and row[0] >= count


def desk_client(client: TestClient, *, https: bool = False) -> TestClient:
    """A client of the session's app with a cookie jar of its own."""
    return TestClient(
        client.app,
        base_url="https://testserver" if https else "http://testserver",
        raise_server_exceptions=False,
    )
