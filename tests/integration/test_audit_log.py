from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from fastapi.testclient import TestClient

from service.audit import service as audit
from service.db import Principal, open_pool, set_context, transaction
from service.ops.cli import bootstrap_admin
from service.ops.migrate import app_url, worker_url
from service.ops.runtime import audit_checkpoint_path, audit_key_path
from service.worker.checkpointer import Checkpointer
from tests.conftest import AgencyUsers, auth
from tests.principals import new_principal


@functools.cache
def _writer(owner_url: str) -> Principal:
    """A caseworker of the database at ``owner_url`` (made once; it writes no event)."""
    return new_principal(owner_url, "caseworker")


@functools.cache
def _auditor(owner_url: str) -> Principal:
    """An oversight user of the database at ``owner_url`` (made once)."""
    return new_principal(owner_url, "oversight")


def _append_events(owner_url: str, count: int) -> None:
    writer = _writer(owner_url)
    with psycopg.connect(app_url(owner_url)) as conn:
        for number in range(count):
            with conn.transaction():
                set_context(conn, writer)
                audit.append(
                    conn, writer, "test.event", object_id=str(number), details={"n": number}
                )


def _verify(owner_url: str) -> audit.Verification:
    with psycopg.connect(app_url(owner_url)) as conn, conn.transaction():
        set_context(conn, _auditor(owner_url))
        result = audit.verify_chain(audit.iter_events(conn))
        # the database's own check (what /v1/audit/verify runs) gives the same verdict
        assert audit.verify_in_database(conn) == result
        return result


def _tamper(owner_url: str, statement: str) -> None:
    """Change the log as an attacker with the owner's rights would: triggers off."""
    with psycopg.connect(owner_url) as conn, conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")
        conn.execute(statement)


def _id_of(owner_url: str, seq: int) -> UUID:
    with psycopg.connect(owner_url) as conn:
        row = conn.execute("SELECT id FROM audit_events WHERE seq = %s", (seq,)).fetchone()
        assert row is not None
        event_id: UUID = row[0]
        return event_id


def test_an_untouched_log_verifies(fresh_database: str) -> None:
    _append_events(fresh_database, 5)
    result = _verify(fresh_database)
    assert result.valid
    assert result.length == 5
    assert result.first_bad is None


def test_an_edited_event_is_named_by_verify(fresh_database: str) -> None:
    _append_events(fresh_database, 6)
    third = _id_of(fresh_database, 3)
    _tamper(fresh_database, "UPDATE audit_events SET action = 'nothing.happened' WHERE seq = 3")
    result = _verify(fresh_database)
    assert not result.valid
    assert result.first_bad == third
    assert result.first_bad_seq == 3


def test_a_deleted_event_is_detected(fresh_database: str) -> None:
    _append_events(fresh_database, 6)
    fifth = _id_of(fresh_database, 5)
    _tamper(fresh_database, "DELETE FROM audit_events WHERE seq = 4")
    result = _verify(fresh_database)
    assert not result.valid
    assert result.first_bad == fifth
    assert result.length == 3


def test_reordered_events_are_detected(fresh_database: str) -> None:
    _append_events(fresh_database, 6)
    _tamper(
        fresh_database,
        "UPDATE audit_events SET seq = CASE seq WHEN 2 THEN 1000 WHEN 3 THEN 2 END "
        "WHERE seq IN (2, 3)",
    )
    _tamper(fresh_database, "UPDATE audit_events SET seq = 3 WHERE seq = 1000")
    result = _verify(fresh_database)
    assert not result.valid
    assert result.first_bad_seq == 2


