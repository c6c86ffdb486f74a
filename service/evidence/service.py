"""Evidence of a case: the rules for adding, superseding and erasing items.

Append-only: a correction is a new item that names the one it supersedes. Every change
queues the case's reindexing in the same transaction.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

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
from service.cases.service import case_not_found, require_case
from service.crypto import Sealed, evidence_key_ring
from service.deps import Context
from service.errors import Conflict, InvalidInput, NotFound
from service.evidence import photos
from service.evidence import repository as repo
from service.indexing.service import queue_case


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
    require_case(ctx, case_id)
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
    queue_case(ctx.conn, ctx.principal.agency_id, case_id)
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


def add_document(ctx: Context, case_id: UUID, body: DocumentCreate) -> EvidenceCreated:
    """Add a document; its MRZ is checked and a failed check stored and flagged."""
    require_case(ctx, case_id)
    checks = mrz_checks(body)
    data = body.model_dump(mode="json", exclude_none=True, exclude={"supersedes"})
    return _add(ctx, case_id, "document", data, checks, body.supersedes)


def add_interview(ctx: Context, case_id: UUID, body: InterviewCreate) -> EvidenceCreated:
    """Add interview notes and the claims taken from them."""
    data = body.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"supersedes"})
    return _add(ctx, case_id, "interview", data, {}, body.supersedes)


def add_language_test(ctx: Context, case_id: UUID, body: LanguageTestCreate) -> EvidenceCreated:
    """Add a language-analysis result."""
    data = body.model_dump(mode="json", exclude_none=True, exclude={"supersedes"})
    return _add(ctx, case_id, "language_test", data, {}, body.supersedes)


def add_face_image(
    ctx: Context, case_id: UUID, data: bytes, *, face_index: int | None
) -> FaceImageCreated:
    """Judge a photo (refused with every reason, nothing stored) and store a usable one
    sealed, with its thumbnail, quality report and embedding."""
    require_case(ctx, case_id)
    picture, report = photos.judge(data, ctx.settings, face_index=face_index)
    quality = report.as_dict()
    kind_of = photos.content_type(data)
    created = _add(
        ctx,
        case_id,
        "face_image",
        {
            "status": "usable",
            "byte_size": len(data),
            "content_type": kind_of,
            "quality": quality,
            "model": photos.MODEL,
        },
        {},
        None,
    )
    photos.store(
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
        model=photos.MODEL,
    )


def erase_evidence(ctx: Context, case_id: UUID, evidence_id: UUID) -> EvidenceErased:
    """Replace an item's data by a tombstone (and delete a face image's biometrics);
    audited; an item is erased once (a closed case's too)."""
    require_case(ctx, case_id, open_only=False)
    found = repo.evidence_for_erasure(ctx.conn, case_id, evidence_id)
    if found is None:
        raise NotFound("This case has no evidence with that id.", code="evidence_not_found")
    kind, erased_at = found
    if erased_at is not None:
        raise Conflict("That item is already erased.", code="already_erased")
    removed = photos.erase(ctx.conn, evidence_id) if kind == "face_image" else []
    removed.append("data")
    when = repo.mark_erased(ctx.conn, evidence_id, {"status": "erased"})
    queue_case(ctx.conn, ctx.principal.agency_id, case_id)
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


# Face thumbnails, for the desk ---------------------------------------------------------------


def thumbnail_ids(ctx: Context, case_id: UUID) -> list[UUID]:
    """The evidence ids of this case's face images that have a thumbnail, oldest first."""
    return repo.thumbnails_of(ctx.conn, case_id)


def read_thumbnail(ctx: Context, case_id: UUID, evidence_id: UUID) -> bytes:
    """The opened thumbnail of a face photo of one of the agency's cases; audited.
    Another agency's photos are out of reach (row-level security)."""
    if not repo.case_exists(ctx.conn, case_id):
        raise case_not_found()
    sealed = repo.face_thumbnail(ctx.conn, case_id, evidence_id)
    if sealed is None:
        raise NotFound("This case has no face image with that id.", code="face_not_found")
    data = evidence_key_ring(ctx.settings).open(
        Sealed(sealed.key_id, sealed.nonce, sealed.ciphertext),
        associated=evidence_id.bytes + b"thumb",
    )
    ctx.audit(
        "evidence.face_image.thumbnail.read",
        object_type="evidence",
        object_id=evidence_id,
        details={"case_id": str(case_id)},
    )
    return data
