"""The deployment under test: started by `.ci/deploy up` once for this package and
stopped by `.ci/deploy down` when its last test is over (also when one fails), so the
rest of a whole-suite run does not share the machine with it. ``TESSERA_DEPLOYMENT_DIR``
names one already running (`.ci/deploy test` does this), which is then left running."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import httpx
import pytest

from tests.deployment import stack


@pytest.fixture(scope="package")
def deployment(request: pytest.FixtureRequest) -> Iterator[stack.Deployment]:
    folder = os.environ.get("TESSERA_DEPLOYMENT_DIR")
    if folder:
        yield stack.attach(Path(folder))
        return
    running = stack.up()
    try:
        yield running
    finally:
        left = stack.down(running)
    assert left == [], f"still running after .ci/deploy down: {left} ({running.folder})"
    if request.session.testsfailed:
        print(f"\nthe deployment's logs are in {running.folder / 'logs'}")
    else:
        shutil.rmtree(running.folder)


@pytest.fixture(scope="package")
def api1(deployment: stack.Deployment) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=deployment.api1, timeout=60) as client:
        yield client


@pytest.fixture(scope="package")
def api2(deployment: stack.Deployment) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=deployment.api2, timeout=60) as client:
        yield client


@pytest.fixture(scope="package")
def admin_token(deployment: stack.Deployment) -> str:
    """An admin made by `tessera admin bootstrap` against the deployment's database."""
    return deployment.cli("admin", "bootstrap", "--name", "Deployment test admin").split()[-1]


def auth(token: str, purpose: str | None = "deployment test") -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if purpose is not None:
        headers["X-Purpose"] = purpose
    return headers


@dataclass(frozen=True)
class Agency:
    id: UUID
    caseworker: str
    partner: str
    auditor: str


def make_agency(api: httpx.Client, admin_token: str, country: str) -> Agency:
    """An agency with a caseworker, a partner and an auditor, made over HTTP."""
    created = api.post(
        "/v1/agencies",
        json={"name": f"Agency {secrets.token_hex(4)}", "country": country},
        headers=auth(admin_token),
    )
    assert created.status_code == 201, created.text
    agency_id = created.json()["id"]
    tokens = {}
    for role in ("caseworker", "partner", "auditor"):
        user = api.post(
            "/v1/users",
            json={"agency_id": agency_id, "name": f"{role} {agency_id[:8]}", "role": role},
            headers=auth(admin_token),
        )
        assert user.status_code == 201, user.text
        tokens[role] = user.json()["token"]
    return Agency(id=UUID(agency_id), **tokens)


@pytest.fixture(scope="package")
def agency_a(api1: httpx.Client, admin_token: str) -> Agency:
    return make_agency(api1, admin_token, "DEU")


@pytest.fixture(scope="package")
def agency_b(api2: httpx.Client, admin_token: str) -> Agency:
    return make_agency(api2, admin_token, "FRA")
