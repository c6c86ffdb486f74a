"""Retention: periods set on write, the sweep that erases every derived copy when they
pass (run as the operators' command and by the worker's beat), audited without names."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from fastapi.testclient import TestClient

from service.db import set_context
from service.retention.service import sweep
from tests.conftest import AgencyUsers, Servers, auth, create_agency
from tests.integration.rights_helpers import (
    CASE_TABLES,
    IDENTITY_TABLES,
    assert_no_personal_data,
    chain_is_valid,
    events_about,
    held,
    nothing,
)
from tests.integration.test_evidence import ERIKSSON_PASSPORT
from tests.integration.test_faces_api import PHOTO, _upload
from tests.integration.test_pipeline import _decide, _ready_candidate
from tests.integration.workers import WorkerProcess, wait_for
from tests.principals import principal_of

ALL_KINDS = ("case", "identity", "document", "interview", "language_test", "face_image")
#: What the subject's records hold that no audit event may repeat.
PERSONAL = ("Wang", "王小明", "ERIKSSON", "L898902C3", "E12345678", "1990-05-17", "1974-08-12")


def _set_periods(client: TestClient, admin_token: str, agency: AgencyUsers, **days: int) -> Any:
    response = client.put(
        f"/v1/agencies/{agency.id}/retention", json=days, headers=auth(admin_token)
    )
    assert response.status_code == 200, response.text
    return response.json()


def _full_case(
    client: TestClient, agency: AgencyUsers, servers: Servers, reference: str
) -> tuple[str, str, list[str]]:
    """An identified case with a document (MRZ), an interview, a photo, a run, candidates
    and two confirmations; its id, the confirmed candidate and the gallery's ids."""
    case_id, candidate = _ready_candidate(client, agency, servers, reference)
    for path, body in (
        ("documents", ERIKSSON_PASSPORT),
        ("interviews", {"notes": "born in Wuhan", "claims": {"names": ["王小明"]}}),
    ):
        added = client.post(
            f"/v1/cases/{case_id}/evidence/{path}", json=body, headers=auth(agency.caseworker)
        )
        assert added.status_code == 201, added.text
    assert _upload(client, agency, case_id, PHOTO.read_bytes()).status_code == 201
    assert _decide(client, agency.caseworker2, candidate, "confirm", "agree").status_code == 201
    with psycopg.connect(servers.owner_url) as conn:
        # the creator may not confirm second; a third caseworker of the agency does
        gallery = [
            str(r[0])
            for r in conn.execute(
                "SELECT id FROM identities WHERE agency_id = %s", (agency.id,)
            ).fetchall()
        ]
    return case_id, candidate, gallery


def _confirm_again(
    client: TestClient, admin_token: str, agency: AgencyUsers, candidate: str
) -> None:
    third = client.post(
        "/v1/users",
        json={"agency_id": str(agency.id), "name": "third caseworker", "role": "caseworker"},
        headers=auth(admin_token),
    ).json()["token"]
    assert _decide(client, third, candidate, "confirm", "independent").status_code == 201


def test_retention_dates_are_set_on_write_from_the_agency_periods(
    client: TestClient,
    admin_token: str,
    agency: AgencyUsers,
    servers: Servers,
    owner_conn: psycopg.Connection[Any],
) -> None:
    periods = _set_periods(client, admin_token, agency, document=30, case=400)
    by_kind = {p["kind"]: p for p in periods["periods"]}
    assert by_kind["document"] == {"kind": "document", "days": 30, "source": "agency"}
    assert by_kind["identity"] == {"kind": "identity", "days": 3650, "source": "default"}
    case = client.post(
        "/v1/cases",
        json={"reference": "RET-DATES", "subject": {"names": ["Anna Berg"]}},
        headers=auth(agency.caseworker),
    ).json()
    doc = client.post(
        f"/v1/cases/{case['id']}/evidence/documents",
        json={"type": "passport", "issuer": "DEU", "number": "C01X00T47"},
        headers=auth(agency.caseworker),
    ).json()
    test = client.post(
        f"/v1/cases/{case['id']}/evidence/language-tests",
        json={"language": "deu", "confidence": 0.5},
        headers=auth(agency.caseworker),
    ).json()
    record = client.post(
        "/v1/identities",
        json={"names": ["Anna Berg"], "external_id": "RET-1"},
        headers=auth(agency.caseworker),
    ).json()

    def days_left(table: str, row_id: str) -> int:
        row = owner_conn.execute(
            f"SELECT retention_until - created_at FROM {table} WHERE id = %s",
            (row_id,),
        ).fetchone()
        assert row is not None and row[0] is not None
        return int(row[0].days)

    assert days_left("cases", case["id"]) == 400
    assert days_left("evidence", doc["id"]) == 30
    assert days_left("evidence", test["id"]) == 1825
    assert days_left("identities", record["id"]) == 3650
    # the service role cannot move a date
    me = principal_of(servers.app_url, agency.caseworker)
    with psycopg.connect(servers.app_url) as conn, conn.transaction():
        set_context(conn, me)
        conn.execute(
            "UPDATE cases SET retention_until = now() + interval '100 years' WHERE id = %s",
            (case["id"],),
        )
    assert days_left("cases", case["id"]) == 400
    closed = client.post(
        f"/v1/cases/{case['id']}/close",
        json={"outcome": "withdrawn", "reason": "left"},
        headers=auth(agency.caseworker),
    )
    assert closed.status_code == 200, closed.text
    row = owner_conn.execute(
        "SELECT retention_until - closed_at FROM cases WHERE id = %s", (case["id"],)
    ).fetchone()
    assert row is not None and row[0] == timedelta(days=400)


