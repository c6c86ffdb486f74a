"""Answers say how many searched records are not yet indexed (issue 20).

No worker runs in this module, so the index jobs of an import stay queued."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from fastapi.testclient import TestClient

from tests.conftest import AgencyUsers, auth, import_records, open_case
from tests.desk.helpers import desk_client, sign_in

PERSON = {"names": ["Ilse Brandauer"], "birth_date": "1971-02-03", "sex": "F"}


def _import(client: TestClient, agency: AgencyUsers, count: int) -> str:
    records = [{**PERSON, "external_id": f"PEND-{n}"} for n in range(count)]
    return import_records(client, agency.caseworker, records)


def _pending(client: TestClient, agency: AgencyUsers) -> int:
    response = client.post("/v1/match", json={"person": PERSON}, headers=auth(agency.partner))
    assert response.status_code == 200, response.text
    pending: int = response.json()["pending_index"]
    return pending


def test_a_query_says_how_many_records_wait_and_the_import_is_indexing(
    client: TestClient, agency: AgencyUsers, other_agency: AgencyUsers
) -> None:
    assert _pending(client, agency) == 0
    import_id = _import(client, agency, 3)
    assert _pending(client, agency) == 3
    assert _pending(client, other_agency) == 0  # only the galleries it searches count
    status = client.get(f"/v1/imports/{import_id}", headers=auth(agency.caseworker)).json()
    assert (status["state"], status["indexed"], status["searchable_at"]) == ("indexing", 0, None)


def _status(client: TestClient, agency: AgencyUsers, import_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/imports/{import_id}", headers=auth(agency.caseworker))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_an_import_counts_its_jobs_that_finished_and_not_those_that_failed(
    client: TestClient, agency: AgencyUsers, owner_conn: psycopg.Connection[Any]
) -> None:
    import_id = _import(client, agency, 3)
    jobs = owner_conn.execute(
        "SELECT id, subjects FROM outbox WHERE import_id = %s", (import_id,)
    ).fetchall()
    assert [subjects for _, subjects in jobs] == [3]
    job_id = jobs[0][0]
    # as a worker leaves a job it gave up on (dead-lettered): done, with its error
    owner_conn.execute(
        "UPDATE outbox SET done_at = now(), last_error = 'boom' WHERE id = %s", (job_id,)
    )
    failed = _status(client, agency, import_id)
    assert (failed["state"], failed["indexed"], failed["searchable_at"]) == ("indexing", 0, None)
    # as a worker leaves a job it finished
    done_at = owner_conn.execute(
        "UPDATE outbox SET done_at = now() - interval '1 second', last_error = NULL "
        "WHERE id = %s RETURNING done_at",
        (job_id,),
    ).fetchone()
    assert done_at is not None
    status = _status(client, agency, import_id)
    assert (status["state"], status["indexed"]) == ("searchable", 3)
    created_at = datetime.fromisoformat(status["created_at"])
    assert datetime.fromisoformat(status["searchable_at"]) == max(done_at[0], created_at)


def test_an_import_whose_jobs_do_not_name_it_is_counted_from_its_profiles(
    client: TestClient, agency: AgencyUsers, owner_conn: psycopg.Connection[Any]
) -> None:
    import_id = _import(client, agency, 2)
    # as jobs queued before migration 0021 were: without the import's id
    owner_conn.execute(
        "UPDATE outbox SET import_id = NULL, subjects = NULL, done_at = now() WHERE import_id = %s",
        (import_id,),
    )
    # no worker has built a profile, so none of the records is indexed yet
    status = _status(client, agency, import_id)
    assert (status["state"], status["indexed"]) == ("indexing", 0)


def test_an_empty_import_is_searchable_at_once(client: TestClient, agency: AgencyUsers) -> None:
    response = client.post(
        "/v1/identities/bulk",
        content=b"{broken\n",
        headers={**auth(agency.caseworker), "Content-Type": "application/x-ndjson"},
    )
    status = client.get(
        f"/v1/imports/{response.json()['import_id']}", headers=auth(agency.caseworker)
    ).json()
    assert status["state"] == "searchable" and status["searchable_at"] is not None
    assert (status["received"], status["rejected"], status["indexed"]) == (1, 1, 0)


def test_the_desk_shows_a_run_that_could_not_search_everything(
    client: TestClient, agency: AgencyUsers, owner_conn: psycopg.Connection[Any]
) -> None:
    case = open_case(client, agency.caseworker, "PEND-CASE", PERSON)
    run = client.post(f"/v1/cases/{case['id']}/match", headers=auth(agency.caseworker))
    assert run.status_code == 202, run.text
    run_id = run.json()["match_run_id"]
    body = client.get(f"/v1/match-runs/{run_id}", headers=auth(agency.caseworker)).json()
    assert body["pending_index"] is None  # not run yet
    # as a worker would leave a run that ran while 7 records waited to be indexed
    owner_conn.execute(
        "UPDATE match_runs SET state = 'done', finished_at = now(), candidate_count = 0, "
        "pending_index = 7 WHERE id = %s",
        (run_id,),
    )
    body = client.get(f"/v1/match-runs/{run_id}", headers=auth(agency.caseworker)).json()
    assert body["pending_index"] == 7
    desk = desk_client(client)
    sign_in(desk, agency.caseworker)
    page = desk.get(f"/desk/cases/{case['id']}").text
    assert "7 records were still waiting to be indexed" in page
