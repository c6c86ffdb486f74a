"""Auditors read their own agency's log and decisions only; oversight reads across
agencies; verification covers the whole chain for both (issue 24)."""

from __future__ import annotations

from typing import Any

import psycopg
from fastapi.testclient import TestClient

from service.audit import service as audit
from service.db import Principal, set_context
from tests.conftest import AgencyUsers, Servers, auth, open_case
from tests.desk.helpers import desk_client, sign_in
from tests.principals import make_user, new_principal, principal_of


def _oversight(client: TestClient, admin_token: str, agency: AgencyUsers) -> tuple[str, str]:
    created = client.post(
        "/v1/users",
        json={"agency_id": str(agency.id), "name": "oversight officer", "role": "oversight"},
        headers=auth(admin_token),
    )
    assert created.status_code == 201, created.text
    return created.json()["token"], created.json()["id"]


def _events(client: TestClient, token: str, **query: str) -> list[dict[str, Any]]:
    response = client.get("/v1/audit/events", params={"limit": 200, **query}, headers=auth(token))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_an_auditor_of_b_sees_none_of_a_and_oversight_sees_both(
    client: TestClient,
    admin_token: str,
    agency: AgencyUsers,
    other_agency: AgencyUsers,
    owner_conn: psycopg.Connection[Any],
) -> None:
    case_a = open_case(client, agency.caseworker, "A-1", {"names": ["Amina Yusuf"]})
    case_b = open_case(client, other_agency.caseworker, "B-1", {"names": ["Jean Dupont"]})

    # B's auditor: nothing of A, whether asked for A by agency, by object or not at all
    assert _events(client, other_agency.auditor, agency_id=str(agency.id)) == []
    assert _events(client, other_agency.auditor, object_id=case_a["id"]) == []
    seen = _events(client, other_agency.auditor, object_id=case_b["id"])
    assert [e["action"] for e in seen] == ["case.create"]
    assert all(e["agency_id"] == str(other_agency.id) for e in seen)
    # A's own auditor sees A's event
    assert [e["action"] for e in _events(client, agency.auditor, object_id=case_a["id"])] == [
        "case.create"
    ]

    # oversight: created by the admin, the creation logged, and it reads both agencies
    token, user_id = _oversight(client, admin_token, other_agency)
    logged = owner_conn.execute(
        "SELECT details->>'role' FROM audit_events WHERE action = 'user.create' AND object_id = %s",
        (user_id,),
    ).fetchall()
    assert logged == [("oversight",)]
    assert len(_events(client, token, object_id=case_a["id"])) == 1
    assert len(_events(client, token, object_id=case_b["id"])) == 1

    # the verdict covers the whole chain for an agency's auditor, as for oversight
    scoped = client.get("/v1/audit/verify", headers=auth(other_agency.auditor)).json()
    across = client.get("/v1/audit/verify", headers=auth(token)).json()
    with owner_conn.transaction():
        python = audit.verify_chain(audit.iter_events(owner_conn))
    assert scoped["valid"] is across["valid"] is python.valid is True
    # each verify call appends one event, so the later call sees one more
    assert across["length"] == scoped["length"] + 1
    assert python.length >= across["length"]


def test_the_database_itself_scopes_the_auditor(
    client: TestClient,
    agency: AgencyUsers,
    other_agency: AgencyUsers,
    servers: Servers,
    owner_conn: psycopg.Connection[Any],
) -> None:
    open_case(client, agency.caseworker, "A-2", {"names": ["Amina Yusuf"]})
    a_events = owner_conn.execute(
        "SELECT count(*) FROM audit_events WHERE agency_id = %s", (agency.id,)
    ).fetchone()
    assert a_events is not None and a_events[0] > 0
    auditor_b = owner_conn.execute(
        "SELECT id FROM users WHERE agency_id = %s AND role = 'auditor'", (other_agency.id,)
    ).fetchone()
    assert auditor_b is not None
    with psycopg.connect(servers.app_url) as conn, conn.transaction():
        set_context(conn, principal_of(servers.app_url, other_agency.auditor))
        rows = conn.execute(
            "SELECT count(*) FILTER (WHERE agency_id = %s), count(*) FILTER "
            "(WHERE agency_id IS DISTINCT FROM %s) FROM audit_events",
            (agency.id, other_agency.id),
        ).fetchone()
        assert rows == (0, 0)
        decisions = conn.execute(
            "SELECT count(*) FROM decisions WHERE agency_id <> %s", (other_agency.id,)
        ).fetchone()
        assert decisions == (0,)
        verdict = audit.verify_in_database(conn)
    oversight_b = new_principal(servers.owner_url, "oversight", agency_id=other_agency.id)
    with psycopg.connect(servers.app_url) as conn, conn.transaction():
        set_context(conn, oversight_b)
        seen = conn.execute(
            "SELECT count(*) FROM audit_events WHERE agency_id = %s", (agency.id,)
        ).fetchone()
        assert seen == a_events
        assert audit.verify_in_database(conn) == verdict
    with owner_conn.transaction():
        python = audit.verify_chain(audit.iter_events(owner_conn))
    assert verdict.valid and python.valid
    assert verdict.length <= python.length


