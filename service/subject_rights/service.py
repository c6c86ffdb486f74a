"""Subject-access exports and deletion of a case or an identity record.

Deletion erases exactly what the retention sweep erases when a period ends (the
record, its evidence, photos, thumbnails, embeddings, profile, search keys, runs,
candidates and decisions; other cases' candidates that named it lose its reference
and explanation) and leaves one audit event of ids and counts. A case identified by
two confirmations, or a record a case was identified as, is not deleted on request
(409): the identification and who confirmed it are kept until the retention sweep
erases them at the end of the period. The audit log is never touched, so its chain
stays whole.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from schemas.rights import CaseExport, Erased
from service.deps import Context
from service.errors import Conflict, NotFound
from service.subject_rights import repository as repo

_REFUSALS = {
    "case_identified": (
        "This case was identified by two confirmations; the identification is kept until "
        "the case's retention ends, when the retention sweep erases it."
    ),
    "identity_confirmed_match": (
        "A case was identified as this record by two confirmations; the record is kept "
        "until its retention ends, when the retention sweep erases it."
    ),
}


def _case_not_found() -> NotFound:
    return NotFound("Your agency has no case with that id.", code="case_not_found")


def export_case(ctx: Context, case_id: UUID) -> CaseExport:
    """Everything held about the case's subject; audited with the counts."""
    ctx.require_purpose()
    case = repo.case_row(ctx.conn, case_id)
    if case is None:
        raise _case_not_found()
    export = CaseExport(
        exported_at=repo.now(ctx.conn),
        case=case,
        evidence=repo.evidence_of(ctx.conn, case_id),
        match_runs=repo.runs_of(ctx.conn, case_id),
        candidates=repo.candidates_of(ctx.conn, case_id),
        decisions=repo.decisions_of(ctx.conn, case_id),
        audit_events=repo.audit_events_of(ctx.conn, case_id),
    )
    ctx.audit(
        "case.export",
        object_type="case",
        object_id=case_id,
        details={
            "evidence": len(export.evidence),
            "decisions": len(export.decisions),
            "audit_events": len(export.audit_events),
        },
    )
    return export


def _erased(ctx: Context, kind: str, subject_id: UUID, found: Any) -> Erased:
    if "refused" in found:
        code = str(found["refused"])
        raise Conflict(_REFUSALS[code], code=code)
    removed = {k: int(v) for k, v in found.items() if isinstance(v, int)}
    ctx.audit(
        f"{kind}.delete",
        object_type=kind,
        object_id=subject_id,
        details={"reason": "request", "removed": removed},
    )
    return Erased(
        id=subject_id,
        kind=kind,  # type: ignore[arg-type]
        erased_at=repo.now(ctx.conn),
        removed=removed,
    )


def delete_case(ctx: Context, case_id: UUID) -> Erased:
    ctx.require_purpose()
    found = repo.erase_case(ctx.conn, case_id)
    if found is None:
        raise _case_not_found()
    return _erased(ctx, "case", case_id, found)


def delete_identity(ctx: Context, identity_id: UUID) -> Erased:
    ctx.require_purpose()
    found = repo.erase_identity(ctx.conn, identity_id)
    if found is None:
        raise NotFound(
            "Your agency has no identity record with that id.", code="identity_not_found"
        )
    return _erased(ctx, "identity", identity_id, found)
