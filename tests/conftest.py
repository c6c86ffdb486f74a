"""Fixtures shared by every test: real PostgreSQL, a real broker, the app, agencies.

By default the servers are the embedded ones, started once per test session in a
temporary folder. ``TESSERA_TEST_DATABASE_URL`` (an owner URL on a server with
pgvector) and ``TESSERA_TEST_BROKER_URL`` point the suite at other servers instead.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.ops.cli import bootstrap_admin
from service.ops.embedded import EmbeddedBroker, ensure_database, start_postgres
from service.ops.migrate import app_url, migrate, worker_url
from service.settings import Settings
from tests.integration.workers import WorkerProcess

# The shared data lies beside the clone (as in CI); TESSERA_SHARED_DATA names it
# for a clone made anywhere else.
SHARED_DATA = Path(
    os.environ.get("TESSERA_SHARED_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data"
)
FACES = SHARED_DATA / "faces"


def pytest_sessionstart(session: pytest.Session) -> None:
    """Stop at once, with the reason, when the labelled photos and name pairs are not
    where the tests read them (rather than failing test by test)."""
    if not FACES.is_dir():
        pytest.exit(
            f"The shared test data is not at {SHARED_DATA}: clone beside shared/ (as CI "
            "does) or set TESSERA_SHARED_DATA to its data folder.",
            returncode=4,
        )


@dataclass(frozen=True)
class Servers:
    owner_url: str
    app_url: str
    broker_url: str
    home: Path
    #: The workers' role (machine contexts); tests that act as a worker use it.
    worker_url: str = ""


def free_port() -> int:
    """A TCP port nothing listens on now, chosen by the kernel."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    home = Path(tempfile.mkdtemp(prefix="tessera-test-"))
    base = os.environ.get("TESSERA_TEST_DATABASE_URL") or start_postgres(home)
    name = f"tessera_test_{secrets.token_hex(4)}"
    ensure_database(base, name)
    owner = psycopg.conninfo.make_conninfo(base, dbname=name)
    migrate(owner)
    broker: EmbeddedBroker | None = None
    broker_url = os.environ.get("TESSERA_TEST_BROKER_URL")
    if broker_url is None:
        # a port of this session's own: a worker an earlier, interrupted session left
        # behind keeps reconnecting to its old port and would take this session's jobs
        broker = EmbeddedBroker(home, port=free_port())
        broker_url = broker.url
    yield Servers(
        owner_url=owner,
        app_url=app_url(owner),
        broker_url=broker_url,
        home=home,
        worker_url=worker_url(owner),
    )
    if broker is not None:
        broker.stop()


@pytest.fixture(scope="session")
def settings(servers: Servers) -> Settings:
    return Settings(
        home=servers.home,
        database_url=servers.owner_url,
        app_database_url=servers.app_url,
        broker_url=servers.broker_url,
    )


@pytest.fixture(scope="session")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def admin_token(servers: Servers) -> str:
    return bootstrap_admin(servers.owner_url, "Test administrator")


@pytest.fixture
def owner_conn(servers: Servers) -> Iterator[psycopg.Connection[Any]]:
    """A superuser/owner connection for looking behind the service's back."""
    with psycopg.connect(servers.owner_url, autocommit=True) as conn:
        yield conn


def auth(token: str, purpose: str | None = "test") -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if purpose is not None:
        headers["X-Purpose"] = purpose
    return headers


