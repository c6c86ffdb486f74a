"""The retention sweep and the agencies' retention periods.

The sweep erases what passed its retention date: a case with its evidence, photos,
thumbnails, face embeddings, profile, search keys, match runs, candidates and
decisions; an identity record with its profile and keys; an item of evidence whose
period ended before its case's. Copies elsewhere (candidates that named the subject in
other cases' runs, and the decisions taken on them) lose the reference and explanation.
Each erasure is its own transaction with one audit event of ids and counts, never the
content; the sweep ends with a summary event. Two sweeps never run together (an
advisory lock), so several beats on one database are harmless.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import psycopg

from schemas.rights import RETENTION_KINDS, RetentionRead, RetentionUpdate
from service.audit import service as audit
from service.db import Conn, Principal, set_context
from service.deps import Context
from service.errors import NotFound
from service.retention import repository as repo

log = logging.getLogger(__name__)

NIL = UUID(int=0)
#: Batch of due rows listed at a time, per kind.
BATCH = 200


def retention_principal(agency_id: UUID = NIL) -> Principal:
    """The sweep acts as role 'retention', for the agency whose data it erases."""
    return Principal(user_id=NIL, agency_id=agency_id, role="retention")


@dataclass
class SweepResult:
    as_of: datetime
    ran: bool = True
    erased: dict[str, int] = field(
        default_factory=lambda: {"case": 0, "identity": 0, "evidence": 0}
    )
    removed: dict[str, int] = field(default_factory=dict)
    failed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "ran": self.ran,
            "erased": dict(self.erased),
            "removed": dict(self.removed),
            "failed": self.failed,
        }


def _erase_one(conn: Conn, item: repo.Due) -> dict[str, int] | None:
    """Erase one due item in the caller's transaction; its counts, or None if gone."""
    principal = retention_principal(item.agency_id)
    set_context(conn, principal)
    if item.kind == "case":
        found = repo.erase_case(conn, item.id, refuse_confirmed=False)
    elif item.kind == "identity":
        found = repo.erase_identity(conn, item.id, refuse_confirmed=False)
    else:
        found = repo.erase_evidence(conn, item.id)
    if found is None:
        return None
    counts = {k: int(v) for k, v in found.items() if isinstance(v, int)}
    details: dict[str, Any] = {"reason": "retention", "removed": counts}
    object_type = item.kind
    if item.kind == "evidence":
        case_id = UUID(str(found["case_id"]))
        details["case_id"] = str(case_id)
        details["kind"] = found["kind"]
        repo.queue_case_reindex(conn, item.agency_id, case_id)
    audit.append(
        conn,
        principal,
        f"retention.erase.{item.kind}",
        object_type=object_type,
        object_id=item.id,
        details=details,
    )
    return counts


def sweep(url: str, *, now: datetime | None = None) -> SweepResult:
    """Erase everything whose retention passed at ``now`` (default: the present).

    ``url`` is the service role's database URL. Runs until nothing is due; returns the
    counts. If another sweep holds the lock, returns at once with ``ran`` false.
    """
    as_of = now or datetime.now(UTC)
    result = SweepResult(as_of=as_of)
    with psycopg.connect(url, autocommit=True) as conn:
        if not repo.try_lock_sweep(conn):
            result.ran = False
            return result
        try:
            done: set[tuple[str, UUID]] = set()  # erased, gone or failed: not listed again
            while True:
                with conn.transaction():
                    set_context(conn, retention_principal())
                    items = [i for i in repo.due(conn, as_of, BATCH) if (i.kind, i.id) not in done]
                if not items:
                    break
                for item in items:
                    done.add((item.kind, item.id))
                    try:
                        with conn.transaction():
                            counts = _erase_one(conn, item)
                    except psycopg.Error:
                        log.exception("retention: erasing %s %s failed", item.kind, item.id)
                        result.failed += 1
                        continue
                    if counts is None:
                        continue
                    result.erased[item.kind] += 1
                    for key, n in counts.items():
                        result.removed[key] = result.removed.get(key, 0) + n
            with conn.transaction():
                principal = retention_principal()
                set_context(conn, principal)
                audit.append(
                    conn,
                    principal,
                    "retention.sweep",
                    details={
                        "as_of": as_of.isoformat(),
                        "erased": result.erased,
                        "removed": result.removed,
                        "failed": result.failed,
                    },
                )
        finally:
            repo.unlock_sweep(conn)
    log.info("retention sweep as of %s: %s", as_of.isoformat(), result.as_dict())
    return result


def read_periods(ctx: Context, agency_id: UUID) -> RetentionRead:
    if not repo.agency_exists(ctx.conn, agency_id):
        raise NotFound("There is no agency with that id.", code="agency_not_found")
    return RetentionRead(agency_id=agency_id, periods=repo.periods(ctx.conn, agency_id))


def set_periods(ctx: Context, agency_id: UUID, body: RetentionUpdate) -> RetentionRead:
    """Set the agency's periods (admin); audited with the kinds and days."""
    if not repo.agency_exists(ctx.conn, agency_id):
        raise NotFound("There is no agency with that id.", code="agency_not_found")
    changed: dict[str, Any] = {}
    for kind in RETENTION_KINDS:
        days = getattr(body, kind)
        if days is not None:
            repo.set_period(ctx.conn, agency_id, kind, days, ctx.principal.user_id)
            changed[kind] = days
    ctx.audit("retention.set", object_type="agency", object_id=agency_id, details=changed)
    return RetentionRead(agency_id=agency_id, periods=repo.periods(ctx.conn, agency_id))
