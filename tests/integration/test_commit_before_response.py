"""A client that reads right after a 201 or 202 must see what it wrote: the request's
transaction commits before the response starts, not after it was sent."""

from __future__ import annotations

import json
from typing import Any

import anyio
import psycopg
from fastapi.testclient import TestClient
from starlette.types import Message

from tests.conftest import AgencyUsers, auth


def test_a_created_case_is_committed_before_the_response_starts(
    client: TestClient, agency: AgencyUsers, owner_conn: psycopg.Connection[Any]
) -> None:
    body = json.dumps({"reference": "COMMIT-FIRST", "subject": {"names": ["A B"]}}).encode()
    seen_at_response_start: list[int] = []
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            assert message["status"] == 201
            row = owner_conn.execute(
                "SELECT count(*) FROM cases WHERE agency_id = %s AND reference = 'COMMIT-FIRST'",
                (agency.id,),
            ).fetchone()
            seen_at_response_start.append(row[0] if row else 0)

    headers = [(k.lower().encode(), v.encode()) for k, v in auth(agency.caseworker).items()]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/cases",
        "raw_path": b"/v1/cases",
        "query_string": b"",
        "root_path": "",
        "server": ("testserver", 80),
        "client": ("testclient", 1),
        "headers": [
            *headers,
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "state": {},
    }
    anyio.run(client.app, scope, receive, send)
    assert seen_at_response_start == [1]
