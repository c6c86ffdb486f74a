"""The pipeline end to end, with a real worker process, broker and database."""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

import psycopg
import pytest
from fastapi.testclient import TestClient

from service.db import set_context
from service.settings import Settings
from service.worker import repository as repo
from service.worker.relay import Relay
from tests.conftest import AgencyUsers, Servers, auth, create_agency, share
from tests.integration.workers import WorkerProcess, wait_for
from tests.principals import principal_of

WANG = {
    "names": [{"full": "Wang Xiaoming", "given": "Xiaoming", "family": "Wang"}],
    "birth_date": "1990-05-17",
    "sex": "M",
    "nationality": ["CHN"],
    "documents": [{"type": "passport", "number": "E12345678", "issuer": "CHN"}],
}
OTHERS = [
    {"names": ["Li Wei"], "birth_date": "1985-03-02", "sex": "M", "nationality": ["CHN"]},
    {"names": ["Wang Xiaohong"], "birth_date": "1992-11-30", "sex": "F", "nationality": ["CHN"]},
    {"names": ["Ahmed Hassan"], "birth_date": "1990-05-17", "sex": "M", "nationality": ["EGY"]},
    {"names": ["Olga Petrova"], "birth_date": "1979", "sex": "F", "nationality": ["RUS"]},
]


def _identity(client: TestClient, token: str, person: dict[str, Any], ref: str) -> str:
    response = client.post(
        "/v1/identities", json={**person, "external_id": ref}, headers=auth(token)
    )
    assert response.status_code == 201, response.text
    identity_id: str = response.json()["id"]
    return identity_id


def _case(client: TestClient, token: str, subject: dict[str, Any], reference: str) -> str:
    response = client.post(
        "/v1/cases", json={"reference": reference, "subject": subject}, headers=auth(token)
    )
    assert response.status_code == 201, response.text
    case_id: str = response.json()["id"]
    return case_id


def _gallery(client: TestClient, agency: AgencyUsers) -> dict[str, str]:
    refs = {"REG-WANG": _identity(client, agency.caseworker, WANG, "REG-WANG")}
    for number, person in enumerate(OTHERS):
        refs[f"REG-{number}"] = _identity(client, agency.caseworker, person, f"REG-{number}")
    return refs


def _indexed(owner_url: str, subject_ids: list[str]) -> bool:
    with psycopg.connect(owner_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM match_profiles WHERE subject_id = ANY(%s)",
            ([UUID(s) for s in subject_ids],),
        ).fetchone()
        return row is not None and row[0] == len(subject_ids)


def _match(client: TestClient, token: str, case_id: str) -> str:
    response = client.post(f"/v1/cases/{case_id}/match", headers=auth(token))
    assert response.status_code == 202, response.text
    run_id: str = response.json()["match_run_id"]
    return run_id


def _run_done(client: TestClient, token: str, run_id: str) -> dict[str, Any] | None:
    body: dict[str, Any] = client.get(f"/v1/match-runs/{run_id}", headers=auth(token)).json()
    return body if body["state"] in ("done", "failed") else None


def _case_state(client: TestClient, token: str, case_id: str) -> str:
    state: str = client.get(f"/v1/cases/{case_id}", headers=auth(token)).json()["state"]
    return state


def _decide(client: TestClient, token: str, candidate: str, verdict: str, reason: str) -> Any:
    return client.post(
        f"/v1/candidates/{candidate}/decisions",
        json={"verdict": verdict, "reason": reason},
        headers=auth(token),
    )


