"""Evidence of a case: documents (MRZ checked), interviews, language tests, face images.

Append-only: a correction is a new item that names the one it supersedes.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, File, Form, UploadFile, status

from matching.mrz import compare_mrz_to_printed, parse_mrz
from schemas.evidence import (
    DocumentCreate,
    EvidenceCreated,
    EvidenceErased,
    EvidenceKind,
    FaceImageCreated,
    InterviewCreate,
    LanguageTestCreate,
)
from service import faces
from service.deps import Caseworker, Context
from service.errors import Conflict, InvalidInput, NotFound
from service.repositories import cases as cases_repo
from service.repositories import evidence as repo
from service.repositories.pipeline import enqueue
from service.routers.cases import case_closed, case_not_found

router = APIRouter(prefix="/v1/cases", tags=["evidence"])


def _require_case(ctx: Context, case_id: UUID, *, open_only: bool = True) -> None:
    state = cases_repo.case_state(ctx.conn, case_id)
    if state is None:
        raise case_not_found()
    if open_only and state == "closed":
        raise case_closed()


def _check_supersedes(
    ctx: Context, case_id: UUID, kind: EvidenceKind, supersedes: UUID | None
) -> None:
    if supersedes is None:
        return
    found = repo.evidence_kind(ctx.conn, case_id, supersedes)
    if found is None or found[0] != kind:
        raise InvalidInput(
            f"'supersedes' must name an earlier {kind} of this case.", code="invalid_supersedes"
        )
    if found[1]:
        raise Conflict(
            "That item was already superseded; supersede the newest one.", code="already_superseded"
        )


def _reindex_case(ctx: Context, case_id: UUID) -> None:
    """Every evidence change may change what the case is matched on: its profile is
    rebuilt through the outbox, in this request's transaction (a no-op if unchanged)."""
    enqueue(ctx.conn, ctx.principal.agency_id, "index_subjects", {"cases": [str(case_id)]})


def _add(
    ctx: Context,
    case_id: UUID,
    kind: EvidenceKind,
    data: dict[str, Any],
    checks: dict[str, Any],
    supersedes: UUID | None,
) -> EvidenceCreated:
    _require_case(ctx, case_id)
    _check_supersedes(ctx, case_id, kind, supersedes)
    evidence_id, created_at = repo.insert_evidence(
        ctx.conn,
        case_id=case_id,
        kind=kind,
        data=data,
        checks=checks,
        supersedes=supersedes,
        created_by=ctx.principal.user_id,
    )
    _reindex_case(ctx, case_id)
    ctx.audit(
        f"evidence.{kind}.add",
        object_type="evidence",
        object_id=evidence_id,
        details={
            "case_id": str(case_id),
            "supersedes": str(supersedes) if supersedes else None,
            "flags": sorted(checks.get("flags", [])),
        },
    )
    return EvidenceCreated(
        id=evidence_id,
        case_id=case_id,
        kind=kind,
        created_at=created_at,
        supersedes=supersedes,
        checks=checks,
    )


def mrz_checks(body: DocumentCreate) -> dict[str, Any]:
    """ICAO 9303 check digits and agreement with the printed fields; impossible MRZs refused."""
    if body.mrz is None:
        return {}
    result = parse_mrz(body.mrz)
    if result.format is None or "mrz_invalid_characters" in result.errors:
        raise InvalidInput(
            "The MRZ lines are not a TD1 (3×30), TD2 (2×36) or TD3 (2×44) zone of A–Z, 0–9 "
            "and '<'.",
            code="invalid_mrz",
        )
    printed = body.model_dump(mode="json", exclude_none=True)
    mismatches = compare_mrz_to_printed(result, printed)
    problems = list(result.errors) + [m.code for m in mismatches]
    return {
        "mrz": {
            "format": result.format,
            "valid": result.valid and not mismatches,
            "errors": list(result.errors),
            "mismatches": [
                {"field": m.field, "code": m.code, "mrz": m.mrz, "printed": m.printed}
                for m in mismatches
            ],
            "fields": {
                "document_number": result.document_number,
                "issuer": result.issuer,
                "surname": result.surname,
                "given_names": result.given_names,
                "birth_date": result.birth_date,
                "sex": result.sex,
                "nationality": result.nationality,
                "expiry_date": result.expiry_date,
            },
        },
        "flags": problems,
    }


