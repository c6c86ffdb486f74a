"""An evidence change re-indexes its case through the outbox (issue 20)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg
from fastapi.testclient import TestClient

from tests.conftest import AgencyUsers, Servers, auth, open_case
from tests.integration.workers import WorkerProcess, wait_for


def _profile_names(owner_url: str, case_id: str) -> list[Any] | None:
    with psycopg.connect(owner_url) as conn:
        row = conn.execute(
            "SELECT person -> 'names' FROM match_profiles WHERE subject_id = %s",
            (UUID(case_id),),
        ).fetchone()
    return None if row is None else list(row[0])


def _names_hold(owner_url: str, case_id: str, text: str, present: bool) -> bool:
    names = _profile_names(owner_url, case_id)
    return names is not None and (text in str(names)) == present


def test_adding_and_erasing_a_document_reindexes_the_case(
    client: TestClient, worker: WorkerProcess, agency: AgencyUsers, servers: Servers
) -> None:
    case = open_case(client, agency.caseworker, "REIDX-1", {"names": ["Amara Quensley"]})
    added = client.post(
        f"/v1/cases/{case['id']}/evidence/documents",
        json={
            "type": "passport",
            "issuer": "DEU",
            "number": "C01X00T47",
            "names": ["Amarantha Quensley-Boyd"],
        },
        headers=auth(agency.caseworker),
    )
    assert added.status_code == 201, added.text
    # no match run was asked for: the worker builds the profile from the outbox job
    wait_for(lambda: _names_hold(servers.owner_url, case["id"], "Quensley-Boyd", True))
    names = _profile_names(servers.owner_url, case["id"])
    assert names is not None and "Amara Quensley" in str(names)

    erased = client.delete(
        f"/v1/cases/{case['id']}/evidence/{added.json()['id']}", headers=auth(agency.caseworker)
    )
    assert erased.status_code == 200, erased.text
    wait_for(lambda: _names_hold(servers.owner_url, case["id"], "Quensley-Boyd", False))


def test_an_interview_reindexes_the_case(
    client: TestClient, worker: WorkerProcess, agency: AgencyUsers, servers: Servers
) -> None:
    case = open_case(client, agency.caseworker, "REIDX-2", {"names": ["Tomas Verhulst"]})
    response = client.post(
        f"/v1/cases/{case['id']}/evidence/interviews",
        json={
            "notes": "says he also went by another name",
            "claims": {"names": ["Tommaso Verhulsti"]},
        },
        headers=auth(agency.caseworker),
    )
    assert response.status_code == 201, response.text
    wait_for(lambda: _names_hold(servers.owner_url, case["id"], "Tommaso Verhulsti", True))