def test_only_an_admin_sets_retention_periods_within_limits(
    client: TestClient, admin_token: str, agency: AgencyUsers
) -> None:
    path = f"/v1/agencies/{agency.id}/retention"
    refused = client.put(path, json={"case": 10}, headers=auth(agency.caseworker))
    assert refused.status_code == 403
    for bad in ({"case": 0}, {"case": 36501}, {"case": "ten"}, {"photos": 10}):
        response = client.put(path, json=bad, headers=auth(admin_token))
        assert response.status_code == 422, (bad, response.text)
    missing = client.put(
        f"/v1/agencies/{UUID(int=5)}/retention", json={"case": 10}, headers=auth(admin_token)
    )
    assert missing.status_code == 404
    assert missing.json()["code"] == "agency_not_found"


def test_a_retention_sweep_erases_every_derived_copy_and_logs_no_names(
    client: TestClient,
    admin_token: str,
    worker: WorkerProcess,
    servers: Servers,
    owner_conn: psycopg.Connection[Any],
) -> None:
    short = create_agency(client, admin_token)
    kept = create_agency(client, admin_token, country="FRA")
    _set_periods(client, admin_token, short, **dict.fromkeys(ALL_KINDS, 1))
    case_id, candidate, gallery = _full_case(client, short, servers, "RET-SWEEP")
    _confirm_again(client, admin_token, short, candidate)
    kept_case, _, kept_gallery = _full_case(client, kept, servers, "RET-KEPT")
    # every copy exists before the sweep: the profile with evidence (re-indexed), the
    # photo, thumbnail and embedding, the run, candidates and decisions
    wait_for(lambda: held(owner_conn, case_id, CASE_TABLES)["match_keys"] > 0)
    before = held(owner_conn, case_id, CASE_TABLES)
    assert all(
        before[t] > 0 for t in CASE_TABLES if t not in ("subject_protection", "named_as_candidate")
    ), before
    assert before["decisions"] == 2
    assert all(held(owner_conn, i, IDENTITY_TABLES)["match_profiles"] == 1 for i in gallery)
    kept_before = held(owner_conn, kept_case, CASE_TABLES)

    result = sweep(servers.worker_url, now=datetime.now(UTC) + timedelta(days=2))

    assert result.ran and result.failed == 0
    assert result.erased["case"] >= 1 and result.erased["identity"] >= len(gallery)
    assert held(owner_conn, case_id, CASE_TABLES) == nothing(CASE_TABLES)
    for identity_id in gallery:
        assert held(owner_conn, identity_id, IDENTITY_TABLES) == nothing(IDENTITY_TABLES)
    stats = owner_conn.execute(
        "SELECT coalesce(sum(df), 0), coalesce(max(df) FILTER (WHERE key = '*'), 0) "
        "FROM match_key_stats WHERE agency_id = %s",
        (short.id,),
    ).fetchone()
    assert stats == (0, 0)  # the key counts went with the keys
    # the other agency's data, under the default periods, is all still there
    assert held(owner_conn, kept_case, CASE_TABLES) == kept_before
    assert all(held(owner_conn, i, IDENTITY_TABLES)["identities"] == 1 for i in kept_gallery)

    events = events_about(owner_conn, [case_id, *gallery])
    erasures = [e for e in events if e["action"].startswith("retention.erase.")]
    assert {e["object_id"] for e in erasures} == {case_id, *gallery}
    case_event = next(e for e in erasures if e["object_id"] == case_id)
    assert case_event["details"]["removed"]["decisions"] == 2
    assert case_event["details"]["removed"]["face_embeddings"] == 1
    assert_no_personal_data(erasures, *PERSONAL)
    summary = owner_conn.execute(
        "SELECT details FROM audit_events WHERE action = 'retention.sweep' "
        "ORDER BY seq DESC LIMIT 1"
    ).fetchone()
    assert summary is not None and summary[0]["erased"]["case"] == result.erased["case"]
    assert_no_personal_data([summary[0]], *PERSONAL)
    assert chain_is_valid(servers.owner_url)

    again = sweep(servers.worker_url, now=datetime.now(UTC) + timedelta(days=2))
    assert again.erased == {"case": 0, "identity": 0, "evidence": 0}


