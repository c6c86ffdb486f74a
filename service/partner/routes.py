"""HTTP for partner queries: a minimal answer from the galleries shared with the partner."""

from __future__ import annotations

from fastapi import APIRouter

from schemas.matching import PartnerAnswer, PartnerQuery
from service.deps import Partner
from service.partner import service

router = APIRouter(prefix="/v1", tags=["partner"])


@router.post("/match")
def partner_match(body: PartnerQuery, ctx: Partner) -> PartnerAnswer:
    """Query the galleries shared with your agency. The answer holds each candidate's
    reference, score, band and the levels of its features with your own query values;
    never another agency's stored values or images. Requires X-Purpose.

    ``face_image`` (base64 JPEG, PNG or WebP) adds a face: it passes the same quality
    gate as an upload (422 with the reasons when refused), is compared with the faces
    of the shared galleries and is never stored."""
    return service.match(ctx, body)
