"""The case's life: closing with an outcome, and finding cases by state, reference and
name (any script), across two agencies."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg
import pytest
from fastapi.testclient import TestClient

from service.db import set_context
from tests.conftest import AgencyUsers, Servers, auth, open_case
from tests.integration.test_pipeline import _decide, _ready_candidate
from tests.integration.workers import WorkerProcess, wait_for
from tests.principals import principal_of


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
    me = principal_of(servers.app_url, agency.caseworker)
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


def _update(client: TestClient, token: str, case_id: str, subject: Any, reason: str) -> Any:
    return client.put(
        f"/v1/cases/{case_id}/subject",
        json={"subject": subject, "reason": reason},
        headers=auth(token),
    )


def _full(name: Any) -> str:
    """A stored name: the string as given, or a structured name's ``full``."""
    return str(name if isinstance(name, str) else name["full"])


def _history(client: TestClient, token: str, case_id: str) -> Any:
    return client.get(f"/v1/cases/{case_id}/subject/history", headers=auth(token))


def test_the_subjects_account_is_updated_with_its_history_and_reindexed(
    client: TestClient,
    worker: WorkerProcess,
    agency: AgencyUsers,
    servers: Servers,
    owner_conn: psycopg.Connection[Any],
) -> None:
    first = {"names": ["Ivan Petrov"], "birth_date": "1984"}
    case_id = open_case(client, agency.caseworker, "SUBJ-1", first)["id"]
    second = {"names": ["Ivan Petrovich Sidorov"], "birth_date": "1984-03-02", "sex": "M"}

    updated = _update(client, agency.caseworker2, case_id, second, "second interview")

    assert updated.status_code == 200, updated.text
    assert _full(updated.json()["subject"]["names"][0]) == "Ivan Petrovich Sidorov"
    history = _history(client, agency.caseworker, case_id)
    assert history.status_code == 200, history.text
    versions = history.json()
    assert [v["version"] for v in versions] == [2, 1]
    assert versions[0]["reason"] == "second interview"
    assert versions[0]["changed_by"] == str(agency.caseworker2_id)
    assert _full(versions[1]["subject"]["names"][0]) == "Ivan Petrov"
    assert versions[1]["reason"] is None and versions[1]["changed_by"] == str(agency.caseworker_id)
    # the case is re-indexed on its new account
    wait_for(
        lambda: (
            (
                "Sidorov"
                in str(
                    (
                        owner_conn.execute(
                            "SELECT name_text FROM match_profiles WHERE subject_id = %s",
                            (UUID(case_id),),
                        ).fetchone()
                        or [""]
                    )[0]
                )
            )
            or None
        )
    )
    # audited with the version and the fields that changed, not their values
    event = owner_conn.execute(
        "SELECT details FROM audit_events WHERE action = 'case.subject_update' AND object_id = %s",
        (case_id,),
    ).fetchone()
    assert event is not None
    assert event[0] == {"version": 2, "changed": ["birth_date", "names", "sex"]}

    unchanged = _update(client, agency.caseworker, case_id, second, "again")
    assert unchanged.status_code == 409 and unchanged.json()["code"] == "subject_unchanged"
    no_reason = _update(client, agency.caseworker, case_id, first, " ")
    assert no_reason.status_code == 422
    no_purpose = client.get(
        f"/v1/cases/{case_id}/subject/history", headers=auth(agency.caseworker, None)
    )
    assert no_purpose.status_code == 422
    assert _close(client, agency.caseworker, case_id, "withdrawn").status_code == 200
    closed = _update(client, agency.caseworker, case_id, first, "too late")
    assert closed.status_code == 409 and closed.json()["code"] == "case_closed"
    assert len(_history(client, agency.caseworker, case_id).json()) == 2


def test_another_agency_can_neither_update_nor_read_the_subjects_history(
    client: TestClient, agency: AgencyUsers, other_agency: AgencyUsers
) -> None:
    case_id = open_case(client, agency.caseworker, "SUBJ-2", {"names": ["Amina Yusuf"]})["id"]
    missing = "00000000-0000-4000-8000-000000000000"

    foreign = _update(client, other_agency.caseworker, case_id, {"names": ["X Y"]}, "probe")
    absent = _update(client, other_agency.caseworker, missing, {"names": ["X Y"]}, "probe")
    read = _history(client, other_agency.caseworker, case_id)
    read_absent = _history(client, other_agency.caseworker, missing)

    assert foreign.status_code == absent.status_code == 404
    assert foreign.json() == absent.json()
    assert read.status_code == read_absent.status_code == 404
    assert read.json() == read_absent.json()
    assert _update(client, agency.partner, case_id, {"names": ["X Y"]}, "p").status_code == 403
    versions = _history(client, agency.caseworker, case_id).json()
    assert [_full(v["subject"]["names"][0]) for v in versions] == ["Amina Yusuf"]


def test_the_database_keeps_every_version_whatever_the_application_does(
    client: TestClient, agency: AgencyUsers, other_agency: AgencyUsers, servers: Servers
) -> None:
    case_id = open_case(client, agency.caseworker, "SUBJ-SQL", {"names": ["Anna Berg"]})["id"]
    me = principal_of(servers.app_url, agency.caseworker)
    other = principal_of(servers.app_url, other_agency.caseworker)
    with psycopg.connect(servers.app_url) as conn:
        for statement in (
            "UPDATE case_subject_versions SET subject = '{}' WHERE case_id = %s",
            "DELETE FROM case_subject_versions WHERE case_id = %s",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
                set_context(conn, me)
                conn.execute(statement, (UUID(case_id),))
        with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
            set_context(conn, me)
            conn.execute(
                "INSERT INTO case_subject_versions (case_id, agency_id, version, subject) "
                "VALUES (%s, %s, 9, '{}')",
                (UUID(case_id), agency.id),
            )
        with pytest.raises(psycopg.errors.CheckViolation), conn.transaction():
            set_context(conn, me)  # a change of the subject without a reason
            conn.execute(
                "UPDATE cases SET subject = '{\"names\": []}' WHERE id = %s", (UUID(case_id),)
            )
        with conn.transaction():
            set_context(conn, me)  # a change by SQL leaves its version all the same
            conn.execute(
                "UPDATE cases SET subject = '{\"names\": []}', subject_reason = 'sql' "
                "WHERE id = %s",
                (UUID(case_id),),
            )
            rows = conn.execute(
                "SELECT version, reason FROM case_subject_versions WHERE case_id = %s "
                "ORDER BY version",
                (UUID(case_id),),
            ).fetchall()
        assert rows == [(1, None), (2, "sql")]
        with conn.transaction():
            set_context(conn, other)
            seen = conn.execute(
                "SELECT count(*) FROM case_subject_versions WHERE case_id = %s", (UUID(case_id),)
            ).fetchone()
        assert seen == (0,)
