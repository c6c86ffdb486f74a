"""HTTP for the evidence of a case: documents (MRZ checked), interviews, language tests,
face images; erasure. Append-only: a correction names the item it supersedes."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, File, Form, UploadFile, status

from schemas.evidence import (
    DocumentCreate,
    EvidenceCreated,
    EvidenceErased,
    FaceImageCreated,
    InterviewCreate,
    LanguageTestCreate,
)
from service.deps import Caseworker
from service.evidence import service

router = APIRouter(prefix="/v1/cases", tags=["evidence"])


@router.post("/{case_id}/evidence/documents", status_code=status.HTTP_201_CREATED)
def add_document(case_id: UUID, body: DocumentCreate, ctx: Caseworker) -> EvidenceCreated:
    """Add a document. MRZ lines are checked (ICAO 9303 check digits, printed fields);
    a failed check is stored and flagged, never silently accepted."""
    return service.add_document(ctx, case_id, body)


@router.post("/{case_id}/evidence/interviews", status_code=status.HTTP_201_CREATED)
def add_interview(case_id: UUID, body: InterviewCreate, ctx: Caseworker) -> EvidenceCreated:
    """Add interview notes and the claims (names, aliases, dates, places) taken from them."""
    return service.add_interview(ctx, case_id, body)


@router.post("/{case_id}/evidence/language-tests", status_code=status.HTTP_201_CREATED)
def add_language_test(case_id: UUID, body: LanguageTestCreate, ctx: Caseworker) -> EvidenceCreated:
    """Add a language-analysis result: language, dialect, likely region, confidence."""
    return service.add_language_test(ctx, case_id, body)


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
    data = image.file.read(ctx.settings.max_upload_bytes + 1)
    return service.add_face_image(ctx, case_id, data, face_index=face_index)


@router.delete("/{case_id}/evidence/{evidence_id}")
def erase_evidence(case_id: UUID, evidence_id: UUID, ctx: Caseworker) -> EvidenceErased:
    """Erase an item at the end of its retention or on a lawful request. Its data is
    replaced by a tombstone (the item stays listed, marked erased); for a face image the
    encrypted photo, its thumbnail, its embedding and its search-index entry are deleted.
    Audited; an item is erased once (a closed case's too)."""
    return service.erase_evidence(ctx, case_id, evidence_id)
