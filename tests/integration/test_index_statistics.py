"""The worker that empties the index queue vacuums and analyzes the index tables, so that
searches right after a large import plan with fresh statistics (issue 20, migration 0022).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from service.indexing.repository import INDEX_TABLES
from service.indexing.service import refresh_index_statistics
from tests.conftest import AgencyUsers, Servers, auth, import_records
from tests.integration.workers import WorkerProcess, wait_for


@pytest.fixture
def eager_worker(servers: Servers, tmp_path: Path) -> Iterator[WorkerProcess]:
    """A worker that vacuums after as little as one new page."""
    process = WorkerProcess(
        owner_url=servers.owner_url,
        app_url=servers.app_url,
        broker_url=servers.broker_url,
        log=tmp_path / "worker.log",
        extra_env={"TESSERA_INDEX_VACUUM_PAGES": "1"},
    )
    process.start()
    yield process
    process.stop()


def _last_vacuums(owner: psycopg.Connection[Any]) -> dict[str, datetime | None]:
    rows = owner.execute(
        "SELECT relname, last_vacuum, last_analyze FROM pg_stat_user_tables "
        "WHERE schemaname = 'public' AND relname = ANY(%s)",
        (list(INDEX_TABLES),),
    ).fetchall()
    return {name: vacuumed for name, vacuumed, _ in rows}


def _import(client: TestClient, agency: AgencyUsers, prefix: str, count: int) -> str:
    records = [
        {"external_id": f"{prefix}-{n}", "names": [f"Orla Vantongeren{prefix}{n}"]}
        for n in range(count)
    ]
    return import_records(client, agency.caseworker, records)


def test_the_index_tables_are_vacuumed_once_an_import_is_indexed(
    client: TestClient,
    agency: AgencyUsers,
    owner_conn: psycopg.Connection[Any],
    eager_worker: WorkerProcess,
) -> None:
    before = _last_vacuums(owner_conn)
    import_id = _import(client, agency, "VAC", 300)  # a few pages of profiles and keys

    def searchable() -> bool:
        status = client.get(f"/v1/imports/{import_id}", headers=auth(agency.caseworker))
        return bool(status.json()["state"] == "searchable")

    wait_for(searchable)

    def vacuumed() -> dict[str, datetime | None] | None:
        now = _last_vacuums(owner_conn)
        for table in ("match_profiles", "match_keys"):
            was, is_ = before.get(table), now.get(table)
            if is_ is None or (was is not None and is_ <= was):
                return None
        return now

    # the statistics collector may report the vacuum a moment late
    assert wait_for(vacuumed) is not None


def test_nothing_is_vacuumed_while_indexing_jobs_wait(
    client: TestClient, agency: AgencyUsers, servers: Servers, owner_conn: psycopg.Connection[Any]
) -> None:
    # no worker runs in this test: the import's job waits in the queue
    import_id = _import(client, agency, "WAIT", 300)
    waiting = owner_conn.execute(
        "SELECT count(*) FROM outbox WHERE import_id = %s AND done_at IS NULL", (import_id,)
    ).fetchone()
    assert waiting == (1,)
    before = _last_vacuums(owner_conn)
    with psycopg.connect(servers.worker_url, autocommit=True) as conn:
        assert refresh_index_statistics(conn, min_pages=1) == []
    assert _last_vacuums(owner_conn) == before
    owner_conn.execute("UPDATE outbox SET done_at = now() WHERE import_id = %s", (import_id,))
