from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import psycopg
from fastapi.testclient import TestClient

from tests.conftest import AgencyUsers, auth

NDJSON = {"Authorization": "", "Content-Type": "application/x-ndjson"}


def _bulk(client: TestClient, agency: AgencyUsers, lines: list[str]) -> dict[str, Any]:
    response = client.post(
        "/v1/identities/bulk",
        content="\n".join(lines).encode(),
        headers={**auth(agency.caseworker), "Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    UUID(body.pop("import_id"))  # every import has an id to poll (test_imports.py)
    return body


def _line(external_id: str, name: str, **extra: Any) -> str:
    return json.dumps({"external_id": external_id, "names": [name], **extra}, ensure_ascii=False)


def test_a_record_is_created_and_read(client: TestClient, agency: AgencyUsers) -> None:
    created = client.post(
        "/v1/identities",
        json={"external_id": "V-1", "names": ["Olga Petrova"], "birth_date": "1979"},
        headers=auth(agency.caseworker),
    )
    assert created.status_code == 201, created.text
    read = client.get(f"/v1/identities/{created.json()['id']}", headers=auth(agency.caseworker))
    assert read.json()["person"]["names"] == ["Olga Petrova"]
    assert read.json()["external_id"] == "V-1"


def test_bulk_import_is_idempotent_and_reports_changes(
    client: TestClient, agency: AgencyUsers
) -> None:
    lines = [_line(f"B-{n}", f"Person Number{n}") for n in range(5)]
    assert _bulk(client, agency, lines) == {
        "created": 5,
        "updated": 0,
        "unchanged": 0,
        "rejected": [],
    }
    assert _bulk(client, agency, lines) == {
        "created": 0,
        "updated": 0,
        "unchanged": 5,
        "rejected": [],
    }
    changed = [*lines[:4], _line("B-4", "Person Renamed")]
    assert _bulk(client, agency, changed) == {
        "created": 0,
        "updated": 1,
        "unchanged": 4,
        "rejected": [],
    }


def test_bad_lines_are_reported_without_failing_the_batch(
    client: TestClient, agency: AgencyUsers, owner_conn: psycopg.Connection[Any]
) -> None:
    result = _bulk(
        client,
        agency,
        [
            _line("OK-1", "Good Person"),
            "{not json",
            json.dumps({"names": ["No Id"]}),
            _line("OK-2", "Bad Date", birth_date="1990-02-30"),
            _line("OK-1", "Duplicate In Batch"),
            json.dumps({"external_id": "OK-3", "names": ["X"], "colour": "blue"}),
            _line("OK-4", "Second Good"),
        ],
    )
    assert result["created"] == 2
    assert [(r["line"], r["code"]) for r in result["rejected"]] == [
        (2, "malformed_json"),
        (3, "missing_external_id"),
        (4, "invalid_birth_date"),
        (5, "duplicate_external_id"),
        (6, "unknown_field"),
    ]
    count = owner_conn.execute(
        "SELECT count(*) FROM identities WHERE agency_id = %s", (agency.id,)
    ).fetchone()
    assert count == (2,)


def test_an_identity_with_a_used_external_id_is_a_conflict(
    client: TestClient, agency: AgencyUsers
) -> None:
    body = {"external_id": "DUP-1", "names": ["Same Person"]}
    client.post("/v1/identities", json=body, headers=auth(agency.caseworker))
    again = client.post("/v1/identities", json=body, headers=auth(agency.caseworker))
    assert again.status_code == 409
    assert again.json()["code"] == "identity_exists"


def test_new_records_are_queued_for_indexing_in_the_same_transaction(
    client: TestClient, agency: AgencyUsers, owner_conn: psycopg.Connection[Any]
) -> None:
    _bulk(client, agency, [_line(f"IDX-{n}", f"Index Me{n}") for n in range(3)])
    jobs = owner_conn.execute(
        "SELECT payload FROM outbox WHERE agency_id = %s AND kind = 'index_subjects'", (agency.id,)
    ).fetchall()
    queued = {i for (payload,) in jobs for i in payload["ids"]}
    ids = {
        str(r[0])
        for r in owner_conn.execute(
            "SELECT id FROM identities WHERE agency_id = %s", (agency.id,)
        ).fetchall()
    }
    assert ids and ids <= queued


def test_an_unchanged_reimport_touches_no_row(
    client: TestClient, agency: AgencyUsers, owner_conn: psycopg.Connection[Any]
) -> None:
    first = {"external_id": "SAME-1", "names": ["Olga Petrova"], "sex": "F", "birth_date": "1979"}
    reordered = {
        "birth_date": "1979",
        "sex": "F",
        "names": ["Olga Petrova"],
        "external_id": "SAME-1",
    }
    _bulk(client, agency, [json.dumps(first)])
    before = owner_conn.execute(
        "SELECT xmin::text, updated_at FROM identities WHERE external_id = 'SAME-1'"
    ).fetchone()
    assert _bulk(client, agency, [json.dumps(reordered)])["unchanged"] == 1
    after = owner_conn.execute(
        "SELECT xmin::text, updated_at FROM identities WHERE external_id = 'SAME-1'"
    ).fetchone()
    assert after == before


def test_a_changed_record_is_updated_in_place(
    client: TestClient, agency: AgencyUsers, owner_conn: psycopg.Connection[Any]
) -> None:
    _bulk(client, agency, [_line("CHG-1", "Old Spelling")])
    assert (
        _bulk(client, agency, [_line("CHG-1", "New Spelling", birth_date="1980")])["updated"] == 1
    )
    rows = owner_conn.execute(
        "SELECT person FROM identities WHERE agency_id = %s AND external_id = 'CHG-1'",
        (agency.id,),
    ).fetchall()
    assert [(r[0]["names"], r[0]["birth_date"]) for r in rows] == [(["New Spelling"], "1980")]


def test_a_line_with_a_control_character_is_rejected(
    client: TestClient, agency: AgencyUsers, owner_conn: psycopg.Connection[Any]
) -> None:
    result = _bulk(client, agency, [_line("CTL-1", "Bell\u0007Name"), _line("CTL-2", "Fine")])
    assert [(r["line"], r["code"]) for r in result["rejected"]] == [(1, "invalid_name")]
    stored = owner_conn.execute(
        "SELECT external_id FROM identities WHERE agency_id = %s AND external_id LIKE 'CTL-%%'",
        (agency.id,),
    ).fetchall()
    assert stored == [("CTL-2",)]


def test_a_bulk_import_is_audited_with_counts_not_names(
    client: TestClient, agency: AgencyUsers
) -> None:
    _bulk(client, agency, [_line("AUD-1", "Zhanna Audited"), "{broken"])
    events = client.get(
        "/v1/audit/events?action=identity.bulk_import&limit=500", headers=auth(agency.auditor)
    ).json()["items"]
    assert events[-1]["details"] == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 1}
    assert "Zhanna" not in str(events) and "AUD-1" not in str(events)


def test_reading_an_identity_needs_a_purpose(client: TestClient, agency: AgencyUsers) -> None:
    record = client.post(
        "/v1/identities",
        json={"external_id": "PUR-1", "names": ["Purpose Needed"]},
        headers=auth(agency.caseworker),
    ).json()
    refused = client.get(f"/v1/identities/{record['id']}", headers=auth(agency.caseworker, None))
    assert refused.status_code == 422
    assert refused.json()["code"] == "purpose_required"
    assert "Purpose Needed" not in refused.text


def test_an_identity_without_external_id_is_accepted_singly(
    client: TestClient, agency: AgencyUsers
) -> None:
    created = client.post(
        "/v1/identities", json={"names": ["No Reference"]}, headers=auth(agency.caseworker)
    )
    assert created.status_code == 201
    assert created.json()["external_id"] is None
    assert set(created.json()) == {"id", "external_id", "person", "created_at", "updated_at"}


def test_lines_end_only_at_newlines_so_line_numbers_stay_true(
    client: TestClient, agency: AgencyUsers, owner_conn: psycopg.Connection[Any]
) -> None:
    separated = _line("SEP-1", "Anna\u2028Maria")
    assert "\u2028" in separated
    result = _bulk(client, agency, [separated, "{broken", _line("SEP-2", "Crlf Ended") + "\r"])
    assert result["created"] == 2
    assert [(r["line"], r["code"]) for r in result["rejected"]] == [(2, "malformed_json")]
    stored = owner_conn.execute(
        "SELECT person->'names'->>0 FROM identities WHERE agency_id = %s AND external_id = 'SEP-1'",
        (agency.id,),
    ).fetchone()
    assert stored == ("Anna\u2028Maria",)