def import_records(client: TestClient, caseworker: str, records: Sequence[dict[str, Any]]) -> str:
    """Import these records through ``POST /v1/identities/bulk`` as that caseworker;
    the import's id."""
    response = client.post(
        "/v1/identities/bulk",
        content="\n".join(json.dumps(r) for r in records).encode(),
        headers={**auth(caseworker), "Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 200, response.text
    import_id: str = response.json()["import_id"]
    return import_id


@dataclass(frozen=True)
class AgencyUsers:
    """An agency with one token per role (and a second caseworker)."""

    id: UUID
    name: str
    caseworker: str
    caseworker2: str
    partner: str
    auditor: str
    caseworker_id: UUID
    caseworker2_id: UUID


#: The people of a test agency: label, display name, role.
_PEOPLE = (
    ("caseworker", "caseworker", "caseworker"),
    ("caseworker2", "second caseworker", "caseworker"),
    ("partner", "partner", "partner"),
    ("auditor", "auditor", "auditor"),
)


def create_agency(
    client: TestClient,
    admin_token: str,
    country: str = "DEU",
    *,
    name: str | None = None,
    people: dict[str, str] | None = None,
) -> AgencyUsers:
    """An agency with one user per role (and a second caseworker). ``name`` and
    ``people`` (display name by label) make it read like a real one in screenshots."""
    name = name or f"Agency {secrets.token_hex(4)}"
    response = client.post(
        "/v1/agencies", json={"name": name, "country": country}, headers=auth(admin_token)
    )
    assert response.status_code == 201, response.text
    agency_id = UUID(response.json()["id"])
    tokens: dict[str, str] = {}
    ids: dict[str, UUID] = {}
    for label, display, role in _PEOPLE:
        person = (people or {}).get(label, f"{display} of {name}")
        created = client.post(
            "/v1/users",
            json={"agency_id": str(agency_id), "name": person, "role": role},
            headers=auth(admin_token),
        )
        assert created.status_code == 201, created.text
        tokens[label] = created.json()["token"]
        ids[label] = UUID(created.json()["id"])
    return AgencyUsers(
        id=agency_id,
        name=name,
        caseworker_id=ids["caseworker"],
        caseworker2_id=ids["caseworker2"],
        **tokens,
    )


def open_case(
    client: TestClient, token: str, reference: str, subject: dict[str, Any]
) -> dict[str, Any]:
    """A case opened through the API by the caseworker holding ``token``; its body."""
    response = client.post(
        "/v1/cases", json={"reference": reference, "subject": subject}, headers=auth(token)
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def share(
    client: TestClient,
    admin_token: str,
    owner: AgencyUsers,
    partner: AgencyUsers,
    purpose: str = "readmission",
) -> None:
    """An admin-made sharing agreement: ``partner`` may query ``owner``'s galleries."""
    response = client.post(
        "/v1/sharing-agreements",
        headers=auth(admin_token),
        json={
            "owner_agency_id": str(owner.id),
            "partner_agency_id": str(partner.id),
            "purpose": purpose,
        },
    )
    assert response.status_code == 201, response.text


@pytest.fixture(scope="module")
def worker(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerProcess]:
    """A real worker process (Celery, the session's broker and database) for a module."""
    process = WorkerProcess(
        owner_url=servers.owner_url,
        app_url=servers.app_url,
        broker_url=servers.broker_url,
        log=tmp_path_factory.mktemp("worker") / "worker.log",
    )
    process.start()
    yield process
    process.stop()


@pytest.fixture
def agency(client: TestClient, admin_token: str) -> AgencyUsers:
    """A fresh agency of this test's own."""
    return create_agency(client, admin_token)


@pytest.fixture
def other_agency(client: TestClient, admin_token: str) -> AgencyUsers:
    """A second agency, to prove the first one's data stays its own."""
    return create_agency(client, admin_token, country="FRA")


@pytest.fixture
def fresh_database(servers: Servers) -> str:
    """The owner URL of a new, migrated database of this test's own (for destructive tests)."""
    name = f"tessera_fresh_{secrets.token_hex(4)}"
    ensure_database(servers.owner_url, name)
    owner = psycopg.conninfo.make_conninfo(servers.owner_url, dbname=name)
    migrate(owner)
    return owner


@pytest.fixture
def fresh_client(fresh_database: str, servers: Servers) -> Iterator[tuple[TestClient, str]]:
    """An app on a fresh database of this test's own, and that database's owner URL."""
    settings = Settings(
        home=servers.home,
        database_url=fresh_database,
        app_database_url=app_url(fresh_database),
        broker_url=servers.broker_url,
        # checkpoints of this database alone, not those of the session's shared one
        audit_checkpoint_file=Path(tempfile.mkdtemp(prefix="tessera-checkpoints-"))
        / "audit-checkpoints.jsonl",
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client, fresh_database