@router.post("/{case_id}/evidence/documents", status_code=status.HTTP_201_CREATED)
def add_document(case_id: UUID, body: DocumentCreate, ctx: Caseworker) -> EvidenceCreated:
    """Add a document. MRZ lines are checked (ICAO 9303 check digits, printed fields);
    a failed check is stored and flagged, never silently accepted."""
    _require_case(ctx, case_id)
    checks = mrz_checks(body)
    data = body.model_dump(mode="json", exclude_none=True, exclude={"supersedes"})
    return _add(ctx, case_id, "document", data, checks, body.supersedes)


@router.post("/{case_id}/evidence/interviews", status_code=status.HTTP_201_CREATED)
def add_interview(case_id: UUID, body: InterviewCreate, ctx: Caseworker) -> EvidenceCreated:
    """Add interview notes and the claims (names, aliases, dates, places) taken from them."""
    data = body.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"supersedes"})
    return _add(ctx, case_id, "interview", data, {}, body.supersedes)


@router.post("/{case_id}/evidence/language-tests", status_code=status.HTTP_201_CREATED)
def add_language_test(case_id: UUID, body: LanguageTestCreate, ctx: Caseworker) -> EvidenceCreated:
    """Add a language-analysis result: language, dialect, likely region, confidence."""
    data = body.model_dump(mode="json", exclude_none=True, exclude={"supersedes"})
    return _add(ctx, case_id, "language_test", data, {}, body.supersedes)


@router.post("/{case_id}/evidence/face-images", status_code=status.HTTP_201_CREATED)
def add_face_image(
    case_id: UUID,
    ctx: Caseworker,
    image: Annotated[UploadFile, File()],
    face_index: Annotated[int | None, Form()] = None,
) -> FaceImageCreated:
    """Upload a face photo (JPEG, PNG or WebP). It is decoded and judged now: a photo
    that is not a readable image, or whose face is missing, several, too small, blurred,
    too dark or bright or turned away, is refused (422, 413 when too large) with every
    reason, its measured value and limit, and nothing is stored. A usable photo is
    stored encrypted with a thumbnail, its quality report and its face embedding.
    ``face_index`` picks one face (from the left, counting from 0) of a group photo."""
    _require_case(ctx, case_id)
    limit = ctx.settings.max_upload_bytes
    data = image.file.read(limit + 1)
    picture, report = faces.judge(data, ctx.settings, face_index=face_index)
    quality = report.as_dict()
    kind_of = faces.content_type(data)
    created = _add(
        ctx,
        case_id,
        "face_image",
        {
            "status": "usable",
            "byte_size": len(data),
            "content_type": kind_of,
            "quality": quality,
            "model": faces.MODEL,
        },
        {},
        None,
    )
    faces.store(
        ctx.conn,
        ctx.settings,
        evidence_id=created.id,
        case_id=case_id,
        data=data,
        image=picture,
        report=report,
    )
    return FaceImageCreated(
        evidence_id=created.id,
        case_id=case_id,
        status="usable",
        byte_size=len(data),
        content_type=kind_of,
        quality=quality,
        model=faces.MODEL,
    )


@router.delete("/{case_id}/evidence/{evidence_id}")
def erase_evidence(case_id: UUID, evidence_id: UUID, ctx: Caseworker) -> EvidenceErased:
    """Erase an item at the end of its retention or on a lawful request. Its data is
    replaced by a tombstone (the item stays listed, marked erased); for a face image the
    encrypted photo, its thumbnail, its embedding and its search-index entry are deleted.
    Audited; an item is erased once (a closed case's too)."""
    _require_case(ctx, case_id, open_only=False)
    found = repo.evidence_for_erasure(ctx.conn, case_id, evidence_id)
    if found is None:
        raise NotFound("This case has no evidence with that id.", code="evidence_not_found")
    kind, erased_at = found
    if erased_at is not None:
        raise Conflict("That item is already erased.", code="already_erased")
    removed = faces.erase(ctx.conn, evidence_id) if kind == "face_image" else []
    removed.append("data")
    when = repo.mark_erased(ctx.conn, evidence_id, {"status": "erased"})
    _reindex_case(ctx, case_id)
    ctx.audit(
        f"evidence.{kind}.erase",
        object_type="evidence",
        object_id=evidence_id,
        details={"case_id": str(case_id), "removed": removed},
    )
    return EvidenceErased(
        evidence_id=evidence_id,
        case_id=case_id,
        kind=kind,  # type: ignore[arg-type]
        erased_at=when,
        removed=removed,
    )
