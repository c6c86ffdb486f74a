"""Asylum secrecy across agencies: a partner of the person's country, or of a country of
feared persecution, gets the answer it would get for a person not in the gallery."""

from __future__ import annotations

import base64
from typing import Any
from uuid import UUID

import psycopg
import pytest
from fastapi.testclient import TestClient

from service.db import set_context
from tests.conftest import AgencyUsers, Servers, auth, create_agency, open_case, share
from tests.integration.test_faces_api import PHOTO, SAME_PERSON, _upload
from tests.integration.workers import WorkerProcess, wait_for
from tests.principals import principal_of

PROTECTED = {
    "names": [{"full": "Tesfay Gebremedhin", "given": "Tesfay", "family": "Gebremedhin"}],
    "birth_date": "1994-02-11",
    "sex": "M",
    "nationality": ["ERI"],
    "documents": [{"type": "passport", "number": "P04412876", "issuer": "ERI"}],
    "protection": {"asylum": "applied", "feared_persecution": ["ERI"]},
}
#: Fled from a third state: a national of SDN fearing persecution in ETH.
FEARS_ETH = {
    "names": ["Amira Osman Idris"],
    "birth_date": "1988-07-01",
    "sex": "F",
    "nationality": ["SDN"],
    "protection": {"asylum": "granted", "feared_persecution": ["ETH"]},
}
UNPROTECTED = {"names": ["Olga Petrova"], "birth_date": "1979", "sex": "F", "nationality": ["RUS"]}
ABSENT = {"names": ["Yonas Berhane Woldu"], "birth_date": "1961-12-30", "sex": "M"}


def _identity(client: TestClient, token: str, person: dict[str, Any], ref: str) -> str:
    response = client.post(
        "/v1/identities", json={**person, "external_id": ref}, headers=auth(token)
    )
    assert response.status_code == 201, response.text
    identity_id: str = response.json()["id"]
    return identity_id


def _indexed(owner_url: str, subject_ids: list[str]) -> bool:
    with psycopg.connect(owner_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM match_profiles WHERE subject_id = ANY(%s)",
            ([UUID(s) for s in subject_ids],),
        ).fetchone()
        return row is not None and row[0] == len(subject_ids)


def _query(client: TestClient, token: str, person: dict[str, Any]) -> Any:
    response = client.post(
        "/v1/match",
        json={"person": person, "limit": 10},
        headers=auth(token, purpose="readmission request"),
    )
    assert response.status_code == 200, response.text
    return response


def _without_protection(person: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in person.items() if k != "protection"}


@pytest.fixture
def gallery(
    client: TestClient, worker: WorkerProcess, agency: AgencyUsers, servers: Servers
) -> dict[str, str]:
    """The owner's gallery: two protected persons and one without a claim."""
    refs = {
        "REG-ERI": _identity(client, agency.caseworker, PROTECTED, "REG-ERI"),
        "REG-SDN": _identity(client, agency.caseworker, FEARS_ETH, "REG-SDN"),
        "REG-RUS": _identity(client, agency.caseworker, UNPROTECTED, "REG-RUS"),
    }
    wait_for(lambda: _indexed(servers.owner_url, list(refs.values())))
    return refs


def _partner(client: TestClient, admin_token: str, owner: AgencyUsers, country: str) -> AgencyUsers:
    partner = create_agency(client, admin_token, country=country)
    share(client, admin_token, owner, partner)
    return partner


def test_the_country_of_origin_gets_the_answer_for_an_absent_person(
    client: TestClient, admin_token: str, agency: AgencyUsers, gallery: dict[str, str]
) -> None:
    eritrea = _partner(client, admin_token, agency, "ERI")
    italy = _partner(client, admin_token, agency, "ITA")
    query = _without_protection(PROTECTED)

    absent = _query(client, eritrea.partner, ABSENT)
    hidden = _query(client, eritrea.partner, query)
    assert absent.json()["candidates"] == []
    assert hidden.content == absent.content

    found = _query(client, italy.partner, query)
    refs = [c["ref"] for c in found.json()["candidates"]]
    assert refs[0] == "REG-ERI"
    for secret in ("protection", "asylum", "applied", "feared"):
        assert secret not in found.text
    # the claim itself hides nothing from a third country: the unprotected record and
    # the one fearing another state are found by Eritrea as before
    assert _query(client, eritrea.partner, UNPROTECTED).json()["candidates"][0]["ref"] == (
        "REG-RUS"
    )
    assert _query(client, eritrea.partner, _without_protection(FEARS_ETH)).json()["candidates"][0][
        "ref"
    ] == ("REG-SDN")


def test_the_country_of_feared_persecution_and_of_nationality_both_get_nothing(
    client: TestClient, admin_token: str, agency: AgencyUsers, gallery: dict[str, str]
) -> None:
    query = _without_protection(FEARS_ETH)
    for country in ("ETH", "SDN"):
        excluded = _partner(client, admin_token, agency, country)
        absent = _query(client, excluded.partner, ABSENT)
        assert _query(client, excluded.partner, query).content == absent.content
    italy = _partner(client, admin_token, agency, "ITA")
    assert _query(client, italy.partner, query).json()["candidates"][0]["ref"] == "REG-SDN"


def test_a_document_number_query_is_hidden_too(
    client: TestClient, admin_token: str, agency: AgencyUsers, gallery: dict[str, str]
) -> None:
    by_document = {
        "names": ["T. G."],
        "documents": [{"type": "passport", "number": "P04412876", "issuer": "ERI"}],
    }
    absent_document = {
        "names": ["T. G."],
        "documents": [{"type": "passport", "number": "P99999999", "issuer": "ERI"}],
    }
    eritrea = _partner(client, admin_token, agency, "ERI")
    italy = _partner(client, admin_token, agency, "ITA")
    found = _query(client, italy.partner, by_document).json()["candidates"]
    assert [c["ref"] for c in found][:1] == ["REG-ERI"]
    assert (
        _query(client, eritrea.partner, by_document).content
        == _query(client, eritrea.partner, absent_document).content
    )


