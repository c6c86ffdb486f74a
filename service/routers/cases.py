"""Cases and their evidence, for the caseworkers of the owning agency."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, File, Query, UploadFile, status

from matching.mrz import compare_mrz_to_printed, parse_mrz
from schemas.cases import (
    CaseCreate,
    CaseListItem,
    CaseRead,
    DocumentCreate,
    EvidenceCreated,
    FaceImageAccepted,
    InterviewCreate,
    LanguageTestCreate,
)
from schemas.common import Page
from service.crypto import KeyRing
from service.deps import Caseworker, Context
from service.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge
from service.pagination import MAX_LIMIT, decode_cursor, encode_cursor
from service.repositories import cases as repo

router = APIRouter(prefix="/v1/cases", tags=["cases"])

_NOT_FOUND = "No case has that id."


@router.post("", status_code=status.HTTP_201_CREATED)
def create_case(body: CaseCreate, ctx: Caseworker) -> CaseRead:
    """Open a case for one unidentified subject, with the subject's own claims."""
    case = repo.insert_case(
        ctx.conn,
        reference=body.reference,
        subject=body.subject.stored(),
        created_by=ctx.principal.user_id,
    )
    if case is None:
        raise Conflict(
            f"Your agency already has a case with the reference '{body.reference}'.",
            code="case_reference_exists",
        )
    ctx.audit("case.create", object_type="case", object_id=case.id)
    return case


@router.get("")
def list_cases(
    ctx: Caseworker,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: str | None = None,
) -> Page[CaseListItem]:
    """Your agency's cases, oldest first."""
    position = decode_cursor(cursor)
    after = None
    if position is not None:
        try:
            after = (datetime.fromisoformat(position[0]), UUID(position[1]))
        except (TypeError, ValueError, IndexError):
            raise InvalidInput(
                "That cursor is not one this API gave out.", code="invalid_cursor"
            ) from None
    items = repo.list_cases(ctx.conn, after=after, limit=limit + 1)
    page = items[:limit]
    next_cursor = (
        encode_cursor([page[-1].created_at.isoformat(), str(page[-1].id)])
        if len(items) > limit
        else None
    )
    ctx.audit("case.list", object_type="case", details={"count": len(page)})
    return Page[CaseListItem](items=page, next_cursor=next_cursor)


def _case(ctx: Context, case_id: UUID) -> CaseRead:
    case = repo.get_case(ctx.conn, case_id)
    if case is None:
        raise NotFound(_NOT_FOUND, code="case_not_found")
    return case


@router.get("/{case_id}")
def get_case(case_id: UUID, ctx: Caseworker) -> CaseRead:
    """The case with summaries of its evidence. Requires X-Purpose; the read is audited."""
    case = _case(ctx, case_id)
    ctx.require_purpose()
    case.evidence = repo.evidence_of(ctx.conn, case_id)
    ctx.audit("case.read", object_type="case", object_id=case_id)
    return case


def _check_supersedes(ctx: Context, case_id: UUID, kind: str, supersedes: UUID | None) -> None:
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


def _add(
    ctx: Context,
    case_id: UUID,
    kind: str,
    data: dict[str, Any],
    checks: dict[str, Any],
    supersedes: UUID | None,
) -> EvidenceCreated:
    _case(ctx, case_id)
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
    _case(ctx, case_id)
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


_IMAGE_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}


def _image_type(head: bytes) -> str | None:
    for magic, content_type in _IMAGE_TYPES.items():
        if head.startswith(magic):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


@router.post("/{case_id}/evidence/face-images", status_code=status.HTTP_202_ACCEPTED)
def add_face_image(
    case_id: UUID, ctx: Caseworker, image: Annotated[UploadFile, File()]
) -> FaceImageAccepted:
    """Upload a face photo (JPEG, PNG or WebP). It is stored encrypted at rest; the
    quality gate and embedding run in the face pipeline."""
    _case(ctx, case_id)
    limit = ctx.settings.max_upload_bytes
    data = image.file.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"The image is larger than {limit} bytes.", code="image_too_large")
    content_type = _image_type(data[:16])
    if content_type is None:
        raise InvalidInput("The upload is not a JPEG, PNG or WebP image.", code="not_an_image")
    keys = (
        KeyRing.parse(ctx.settings.evidence_keys)
        if ctx.settings.evidence_keys
        else KeyRing.from_file(ctx.settings.home / "evidence-keys")
    )
    created = _add(
        ctx,
        case_id,
        "face_image",
        {"status": "face_pipeline_pending", "byte_size": len(data), "content_type": content_type},
        {},
        None,
    )
    sealed = keys.seal(data, associated=created.id.bytes)
    repo.insert_face_image(
        ctx.conn,
        evidence_id=created.id,
        case_id=case_id,
        key_id=sealed.key_id,
        nonce=sealed.nonce,
        ciphertext=sealed.ciphertext,
        content_type=content_type,
        byte_size=len(data),
    )
    return FaceImageAccepted(
        evidence_id=created.id,
        case_id=case_id,
        status="face_pipeline_pending",
        byte_size=len(data),
        content_type=content_type,
    )