def test_a_hanzi_case_finds_the_pinyin_record_and_two_confirmations_identify_it(
    client: TestClient, worker: WorkerProcess, agency: AgencyUsers, servers: Servers
) -> None:
    refs = _gallery(client, agency)
    wait_for(lambda: _indexed(servers.owner_url, list(refs.values())))
    case_id = _case(
        client,
        agency.caseworker,
        {"names": ["王小明"], "birth_date": "1990-05-17", "sex": "M"},
        "CASE-HANZI",
    )
    run_id = _match(client, agency.caseworker, case_id)
    run = wait_for(lambda: _run_done(client, agency.caseworker, run_id))
    assert run["state"] == "done"
    assert run["algorithm"]
    assert run["gallery_version"] > 0
    top = run["candidates"][0]
    assert top["ref"] == "REG-WANG"
    assert top["band"] == "strong"
    name = next(item for item in top["explanation"] if item["feature"] == "name")
    assert name["query"] == "王小明"
    assert name["detail"]
    assert _case_state(client, agency.caseworker, case_id) == "candidates_ready"

    # The creator confirms first; the second reviewer does not see that verdict.
    first = _decide(
        client, agency.caseworker, top["id"], "confirm", "passport photo and name agree"
    )
    assert first.status_code == 201, first.text
    assert first.json()["algorithm"] == run["algorithm"]
    assert first.json()["score"] == top["score"]
    seen = client.get(f"/v1/cases/{case_id}/candidates", headers=auth(agency.caseworker2))
    view = next(c for c in seen.json()["items"] if c["id"] == top["id"])
    assert view["review"] == {"you_decided": False, "status": None, "decisions": None}
    assert _case_state(client, agency.caseworker2, case_id) == "candidates_ready"

    second = _decide(client, agency.caseworker2, top["id"], "confirm", "independent check agrees")
    assert second.status_code == 201, second.text
    assert second.json()["case_state"] == "identified"

    events = client.get(
        "/v1/audit/events?limit=500&object_id=" + top["id"], headers=auth(agency.auditor)
    ).json()["items"]
    assert [e["action"] for e in events] == ["decision.create", "decision.create"]
    assert client.get("/v1/audit/verify", headers=auth(agency.auditor)).json()["valid"]


def _ready_candidate(
    client: TestClient, agency: AgencyUsers, servers: Servers, reference: str
) -> tuple[str, str]:
    refs = _gallery(client, agency)
    wait_for(lambda: _indexed(servers.owner_url, list(refs.values())))
    case_id = _case(client, agency.caseworker, WANG, reference)
    run = wait_for(
        lambda: _run_done(client, agency.caseworker, _match(client, agency.caseworker, case_id))
    )
    candidate_id: str = run["candidates"][0]["id"]
    return case_id, candidate_id


def test_the_case_creator_cannot_give_the_second_confirmation(
    client: TestClient, worker: WorkerProcess, agency: AgencyUsers, servers: Servers
) -> None:
    case_id, candidate = _ready_candidate(client, agency, servers, "CASE-CREATOR")
    first = _decide(client, agency.caseworker2, candidate, "confirm", "agree")
    assert first.status_code == 201
    second = _decide(client, agency.caseworker, candidate, "confirm", "agree too")
    assert second.status_code == 409
    assert second.json()["code"] == "two_person_rule"
    assert _case_state(client, agency.caseworker, case_id) == "candidates_ready"


def test_a_reject_disputes_the_candidate_and_blocks_identification(
    client: TestClient, worker: WorkerProcess, agency: AgencyUsers, servers: Servers
) -> None:
    case_id, candidate = _ready_candidate(client, agency, servers, "CASE-REJECT")
    _decide(client, agency.caseworker, candidate, "confirm", "looks right")
    rejected = _decide(client, agency.caseworker2, candidate, "reject", "birth place contradicts")
    assert rejected.status_code == 201
    assert rejected.json()["candidate_status"] == "disputed"
    assert _case_state(client, agency.caseworker, case_id) == "candidates_ready"


def test_one_reviewer_cannot_confirm_twice(
    client: TestClient, worker: WorkerProcess, agency: AgencyUsers, servers: Servers
) -> None:
    _, candidate = _ready_candidate(client, agency, servers, "CASE-TWICE")
    body = {"verdict": "confirm", "reason": "agree"}
    assert (
        client.post(
            f"/v1/candidates/{candidate}/decisions", json=body, headers=auth(agency.caseworker2)
        ).status_code
        == 201
    )
    again = client.post(
        f"/v1/candidates/{candidate}/decisions", json=body, headers=auth(agency.caseworker2)
    )
    assert again.status_code == 409
    assert again.json()["code"] == "already_decided"


