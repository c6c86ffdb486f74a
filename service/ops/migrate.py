"""Apply the numbered plain-SQL files in ``migrations/`` in order.

Each applied file is recorded with its SHA-256; an applied file that was edited
afterwards is refused, so every database can say exactly which schema it runs.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

APP_ROLE = "tessera_app"
#: The workers' role: tessera_app's grants, and it may also act as a machine (system,
#: worker, retention; migration 0019). The API never connects as it.
WORKER_ROLE = "tessera_worker"
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
_FILE_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_LOCK_KEY = 7_341_001


class MigrationError(RuntimeError):
    """A migration could not be applied, or an applied one was changed."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    text: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


def discover(folder: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migration files in ``folder``, in order; a gap or a duplicate number is an error."""
    found: list[Migration] = []
    for path in sorted(folder.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise MigrationError(f"{path.name}: migration files are named NNNN_words.sql")
        found.append(Migration(int(match.group(1)), path.name, path.read_text("utf-8")))
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise MigrationError(f"{migration.name}: expected migration number {expected:04d}")
    return found


def migrate(
    owner_url: str, *, app_password: str | None = None, worker_password: str | None = None
) -> list[str]:
    """Bring the database at ``owner_url`` up to date; return the names applied now."""
    applied_now: list[str] = []
    with psycopg.connect(owner_url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
        try:
            _ensure_role(conn, APP_ROLE, app_password)
            _ensure_role(conn, WORKER_ROLE, worker_password)
            conn.execute(
                sql.SQL("GRANT {} TO {}").format(
                    sql.Identifier(APP_ROLE), sql.Identifier(WORKER_ROLE)
                )
            )
            conn.execute(
                """CREATE TABLE IF NOT EXISTS schema_migrations (
                       version    integer PRIMARY KEY,
                       name       text NOT NULL,
                       checksum   text NOT NULL,
                       applied_at timestamptz NOT NULL DEFAULT now())"""
            )
            rows = conn.execute("SELECT version, name, checksum FROM schema_migrations").fetchall()
            recorded = {version: (name, checksum) for version, name, checksum in rows}
            for migration in discover():
                if migration.version in recorded:
                    name, checksum = recorded[migration.version]
                    if checksum != migration.checksum:
                        raise MigrationError(
                            f"{migration.name} was edited after it was applied as {name}; "
                            "add a new migration instead"
                        )
                    continue
                with conn.transaction():
                    conn.execute(migration.text.encode())
                    conn.execute(
                        "INSERT INTO schema_migrations (version, name, checksum) "
                        "VALUES (%s, %s, %s)",
                        (migration.version, migration.name, migration.checksum),
                    )
                applied_now.append(migration.name)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))
    return applied_now


def app_url(owner_url: str, password: str | None = None) -> str:
    """The URL of the service role on the same server and database as ``owner_url``."""
    return role_url(owner_url, APP_ROLE, password)


def worker_url(owner_url: str, password: str | None = None) -> str:
    """The URL of the workers' role on the same server and database as ``owner_url``."""
    return role_url(owner_url, WORKER_ROLE, password)


def role_url(url: str, role: str, password: str | None = None) -> str:
    """``url`` with its user replaced by ``role`` (and its password by ``password``)."""
    params = conninfo_to_dict(url)
    params["user"] = role
    params.pop("password", None)
    if password:
        params["password"] = password
    return make_conninfo("", **{k: v for k, v in params.items() if v is not None})


def _ensure_role(
    conn: psycopg.Connection[tuple[object, ...]], name: str, password: str | None
) -> None:
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
    role = sql.Identifier(name)
    if exists is None:
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS").format(
                role
            )
        )
    if password:
        conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(role, sql.Literal(password)))
