from __future__ import annotations

from typing import Any

import psycopg
from fastapi.testclient import TestClient

from tests.conftest import AgencyUsers, auth
from tests.integration.workers import WorkerProcess, wait_for


def test_health_reports_database_broker_and_workers_ok(
    client: TestClient, worker: WorkerProcess
) -> None:
    response = wait_for(lambda: (r := client.get("/v1/health")).status_code == 200 and r)
    body = response.json()
    assert {k: body[k] for k in ("status", "database", "broker", "workers")} == {
        "status": "ok",
        "database": "ok",
        "broker": "ok",
        "workers": "ok",
    }
    assert body["pipeline"]["workers_alive"] >= 1
    assert set(body["pipeline"]) == {
        "workers_alive",
        "jobs_waiting_to_publish",
        "oldest_unpublished_job_s",
        "jobs_pending",
        "oldest_pending_job_s",
        "oldest_queued_run_s",
    }
    assert response.headers["x-request-id"]


def test_request_id_given_by_the_client_is_echoed(client: TestClient) -> None:
    response = client.get("/v1/health", headers={"X-Request-Id": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"


def test_calls_without_a_token_are_refused_with_problem_json(client: TestClient) -> None:
    response = client.post("/v1/agencies", json={"name": "x", "country": "DEU"})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "unauthorized"
    assert set(body) >= {"type", "title", "status", "detail", "code"}


def test_a_forged_token_is_refused(client: TestClient, agency: AgencyUsers) -> None:
    forged = agency.caseworker[:-4] + "AAAA"
    response = client.post(
        "/v1/agencies", json={"name": "x", "country": "DEU"}, headers=auth(forged)
    )
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


def test_only_admins_create_agencies(client: TestClient, agency: AgencyUsers) -> None:
    for token in (agency.caseworker, agency.partner, agency.auditor):
        response = client.post(
            "/v1/agencies", json={"name": "Sneaky", "country": "DEU"}, headers=auth(token)
        )
        assert response.status_code == 403
        assert response.json()["code"] == "role_not_allowed"


def test_tokens_are_stored_only_as_hashes(
    agency: AgencyUsers, owner_conn: psycopg.Connection[Any]
) -> None:
    key_id, _, secret = agency.caseworker.removeprefix("tsr_").partition("_")
    row = owner_conn.execute(
        "SELECT secret_hash, users::text FROM users WHERE key_id = %s", (key_id,)
    ).fetchone()
    assert row is not None
    assert secret not in row[1]
    assert len(bytes(row[0])) == 32


def test_duplicate_agency_name_is_a_conflict(client: TestClient, admin_token: str) -> None:
    body = {"name": "Duplicate Office", "country": "ITA"}
    client.post("/v1/agencies", json=body, headers=auth(admin_token))
    response = client.post("/v1/agencies", json=body, headers=auth(admin_token))
    assert response.status_code == 409
    assert response.json()["code"] == "agency_exists"


def test_user_for_missing_agency_is_not_found(client: TestClient, admin_token: str) -> None:
    response = client.post(
        "/v1/users",
        json={
            "agency_id": "00000000-0000-0000-0000-000000000001",
            "name": "Nobody",
            "role": "caseworker",
        },
        headers=auth(admin_token),
    )
    assert response.status_code == 404
    assert response.json()["code"] == "agency_not_found"


def test_admin_creates_a_sharing_agreement(
    client: TestClient, admin_token: str, agency: AgencyUsers, other_agency: AgencyUsers
) -> None:
    response = client.post(
        "/v1/sharing-agreements",
        json={
            "owner_agency_id": str(agency.id),
            "partner_agency_id": str(other_agency.id),
            "purpose": "readmission identification",
        },
        headers=auth(admin_token),
    )
    assert response.status_code == 201, response.text
    assert response.json()["partner_agency_id"] == str(other_agency.id)