def _confirm_in_sql(
    conn: psycopg.Connection[Any], candidate: str, reviewer: UUID, reason: str
) -> None:
    """A confirmation written straight into the table, as the service role."""
    conn.execute(
        "INSERT INTO decisions (candidate_id, reviewer_id, verdict, reason) "
        "VALUES (%s, %s, 'confirm', %s)",
        (candidate, reviewer, reason),
    )


def test_the_two_person_rule_holds_against_direct_sql_as_the_service_role(
    client: TestClient, worker: WorkerProcess, agency: AgencyUsers, servers: Servers
) -> None:
    case_id, candidate = _ready_candidate(client, agency, servers, "CASE-SQL")
    me = principal_of(servers.app_url, agency.caseworker2)
    with psycopg.connect(servers.app_url) as conn:
        set_context(conn, me)
        with pytest.raises(psycopg.errors.CheckViolation, match="two_person_rule"):
            conn.execute("UPDATE cases SET state = 'identified' WHERE id = %s", (case_id,))
    with psycopg.connect(servers.app_url) as conn:
        set_context(conn, me)
        _confirm_in_sql(conn, candidate, agency.caseworker2_id, "x")
        with pytest.raises(psycopg.errors.UniqueViolation):
            _confirm_in_sql(conn, candidate, agency.caseworker2_id, "y")
    with psycopg.connect(servers.app_url) as conn:
        set_context(conn, me)
        _confirm_in_sql(conn, candidate, agency.caseworker2_id, "x")
        # the creator's own transaction (the reviewer is the context's user, see below)
        set_context(conn, principal_of(servers.app_url, agency.caseworker))
        with pytest.raises(psycopg.errors.CheckViolation, match="creator"):
            _confirm_in_sql(conn, candidate, agency.caseworker_id, "y")
    with psycopg.connect(servers.app_url) as conn:
        set_context(conn, me)
        with pytest.raises(psycopg.errors.CheckViolation, match="in the name of the user"):
            _confirm_in_sql(conn, candidate, agency.caseworker_id, "forged")
    with psycopg.connect(servers.app_url) as conn:
        set_context(conn, me)
        _confirm_in_sql(conn, candidate, agency.caseworker2_id, "x")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE decisions SET verdict = 'reject'")
    assert _case_state(client, agency.caseworker, case_id) == "candidates_ready"


def test_a_rolled_back_transaction_sends_no_job(servers: Servers, agency: AgencyUsers) -> None:
    published: list[int] = []
    me = principal_of(servers.app_url, agency.caseworker)
    with psycopg.connect(servers.app_url) as conn:
        with conn.transaction():
            set_context(conn, me)
            committed = repo.enqueue(conn, agency.id, "index_subjects", {"ids": []})
        with pytest.raises(RuntimeError), conn.transaction():
            set_context(conn, me)
            rolled_back = repo.enqueue(conn, agency.id, "index_subjects", {"ids": []})
            raise RuntimeError("the request failed after writing its job")
    relay = Relay(servers.worker_url, published.append, redeliver_after_s=0)
    with psycopg.connect(servers.worker_url) as conn:
        relay.drain(conn)
    assert rolled_back not in published
    with psycopg.connect(servers.owner_url) as conn:
        assert conn.execute(
            "SELECT count(*) FROM outbox WHERE id = %s", (rolled_back,)
        ).fetchone() == (0,)
        assert conn.execute(
            "SELECT count(*) FROM outbox WHERE id = %s", (committed,)
        ).fetchone() == (1,)