def test_a_case_match_of_a_caseworker_of_the_country_of_origin_does_not_reach_them(
    client: TestClient,
    admin_token: str,
    agency: AgencyUsers,
    gallery: dict[str, str],
) -> None:
    eritrea = _partner(client, admin_token, agency, "ERI")
    italy = _partner(client, admin_token, agency, "ITA")
    refs: dict[str, list[Any]] = {}
    for name, side in (("ERI", eritrea), ("ITA", italy)):
        case = client.post(
            "/v1/cases",
            json={"reference": f"C-{name}", "subject": _without_protection(PROTECTED)},
            headers=auth(side.caseworker),
        )
        assert case.status_code == 201, case.text
        run = client.post(f"/v1/cases/{case.json()['id']}/match", headers=auth(side.caseworker))
        assert run.status_code == 202, run.text
        run_id = run.json()["match_run_id"]

        def done(run_id: str = run_id, token: str = side.caseworker) -> Any:
            body = client.get(f"/v1/match-runs/{run_id}", headers=auth(token)).json()
            return body if body["state"] in ("done", "failed") else None

        body = wait_for(done)
        assert body["state"] == "done", body
        refs[name] = [c["ref"] for c in body["candidates"]]
    assert "REG-ERI" in refs["ITA"]
    assert "REG-ERI" not in refs["ERI"]


def test_protected_rows_are_invisible_in_sql_to_the_excluded_country(
    client: TestClient,
    admin_token: str,
    agency: AgencyUsers,
    gallery: dict[str, str],
    servers: Servers,
) -> None:
    eritrea = _partner(client, admin_token, agency, "ERI")
    italy = _partner(client, admin_token, agency, "ITA")
    subject = UUID(gallery["REG-ERI"])

    def visible(who: AgencyUsers) -> tuple[int, int]:
        with psycopg.connect(servers.app_url) as conn, conn.transaction():
            set_context(conn, principal_of(servers.app_url, who.partner))
            conn.execute("SELECT set_config('tessera.purpose', 'readmission request', true)")
            profiles = conn.execute(
                "SELECT count(*) FROM match_profiles WHERE subject_id = %s", (subject,)
            ).fetchone()
            keys = conn.execute(
                "SELECT count(*) FROM match_keys WHERE subject_id = %s", (subject,)
            ).fetchone()
            assert profiles is not None and keys is not None
            return int(profiles[0]), int(keys[0])

    assert visible(eritrea) == (0, 0)
    profiles, keys = visible(italy)
    assert profiles == 1 and keys > 0
    # the owner keeps its own record, and cannot read the protection table directly
    assert visible(agency)[0] == 1
    with (
        psycopg.connect(servers.app_url) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("SELECT count(*) FROM subject_protection")


@pytest.mark.parametrize(
    ("protection", "code"),
    [
        ({"asylum": "pending"}, "invalid_protection"),
        ({"asylum": "applied", "feared_persecution": ["XX"]}, "invalid_protection"),
        ({"asylum": "applied", "note": "x"}, "unknown_field"),
        ({"feared_persecution": ["ERI"]}, "missing_field"),
    ],
)
def test_a_bad_protection_claim_is_refused_with_a_code(
    client: TestClient, agency: AgencyUsers, protection: dict[str, Any], code: str
) -> None:
    response = client.post(
        "/v1/identities",
        json={"names": ["Someone"], "external_id": "BAD-1", "protection": protection},
        headers=auth(agency.caseworker),
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code


def test_a_face_query_of_the_country_of_origin_does_not_find_their_face(
    client: TestClient, admin_token: str, agency: AgencyUsers, servers: Servers
) -> None:
    subject = {
        "names": ["Maria Lopez"],
        "nationality": ["ERI"],
        "protection": {"asylum": "applied"},
    }
    case_id = open_case(client, agency.caseworker, "F-PROTECTED", subject)["id"]
    assert _upload(client, agency, case_id, PHOTO.read_bytes()).status_code == 201
    eritrea = _partner(client, admin_token, agency, "ERI")
    italy = _partner(client, admin_token, agency, "ITA")
    names = {"names": ["Svetlana Ivanova"]}
    with_face = {"person": names, "face_image": base64.b64encode(SAME_PERSON.read_bytes()).decode()}
    headers = auth(eritrea.partner, purpose="readmission request")
    hidden = client.post("/v1/match", json=with_face, headers=headers)
    absent = client.post("/v1/match", json={"person": names}, headers=headers)
    assert hidden.status_code == 200, hidden.text
    assert hidden.json()["candidates"] == []
    assert hidden.content == absent.content
    found = client.post(
        "/v1/match", json=with_face, headers=auth(italy.partner, purpose="readmission request")
    )
    assert found.status_code == 200, found.text
    assert len(found.json()["candidates"]) == 1
    assert "asylum" not in found.text and "protection" not in found.text
    for who, expected in ((eritrea, 0), (italy, 1), (agency, 1)):
        with psycopg.connect(servers.app_url) as conn, conn.transaction():
            set_context(conn, principal_of(servers.app_url, who.partner))
            conn.execute("SELECT set_config('tessera.purpose', 'readmission request', true)")
            row = conn.execute(
                "SELECT count(*) FROM face_embeddings WHERE case_id = %s", (UUID(case_id),)
            ).fetchone()
            assert row == (expected,)
