"""An import tells its client when its records are searchable (issue 20)."""

from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

from fastapi.testclient import TestClient

from tests.conftest import AgencyUsers, auth
from tests.integration.workers import WorkerProcess, wait_for

SURNAMES = ["Petrova", "Haddad", "Nguyen", "Okafor", "Lindqvist", "Moreau", "Kowalski"]
GIVEN = ["Olga", "Samir", "Linh", "Chidi", "Astrid", "Claire", "Marek", "Yusuf"]


def _people(prefix: str, count: int) -> list[dict[str, Any]]:
    return [
        {
            "external_id": f"{prefix}-{n}",
            "names": [f"{GIVEN[n % len(GIVEN)]} {SURNAMES[n % len(SURNAMES)]}{prefix}{n}"],
            "birth_date": f"19{60 + n % 40}-0{1 + n % 9}-1{n % 10}",
            "sex": "F" if n % 2 else "M",
            "documents": [{"type": "passport", "number": f"{prefix}X{n:05d}", "issuer": "DEU"}],
        }
        for n in range(count)
    ]


def _import(client: TestClient, token: str, lines: list[str]) -> dict[str, Any]:
    response = client.post(
        "/v1/identities/bulk",
        content="\n".join(lines).encode(),
        headers={**auth(token), "Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _status(client: TestClient, token: str, import_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/imports/{import_id}", headers=auth(token))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _searchable(client: TestClient, token: str, import_id: str) -> dict[str, Any] | None:
    status = _status(client, token, import_id)
    return status if status["indexed"] == status["created"] + status["updated"] else None


def _found_by_itself(client: TestClient, partner: str, person: dict[str, Any]) -> bool:
    query = {k: v for k, v in person.items() if k != "external_id"}
    response = client.post("/v1/match", json={"person": query, "limit": 3}, headers=auth(partner))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["pending_index"] == 0
    return any(c["ref"] == person["external_id"] for c in body["candidates"][:1])


def test_an_import_is_searchable_when_its_status_says_so(
    client: TestClient,
    worker: WorkerProcess,
    agency: AgencyUsers,
    other_agency: AgencyUsers,
) -> None:
    imports = {}
    people = {}
    for label, users in (("A", agency), ("B", other_agency)):
        people[label] = _people(f"IMP{label}", 60)
        lines = [json.dumps(p) for p in people[label]] + ["{broken"]
        result = _import(client, users.caseworker, lines)
        assert (result["created"], len(result["rejected"])) == (60, 1)
        first = _status(client, users.caseworker, result["import_id"])
        assert first["received"] == 61 and first["created"] == 60 and first["rejected"] == 1
        assert first["state"] in ("indexing", "searchable")
        imports[label] = result["import_id"]

    for label, users in (("A", agency), ("B", other_agency)):
        token, import_id = users.caseworker, imports[label]
        status = wait_for(lambda: _searchable(client, token, import_id))  # noqa: B023
        assert status["indexed"] == 60
        assert status["state"] == "searchable"
        assert status["searchable_at"] is not None
        assert status["searchable_at"] >= status["created_at"]
        # once searchable, the time stays as it was first seen
        assert _status(client, users.caseworker, imports[label]) == status
        for person in people[label]:
            assert _found_by_itself(client, users.partner, person), person["external_id"]


def test_a_reimport_counts_only_what_it_wrote_and_is_indexed_again(
    client: TestClient, worker: WorkerProcess, agency: AgencyUsers
) -> None:
    people = _people("RE", 5)
    first = _import(client, agency.caseworker, [json.dumps(p) for p in people])
    wait_for(lambda: _searchable(client, agency.caseworker, first["import_id"]))

    same = _import(client, agency.caseworker, [json.dumps(p) for p in people])
    status = _status(client, agency.caseworker, same["import_id"])
    assert (status["created"], status["updated"], status["unchanged"]) == (0, 0, 5)
    assert status["state"] == "searchable" and status["indexed"] == 0

    renamed = {**people[0], "names": ["Renata Quillfeather"]}
    changed = _import(client, agency.caseworker, [json.dumps(renamed)])
    assert changed["updated"] == 1
    done = wait_for(lambda: _searchable(client, agency.caseworker, changed["import_id"]))
    assert done["indexed"] == 1
    assert _found_by_itself(client, agency.partner, renamed)


def test_an_import_of_another_agency_is_not_found(
    client: TestClient, agency: AgencyUsers, other_agency: AgencyUsers
) -> None:
    mine = _import(client, agency.caseworker, [json.dumps(_people("OWN", 1)[0])])
    for import_id in (mine["import_id"], str(uuid4())):
        response = client.get(f"/v1/imports/{import_id}", headers=auth(other_agency.caseworker))
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "import_not_found"
    bad = client.get("/v1/imports/not-a-uuid", headers=auth(agency.caseworker))
    assert bad.status_code == 422
