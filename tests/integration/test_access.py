"""Withdrawing access: disabled users, revoked agreements, purposes, partner query limits,
the stop switch over partner queries, and the reviewer the database knows."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Iterator
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.db import set_context
from service.settings import Settings
from tests.conftest import AgencyUsers, Servers, auth, create_agency
from tests.integration.workers import WorkerProcess, wait_for
from tests.principals import principal_of

WANG = {
    "names": [{"full": "Wang Xiaoming", "given": "Xiaoming", "family": "Wang"}],
    "birth_date": "1990-05-17",
    "sex": "M",
    "nationality": ["CHN"],
}
QUERY = {"person": {"names": ["Wang Xiaoming"], "birth_date": "1990-05-17"}, "limit": 5}


def _identity(client: TestClient, agency: AgencyUsers, ref: str) -> str:
    response = client.post(
        "/v1/identities", json={**WANG, "external_id": ref}, headers=auth(agency.caseworker)
    )
    assert response.status_code == 201, response.text
    identity_id: str = response.json()["id"]
    return identity_id


def _indexed(owner_url: str, subject_id: str) -> bool:
    with psycopg.connect(owner_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM match_profiles WHERE subject_id = %s", (UUID(subject_id),)
        ).fetchone()
        return row == (1,)


def _agreement(
    client: TestClient, admin_token: str, owner: AgencyUsers, partner: AgencyUsers, purpose: str
) -> str:
    response = client.post(
        "/v1/sharing-agreements",
        headers=auth(admin_token),
        json={
            "owner_agency_id": str(owner.id),
            "partner_agency_id": str(partner.id),
            "purpose": purpose,
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()["revoked_at"] is None
    agreement_id: str = response.json()["id"]
    return agreement_id


def _refs(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [c["ref"] for c in response.json()["candidates"]]


def _events(owner_conn: psycopg.Connection[Any], action: str, object_id: str) -> list[Any]:
    return owner_conn.execute(
        "SELECT details FROM audit_events WHERE action = %s AND object_id = %s ORDER BY seq",
        (action, object_id),
    ).fetchall()


# Disabling a user -------------------------------------------------------------------------


def test_a_disabled_users_token_is_refused_on_its_next_request_and_their_desk_sessions_end(
    client: TestClient,
    admin_token: str,
    agency: AgencyUsers,
    other_agency: AgencyUsers,
    owner_conn: psycopg.Connection[Any],
) -> None:
    user = str(agency.caseworker_id)
    assert client.get("/v1/cases", headers=auth(agency.caseworker)).status_code == 200
    owner_conn.execute(
        "INSERT INTO desk_sessions (id_hash, user_id, agency_id, purpose) VALUES (%s, %s, %s, %s)",
        (hashlib.sha256(secrets.token_bytes(16)).digest(), agency.caseworker_id, agency.id, "t"),
    )

    disabled = client.post(f"/v1/users/{user}/disable", headers=auth(admin_token))
    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["id"] == user and disabled.json()["disabled_at"]

    refused = client.get("/v1/cases", headers=auth(agency.caseworker))
    assert refused.status_code == 401
    assert refused.json()["code"] == "invalid_token"
    assert owner_conn.execute(
        "SELECT count(*) FROM desk_sessions WHERE user_id = %s", (agency.caseworker_id,)
    ).fetchone() == (0,)
    # the agency's other users and the other agency's users go on
    assert client.get("/v1/cases", headers=auth(agency.caseworker2)).status_code == 200
    assert client.get("/v1/cases", headers=auth(other_agency.caseworker)).status_code == 200

    again = client.post(f"/v1/users/{user}/disable", headers=auth(admin_token))
    assert again.status_code == 200
    assert again.json()["disabled_at"] == disabled.json()["disabled_at"]
    [(details,)] = _events(owner_conn, "user.disable", user)
    assert details == {"agency_id": str(agency.id), "role": "caseworker"}


def test_disabling_needs_an_admin_and_an_existing_user_other_than_oneself(
    client: TestClient, admin_token: str, agency: AgencyUsers, owner_conn: psycopg.Connection[Any]
) -> None:
    target = f"/v1/users/{agency.caseworker2_id}/disable"
    for token in (agency.caseworker, agency.partner, agency.auditor):
        response = client.post(target, headers=auth(token))
        assert response.status_code == 403
        assert response.json()["code"] == "role_not_allowed"
    unknown = client.post(f"/v1/users/{uuid4()}/disable", headers=auth(admin_token))
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "user_not_found"
    me = owner_conn.execute(
        "SELECT id FROM users WHERE role = 'admin' ORDER BY created_at LIMIT 1"
    ).fetchone()
    assert me is not None
    self_disable = client.post(f"/v1/users/{me[0]}/disable", headers=auth(admin_token))
    assert self_disable.status_code == 409
    assert self_disable.json()["code"] == "cannot_disable_self"
    assert client.get("/v1/cases", headers=auth(agency.caseworker2)).status_code == 200


def test_the_service_role_cannot_enable_a_disabled_user_again(
    client: TestClient, admin_token: str, agency: AgencyUsers, servers: Servers
) -> None:
    assert client.post(
        f"/v1/users/{agency.caseworker2_id}/disable", headers=auth(admin_token)
    ).is_success
    admin = principal_of(servers.app_url, admin_token)
    with (
        psycopg.connect(servers.app_url) as conn,
        pytest.raises(psycopg.errors.CheckViolation),
        conn.transaction(),
    ):
        set_context(conn, admin)
        conn.execute("UPDATE users SET disabled_at = NULL WHERE id = %s", (agency.caseworker2_id,))


# Revoking an agreement, and the purposes it allows ------------------------------------------


def test_a_revoked_agreement_stops_the_partners_next_query(
    client: TestClient,
    worker: WorkerProcess,
    admin_token: str,
    agency: AgencyUsers,
    servers: Servers,
    owner_conn: psycopg.Connection[Any],
) -> None:
    identity = _identity(client, agency, "REG-REVOKE")
    wait_for(lambda: _indexed(servers.owner_url, identity))
    partner = create_agency(client, admin_token, country="ITA")
    bystander = create_agency(client, admin_token, country="ESP")
    agreement = _agreement(client, admin_token, agency, partner, "readmission")
    _agreement(client, admin_token, agency, bystander, "readmission")
    headers = auth(partner.partner, purpose="readmission request 1")
    assert _refs(client.post("/v1/match", json=QUERY, headers=headers)) == ["REG-REVOKE"]

    for token in (agency.caseworker, partner.partner):
        response = client.post(f"/v1/sharing-agreements/{agreement}/revoke", headers=auth(token))
        assert response.status_code == 403
    revoked = client.post(f"/v1/sharing-agreements/{agreement}/revoke", headers=auth(admin_token))
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"]

    assert _refs(client.post("/v1/match", json=QUERY, headers=headers)) == []
    # another partner's agreement with the same owner is untouched
    other = auth(bystander.partner, purpose="readmission request 2")
    assert _refs(client.post("/v1/match", json=QUERY, headers=other)) == ["REG-REVOKE"]

    again = client.post(f"/v1/sharing-agreements/{agreement}/revoke", headers=auth(admin_token))
    assert again.status_code == 200
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]
    [(details,)] = _events(owner_conn, "sharing_agreement.revoke", agreement)
    assert details == {"owner": str(agency.id), "partner": str(partner.id)}
    unknown = client.post(f"/v1/sharing-agreements/{uuid4()}/revoke", headers=auth(admin_token))
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "sharing_agreement_not_found"


def test_a_partner_query_reaches_only_the_galleries_whose_agreement_allows_its_purpose(
    client: TestClient,
    worker: WorkerProcess,
    admin_token: str,
    agency: AgencyUsers,
    other_agency: AgencyUsers,
    servers: Servers,
) -> None:
    first = _identity(client, agency, "REG-PURPOSE-A")
    second = _identity(client, other_agency, "REG-PURPOSE-B")
    wait_for(lambda: _indexed(servers.owner_url, first) and _indexed(servers.owner_url, second))
    partner = create_agency(client, admin_token, country="ITA")
    _agreement(client, admin_token, agency, partner, "Readmission")
    _agreement(client, admin_token, other_agency, partner, "visa  fraud")

    def query(purpose: str) -> Any:
        return client.post("/v1/match", json=QUERY, headers=auth(partner.partner, purpose))

    assert _refs(query("readmission request 42")) == ["REG-PURPOSE-A"]
    assert _refs(query("READMISSION: case 7")) == ["REG-PURPOSE-A"]
    assert _refs(query("Visa fraud")) == ["REG-PURPOSE-B"]
    for purpose in ("readmissions", "research", "visa"):
        refused = query(purpose)
        assert refused.status_code == 403, (purpose, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["code"] == "purpose_not_allowed"


# Partner query limits -----------------------------------------------------------------------


@pytest.fixture
def limited(settings: Settings) -> Iterator[tuple[TestClient, TestClient]]:
    """Two API processes' worth of apps on the session's database, 3 partner queries a
    minute each agency."""
    tight = settings.model_copy(update={"partner_query_limit": 3, "partner_query_window_s": 60})
    with (
        TestClient(create_app(tight), raise_server_exceptions=False) as one,
        TestClient(create_app(tight), raise_server_exceptions=False) as two,
    ):
        yield one, two


def test_partner_queries_past_the_limit_get_429_counted_across_processes_and_logged_once(
    limited: tuple[TestClient, TestClient],
    agency: AgencyUsers,
    other_agency: AgencyUsers,
    owner_conn: psycopg.Connection[Any],
) -> None:
    one, two = limited
    headers = auth(agency.partner)
    for app in (one, two, one):
        assert app.post("/v1/match", json=QUERY, headers=headers).status_code == 200
    for app in (two, one):
        refused = app.post("/v1/match", json=QUERY, headers=headers)
        assert refused.status_code == 429, refused.text
        assert refused.json()["code"] == "rate_limited"
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # another agency's partner has its own count
    assert two.post("/v1/match", json=QUERY, headers=auth(other_agency.partner)).is_success

    def events(action: str) -> list[Any]:
        return owner_conn.execute(
            "SELECT details FROM audit_events WHERE action = %s AND agency_id = %s ORDER BY seq",
            (action, agency.id),
        ).fetchall()

    assert events("partner.throttled") == [({"limit": 3, "window_s": 60, "queries": 3},)]
    assert len(events("partner.match")) == 3
    # the window ends: queries go through again and the closed window's totals are logged
    owner_conn.execute(
        "UPDATE partner_query_windows SET window_start = now() - interval '61 seconds' "
        "WHERE agency_id = %s",
        (agency.id,),
    )
    assert one.post("/v1/match", json=QUERY, headers=headers).status_code == 200
    assert events("partner.throttle_end") == [
        ({"limit": 3, "window_s": 60, "queries": 3, "refused": 2},)
    ]


def test_a_caseworker_is_refused_partner_queries_without_being_counted(
    limited: tuple[TestClient, TestClient],
    agency: AgencyUsers,
    owner_conn: psycopg.Connection[Any],
) -> None:
    one, _ = limited
    response = one.post("/v1/match", json=QUERY, headers=auth(agency.caseworker))
    assert response.status_code == 403
    assert response.json()["code"] == "role_not_allowed"
    assert owner_conn.execute(
        "SELECT count(*) FROM partner_query_windows WHERE agency_id = %s", (agency.id,)
    ).fetchone() == (0,)


# The stop switch ------------------------------------------------------------------------------


def test_suspension_refuses_partner_queries_and_holds_runs_but_indexing_goes_on(
    client: TestClient,
    worker: WorkerProcess,
    admin_token: str,
    agency: AgencyUsers,
    servers: Servers,
) -> None:
    switch = client.post("/v1/admin/matching/suspend", headers=auth(admin_token))
    assert switch.status_code == 200 and switch.json()["suspended"] is True
    try:
        refused = client.post("/v1/match", json=QUERY, headers=auth(agency.partner))
        assert refused.status_code == 503, refused.text
        assert refused.json()["code"] == "matching_suspended"
        identity = _identity(client, agency, "REG-SUSPENDED")
        wait_for(lambda: _indexed(servers.owner_url, identity))
        case = client.post(
            "/v1/cases",
            json={"reference": "CASE-SUSPENDED-INDEX", "subject": WANG},
            headers=auth(agency.caseworker),
        ).json()
        run = client.post(f"/v1/cases/{case['id']}/match", headers=auth(agency.caseworker))
        time.sleep(3)
        state = client.get(
            f"/v1/match-runs/{run.json()['match_run_id']}", headers=auth(agency.caseworker)
        ).json()["state"]
        assert state == "queued"
    finally:
        resumed = client.post("/v1/admin/matching/resume", headers=auth(admin_token))
        assert resumed.json()["suspended"] is False
    assert "REG-SUSPENDED" in _refs(
        client.post("/v1/match", json=QUERY, headers=auth(agency.partner))
    )


# The reviewer the database knows --------------------------------------------------------------


def test_a_decision_in_another_users_name_is_refused_by_the_database(
    client: TestClient,
    worker: WorkerProcess,
    agency: AgencyUsers,
    servers: Servers,
) -> None:
    identity = _identity(client, agency, "REG-REVIEWER")
    wait_for(lambda: _indexed(servers.owner_url, identity))
    case = client.post(
        "/v1/cases",
        json={"reference": "CASE-REVIEWER", "subject": WANG},
        headers=auth(agency.caseworker),
    ).json()
    run_id = client.post(f"/v1/cases/{case['id']}/match", headers=auth(agency.caseworker)).json()[
        "match_run_id"
    ]

    def done() -> dict[str, Any] | None:
        body: dict[str, Any] = client.get(
            f"/v1/match-runs/{run_id}", headers=auth(agency.caseworker)
        ).json()
        return body if body["state"] == "done" else None

    candidate = wait_for(done)["candidates"][0]["id"]
    as_second = principal_of(servers.app_url, agency.caseworker2)
    with psycopg.connect(servers.app_url) as conn:
        with (
            pytest.raises(psycopg.errors.CheckViolation, match="in the name of the user"),
            conn.transaction(),
        ):
            set_context(conn, as_second)
            # the second caseworker's transaction, recording a verdict as the first
            conn.execute(
                "INSERT INTO decisions (candidate_id, reviewer_id, verdict, reason) "
                "VALUES (%s, %s, 'confirm', 'forged')",
                (candidate, agency.caseworker_id),
            )
        with conn.transaction():
            set_context(conn, as_second)
            conn.execute(
                "INSERT INTO decisions (candidate_id, reviewer_id, verdict, reason) "
                "VALUES (%s, %s, 'confirm', 'my own')",
                (candidate, agency.caseworker2_id),
            )
    # one verdict leaves the case's state as it was, for everyone who reads it
    for token in (agency.caseworker, agency.caseworker2):
        state = client.get(f"/v1/cases/{case['id']}", headers=auth(token)).json()["state"]
        assert state == "candidates_ready"