def _audit_cli(database: str, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``tessera audit ARGS`` against ``database``, as an operator would run it."""
    env = {**os.environ, "TESSERA_DATABASE_URL": database, "TESSERA_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "service.ops.cli", "audit", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_truncated_tail_is_caught_by_a_checkpoint_not_by_the_chain(
    fresh_database: str, tmp_path: Path
) -> None:
    _append_events(fresh_database, 4)
    checkpoint = str(tmp_path / "checkpoint.json")
    made = _audit_cli(fresh_database, tmp_path, "checkpoint", "--out", checkpoint)
    assert made.returncode == 0, made.stderr
    assert json.loads(Path(checkpoint).read_text())["length"] == 4

    _append_events(fresh_database, 3)
    grown = _audit_cli(fresh_database, tmp_path, "verify", "--checkpoint", checkpoint)
    assert grown.returncode == 0, grown.stderr
    assert "from 4 to 7" in grown.stdout

    _tamper(fresh_database, "DELETE FROM audit_events WHERE seq >= 3")
    assert _verify(fresh_database).valid  # a cut tail still chains...
    shrunk = _audit_cli(fresh_database, tmp_path, "verify", "--checkpoint", checkpoint)
    assert shrunk.returncode == 1  # ...but the checkpoint proves events were lost
    assert "INVALID" in shrunk.stderr


def test_a_forged_checkpoint_is_refused(fresh_database: str, tmp_path: Path) -> None:
    _append_events(fresh_database, 2)
    checkpoint = tmp_path / "checkpoint.json"
    made = _audit_cli(fresh_database, tmp_path, "checkpoint", "--out", str(checkpoint))
    assert made.returncode == 0, made.stderr
    forged = json.loads(checkpoint.read_text())
    forged["length"] = 1
    checkpoint.write_text(json.dumps(forged))
    result = _audit_cli(fresh_database, tmp_path, "verify", "--checkpoint", str(checkpoint))
    assert result.returncode == 1
    assert "signature" in result.stderr


def test_fifty_concurrent_writers_leave_one_valid_chain(fresh_database: str) -> None:
    pool = open_pool(app_url(fresh_database), min_size=10, max_size=50)
    errors: list[BaseException] = []
    start = threading.Barrier(50)
    principal = _writer(fresh_database)

    def writer(number: int) -> None:
        try:
            start.wait()
            for item in range(4):
                with transaction(pool, principal) as conn:
                    audit.append(conn, principal, "test.concurrent", object_id=f"{number}-{item}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    pool.close()
    assert errors == []
    result = _verify(fresh_database)
    assert result.valid
    assert result.length == 200


def test_the_service_role_cannot_change_or_remove_audit_events(fresh_database: str) -> None:
    _append_events(fresh_database, 1)
    for statement in (
        "UPDATE audit_events SET action = 'x'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
    ):
        with (
            psycopg.connect(app_url(fresh_database)) as conn,
            pytest.raises(psycopg.errors.InsufficientPrivilege),
        ):
            conn.execute(statement)
    assert _verify(fresh_database).length == 1


def test_the_service_role_cannot_insert_an_audit_row_of_its_choosing(fresh_database: str) -> None:
    _append_events(fresh_database, 2)
    with psycopg.connect(app_url(fresh_database)) as conn:
        set_context(conn, _writer(fresh_database))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "INSERT INTO audit_events (seq, id, occurred_at, action, prev_hash, hash) "
                "VALUES (9223372036854775807, gen_random_uuid(), now(), 'forged', "
                "'\\x00', '\\x00')"
            )
    # the append function numbers, dates and hashes the event itself: the chain stays
    # whole and the next number follows the head
    with psycopg.connect(app_url(fresh_database)) as conn, conn.transaction():
        set_context(conn, _writer(fresh_database))
        seq = audit.append(conn, _writer(fresh_database), "test.after", details={"n": 1})
    assert seq == 3
    result = _verify(fresh_database)
    assert result.valid
    assert result.length == 3


def test_the_append_function_refuses_malformed_events(fresh_database: str) -> None:
    writer = _writer(fresh_database)
    actor = (writer.user_id, writer.agency_id, writer.role)
    with psycopg.connect(app_url(fresh_database)) as conn:
        set_context(conn, writer)
        for action, details in (("", "{}"), ("x" * 101, "{}"), ("test.event", "[1, 2]")):
            with pytest.raises(psycopg.errors.InvalidParameterValue), conn.transaction():
                conn.execute(
                    "SELECT tessera_audit_append(%s, %s, %s, %s, NULL, NULL, NULL, "
                    "NULL, %s::jsonb)",
                    (*actor, action, details),
                )
    assert _verify(fresh_database).length == 0


def test_the_service_role_cannot_write_an_event_in_another_name(fresh_database: str) -> None:
    """An event names the actor of the context it is written in: not another user, not
    another agency or role, and no actor at all only outside any context."""
    writer = _writer(fresh_database)
    someone = _auditor(fresh_database)
    forged = (
        (someone.user_id, someone.agency_id, someone.role),
        (writer.user_id, someone.agency_id, writer.role),
        (writer.user_id, writer.agency_id, "admin"),
        (None, None, None),
    )
    with psycopg.connect(app_url(fresh_database)) as conn:
        set_context(conn, writer)
        for actor in forged:
            with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
                conn.execute(
                    "SELECT tessera_audit_append(%s, %s, %s, 'forged', NULL, NULL, NULL, "
                    "NULL, NULL)",
                    actor,
                )
    # outside any context, an event can name nobody but nobody
    with (
        psycopg.connect(app_url(fresh_database)) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
        conn.transaction(),
    ):
        conn.execute(
            "SELECT tessera_audit_append(%s, %s, %s, 'forged', NULL, NULL, NULL, NULL, NULL)",
            (writer.user_id, writer.agency_id, writer.role),
        )
    assert _verify(fresh_database).length == 0


def test_even_the_owner_is_stopped_by_the_append_only_trigger(fresh_database: str) -> None:
    _append_events(fresh_database, 1)
    for statement in (
        "UPDATE audit_events SET action = 'x'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
    ):
        with (
            psycopg.connect(fresh_database) as conn,
            pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"),
        ):
            conn.execute(statement)


def test_verify_endpoint_names_the_first_bad_event(
    fresh_client: tuple[TestClient, str],
) -> None:
    client, owner = fresh_client
    admin = bootstrap_admin(owner, "admin")
    agency = client.post(
        "/v1/agencies", json={"name": "Audit Office", "country": "NLD"}, headers=auth(admin)
    ).json()
    auditor = client.post(
        "/v1/users",
        json={"agency_id": agency["id"], "name": "Aud", "role": "auditor"},
        headers=auth(admin),
    ).json()
    token = auditor["token"]
    valid = client.get("/v1/audit/verify", headers=auth(token))
    assert valid.status_code == 200
    assert valid.json()["valid"] is True
    assert valid.json()["length"] == 3
    second = _id_of(owner, 2)
    _tamper(owner, 'UPDATE audit_events SET details = \'{"name": "Other"}\' WHERE seq = 2')
    broken = client.get("/v1/audit/verify", headers=auth(token)).json()
    assert broken["valid"] is False
    assert broken["first_bad"] == str(second)


def test_auditor_reads_events_oldest_first_with_pagination(
    client: TestClient, agency: AgencyUsers
) -> None:
    for number in range(3):
        opened = client.post(
            "/v1/cases",
            json={"reference": f"P-{number}", "subject": {"names": ["Amina Yusuf"]}},
            headers=auth(agency.caseworker),
        )
        assert opened.status_code == 201, opened.text
    first = client.get("/v1/audit/events?limit=2", headers=auth(agency.auditor))
    assert first.status_code == 200, first.text
    page: dict[str, Any] = first.json()
    assert len(page["items"]) == 2
    assert page["items"][0]["seq"] < page["items"][1]["seq"]
    second = client.get(
        f"/v1/audit/events?limit=2&cursor={page['next_cursor']}", headers=auth(agency.auditor)
    ).json()
    assert second["items"][0]["seq"] > page["items"][1]["seq"]


def test_auditor_filters_events_by_actor(
    client: TestClient, agency: AgencyUsers, admin_token: str
) -> None:
    # users are created by the admin, in the admin's agency: oversight reads those events
    created = client.post(
        "/v1/users",
        json={"agency_id": str(agency.id), "name": "oversight", "role": "oversight"},
        headers=auth(admin_token),
    )
    assert created.status_code == 201, created.text
    events = client.get(
        "/v1/audit/events?action=user.create&limit=500", headers=auth(created.json()["token"])
    ).json()["items"]
    assert events
    assert {event["action"] for event in events} == {"user.create"}


def test_only_auditors_read_the_log(client: TestClient, agency: AgencyUsers) -> None:
    for token in (agency.caseworker, agency.partner):
        for path in ("/v1/audit/events", "/v1/audit/verify"):
            response = client.get(path, headers=auth(token))
            assert response.status_code == 403


def _rewrite_history(owner_url: str, seq: int, details: str) -> None:
    """What a superuser could do: change event ``seq`` and recompute every later link and
    hash, so that the chain itself verifies again."""
    with psycopg.connect(owner_url) as conn, conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")
        conn.execute("UPDATE audit_events SET details = %s::jsonb WHERE seq = %s", (details, seq))
        conn.execute(
            """DO $$
               DECLARE ev audit_events; prev bytea;
               BEGIN
                   FOR ev IN SELECT * FROM audit_events ORDER BY seq LOOP
                       IF prev IS NOT NULL THEN ev.prev_hash := prev; END IF;
                       ev.hash := tessera_audit_event_hash(ev);
                       UPDATE audit_events SET prev_hash = ev.prev_hash, hash = ev.hash
                        WHERE seq = ev.seq;
                       prev := ev.hash;
                   END LOOP;
               END $$"""
        )


def test_checkpoints_are_published_as_the_log_grows(fresh_database: str, tmp_path: Path) -> None:
    out = tmp_path / "published" / "checkpoints.jsonl"
    checkpointer = Checkpointer(
        worker_url(fresh_database), key_path=tmp_path / "key.pem", out=out, interval_s=60
    )
    _append_events(fresh_database, 3)
    checkpointer.publish_once()
    checkpointer.publish_once()  # nothing new: nothing published
    _append_events(fresh_database, 2)
    checkpointer.publish_once()
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [c["length"] for c in lines] == [3, 5]
    key = audit.load_or_create_key(tmp_path / "key.pem")
    assert audit.published_checkpoints(out, key.public_key()) == lines
    # a line added by someone without the key is not a checkpoint
    with out.open("a") as file:
        file.write(json.dumps({**lines[-1], "length": 2}) + "\nnot json\n")
    assert audit.published_checkpoints(out, key.public_key()) == lines


def test_a_rewritten_history_with_recomputed_hashes_is_reported_invalid(
    fresh_client: tuple[TestClient, str],
) -> None:
    client, owner = fresh_client
    settings = client.app.state.settings  # type: ignore[attr-defined]
    admin = bootstrap_admin(owner, "admin")
    agency = client.post(
        "/v1/agencies", json={"name": "Audit Office", "country": "NLD"}, headers=auth(admin)
    ).json()
    token = client.post(
        "/v1/users",
        json={"agency_id": agency["id"], "name": "Aud", "role": "auditor"},
        headers=auth(admin),
    ).json()["token"]
    fresh = client.get("/v1/audit/verify", headers=auth(token)).json()
    assert fresh["valid"] is True
    assert fresh["checkpoint"] is None
    Checkpointer(
        worker_url(owner),
        key_path=audit_key_path(settings),
        out=audit_checkpoint_path(settings),
        interval_s=60,
    ).publish_once()
    checked = client.get("/v1/audit/verify", headers=auth(token)).json()
    assert checked["valid"] is True
    assert checked["checkpoint"]["length"] == 4
    _rewrite_history(owner, 2, '{"name": "Someone else"}')
    with psycopg.connect(app_url(owner)) as conn, conn.transaction():
        set_context(conn, _auditor(owner))
        assert audit.verify_in_database(conn).valid  # the chain alone is fooled
    rewritten = client.get("/v1/audit/verify", headers=auth(token)).json()
    assert rewritten["valid"] is False
    assert "rewritten" in rewritten["reason"]
    # and the checkpointer refuses to sign the altered log
    key = audit.load_or_create_key(audit_key_path(settings))
    with (
        pytest.raises(audit.CheckpointConflict),
        psycopg.connect(app_url(owner)) as conn,
        conn.transaction(),
    ):
        set_context(conn, _auditor(owner))
        audit.publish_checkpoint(conn, key, audit_checkpoint_path(settings))
