"""schemathesis over /openapi.json: every operation with generated requests, real tokens
(a caseworker, a partner, an auditor, an admin) and all of schemathesis' checks, then
its stateful mode, which chains operations through the links it infers (a created case
read back, evidence added to it, ...). The app runs on a database of this module's own,
so suspending matching or disabling users touches no other test.

Valid requests (positive mode) and requests the schema forbids (negative mode, a third
as many) are both generated. The number of examples per operation is bounded
(TESSERA_SCHEMATHESIS_EXAMPLES, default 25) so that the module takes under two minutes
on two cores.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import psycopg
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable

from service.app import create_app
from service.ops.cli import bootstrap_admin
from service.ops.embedded import EmbeddedBroker, ensure_database
from service.ops.migrate import app_url, migrate
from service.pagination import encode_cursor
from service.settings import Settings
from tests.conftest import AgencyUsers, Servers, create_agency, free_port
from tests.integration.workers import WorkerProcess, wait_for

# A bulk import's body is NDJSON bytes (its lines are checked one by one, each refusal
# reported in the answer); sent as the bytes schemathesis makes for a binary body.
schemathesis.serializer.alias("application/x-ndjson", "application/octet-stream")

EXAMPLES = int(os.environ.get("TESSERA_SCHEMATHESIS_EXAMPLES", "25"))
#: Requests the app received, by operation (the report's figures).
SEEN: dict[str, int] = {}


class _Counting:
    """ASGI wrapper counting the HTTP requests schemathesis sends."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            key = f"{scope['method']} {scope['path']}"
            SEEN[key] = SEEN.get(key, 0) + 1
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def tokens(
    servers: Servers, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Any, dict[str, str]]]:
    """The app on a database of its own, with a broker and a worker of its own (so
    /v1/health is ok and match runs finish), and one token per role."""
    name = f"tessera_st_{secrets.token_hex(4)}"
    ensure_database(servers.owner_url, name)
    owner = psycopg.conninfo.make_conninfo(servers.owner_url, dbname=name)
    migrate(owner)
    home = tmp_path_factory.mktemp("schemathesis")
    broker = EmbeddedBroker(home, port=free_port())
    worker = WorkerProcess(
        owner_url=owner, app_url=app_url(owner), broker_url=broker.url, log=home / "worker.log"
    )
    worker.start()
    app = create_app(
        Settings(
            home=servers.home,
            database_url=owner,
            app_database_url=app_url(owner),
            broker_url=broker.url,
            audit_checkpoint_file=home / "audit-checkpoints.jsonl",
            partner_query_limit=100_000,
        )
    )
    admin = bootstrap_admin(owner, "Schemathesis administrator")
    try:
        with TestClient(app, raise_server_exceptions=False) as client:  # runs the lifespan
            wait_for(lambda: client.get("/v1/health").status_code == 200, timeout=90)
            agency: AgencyUsers = create_agency(client, admin)
            yield (
                app,
                {
                    "admin": admin,
                    "caseworker": agency.caseworker,
                    "partner": agency.partner,
                    "auditor": agency.auditor,
                },
            )
    finally:
        worker.stop()
        broker.stop()


def minted_cursor(path: str, generated: str) -> str:
    """A cursor of the form the API hands out for ``path``, standing for a position
    derived from the generated string. A cursor is opaque: the schema can say which
    characters it has, not which of them the server minted, so positive requests carry
    cursors the server could have given out (random ones get 422 invalid_cursor, which
    test_hostile_input covers)."""
    seed = sum(generated.encode()) % 1_000_000
    if path.startswith("/v1/audit"):
        return encode_cursor(seed)
    moment = datetime(2020, 1, 1, tzinfo=UTC) + timedelta(seconds=seed)
    return encode_cursor([moment.isoformat(), str(uuid5(NAMESPACE_URL, generated))])


@pytest.fixture(scope="module")
def api_schema(tokens: tuple[Any, dict[str, str]]) -> Any:
    app, _ = tokens
    schema = schemathesis.openapi.from_asgi("/openapi.json", _Counting(app))

    @schema.hook
    def map_query(context: Any, query: dict[str, Any] | None) -> dict[str, Any] | None:
        if query and isinstance(query.get("cursor"), str) and context.operation is not None:
            query["cursor"] = minted_cursor(context.operation.path, query["cursor"])
        return query

    return schema


def token_for(tokens: dict[str, str], path: str) -> str:
    """The role each part of the API is for."""
    if path.startswith("/v1/audit"):
        return tokens["auditor"]
    if path == "/v1/match":
        return tokens["partner"]
    if path.startswith(("/v1/agencies", "/v1/users", "/v1/sharing-agreements", "/v1/admin")):
        return tokens["admin"]
    return tokens["caseworker"]


def _run(operation: Any, token: str, mode: Any) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES if mode.is_positive else max(EXAMPLES // 3, 5),
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"})

    run()


def test_every_operation_answers_as_its_schema_says(
    api_schema: Any, tokens: tuple[Any, dict[str, str]]
) -> None:
    _, by_role = tokens
    failures: list[str] = []
    operations = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in schemathesis.GenerationMode:  # valid requests, then invalid ones
            try:
                _run(operation, token_for(by_role, operation.path), mode)
            except Unsatisfiable:
                assert not mode.is_positive  # nothing to make invalid (GET /v1/health)
            except BaseException as exc:
                if isinstance(exc, KeyboardInterrupt):
                    raise
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert operations > 20
    assert not failures, "\n\n".join(failures)


def test_stateful_sequences_answer_as_the_schema_says(
    api_schema: Any, tokens: tuple[Any, dict[str, str]]
) -> None:
    _, by_role = tokens
    machine = api_schema.as_state_machine()

    class Workflow(machine):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": {"Authorization": f"Bearer {token_for(by_role, case.path)}"}}

    before = sum(SEEN.values())
    Workflow.run(
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=10,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        )
    )
    print(f"\nstateful sequences sent {sum(SEEN.values()) - before} requests")


def test_report_the_requests_sent() -> None:
    """Prints the figures (pytest -s): how many requests, to how many operations."""
    print(f"\nschemathesis sent {sum(SEEN.values())} requests to {len(SEEN)} paths")
    assert SEEN, "schemathesis sent no request"