def test_a_partner_gets_a_minimal_answer_only_under_an_agreement(
    client: TestClient,
    worker: WorkerProcess,
    agency: AgencyUsers,
    admin_token: str,
    servers: Servers,
) -> None:
    refs = _gallery(client, agency)
    wait_for(lambda: _indexed(servers.owner_url, list(refs.values())))
    partner = create_agency(client, admin_token, country="CHN")
    query = {"person": {"names": ["王小明"], "birth_date": "1990-05-17"}, "limit": 5}
    headers = auth(partner.partner, purpose="readmission request 42")
    before = client.post("/v1/match", json=query, headers=headers)
    assert before.status_code == 200, before.text
    assert "REG-WANG" not in before.text

    share(client, admin_token, agency, partner)
    after = client.post("/v1/match", json=query, headers=headers)
    assert after.status_code == 200
    top = after.json()["candidates"][0]
    assert top["ref"] == "REG-WANG"
    for stored_value in ("Wang Xiaoming", "E12345678", "Xiaoming"):
        assert stored_value not in after.text
    assert all(
        set(item) <= {"feature", "level", "weight", "query", "candidate", "detail"}
        and item.get("candidate") is None
        and item.get("detail") is None
        for item in top["explanation"]
    )

    no_purpose = client.post("/v1/match", json=query, headers=auth(partner.partner, None))
    assert no_purpose.status_code == 422
    assert no_purpose.json()["code"] == "purpose_required"
    # the query is the partner agency's act: its auditor reads it, the owner's does not
    events = client.get(
        "/v1/audit/events?action=partner.match&limit=500", headers=auth(partner.auditor)
    ).json()["items"]
    assert not client.get(
        "/v1/audit/events?action=partner.match&limit=500", headers=auth(agency.auditor)
    ).json()["items"]
    last = events[-1]
    assert last["details"]["refs"][0] == "REG-WANG"
    assert len(last["details"]["query_sha256"]) == 64
    assert last["purpose"] == "readmission request 42"


def test_a_partner_cannot_read_cases_or_runs(
    client: TestClient, worker: WorkerProcess, agency: AgencyUsers, servers: Servers
) -> None:
    case_id, candidate = _ready_candidate(client, agency, servers, "CASE-PARTNER")
    for path in (f"/v1/cases/{case_id}", f"/v1/cases/{case_id}/candidates"):
        assert client.get(path, headers=auth(agency.partner)).status_code == 403
    assert _decide(client, agency.partner, candidate, "confirm", "x").status_code == 403


def test_match_run_endpoints_hide_other_agencies_runs(
    client: TestClient,
    worker: WorkerProcess,
    agency: AgencyUsers,
    other_agency: AgencyUsers,
    servers: Servers,
) -> None:
    case_id, candidate = _ready_candidate(client, agency, servers, "CASE-ISOLATION")
    run_id = client.get(f"/v1/cases/{case_id}/candidates", headers=auth(agency.caseworker)).json()[
        "match_run_id"
    ]
    stranger = auth(other_agency.caseworker)
    missing = "00000000-0000-0000-0000-00000000abcd"
    for path in (f"/v1/match-runs/{run_id}", f"/v1/cases/{case_id}/candidates"):
        response = client.get(path, headers=stranger)
        assert response.status_code == 404
        assert response.json()["code"] in ("match_run_not_found", "case_not_found")
    assert (
        client.get(f"/v1/match-runs/{missing}", headers=stranger).json()["code"]
        == client.get(f"/v1/match-runs/{run_id}", headers=stranger).json()["code"]
    )
    decided = client.post(
        f"/v1/candidates/{candidate}/decisions",
        json={"verdict": "confirm", "reason": "x"},
        headers=stranger,
    )
    assert decided.status_code == 404
    assert decided.json()["code"] == "candidate_not_found"
    started = client.post(f"/v1/cases/{case_id}/match", headers=stranger)
    assert started.status_code == 404
    with psycopg.connect(servers.owner_url) as conn:
        assert conn.execute(
            "SELECT count(*) FROM decisions WHERE candidate_id = %s", (candidate,)
        ).fetchone() == (0,)


def test_matching_twice_on_the_same_evidence_gives_the_same_run(
    client: TestClient, worker: WorkerProcess, agency: AgencyUsers, servers: Servers
) -> None:
    case_id = _case(client, agency.caseworker, WANG, "CASE-IDEMPOTENT")
    first = _match(client, agency.caseworker, case_id)
    second = _match(client, agency.caseworker, case_id)
    assert first == second
    wait_for(lambda: _run_done(client, agency.caseworker, first))
    with psycopg.connect(servers.owner_url) as conn:
        assert conn.execute(
            "SELECT count(*) FROM match_runs WHERE case_id = %s", (case_id,)
        ).fetchone() == (1,)


