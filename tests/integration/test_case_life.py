"""The case's life: closing with an outcome, and finding cases by state, reference and
name (any script), across two agencies."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg
import pytest
from fastapi.testclient import TestClient

from service.db import Principal, set_context
from tests.conftest import AgencyUsers, Servers, auth, open_case
from tests.integration.test_pipeline import _decide, _ready_candidate
from tests.integration.workers import WorkerProcess, wait_for


def _close(client: TestClient, token: str, case_id: str, outcome: str, reason: str = "x") -> Any:
    return client.post(
        f"/v1/cases/{case_id}/close",
        json={"outcome": outcome, "reason": reason},
        headers=auth(token),
    )


def _listed(client: TestClient, token: str, **params: str) -> list[str]:
    response = client.get("/v1/cases", params={"limit": "500", **params}, headers=auth(token))
    assert response.status_code == 200, response.text
    return [item["reference"] for item in response.json()["items"]]


def test_a_case_closes_once_as_no_match_and_then_takes_no_evidence_or_run(
    client: TestClient, agency: AgencyUsers, other_agency: AgencyUsers
) -> None:
    case_id = open_case(client, agency.caseworker, "CL-1", {"names": ["Ivan Petrov"]})["id"]

    not_yet = _close(client, agency.caseworker, case_id, "identified")
    assert not_yet.status_code == 409
    assert not_yet.json()["code"] == "case_not_identified"

    foreign = _close(client, other_agency.caseworker, case_id, "no_match")
    missing = _close(client, other_agency.caseworker, str(UUID(int=7)), "no_match")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()
    assert foreign.json()["code"] == "case_not_found"

    closed = _close(client, agency.caseworker, case_id, "no_match", "gallery exhausted")
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert body["state"] == "closed"
    assert body["outcome"] == "no_match"
    assert body["close_reason"] == "gallery exhausted"
    assert body["closed_by"] == str(agency.caseworker_id)

    again = _close(client, agency.caseworker, case_id, "withdrawn")
    assert again.status_code == 409 and again.json()["code"] == "case_closed"
    run = client.post(f"/v1/cases/{case_id}/match", headers=auth(agency.caseworker))
    assert run.status_code == 409 and run.json()["code"] == "case_closed"
    evidence = client.post(
        f"/v1/cases/{case_id}/evidence/language-tests",
        json={"language": "rus", "confidence": 0.9},
        headers=auth(agency.caseworker),
    )
    assert evidence.status_code == 409, evidence.text
    assert evidence.json()["code"] == "case_closed"

    events = client.get(
        "/v1/audit/events?limit=500&object_id=" + case_id, headers=auth(agency.auditor)
    ).json()["items"]
    close_events = [e for e in events if e["action"] == "case.close"]
    assert len(close_events) == 1
    assert close_events[0]["details"]["outcome"] == "no_match"


def test_the_database_refuses_evidence_and_runs_on_a_closed_case(
    client: TestClient, agency: AgencyUsers, servers: Servers
) -> None:
    case_id = open_case(client, agency.caseworker, "CL-SQL", {"names": ["Anna Berg"]})["id"]
    assert _close(client, agency.caseworker, case_id, "withdrawn").status_code == 200
    me = Principal(user_id=agency.caseworker_id, agency_id=agency.id, role="caseworker")
    with psycopg.connect(servers.app_url) as conn:
        with pytest.raises(psycopg.errors.CheckViolation), conn.transaction():
            set_context(conn, me)
            conn.execute(
                "INSERT INTO evidence (case_id, kind, data, created_by) "
                "VALUES (%s, 'language_test', '{}', %s)",
                (UUID(case_id), agency.caseworker_id),
            )
        with pytest.raises(psycopg.errors.CheckViolation), conn.transaction():
            set_context(conn, me)
            conn.execute(
                "UPDATE cases SET state = 'closed', outcome = 'identified' WHERE id = %s",
                (UUID(open_case(client, agency.caseworker, "CL-SQL2", {"names": ["B"]})["id"]),),
            )


def test_identified_only_after_two_confirmations(
    client: TestClient, worker: WorkerProcess, agency: AgencyUsers, servers: Servers
) -> None:
    case_id, candidate = _ready_candidate(client, agency, servers, "CL-ID")
    assert _decide(client, agency.caseworker, candidate, "confirm", "agree").status_code == 201
    one = _close(client, agency.caseworker, case_id, "identified")
    assert one.status_code == 409 and one.json()["code"] == "case_not_identified"
    assert _decide(client, agency.caseworker2, candidate, "confirm", "agree").status_code == 201
    wrong = _close(client, agency.caseworker, case_id, "no_match")
    assert wrong.status_code == 409 and wrong.json()["code"] == "case_identified"
    closed = _close(client, agency.caseworker2, case_id, "identified", "readmission requested")
    assert closed.status_code == 200, closed.text
    assert closed.json()["state"] == "closed" and closed.json()["outcome"] == "identified"


def test_cases_are_found_by_state_reference_and_name_in_any_script(
    client: TestClient,
    worker: WorkerProcess,
    agency: AgencyUsers,
    other_agency: AgencyUsers,
    servers: Servers,
) -> None:
    han = open_case(client, agency.caseworker, "Q-HAN", {"names": ["王小明"]})["id"]
    cyr = open_case(client, agency.caseworker, "Q-CYR", {"names": ["Иван Петров"]})["id"]
    open_case(client, agency.caseworker, "Q-LAT", {"names": ["Maria Lopez"]})
    open_case(client, other_agency.caseworker, "Q-HAN", {"names": ["王小明"]})
    # a case's profile (its transliterated keys) is stored by its first match run
    for case_id in (han, cyr):
        run = client.post(f"/v1/cases/{case_id}/match", headers=auth(agency.caseworker))
        assert run.status_code == 202, run.text

    def indexed() -> bool | None:
        with psycopg.connect(servers.owner_url) as conn:
            row = conn.execute(
                "SELECT count(*) FROM match_profiles WHERE subject_id = ANY(%s)",
                ([UUID(han), UUID(cyr)],),
            ).fetchone()
            return True if row is not None and row[0] == 2 else None

    wait_for(indexed)
    assert _close(client, agency.caseworker, han, "withdrawn").status_code == 200

    assert _listed(client, agency.caseworker, state="closed") == ["Q-HAN"]
    assert "Q-LAT" in _listed(client, agency.caseworker, state="open")
    assert "Q-HAN" not in _listed(client, agency.caseworker, state="open")
    assert _listed(client, agency.caseworker, reference="Q-LAT") == ["Q-LAT"]
    assert _listed(client, agency.caseworker, q="Петров") == ["Q-CYR"]
    assert _listed(client, agency.caseworker, q="小明") == ["Q-HAN"]
    assert _listed(client, agency.caseworker, q="lopez") == ["Q-LAT"]
    # the other agency's case of the same reference and name is never listed here
    assert _listed(client, other_agency.caseworker, q="小明") == ["Q-HAN"]
    assert _listed(client, other_agency.caseworker, state="closed") == []
    # a Latin spelling finds the names stored in Han and Cyrillic through the profile
    assert _listed(client, agency.caseworker, q="Wang Xiaoming") == ["Q-HAN"]
    assert _listed(client, agency.caseworker, q="Ivan Petrov") == ["Q-CYR"]
    assert _listed(client, agency.caseworker, q="Nobody Atall") == []

    bad = client.get("/v1/cases?state=lost", headers=auth(agency.caseworker))
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_state"
