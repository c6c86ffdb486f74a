"""The data subject's rights through the API: the subject-access export of a case, and
deletion of a case or an identity record on request, each across two agencies."""

from __future__ import annotations

import json
from typing import Any

import psycopg
from fastapi.testclient import TestClient

from tests.conftest import AgencyUsers, Servers, auth
from tests.integration.rights_helpers import (
    CASE_TABLES,
    IDENTITY_TABLES,
    assert_no_personal_data,
    chain_is_valid,
    events_about,
    held,
    nothing,
)
from tests.integration.test_pipeline import WANG, _decide, _identity, _ready_candidate
from tests.integration.test_retention import PERSONAL, _confirm_again, _full_case
from tests.integration.workers import WorkerProcess, wait_for


def _export(client: TestClient, token: str, case_id: str, purpose: str | None = "sar") -> Any:
    return client.get(f"/v1/cases/{case_id}/export", headers=auth(token, purpose))


def test_the_export_holds_the_subjects_data_and_none_of_the_other_peoples(
    client: TestClient,
    admin_token: str,
    worker: WorkerProcess,
    agency: AgencyUsers,
    servers: Servers,
    owner_conn: psycopg.Connection[Any],
) -> None:
    case_id, candidate, _ = _full_case(client, agency, servers, "SAR-1")

    response = _export(client, agency.caseworker, case_id)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["case"]["id"] == case_id
    kinds = sorted(item["kind"] for item in body["evidence"])
    assert kinds == ["document", "face_image", "interview"], kinds
    document = next(item for item in body["evidence"] if item["kind"] == "document")
    assert document["data"]["number"] == "L898902C3"  # decoded, as held
    photo = next(item for item in body["evidence"] if item["kind"] == "face_image")
    assert photo["photo"] is not None and "bytes" not in json.dumps(photo["photo"])
    assert len(body["match_runs"]) == 1 and body["match_runs"][0]["state"] == "done"
    assert body["candidates"] and {"rank", "score", "band", "status"} <= set(body["candidates"][0])
    assert [d["candidate_id"] for d in body["decisions"]] == [candidate]
    assert any(e["action"] == "case.create" for e in body["audit_events"])
    # the suggestions are other people: neither their names nor their references
    text = json.dumps(body, ensure_ascii=False)
    for other in ("Li Wei", "REG-WANG", "REG-0"):
        assert other not in text, other
    # the export itself is audited with counts, never the content
    export_event = owner_conn.execute(
        "SELECT details, purpose FROM audit_events WHERE action = 'case.export' AND object_id = %s",
        (case_id,),
    ).fetchone()
    assert export_event is not None
    assert export_event[0]["evidence"] == 3 and export_event[1] == "sar"
    assert_no_personal_data([export_event[0]], *PERSONAL)


def test_the_export_needs_a_purpose_and_is_the_owners_alone(
    client: TestClient,
    admin_token: str,
    agency: AgencyUsers,
    other_agency: AgencyUsers,
) -> None:
    created = client.post(
        "/v1/cases",
        json={"reference": "SAR-2", "subject": {"names": ["Amina Yusuf"]}},
        headers=auth(agency.caseworker),
    )
    case_id = created.json()["id"]

    no_purpose = _export(client, agency.caseworker, case_id, purpose=None)
    assert no_purpose.status_code == 422
    assert no_purpose.json()["code"] == "purpose_required"
    foreign = _export(client, other_agency.caseworker, case_id)
    missing = _export(client, other_agency.caseworker, "00000000-0000-4000-8000-000000000000")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json()["code"] == missing.json()["code"] == "case_not_found"
    assert foreign.json()["detail"] == missing.json()["detail"]
    assert _export(client, agency.partner, case_id).status_code == 403
    assert _export(client, agency.auditor, case_id).status_code == 403


