"""Tessera as deployed by `.ci/deploy`: a standalone PostgreSQL 18 over TCP, a Redis
broker, two API processes and two workers, each its own OS process, spoken to over
real HTTP. The tests run in this order and share the deployment; the last but one kills a
worker, the last throttles an address of its own."""

from __future__ import annotations

import secrets
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psycopg
import pytest

from service.settings import Settings
from tests.deployment import stack
from tests.deployment.conftest import Agency, auth
from tests.deployment.people import exact_copy, ndjson, people

pytestmark = pytest.mark.deployment

T = TypeVar("T")

#: Records imported and then each searched for by an exact copy of itself (three
#: index jobs of 500, so both workers take a share).
IMPORTED = 1_200
#: Records of the import during which a worker is killed (sixteen index jobs).
KILL_IMPORT = 8_000


def wait_for(check: Callable[[], T | None], *, timeout: float, every: float = 0.2) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(every)


def bulk_import(api: httpx.Client, token: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    response = api.post(
        "/v1/identities/bulk",
        content=ndjson(records),
        headers={**auth(token), "Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["created"] == len(records) and body["rejected"] == []
    return body


def import_status(api: httpx.Client, token: str, import_id: str) -> dict[str, Any]:
    response = api.get(f"/v1/imports/{import_id}", headers=auth(token))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def searchable(api: httpx.Client, token: str, import_id: str) -> dict[str, Any] | None:
    status = import_status(api, token, import_id)
    return status if status["indexed"] == status["created"] else None


def top_ref(api: httpx.Client, partner: str, record: dict[str, Any]) -> str | None:
    response = api.post(
        "/v1/match", json={"person": exact_copy(record), "limit": 3}, headers=auth(partner)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["pending_index"] == 0
    candidates = body["candidates"]
    return candidates[0]["ref"] if candidates else None


def open_case(api: httpx.Client, token: str, reference: str, subject: dict[str, Any]) -> str:
    response = api.post(
        "/v1/cases", json={"reference": reference, "subject": subject}, headers=auth(token)
    )
    assert response.status_code == 201, response.text
    case_id: str = response.json()["id"]
    return case_id


def run_match(api: httpx.Client, token: str, case_id: str) -> str:
    response = api.post(f"/v1/cases/{case_id}/match", headers=auth(token))
    assert response.status_code == 202, response.text
    run_id: str = response.json()["match_run_id"]
    return run_id


def finished_run(api: httpx.Client, token: str, run_id: str) -> dict[str, Any] | None:
    response = api.get(f"/v1/match-runs/{run_id}", headers=auth(token))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body if body["state"] in ("done", "failed") else None


def jobs_done(deployment: stack.Deployment, worker: str) -> int:
    """How many jobs ``worker``'s log says it finished."""
    return sum(
        1
        for line in deployment.log(worker).splitlines()
        if "tessera.process_job" in line and "succeeded" in line
    )


def workers_alive(api: httpx.Client, count: int) -> dict[str, Any] | None:
    body: dict[str, Any] = api.get("/v1/health").json()
    return body if body["pipeline"]["workers_alive"] == count else None


def leased_by(deployment: stack.Deployment, worker: str) -> list[int]:
    """The outbox jobs a process of ``worker`` runs now (holds the lease of, not done),
    read behind the service's back."""
    names = [f"{socket.gethostname()}:{pid}" for pid in deployment.group(worker)]
    with psycopg.connect(deployment.owner_url) as conn:
        rows = conn.execute(
            "SELECT id FROM outbox WHERE done_at IS NULL AND lease_until > now() "
            "AND leased_by = ANY(%s)",
            (names,),
        ).fetchall()
    return [row[0] for row in rows]


def _done(deployment: stack.Deployment, jobs: list[int]) -> bool:
    with psycopg.connect(deployment.owner_url) as conn:
        row = conn.execute(
            "SELECT bool_or(done_at IS NOT NULL) FROM outbox WHERE id = ANY(%s)", (jobs,)
        ).fetchone()
    return bool(row and row[0])


_IMPORTED_RECORDS = people("DEPA", IMPORTED)
_state: dict[str, Any] = {}


def test_both_apis_answer_health_with_their_database_and_broker(
    deployment: stack.Deployment, api1: httpx.Client, api2: httpx.Client
) -> None:
    for api in (api1, api2):
        response = api.get("/v1/health")
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["status"], body["database"], body["broker"]) == ("ok", "ok", "ok")
        # both workers' heartbeats reach the database
        assert body["workers"] == "ok" and body["pipeline"]["workers_alive"] == 2
    pids = {name: deployment.pid(name) for name in ("api1", "api2", "worker1", "worker2")}
    assert len(set(pids.values())) == 4
    assert all(deployment.alive(name) for name in pids)
    assert deployment.api1 != deployment.api2


def test_the_database_is_a_separate_server_over_tcp_with_passwords(
    deployment: stack.Deployment,
) -> None:
    info = psycopg.conninfo.conninfo_to_dict(deployment.app_url)
    assert info["host"] == "127.0.0.1" and info["user"] == "tessera_app"
    with psycopg.connect(deployment.app_url) as conn:
        row = conn.execute(
            "SELECT current_setting('server_version_num')::int, inet_server_port(), "
            "(SELECT extversion FROM pg_extension WHERE extname = 'vector')"
        ).fetchone()
    assert row is not None
    version, port, vector = row
    assert version >= 180000
    assert port == int(deployment.env["TESSERA_DEPLOY_PG_PORT"]) != 5432
    assert vector is not None
    wrong = psycopg.conninfo.make_conninfo(deployment.app_url, password="not-the-password")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(wrong).close()


def _environment(deployment: stack.Deployment, name: str) -> dict[bytes, bytes]:
    raw = Path(f"/proc/{deployment.pid(name)}/environ").read_bytes()
    return dict(item.partition(b"=")[::2] for item in raw.split(b"\0") if item)


def test_workers_hold_only_the_workers_role_url(deployment: stack.Deployment) -> None:
    for worker in ("worker1", "worker2"):
        env = _environment(deployment, worker)
        assert b"TESSERA_DATABASE_URL" not in env
        assert b"TESSERA_APP_DATABASE_URL" not in env
        assert env[b"TESSERA_WORKER_DATABASE_URL"] == deployment.worker_url.encode()
        assert deployment.worker_url.startswith("postgresql://tessera_worker:")


def test_the_api_processes_cannot_act_as_a_machine(deployment: stack.Deployment) -> None:
    """The API processes hold tessera_app only: they could not enter a worker's context
    even if their code were turned against the database."""
    for api in ("api1", "api2"):
        env = _environment(deployment, api)
        assert b"TESSERA_WORKER_DATABASE_URL" not in env
        assert b"TESSERA_WORKER_DB_PASSWORD" not in env
    with (
        psycopg.connect(deployment.app_url) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("SELECT tessera_enter_machine('system', NULL)")


def test_a_case_opened_on_one_api_is_read_on_the_other(
    api1: httpx.Client, api2: httpx.Client, agency_a: Agency
) -> None:
    subject = {"names": ["Marta Kovalenko"], "birth_date": "1988-03-14", "sex": "F"}
    case_id = open_case(api1, agency_a.caseworker, "DEP-CASE-1", subject)
    read = api2.get(f"/v1/cases/{case_id}", headers=auth(agency_a.caseworker))
    assert read.status_code == 200, read.text
    assert read.json()["reference"] == "DEP-CASE-1"
    listed = api2.get("/v1/cases", headers=auth(agency_a.caseworker)).json()["items"]
    assert case_id in {item["id"] for item in listed}
    _state["case_a"] = case_id


def test_an_import_on_api1_becomes_searchable_on_api2_record_by_record(
    api1: httpx.Client, api2: httpx.Client, agency_a: Agency
) -> None:
    result = bulk_import(api1, agency_a.caseworker, _IMPORTED_RECORDS)
    import_id = result["import_id"]
    _state["import_a"] = import_id
    status = wait_for(lambda: searchable(api2, agency_a.caseworker, import_id), timeout=120)
    assert status["state"] == "searchable" and status["created"] == IMPORTED
    assert status["searchable_at"] is not None
    missed = [
        record["external_id"]
        for record in _IMPORTED_RECORDS
        if top_ref(api2, agency_a.partner, record) != record["external_id"]
    ]
    assert missed == []


def test_a_match_run_started_on_api2_completes_through_the_workers(
    deployment: stack.Deployment, api1: httpx.Client, api2: httpx.Client, agency_a: Agency
) -> None:
    record = _IMPORTED_RECORDS[17]
    case_id = open_case(api1, agency_a.caseworker, "DEP-CASE-2", exact_copy(record))
    run_id = run_match(api2, agency_a.caseworker, case_id)
    run = wait_for(lambda: finished_run(api1, agency_a.caseworker, run_id), timeout=60)
    assert run["state"] == "done", run
    assert run["candidates"][0]["ref"] == record["external_id"]
    case = api1.get(f"/v1/cases/{case_id}", headers=auth(agency_a.caseworker)).json()
    assert case["state"] == "candidates_ready"


def test_both_workers_took_jobs(deployment: stack.Deployment) -> None:
    # the import above made three index jobs and the run one more; with one job at a
    # time each, both workers had their share
    for worker in ("worker1", "worker2"):
        assert deployment.alive(worker)
        assert jobs_done(deployment, worker) > 0, f"{worker} finished no job"


def test_each_agency_sees_only_its_own_data_on_either_api(
    api1: httpx.Client, api2: httpx.Client, agency_a: Agency, agency_b: Agency
) -> None:
    own = people("DEPB", 3)
    b_import = bulk_import(api2, agency_b.caseworker, own)["import_id"]
    wait_for(lambda: searchable(api1, agency_b.caseworker, b_import), timeout=60)
    for api in (api1, api2):
        case = api.get(f"/v1/cases/{_state['case_a']}", headers=auth(agency_b.caseworker))
        assert case.status_code == 404
        assert case.headers["content-type"].startswith("application/problem+json")
        listed = api.get("/v1/cases", headers=auth(agency_b.caseworker)).json()["items"]
        assert _state["case_a"] not in {item["id"] for item in listed}
        status = api.get(f"/v1/imports/{_state['import_a']}", headers=auth(agency_b.caseworker))
        assert status.status_code == 404 and status.json()["code"] == "import_not_found"
        # A's record is not in B's gallery; B's own is, and not in A's
        assert top_ref(api, agency_b.partner, _IMPORTED_RECORDS[3]) != "DEPA-3"
        assert top_ref(api, agency_b.partner, own[1]) == "DEPB-1"
        assert top_ref(api, agency_a.partner, own[1]) != "DEPB-1"


def test_the_audit_chain_verifies_on_both_apis_and_from_the_command_line(
    deployment: stack.Deployment,
    api1: httpx.Client,
    api2: httpx.Client,
    agency_a: Agency,
    agency_b: Agency,
) -> None:
    for api in (api1, api2):
        for agency in (agency_a, agency_b):
            verdict = api.get("/v1/audit/verify", headers=auth(agency.auditor))
            assert verdict.status_code == 200, verdict.text
            assert verdict.json()["valid"] is True
            assert verdict.json()["length"] > 0
    events = api2.get("/v1/audit/events?limit=500", headers=auth(agency_a.auditor)).json()
    actions = {event["action"] for event in events["items"]}
    assert "identity.bulk_import" in actions
    checkpoint = deployment.folder / "checkpoint.json"
    deployment.cli("audit", "checkpoint", "--out", str(checkpoint))
    assert "valid" in deployment.cli("audit", "verify", "--checkpoint", str(checkpoint))


def test_a_worker_killed_mid_import_leaves_the_other_to_finish_it(
    deployment: stack.Deployment, api1: httpx.Client, api2: httpx.Client, agency_a: Agency
) -> None:
    records = people("DEPK", KILL_IMPORT)
    import_id = bulk_import(api1, agency_a.caseworker, records)["import_id"]
    # kill worker 1 while it runs a part of the import (it holds the job's lease):
    # frozen first, so that what it holds cannot change before the kill
    deadline = time.monotonic() + 60
    while True:
        assert time.monotonic() < deadline, "worker 1 ran no job of the import"
        if leased_by(deployment, "worker1"):
            deployment.signal("worker1", signal.SIGSTOP)
            held = leased_by(deployment, "worker1")
            if held:
                break
            deployment.signal("worker1", signal.SIGCONT)
        time.sleep(0.02)
    deployment.kill("worker1")
    wait_for(lambda: not deployment.alive("worker1"), timeout=10)
    assert not _done(deployment, held)
    assert import_status(api2, agency_a.caseworker, import_id)["indexed"] < KILL_IMPORT
    # the held job's lease lapses and the relay hands it out again: worker 2 takes it
    status = wait_for(
        lambda: searchable(api2, agency_a.caseworker, import_id),
        timeout=deployment.job_lease_s + 120,
    )
    assert status["indexed"] == KILL_IMPORT
    assert deployment.alive("worker2")
    # health notices one worker fewer (its heartbeats stop) and stays ok with the other
    health = wait_for(lambda: workers_alive(api1, 1), timeout=60, every=1)
    assert health["status"] == "ok"
    for record in records[::200]:
        assert top_ref(api1, agency_a.partner, record) == record["external_id"]
    # and the survivor alone runs a case's matching to the end
    case_id = open_case(api2, agency_a.caseworker, "DEP-CASE-3", exact_copy(records[5]))
    run_id = run_match(api1, agency_a.caseworker, case_id)
    run = wait_for(lambda: finished_run(api2, agency_a.caseworker, run_id), timeout=60)
    assert run["state"] == "done" and run["candidates"][0]["ref"] == "DEPK-5"


def test_failed_sign_ins_are_counted_across_both_apis(
    deployment: stack.Deployment, api1: httpx.Client, api2: httpx.Client, agency_a: Agency
) -> None:
    # uvicorn takes the client address from X-Forwarded-For sent from 127.0.0.1 (its
    # default trusted proxy): a source address of this test's own
    source = f"198.51.100.{secrets.randbelow(250) + 1}"

    def bad(api: httpx.Client) -> httpx.Response:
        token = f"tsr_{secrets.token_hex(8)}_{secrets.token_urlsafe(32)}"
        return api.get("/v1/cases", headers={**auth(token), "X-Forwarded-For": source})

    # the deployment's processes read their own environment, not this test's
    default = Settings.model_fields["failed_sign_in_limit"].default
    limit = int(deployment.env.get("TESSERA_FAILED_SIGN_IN_LIMIT", default))
    first = [bad(api1 if n % 2 else api2).status_code for n in range(limit)]
    assert first == [401] * limit
    for api in (api1, api2):
        refused = bad(api)
        assert refused.status_code == 429, refused.text
        assert refused.json()["code"] == "too_many_failed_sign_ins"
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
    other = {**auth(agency_a.caseworker), "X-Forwarded-For": "192.0.2.7"}
    fine = api1.get("/v1/cases", headers=other)
    assert fine.status_code == 200
