"""Evidence of a case: documents (MRZ checked), interviews, language tests, face images.

Append-only: a correction is a new item that names the one it supersedes.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, File, UploadFile, status

from matching.mrz import compare_mrz_to_printed, parse_mrz
from schemas.evidence import (
    DocumentCreate,
    EvidenceCreated,
    EvidenceKind,
    FaceImageAccepted,
    InterviewCreate,
    LanguageTestCreate,
)
from service.crypto import evidence_key_ring
from service.deps import Caseworker, Context
from service.errors import Conflict, InvalidInput, PayloadTooLarge
from service.repositories import evidence as repo
from service.routers.cases import case_not_found

router = APIRouter(prefix="/v1/cases", tags=["evidence"])


def _require_case(ctx: Context, case_id: UUID) -> None:
    if not repo.case_exists(ctx.conn, case_id):
        raise case_not_found()


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
    _require_case(ctx, case_id)
    limit = ctx.settings.max_upload_bytes
    data = image.file.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"The image is larger than {limit} bytes.", code="image_too_large")
    content_type = _image_type(data[:16])
    if content_type is None:
        raise InvalidInput("The upload is not a JPEG, PNG or WebP image.", code="not_an_image")
    keys = evidence_key_ring(ctx.settings)
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
