"""A Tessera stack for benchmarks: embedded PostgreSQL and Valkey, the API and workers
as separate processes, and an admin client."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.ops.cli import bootstrap_admin  # noqa: E402
from service.ops.embedded import EmbeddedBroker, start_postgres  # noqa: E402
from service.ops.migrate import app_url, migrate  # noqa: E402


@dataclass
class Stack:
    owner_url: str
    broker: EmbeddedBroker
    base_url: str
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def app_url(self) -> str:
        return app_url(self.owner_url)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=300)

    def admin_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {bootstrap_admin(self.owner_url, 'bench')}"}

    def user(
        self, client: httpx.Client, admin: dict[str, str], agency_id: str, role: str
    ) -> tuple[dict[str, str], str]:
        made = client.post(
            "/v1/users",
            headers=admin,
            json={"agency_id": agency_id, "name": f"bench {role}", "role": role},
        )
        made.raise_for_status()
        return {"Authorization": f"Bearer {made.json()['token']}"}, made.json()["id"]

    def agency(self, client: httpx.Client, admin: dict[str, str], name: str) -> dict[str, Any]:
        made = client.post(
            "/v1/agencies",
            headers=admin,
            json={"name": f"{name} {time.time_ns()}", "country": "DEU"},
        )
        made.raise_for_status()
        agency: dict[str, Any] = made.json()
        return agency

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        self.broker.stop()


def start(home: Path, *, port: int, workers: int) -> Stack:
    """Start everything under ``home`` and wait for the API to answer."""
    home.mkdir(parents=True, exist_ok=True)
    owner = start_postgres(home)
    migrate(owner)
    broker = EmbeddedBroker(home)
    env = {
        **os.environ,
        "TESSERA_DATABASE_URL": owner,
        "TESSERA_APP_DATABASE_URL": app_url(owner),
        "TESSERA_BROKER_URL": broker.url,
        "TESSERA_HOME": str(home),
    }
    logs = home / "logs"
    logs.mkdir(exist_ok=True)
    stack = Stack(owner_url=owner, broker=broker, base_url=f"http://127.0.0.1:{port}")
    stack.processes.append(
        subprocess.Popen(
            [sys.executable, "-m", "service.ops.cli", "api", "--port", str(port)],
            env=env,
            stdout=(logs / "api.log").open("ab"),
            stderr=subprocess.STDOUT,
        )
    )
    for number in range(workers):
        stack.processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "service.ops.cli", "worker"],
                env=env,
                stdout=(logs / f"worker{number}.log").open("ab"),
                stderr=subprocess.STDOUT,
            )
        )
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(stack.base_url + "/v1/health", timeout=2).status_code == 200:
                return stack
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            stack.stop()
            raise RuntimeError("the API did not come up; see " + str(logs / "api.log"))
        time.sleep(0.3)
