"""Faults: a worker killed mid-task, a broker that goes away. These tests run their
own worker and broker, and no other worker may be running while they do (another
worker's relay would pick up their jobs), so they live in a module of their own."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from service.ops.embedded import EmbeddedBroker
from service.worker.celery_app import create_celery
from service.worker.relay import Relay
from tests.conftest import AgencyUsers, Servers, auth, free_port
from tests.integration.test_pipeline import WANG, _case, _case_state, _match, _run_done
from tests.integration.workers import WorkerProcess, wait_for


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[EmbeddedBroker]:
    broker = EmbeddedBroker(tmp_path, port=free_port())
    yield broker
    broker.stop()


def _worker_without_redelivery(
    servers: Servers,
    broker: EmbeddedBroker,
    log: Path,
    *,
    extra_env: dict[str, str] | None = None,
) -> WorkerProcess:
    """A worker of the test's own that redelivers published jobs only after an hour:
    what brings a job back within the test is the mechanism under test."""
    return WorkerProcess(
        owner_url=servers.owner_url,
        app_url=servers.app_url,
        broker_url=broker.url,
        log=log,
        redeliver_after_s=3600,
        extra_env=extra_env,
    )


def test_a_worker_killed_mid_task_leaves_exactly_one_run(
    client: TestClient,
    agency: AgencyUsers,
    servers: Servers,
    own_broker: EmbeddedBroker,
    tmp_path: Path,
) -> None:
    # only the lapsed lease of the killed worker's job can bring it back
    process = _worker_without_redelivery(servers, own_broker, tmp_path / "killed.log")
    case_id = _case(client, agency.caseworker, WANG, "CASE-KILLED")
    run_id = _match(client, agency.caseworker, case_id)  # queued: no worker runs yet
    hold = psycopg.connect(servers.owner_url)
    try:
        # Hold the case row so the worker's run blocks mid-task, inside its transaction.
        hold.execute("SELECT 1 FROM cases WHERE id = %s FOR UPDATE", (case_id,))
        process.start()

        def running() -> bool:
            run = client.get(f"/v1/match-runs/{run_id}", headers=auth(agency.caseworker))
            state: str = run.json()["state"]
            return state == "running"

        wait_for(running)
        time.sleep(0.5)
        process.kill()
        killed_at = time.monotonic()
    finally:
        hold.rollback()
        hold.close()
    process.start()
    try:
        run = wait_for(lambda: _run_done(client, agency.caseworker, run_id), timeout=60)
    finally:
        process.stop()
    assert run["state"] == "done"
    elapsed = time.monotonic() - killed_at
    print(f"job killed mid-run: done {elapsed:.1f} s after the kill")
    assert elapsed < 60
    with psycopg.connect(servers.owner_url) as conn:
        assert conn.execute(
            "SELECT count(*) FROM match_runs WHERE case_id = %s", (case_id,)
        ).fetchone() == (1,)
        ranks = conn.execute(
            "SELECT count(*), count(DISTINCT rank) FROM candidates WHERE match_run_id = %s",
            (run_id,),
        ).fetchone()
        assert ranks is not None and ranks[0] == ranks[1]
    assert _case_state(client, agency.caseworker, case_id) == "candidates_ready"


def test_a_job_whose_message_was_lost_before_its_lease_is_published_again_soon(
    client: TestClient,
    agency: AgencyUsers,
    servers: Servers,
    own_broker: EmbeddedBroker,
    tmp_path: Path,
) -> None:
    """A worker killed after receiving a job's message but before taking its lease
    leaves a job published, never taken, and no message anywhere. The relay publishes
    it again once it has waited a lease's length while a worker sat idle, not after
    the hour of redelivery this worker is given."""
    process = _worker_without_redelivery(
        servers,
        own_broker,
        tmp_path / "stranded.log",
        extra_env={"TESSERA_JOB_LEASE_S": "3", "TESSERA_HEARTBEAT_S": "1"},
    )
    case_id = _case(client, agency.caseworker, WANG, "CASE-STRANDED")
    run_id = _match(client, agency.caseworker, case_id)  # queued: no relay runs yet
    with psycopg.connect(servers.owner_url) as conn:
        lost = conn.execute(
            "UPDATE outbox SET published_at = now(), publish_count = 1 "
            "WHERE kind = 'match_case' AND payload->>'run_id' = %s RETURNING id",
            (str(run_id),),
        ).fetchall()
    assert len(lost) == 1
    process.start()
    started = time.monotonic()
    try:
        run = wait_for(lambda: _run_done(client, agency.caseworker, run_id), timeout=60)
    finally:
        process.stop()
    elapsed = time.monotonic() - started
    print(f"stranded job: done {elapsed:.1f} s after the worker started")
    assert run["state"] == "done"
    assert "were never taken by a worker" in (tmp_path / "stranded.log").read_text()
    with psycopg.connect(servers.owner_url) as conn:
        assert conn.execute(
            "SELECT publish_count FROM outbox WHERE id = %s", (lost[0][0],)
        ).fetchone() == (2,)


def test_a_broker_restart_loses_no_job(
    client: TestClient, agency: AgencyUsers, servers: Servers, tmp_path: Path
) -> None:
    broker = EmbeddedBroker(tmp_path / "broker", port=free_port())
    port = broker.port
    process = _worker_without_redelivery(servers, broker, tmp_path / "restart.log")
    try:
        # 1. The broker is down when the job is written: the outbox keeps it.
        broker.stop()
        down_case = _case(client, agency.caseworker, WANG, "CASE-BROKER-DOWN")
        down_run = _match(client, agency.caseworker, down_case)
        process.start()
        time.sleep(3)
        assert (
            client.get(f"/v1/match-runs/{down_run}", headers=auth(agency.caseworker)).json()[
                "state"
            ]
            == "queued"
        )
        process.stop()

        # 2. A job already in the broker when it restarts: the broker keeps it.
        broker = EmbeddedBroker(tmp_path / "broker", port=port)
        up_case = _case(client, agency.caseworker, WANG, "CASE-BROKER-UP")
        up_run = _match(client, agency.caseworker, up_case)
        celery = create_celery(broker.url)
        with psycopg.connect(servers.worker_url) as conn:
            Relay(
                servers.worker_url,
                lambda job: celery.send_task("tessera.process_job", args=[job]),
                redeliver_after_s=3600,
            ).drain(conn)
        time.sleep(1.5)  # past the append-only file's one-second flush
        broker.stop()
        broker = EmbeddedBroker(tmp_path / "broker", port=port)
        process.start()
        for run_id in (down_run, up_run):

            def finished(run_id: str = run_id) -> dict[str, Any] | None:
                return _run_done(client, agency.caseworker, run_id)

            assert wait_for(finished, timeout=90)["state"] == "done"
    finally:
        process.stop()
        broker.stop()
