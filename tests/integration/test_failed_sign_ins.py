"""Failed sign-ins are counted per source and per token id in PostgreSQL, throttled
with 429 and Retry-After, and logged without the secret (issue 24)."""

from __future__ import annotations

import secrets
import time
from typing import Any

import psycopg
from fastapi.testclient import TestClient

from service.settings import Settings
from tests.conftest import AgencyUsers, auth
from tests.desk.helpers import csrf_of


def _from(client: TestClient, address: str) -> TestClient:
    """A client of the same app whose requests come from ``address``."""
    return TestClient(client.app, client=(address, 40000), raise_server_exceptions=False)


def _events(owner_conn: psycopg.Connection[Any], source: str) -> list[tuple[Any, ...]]:
    return owner_conn.execute(
        "SELECT action, details FROM audit_events WHERE action LIKE 'auth.%%' "
        "AND details->>'source' = %s ORDER BY seq",
        (source,),
    ).fetchall()


def test_a_thousand_bad_tokens_are_throttled_and_logged_once_or_twice(
    client: TestClient,
    agency: AgencyUsers,
    owner_conn: psycopg.Connection[Any],
    settings: Settings,
) -> None:
    limit = settings.failed_sign_in_limit
    source = f"198.51.100.{secrets.randbelow(250) + 1}"
    attacker = _from(client, source)
    bad = [f"tsr_{secrets.token_hex(8)}_{secrets.token_urlsafe(32)}" for _ in range(1000)]
    started = time.perf_counter()
    answers = [attacker.get("/v1/cases", headers=auth(token)) for token in bad]
    elapsed = time.perf_counter() - started
    print(f"1000 bad tokens in {elapsed:.2f} s ({1000 / elapsed:.0f}/s)")
    statuses = [a.status_code for a in answers]
    assert statuses[:limit] == [401] * limit
    assert statuses[limit:] == [429] * (1000 - limit)
    for answer in answers[limit:]:
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["code"] == "too_many_failed_sign_ins"
        assert 1 <= int(answer.headers["Retry-After"]) <= 60

    # even the right token is refused from the throttled source...
    assert attacker.get("/v1/cases", headers=auth(agency.caseworker)).status_code == 429
    # ...but works from another source
    assert (
        _from(client, "192.0.2.10").get("/v1/cases", headers=auth(agency.caseworker)).status_code
        == 200
    )

    events = _events(owner_conn, source)
    assert [action for action, _ in events] == ["auth.failure", "auth.throttled"]
    assert events[1][1]["failures"] == limit
    logged = str(events)
    for token in bad[:limit]:
        _, _, secret = token.removeprefix("tsr_").partition("_")
        assert secret not in logged
    assert events[0][1]["key_id"] == bad[0][4:20]
    counted = owner_conn.execute(
        "SELECT failures, refused FROM auth_failures WHERE scope = 'source' AND subject = %s",
        (source,),
    ).fetchone()
    assert counted == (limit, 1000 - limit + 1)


def test_a_token_id_is_throttled_from_every_source(
    client: TestClient, agency: AgencyUsers, settings: Settings
) -> None:
    key_id = agency.auditor.removeprefix("tsr_")[:16]
    for n in range(settings.failed_sign_in_limit):
        wrong = f"tsr_{key_id}_{secrets.token_urlsafe(32)}"
        answer = _from(client, f"203.0.113.{n + 1}").get("/v1/audit/events", headers=auth(wrong))
        assert answer.status_code == 401
    elsewhere = _from(client, "203.0.113.200").get("/v1/audit/events", headers=auth(agency.auditor))
    assert elsewhere.status_code == 429
    assert elsewhere.json()["code"] == "too_many_failed_sign_ins"
    # another user's token is not affected
    assert (
        _from(client, "203.0.113.201").get("/v1/cases", headers=auth(agency.caseworker)).status_code
        == 200
    )


def test_the_application_role_cannot_touch_the_counts(servers: Any) -> None:
    with psycopg.connect(servers.app_url) as conn:
        try:
            conn.execute("DELETE FROM auth_failures")
        except psycopg.errors.InsufficientPrivilege:
            return
    raise AssertionError("the application role could clear the failure counts")


def test_the_desk_sign_in_is_throttled_the_same_way(
    client: TestClient,
    agency: AgencyUsers,
    owner_conn: psycopg.Connection[Any],
    settings: Settings,
) -> None:
    limit = settings.failed_sign_in_limit
    source = f"198.51.100.{secrets.randbelow(250) + 1}x"
    desk = _from(client, source)
    statuses = []
    for _ in range(limit + 5):
        form = desk.get("/desk/sign-in")
        answer = desk.post(
            "/desk/sign-in",
            data={"token": "tsr_wrong", "purpose": "p", "csrf": csrf_of(form.text), "next": ""},
            follow_redirects=False,
        )
        statuses.append(answer.status_code)
    assert statuses == [401] * limit + [429] * 5
    assert int(answer.headers["Retry-After"]) >= 1
    assert "Too many failed sign-ins" in answer.text
    assert [a for a, _ in _events(owner_conn, source)] == ["auth.failure", "auth.throttled"]