def test_a_caseworker_cannot_run_the_verify_function(agency: AgencyUsers, servers: Servers) -> None:
    with psycopg.connect(servers.app_url) as conn:
        set_context(conn, principal_of(servers.app_url, agency.caseworker))
        try:
            conn.execute("SELECT * FROM tessera_audit_verify()")
        except psycopg.errors.InsufficientPrivilege:
            return
    raise AssertionError("a caseworker ran the chain verification")


def test_the_desk_audit_page_of_b_shows_nothing_of_a(
    client: TestClient, agency: AgencyUsers, other_agency: AgencyUsers
) -> None:
    case_a = open_case(client, agency.caseworker, "A-3", {"names": ["Amina Yusuf"]})
    desk = desk_client(client)
    assert sign_in(desk, other_agency.auditor).status_code == 303
    page = desk.get("/desk/audit", params={"object": case_a["id"]})
    assert page.status_code == 200, page.text
    assert f'<code class="id">{case_a["id"]}</code>' not in page.text
    own = desk_client(client)
    assert sign_in(own, agency.auditor).status_code == 303
    own_page = own.get("/desk/audit", params={"object": case_a["id"]}).text
    assert f'<code class="id">{case_a["id"]}</code>' in own_page


def test_oversight_uses_the_desk_audit_pages_across_agencies(
    client: TestClient, admin_token: str, agency: AgencyUsers, other_agency: AgencyUsers
) -> None:
    case_a = open_case(client, agency.caseworker, "A-4", {"names": ["Amina Yusuf"]})
    token, _ = _oversight(client, admin_token, other_agency)
    desk = desk_client(client)
    assert sign_in(desk, token).status_code == 303
    page = desk.get("/desk/audit", params={"object": case_a["id"]})
    assert page.status_code == 200, page.text
    assert f'<code class="id">{case_a["id"]}</code>' in page.text
    assert 'href="/desk/audit/decisions"' in page.text
    assert desk.get("/desk/audit/decisions").status_code == 200


def test_decisions_are_read_by_their_agency_s_auditor_and_oversight_only(
    client: TestClient,
    agency: AgencyUsers,
    other_agency: AgencyUsers,
    servers: Servers,
    owner_conn: psycopg.Connection[Any],
) -> None:
    case = open_case(client, agency.caseworker, "A-D", {"names": ["Amina Yusuf"]})
    # a decision of agency A on a candidate, written behind the service's back (as the
    # owner; the decision trigger still checks the reviewer and copies the candidate)
    with owner_conn.transaction():
        run = owner_conn.execute(
            "INSERT INTO match_runs (agency_id, case_id, state, algorithm, evidence_hash, "
            "requested_by) VALUES (%s, %s, 'done', 'test', 'h', %s) RETURNING id",
            (agency.id, case["id"], agency.caseworker_id),
        ).fetchone()
        assert run is not None
        candidate = owner_conn.execute(
            "INSERT INTO candidates (agency_id, match_run_id, case_id, rank, kind, subject_id, "
            "owner_agency_id, ref, score, match_weight, band, explanation) VALUES "
            "(%s, %s, %s, 1, 'identity', gen_random_uuid(), %s, 'REF', 0.9, 5, 'strong', "
            '\'[{"feature": "name", "candidate": "Amina Yusuf"}]\') RETURNING id',
            (agency.id, run[0], case["id"], agency.id),
        ).fetchone()
        assert candidate is not None
        # the trigger takes the reviewer from the transaction's user and role
        set_context(
            owner_conn,
            Principal(user_id=agency.caseworker_id, agency_id=agency.id, role="caseworker"),
        )
        owner_conn.execute(
            "INSERT INTO decisions (candidate_id, case_id, match_run_id, reviewer_id, verdict, "
            "reason, algorithm, score, band, explanation) VALUES "
            "(%s, %s, %s, %s, 'unsure', 'check', 'x', 0, 'x', '{}')",
            (candidate[0], case["id"], run[0], agency.caseworker_id),
        )

    def seen(token: str) -> tuple[Any, ...] | None:
        with psycopg.connect(servers.app_url) as conn, conn.transaction():
            set_context(conn, principal_of(servers.app_url, token))
            return conn.execute(
                "SELECT count(*), string_agg(explanation::text, '') FROM decisions "
                "WHERE candidate_id = %s",
                (candidate[0],),
            ).fetchone()

    oversight_b, _ = make_user(servers.owner_url, "oversight", agency_id=other_agency.id)
    assert seen(other_agency.auditor) == (0, None)
    own = seen(agency.auditor)
    assert own is not None and own[0] == 1 and "Amina Yusuf" in own[1]
    assert seen(oversight_b) == own
    assert seen(other_agency.caseworker) == (0, None)
