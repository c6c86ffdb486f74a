"""`tessera run` keeps itself running: a worker killed with SIGKILL is replaced and the
queued runs finish; /v1/health says when no worker consumes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient

from service.ops.cli import bootstrap_admin
from service.ops.embedded import EmbeddedBroker
from tests.conftest import free_port
from tests.integration.test_pipeline import WANG
from tests.integration.workers import wait_for


def test_health_is_degraded_while_no_worker_consumes(
    fresh_client: tuple[TestClient, str],
) -> None:
    client, _ = fresh_client
    response = client.get("/v1/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["workers"] == "none"
    assert body["database"] == "ok"
    assert body["pipeline"]["workers_alive"] == 0


@pytest.fixture
def own_broker(tmp_path: Path) -> Any:
    broker = EmbeddedBroker(tmp_path / "broker", port=free_port())
    yield broker
    broker.stop()


def _worker_pids(owner_url: str) -> set[int]:
    with psycopg.connect(owner_url) as conn:
        rows = conn.execute(
            "SELECT pid FROM worker_heartbeats WHERE seen_at > now() - interval '3 seconds'"
        ).fetchall()
    return {row[0] for row in rows}


def test_tessera_run_replaces_a_killed_worker_and_the_queued_runs_finish(
    fresh_database: str, own_broker: EmbeddedBroker, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "TESSERA_HOME": str(tmp_path / "home"),
        "TESSERA_DATABASE_URL": fresh_database,
        "TESSERA_BROKER_URL": own_broker.url,
        "TESSERA_WORKERS": "1",
        "TESSERA_HEARTBEAT_S": "1",
    }
    output = (tmp_path / "run.log").open("wb")
    run = subprocess.Popen(
        [sys.executable, "-m", "service.ops.cli", "run", "--port", str(port)],
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:

        def healthy() -> bool:
            try:
                return httpx.get(base + "/v1/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(healthy, timeout=90, every=0.5)
        admin = {"Authorization": f"Bearer {bootstrap_admin(fresh_database, 'admin')}"}
        http = httpx.Client(base_url=base, timeout=30)
        agency = http.post("/v1/agencies", json={"name": "Run", "country": "DEU"}, headers=admin)
        user = http.post(
            "/v1/users",
            json={"agency_id": agency.json()["id"], "name": "cw", "role": "caseworker"},
            headers=admin,
        )
        caseworker = {"Authorization": f"Bearer {user.json()['token']}"}
        (pid,) = _worker_pids(fresh_database)
        os.killpg(pid, signal.SIGKILL)
        killed_at = time.monotonic()
        runs = []
        for number in range(20):
            case = http.post(
                "/v1/cases",
                json={"reference": f"RUN-{number}", "subject": WANG},
                headers=caseworker,
            )
            assert case.status_code == 201, case.text
            match = http.post(f"/v1/cases/{case.json()['id']}/match", headers=caseworker)
            assert match.status_code == 202, match.text
            runs.append(match.json()["match_run_id"])

        def all_done() -> bool:
            states = [
                http.get(f"/v1/match-runs/{r}", headers=caseworker).json()["state"] for r in runs
            ]
            return all(state == "done" for state in states)

        wait_for(all_done, timeout=60, every=0.5)
        elapsed = time.monotonic() - killed_at
        print(f"worker killed: 20 queued runs done {elapsed:.1f} s after the kill")
        assert elapsed < 60
        replaced = wait_for(lambda: _worker_pids(fresh_database) - {pid}, timeout=10)
        assert pid not in replaced
        assert healthy()
    finally:
        os.killpg(run.pid, signal.SIGTERM)
        try:
            run.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait(timeout=10)
        output.close()
    log = (tmp_path / "run.log").read_text()
    assert "worker-1 exited with code -9; restarting it in 1 s" in log
    assert "worker-1 restarted" in log
