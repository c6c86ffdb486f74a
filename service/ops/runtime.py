"""Resolve the servers a command talks to, starting the embedded ones where no URL is set."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from service.ops.embedded import EmbeddedBroker, start_postgres
from service.ops.migrate import app_url, worker_url
from service.settings import Settings


@dataclass
class Runtime:
    owner_url: str
    app_url: str
    worker_url: str
    broker_url: str | None
    broker: EmbeddedBroker | None = None

    def settings(self, base: Settings) -> Settings:
        """``base`` with every URL filled in, for the app and the worker."""
        return base.model_copy(
            update={
                "database_url": self.owner_url,
                "app_database_url": self.app_url,
                "worker_database_url": self.worker_url,
                "broker_url": self.broker_url,
            }
        )

    def env(self) -> dict[str, str]:
        """Environment variables that point a child process at the same servers."""
        env = {
            "TESSERA_DATABASE_URL": self.owner_url,
            "TESSERA_APP_DATABASE_URL": self.app_url,
            "TESSERA_WORKER_DATABASE_URL": self.worker_url,
        }
        if self.broker_url:
            env["TESSERA_BROKER_URL"] = self.broker_url
        return env

    def close(self) -> None:
        if self.broker is not None:
            self.broker.stop()


def resolve(settings: Settings, *, with_broker: bool) -> Runtime:
    """URLs from the settings, or embedded servers under ``settings.home``."""
    home = Path(settings.home)
    owner = settings.database_url or start_postgres(home, shared_buffers=settings.pg_shared_buffers)
    application = settings.app_database_url or app_url(owner, settings.app_db_password)
    workers = settings.worker_database_url or worker_url(owner, settings.worker_db_password)
    broker: EmbeddedBroker | None = None
    broker_url = settings.broker_url
    if with_broker and broker_url is None:
        broker = EmbeddedBroker(home)
        broker_url = broker.url
    return Runtime(
        owner_url=owner,
        app_url=application,
        worker_url=workers,
        broker_url=broker_url,
        broker=broker,
    )


def audit_key_path(settings: Settings) -> Path:
    """Where the checkpoint signing key lives."""
    return settings.audit_key_file or Path(settings.home) / "audit-signing-key.pem"


def audit_checkpoint_path(settings: Settings) -> Path:
    """Where signed checkpoints are published (one JSON line each)."""
    return settings.audit_checkpoint_file or Path(settings.home) / "audit-checkpoints.jsonl"
