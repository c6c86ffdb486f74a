"""After an upgrade, profiles built by an older algorithm are rebuilt: identity
records through index jobs, cases at once."""

from __future__ import annotations

from uuid import UUID

import psycopg
from fastapi.testclient import TestClient

from service.db import set_context
from service.indexing import service as indexing
from service.indexing.algorithm import PROFILE_VERSION
from service.indexing.service import reindex_stale
from tests.conftest import AgencyUsers, Servers, auth
from tests.principals import principal_of


def _queued(owner_url: str, subject: str) -> int:
    with psycopg.connect(owner_url) as conn:
        row = conn.execute(
            """SELECT count(*) FROM outbox
               WHERE kind = 'index_subjects' AND done_at IS NULL AND payload->'ids' ? %s""",
            (subject,),
        ).fetchone()
    assert row is not None
    count: int = row[0]
    return count


def test_stale_profiles_are_queued_or_rebuilt_and_current_ones_left_alone(
    client: TestClient, servers: Servers, agency: AgencyUsers
) -> None:
    made = client.post(
        "/v1/identities",
        json={"names": ["Leila Haddad"], "birth_date": "1991-02-03", "external_id": "R-1"},
        headers=auth(agency.caseworker),
    )
    assert made.status_code == 201, made.text
    identity = made.json()["id"]
    opened = client.post(
        "/v1/cases",
        json={"reference": "REINDEX-1", "subject": {"names": ["ليلى حداد"]}},
        headers=auth(agency.caseworker),
    )
    assert opened.status_code == 201, opened.text
    case = UUID(opened.json()["id"])
    me = principal_of(servers.app_url, agency.caseworker)
    with psycopg.connect(servers.app_url) as conn, conn.transaction():
        set_context(conn, me)
        for subject, kind, person in (
            (UUID(identity), "identity", {"names": ["Leila Haddad"]}),
            (case, "case", {"names": ["ليلى حداد"]}),
        ):
            indexing.index_subject(
                conn,
                subject_id=subject,
                subject_kind=kind,
                agency_id=agency.id,
                ref="x",
                person=person,
            )
    # the identity's current profile wants nothing; one made by an older version does
    before = _queued(servers.owner_url, identity)
    with psycopg.connect(servers.owner_url) as conn:
        reindex_stale(conn, batch_size=500)
    assert _queued(servers.owner_url, identity) == before
    with psycopg.connect(servers.owner_url) as conn:
        conn.execute(
            "UPDATE match_profiles SET algorithm = 'tessera-fs-0.9/keys-1' "
            "WHERE subject_id = ANY(%s)",
            ([UUID(identity), case],),
        )
    with psycopg.connect(servers.owner_url) as conn:
        queued, rebuilt = reindex_stale(conn, batch_size=500)
    assert queued >= 1 and rebuilt >= 1
    assert _queued(servers.owner_url, identity) == before + 1
    with psycopg.connect(servers.owner_url) as conn:
        row = conn.execute(
            "SELECT algorithm, keys FROM match_profiles WHERE subject_id = %s", (case,)
        ).fetchone()
    assert row is not None
    assert row[0] == PROFILE_VERSION
    assert any(key.startswith("tr:") for key in row[1])
