"""The auditor's pages on a log of their own, so it can be broken on purpose."""

from __future__ import annotations

import psycopg
from fastapi.testclient import TestClient

from service.ops.cli import bootstrap_admin
from tests.conftest import auth, create_agency
from tests.desk.helpers import desk_client, sign_in


def test_a_broken_chain_is_shown_with_its_first_bad_event(
    fresh_client: tuple[TestClient, str],
) -> None:
    client, owner_url = fresh_client
    admin = bootstrap_admin(owner_url, "Fresh administrator")
    agency = create_agency(client, admin)
    desk = desk_client(client)
    sign_in(desk, agency.auditor, "chain check")
    whole = desk.get("/desk/audit")
    assert whole.status_code == 200
    assert "The chain is whole." in whole.text

    with psycopg.connect(owner_url) as conn, conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")
        conn.execute("UPDATE audit_events SET purpose = 'rewritten' WHERE seq = 3")
        row = conn.execute("SELECT id FROM audit_events WHERE seq = 3").fetchone()
    assert row is not None
    broken = desk.get("/desk/audit")
    assert broken.status_code == 200
    assert "The chain is broken." in broken.text
    assert "The first bad event is number 3" in broken.text
    assert str(row[0]) in broken.text
    assert "its content does not match its hash" in broken.text
    assert "Show the log from the first bad event" in broken.text
    # event 3 is the admin's (another agency's) event: the agency's auditor is told the
    # chain breaks there but not shown it; an oversight user is shown it
    cursor = broken.text.split('href="/desk/audit?cursor=')[1].split('"')[0]
    start = desk.get(f"/desk/audit?cursor={cursor}")
    assert start.status_code == 200
    assert "rewritten" not in start.text
    created = client.post(
        "/v1/users",
        json={"agency_id": str(agency.id), "name": "Oversight", "role": "oversight"},
        headers=auth(admin),
    )
    assert created.status_code == 201, created.text
    oversight = desk_client(client)
    sign_in(oversight, created.json()["token"], "chain check")
    start = oversight.get(f"/desk/audit?cursor={cursor}")
    assert start.status_code == 200
    first_row = start.text.split("<tbody>")[1].split("</tr>")[0]
    assert "<td>3</td>" in first_row and "rewritten" in first_row
