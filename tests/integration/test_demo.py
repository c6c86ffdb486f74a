"""`tessera run --demo`: a gallery across scripts and the case 王小明, loaded idempotently."""

from __future__ import annotations

from typing import Any

import psycopg
from fastapi.testclient import TestClient

from service.ops.demo import DEMO_AGENCY, GALLERY, load_demo
from tests.conftest import Servers, auth


def _counts(conn: psycopg.Connection[Any]) -> tuple[int, int]:
    row = conn.execute(
        """SELECT (SELECT count(*) FROM identities i JOIN agencies a ON a.id = i.agency_id
                   WHERE a.name = %(n)s),
                  (SELECT count(*) FROM cases c JOIN agencies a ON a.id = c.agency_id
                   WHERE a.name = %(n)s)""",
        {"n": DEMO_AGENCY},
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def test_loading_the_demo_twice_stores_the_gallery_and_case_once(
    client: TestClient, servers: Servers, owner_conn: psycopg.Connection[Any]
) -> None:
    load_demo(servers.owner_url)
    tokens = load_demo(servers.owner_url)
    assert _counts(owner_conn) == (len(GALLERY), 1)
    assert len(GALLERY) >= 30
    listed = client.get("/v1/cases", headers=auth(tokens["caseworker"])).json()["items"]
    [case] = [c for c in listed if c["reference"] == "DEMO-0001"]
    read = client.get(f"/v1/cases/{case['id']}", headers=auth(tokens["caseworker"], "demo"))
    assert read.json()["subject"]["names"] == ["王小明"]
    assert read.json()["subject"]["birth_date"] == "1990-05-17"


def test_the_demo_gallery_holds_wang_xiaoming_and_native_script_aliases(
    servers: Servers, owner_conn: psycopg.Connection[Any]
) -> None:
    load_demo(servers.owner_url)
    wang = owner_conn.execute(
        "SELECT i.person FROM identities i JOIN agencies a ON a.id = i.agency_id "
        "WHERE i.external_id = 'REG-CN-0001' AND a.name = %s",
        (DEMO_AGENCY,),
    ).fetchone()
    assert wang is not None
    assert wang[0]["birth_date"] == "1990-05-17"
    assert wang[0]["documents"][0] == {"type": "passport", "number": "E12345678", "issuer": "CHN"}
    names = " ".join(
        str(n)
        for (person,) in owner_conn.execute("SELECT person FROM identities")
        for n in person["names"]
    )
    for native in ("김민준", "יוסף כהן", "Сергей Иванов", "محمد الحسن"):
        assert native in names


def test_the_readmes_partner_query_is_admitted_on_the_demo_data(
    client: TestClient, servers: Servers
) -> None:
    """The README's partner query states 'readmission request 17': the demo's agreement
    must allow it (a purpose the agreement does not allow is 403 purpose_not_allowed)."""
    tokens = load_demo(servers.owner_url)
    body = {"person": {"names": ["Сергей Иванов"], "birth_date": "1984"}}
    answer = client.post(
        "/v1/match", json=body, headers=auth(tokens["partner"], "readmission request 17")
    )
    assert answer.status_code == 200, answer.text
    refused = client.post("/v1/match", json=body, headers=auth(tokens["partner"], "visa"))
    assert refused.status_code == 403
    assert refused.json()["code"] == "purpose_not_allowed"