def test_suspended_matching_waits_and_resumes_without_loss(
    client: TestClient, worker: WorkerProcess, agency: AgencyUsers, admin_token: str
) -> None:
    suspended = client.post(
        "/v1/admin/matching/suspend", json={"reason": "model review"}, headers=auth(admin_token)
    )
    assert suspended.status_code == 200
    assert suspended.json()["suspended"] is True
    try:
        case_id = _case(client, agency.caseworker, WANG, "CASE-SUSPENDED")
        run_id = _match(client, agency.caseworker, case_id)
        time.sleep(4)
        run = client.get(f"/v1/match-runs/{run_id}", headers=auth(agency.caseworker)).json()
        assert run["state"] == "queued"
    finally:
        resumed = client.post("/v1/admin/matching/resume", headers=auth(admin_token))
        assert resumed.json()["suspended"] is False
    done = wait_for(lambda: _run_done(client, agency.caseworker, run_id))
    assert done["state"] == "done"


def test_a_job_that_keeps_failing_lands_in_dead_letters(
    worker: WorkerProcess, servers: Servers, agency: AgencyUsers, settings: Settings
) -> None:
    me = principal_of(servers.app_url, agency.caseworker)
    with psycopg.connect(servers.app_url) as conn, conn.transaction():
        set_context(conn, me)
        job = repo.enqueue(conn, agency.id, "index_subjects", {"ids": ["not-a-uuid"]})

    def dead() -> tuple[Any, ...] | None:
        with psycopg.connect(servers.owner_url) as conn:
            return conn.execute(
                "SELECT attempts, error FROM dead_letters WHERE outbox_id = %s", (job,)
            ).fetchone()

    attempts, error = wait_for(dead, timeout=90)
    assert attempts == settings.max_attempts
    assert "UUID" in error


def test_match_counts_the_name_parts_it_cannot_read_and_still_finds_the_exact_copy(
    client: TestClient,
    worker: WorkerProcess,
    agency: AgencyUsers,
    admin_token: str,
    servers: Servers,
) -> None:
    # Cherokee syllabary: no reading, compared only as written, and said so
    unread = {"names": ["ᏣᎳᎩ Smith"], "birth_date": "1971-03-02"}
    plain = {"names": ["Ahmed Smith"], "birth_date": "1971-03-02"}
    ids = [
        _identity(client, agency.caseworker, unread, "REG-UNREAD"),
        _identity(client, agency.caseworker, plain, "REG-PLAIN"),
    ]
    wait_for(lambda: _indexed(servers.owner_url, ids))
    partner = create_agency(client, admin_token, country="USA")
    share(client, admin_token, agency, partner)
    headers = auth(partner.partner, purpose="readmission request 43")

    answer = client.post("/v1/match", json={"person": unread, "limit": 5}, headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["unread_parts"] == 1
    by_ref = {c["ref"]: c for c in body["candidates"]}
    assert body["candidates"][0]["ref"] == "REG-UNREAD"
    assert by_ref["REG-UNREAD"]["unread_parts"] == 1
    assert by_ref["REG-PLAIN"]["unread_parts"] == 0
    # the stored unread text itself is never disclosed, only counted
    assert by_ref["REG-PLAIN"]["explanation"][0].get("candidate") is None

    latin = client.post("/v1/match", json={"person": plain, "limit": 5}, headers=headers)
    assert latin.json()["unread_parts"] == 0


def test_a_names_only_cross_script_query_finds_the_latin_record(
    client: TestClient,
    worker: WorkerProcess,
    agency: AgencyUsers,
    admin_token: str,
    servers: Servers,
) -> None:
    # what a partner often has: one name, in its own script
    ids = [_identity(client, agency.caseworker, {"names": ["Cathryn"]}, "REG-CATHRYN")]
    wait_for(lambda: _indexed(servers.owner_url, ids))
    partner = create_agency(client, admin_token, country="ISR")
    share(client, admin_token, agency, partner)
    answer = client.post(
        "/v1/match",
        json={"person": {"names": ["קתרין"]}, "limit": 5},
        headers=auth(partner.partner, purpose="readmission request 44"),
    )
    assert answer.status_code == 200, answer.text
    found = [c for c in answer.json()["candidates"] if c["ref"] == "REG-CATHRYN"]
    assert found and found[0]["explanation"][0]["level"] == "transliteration"
