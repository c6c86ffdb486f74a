"""Face images of a case: the quality gate at upload, storage, and erasure.

A photo is decoded and judged in the request, so the caseworker learns at once why a
photo cannot be used; a refused photo leaves nothing behind. A usable one is stored
sealed (original and thumbnail), with its quality report and its face embedding.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from uuid import UUID

from matching.faces import (
    ImageRefused,
    QualityReport,
    assess_quality,
    decode_image,
    embed,
    strip_and_thumbnail,
)
from service.crypto import evidence_key_ring
from service.db import Conn
from service.errors import InvalidInput, PayloadTooLarge
from service.evidence import repository as repo
from service.indexing.algorithm import FACE_CONFIG
from service.indexing.service import index_case
from service.settings import Settings

#: Recorded beside every embedding: which network made it, under which configuration.
MODEL = f"dlib_face_recognition_resnet_model_v1/faces-{FACE_CONFIG.version}"


def content_type(data: bytes) -> str:
    """The media type of an image ``decode_image`` accepted (JPEG, PNG or WebP)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return "image/webp"


def refused(exc: ImageRefused) -> InvalidInput | PayloadTooLarge:
    """The API error for a photo that could not be decoded (413 when too large)."""
    extra: dict[str, Any] = {}
    if exc.measured is not None:
        extra["measured"] = exc.measured
    if exc.limit is not None:
        extra["limit"] = exc.limit
    if exc.code == "image_too_large":
        return PayloadTooLarge(f"The image was refused: {exc}.", code=exc.code, **extra)
    return InvalidInput(f"The image was refused: {exc}.", code=exc.code, **extra)


def unusable(report: QualityReport) -> InvalidInput:
    """The API error for a photo the quality gate refused, with every reason."""
    quality = report.as_dict()
    return InvalidInput(
        "The photo cannot be used for matching: " + "; ".join(r.message for r in report.refusals),
        code=report.code,
        refusals=quality["refusals"],
        quality=quality,
    )


def judge(data: bytes, settings: Settings, *, face_index: int | None) -> tuple[Any, QualityReport]:
    """Decode and assess a photo; raise the API error that says why it is refused."""
    try:
        image = decode_image(
            data, max_bytes=settings.max_upload_bytes, max_pixels=settings.max_image_pixels
        )
    except ImageRefused as exc:
        raise refused(exc) from None
    if face_index is not None and face_index < 0:
        raise InvalidInput("'face_index' counts faces from 0.", code="invalid_face_index")
    try:
        report = assess_quality(image, face_index=face_index)
    except IndexError as exc:  # face_index beyond the faces found
        raise InvalidInput(
            f"'face_index' names no face in this photo: {exc}.", code="invalid_face_index"
        ) from None
    if not report.ok:
        raise unusable(report)
    return image, report


def store(
    conn: Conn,
    settings: Settings,
    *,
    evidence_id: UUID,
    case_id: UUID,
    data: bytes,
    image: Any,
    report: QualityReport,
) -> None:
    """Seal the original and the thumbnail, store the report and the embedding."""
    assert report.face is not None
    vector = embed(image, report.face)
    keys = evidence_key_ring(settings)
    sealed = keys.seal(data, associated=evidence_id.bytes)
    # the thumbnail is bound to the same item, under a context of its own
    thumb = keys.seal(strip_and_thumbnail(image), associated=evidence_id.bytes + b"thumb")
    repo.insert_face_image(
        conn,
        evidence_id=evidence_id,
        case_id=case_id,
        key_id=sealed.key_id,
        nonce=sealed.nonce,
        ciphertext=sealed.ciphertext,
        thumb_nonce=thumb.nonce,
        thumb_ciphertext=thumb.ciphertext,
        content_type=content_type(data),
        byte_size=len(data),
        quality=report.as_dict(),
    )
    repo.insert_face_embedding(
        conn,
        evidence_id=evidence_id,
        case_id=case_id,
        embedding=[float(x) for x in vector],
        model=MODEL,
    )
    # Index the case now, so its face is found by other cases' runs even before the
    # case is matched itself.
    indexed = index_case(conn, case_id)
    assert indexed is not None


def erase(conn: Conn, evidence_id: UUID) -> list[str]:
    """Remove an item's biometrics: sealed image, thumbnail, embedding and index entry."""
    return repo.erase_face_data(conn, evidence_id)


def query_embedding(encoded: str, settings: Settings) -> list[float]:
    """The face embedding of a query photo sent as base64: decoded and judged like an
    upload, embedded, and then forgotten (never stored)."""
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("'face_image' is not base64.", code="invalid_face_image") from None
    image, report = judge(data, settings, face_index=None)
    assert report.face is not None
    return [float(x) for x in embed(image, report.face)]