def test_evidence_whose_period_ends_first_is_erased_and_its_case_reindexed(
    client: TestClient,
    admin_token: str,
    agency: AgencyUsers,
    servers: Servers,
    owner_conn: psycopg.Connection[Any],
) -> None:
    _set_periods(client, admin_token, agency, face_image=1, document=1)
    case = client.post(
        "/v1/cases",
        json={"reference": "RET-EVIDENCE", "subject": {"names": ["Maria Lopez"]}},
        headers=auth(agency.caseworker),
    ).json()
    photo = _upload(client, agency, case["id"], PHOTO.read_bytes()).json()["evidence_id"]
    document = client.post(
        f"/v1/cases/{case['id']}/evidence/documents",
        json=ERIKSSON_PASSPORT,
        headers=auth(agency.caseworker),
    ).json()["id"]
    interview = client.post(
        f"/v1/cases/{case['id']}/evidence/interviews",
        json={"claims": {"names": ["Maria Lopez"]}},
        headers=auth(agency.caseworker),
    ).json()["id"]

    result = sweep(servers.worker_url, now=datetime.now(UTC) + timedelta(days=2))

    assert result.failed == 0
    counts = held(owner_conn, case["id"], CASE_TABLES)
    assert (counts["cases"], counts["evidence"]) == (1, 3)  # the case and tombstones stay
    assert (counts["face_images"], counts["face_embeddings"]) == (0, 0)
    rows = {
        r[0]: (r[1], r[2], r[3])
        for r in owner_conn.execute(
            "SELECT id::text, erased_at IS NOT NULL, data, checks FROM evidence WHERE case_id = %s",
            (case["id"],),
        ).fetchall()
    }
    assert rows[photo][0] and rows[photo][1] == {"status": "erased"}
    assert rows[document][0] and rows[document][1] == {"status": "erased"}
    assert "ERIKSSON" not in str(rows[document][2]) and "L898902C3" not in str(rows[document][2])
    assert rows[document][2]["mrz"]["valid"] is True
    assert not rows[interview][0]  # five years, not one day
    queued = owner_conn.execute(
        "SELECT count(*) FROM outbox WHERE payload -> 'cases' ? %s", (case["id"],)
    ).fetchone()
    assert queued is not None and queued[0] >= 4  # three adds and at least one erasure
    events = events_about(owner_conn, [photo, document])
    assert {e["action"] for e in events if e["action"].startswith("retention")} == {
        "retention.erase.evidence"
    }
    assert_no_personal_data(events, "ERIKSSON", "L898902C3", "Maria")


def test_two_sweeps_at_once_do_not_both_run(servers: Servers) -> None:
    with psycopg.connect(servers.worker_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(7341003)")
        try:
            assert sweep(servers.worker_url).ran is False
        finally:
            holder.execute("SELECT pg_advisory_unlock(7341003)")
    assert sweep(servers.worker_url).ran is True


def test_the_operators_command_sweeps_as_of_a_given_time(
    client: TestClient,
    admin_token: str,
    agency: AgencyUsers,
    servers: Servers,
    owner_conn: psycopg.Connection[Any],
) -> None:
    _set_periods(client, admin_token, agency, case=1)
    case = client.post(
        "/v1/cases",
        json={"reference": "RET-CLI", "subject": {"names": ["Olga Petrova"]}},
        headers=auth(agency.caseworker),
    ).json()
    env = {
        "TESSERA_DATABASE_URL": servers.owner_url,
        "TESSERA_APP_DATABASE_URL": servers.app_url,
        "PATH": "/usr/bin:/bin",
        "TESSERA_HOME": str(servers.home),
        "TESSERA_PURE_PYTHON": "1",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    as_of = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    done = subprocess.run(
        [sys.executable, "-m", "service.ops.cli", "retention", "sweep", "--as-of", as_of],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert '"case": ' in done.stdout
    assert held(owner_conn, case["id"], CASE_TABLES)["cases"] == 0


@pytest.fixture
def beat_worker(servers: Servers, tmp_path: Path) -> Any:
    process = WorkerProcess(
        owner_url=servers.owner_url,
        app_url=servers.app_url,
        broker_url=servers.broker_url,
        log=tmp_path / "beat.log",
        extra_args=("--beat",),
        extra_env={"TESSERA_RETENTION_SWEEP_INTERVAL_S": "1", "TESSERA_HOME": str(tmp_path)},
    )
    process.start()
    yield process
    process.stop()


def test_the_workers_beat_runs_the_sweep_on_schedule(
    client: TestClient,
    agency: AgencyUsers,
    beat_worker: WorkerProcess,
    owner_conn: psycopg.Connection[Any],
) -> None:
    case = client.post(
        "/v1/cases",
        json={"reference": "RET-BEAT", "subject": {"names": ["Li Wei"]}},
        headers=auth(agency.caseworker),
    ).json()
    # an operator (the owner) may move a date; the service role may not
    owner_conn.execute(
        "UPDATE cases SET retention_until = now() - interval '1 minute' WHERE id = %s",
        (case["id"],),
    )
    wait_for(lambda: held(owner_conn, case["id"], CASE_TABLES)["cases"] == 0, timeout=90)
    events = events_about(owner_conn, [case["id"]])
    assert "retention.erase.case" in [e["action"] for e in events]