def test_deleting_a_case_erases_every_derived_copy_and_only_for_its_owner(
    client: TestClient,
    worker: WorkerProcess,
    agency: AgencyUsers,
    other_agency: AgencyUsers,
    servers: Servers,
    owner_conn: psycopg.Connection[Any],
) -> None:
    case_id, candidate = _ready_candidate(client, agency, servers, "DEL-CASE")
    assert _decide(client, agency.caseworker2, candidate, "confirm", "agree").status_code == 201
    wait_for(lambda: held(owner_conn, case_id, CASE_TABLES)["match_keys"] > 0)
    before = held(owner_conn, case_id, CASE_TABLES)
    assert before["cases"] == 1 and before["candidates"] > 0 and before["decisions"] == 1

    foreign = client.delete(f"/v1/cases/{case_id}", headers=auth(other_agency.caseworker))
    assert foreign.status_code == 404 and foreign.json()["code"] == "case_not_found"
    assert held(owner_conn, case_id, CASE_TABLES) == before
    no_purpose = client.delete(f"/v1/cases/{case_id}", headers=auth(agency.caseworker, None))
    assert no_purpose.status_code == 422
    assert held(owner_conn, case_id, CASE_TABLES) == before

    deleted = client.delete(f"/v1/cases/{case_id}", headers=auth(agency.caseworker, "erasure"))

    assert deleted.status_code == 200, deleted.text
    body = deleted.json()
    assert body["id"] == case_id and body["kind"] == "case"
    assert body["removed"]["decisions"] == 1 and body["removed"]["candidates"] > 0
    assert held(owner_conn, case_id, CASE_TABLES) == nothing(CASE_TABLES)
    events = [e for e in events_about(owner_conn, [case_id]) if e["action"] == "case.delete"]
    assert len(events) == 1 and events[0]["details"]["reason"] == "request"
    assert_no_personal_data(events, *PERSONAL)
    assert chain_is_valid(servers.owner_url)
    again = client.delete(f"/v1/cases/{case_id}", headers=auth(agency.caseworker))
    assert again.status_code == 404
    assert client.get(f"/v1/cases/{case_id}", headers=auth(agency.caseworker)).status_code == 404


def test_an_identified_case_and_its_record_are_kept_until_their_retention_ends(
    client: TestClient,
    admin_token: str,
    worker: WorkerProcess,
    agency: AgencyUsers,
    servers: Servers,
    owner_conn: psycopg.Connection[Any],
) -> None:
    case_id, candidate, _ = _full_case(client, agency, servers, "DEL-IDENTIFIED")
    _confirm_again(client, admin_token, agency, candidate)
    identified = client.get(f"/v1/cases/{case_id}", headers=auth(agency.caseworker)).json()
    assert identified["state"] == "identified"
    confirmed = owner_conn.execute(
        "SELECT subject_id FROM candidates WHERE id = %s", (candidate,)
    ).fetchone()
    assert confirmed is not None
    before = held(owner_conn, case_id, CASE_TABLES)

    case = client.delete(f"/v1/cases/{case_id}", headers=auth(agency.caseworker))
    record = client.delete(f"/v1/identities/{confirmed[0]}", headers=auth(agency.caseworker))

    assert case.status_code == 409 and case.json()["code"] == "case_identified"
    assert record.status_code == 409 and record.json()["code"] == "identity_confirmed_match"
    assert held(owner_conn, case_id, CASE_TABLES) == before
    assert held(owner_conn, confirmed[0], IDENTITY_TABLES)["identities"] == 1


def test_deleting_an_identity_record_removes_it_from_search_and_only_for_its_owner(
    client: TestClient,
    worker: WorkerProcess,
    agency: AgencyUsers,
    other_agency: AgencyUsers,
    servers: Servers,
    owner_conn: psycopg.Connection[Any],
) -> None:
    identity_id = _identity(client, agency.caseworker, WANG, "DEL-REG")
    wait_for(lambda: held(owner_conn, identity_id, IDENTITY_TABLES)["match_keys"] > 0)

    foreign = client.delete(f"/v1/identities/{identity_id}", headers=auth(other_agency.caseworker))
    assert foreign.status_code == 404 and foreign.json()["code"] == "identity_not_found"
    assert held(owner_conn, identity_id, IDENTITY_TABLES)["identities"] == 1

    deleted = client.delete(f"/v1/identities/{identity_id}", headers=auth(agency.caseworker))

    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["kind"] == "identity"
    assert held(owner_conn, identity_id, IDENTITY_TABLES) == nothing(IDENTITY_TABLES)
    read = client.get(f"/v1/identities/{identity_id}", headers=auth(agency.caseworker))
    assert read.status_code == 404
    events = [
        e for e in events_about(owner_conn, [identity_id]) if e["action"] == "identity.delete"
    ]
    assert len(events) == 1
    assert_no_personal_data(events, *PERSONAL)
