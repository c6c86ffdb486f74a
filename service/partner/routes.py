"""HTTP for partner queries: a minimal answer from the galleries shared with the partner."""

from __future__ import annotations

from fastapi import APIRouter

from schemas.matching import PartnerAnswer, PartnerQuery
from service.partner import service
from service.partner.limits import RateLimitedPartner

router = APIRouter(prefix="/v1", tags=["partner"])


@router.post("/match")
def partner_match(body: PartnerQuery, ctx: RateLimitedPartner) -> PartnerAnswer:
    """Query the galleries shared with your agency. The answer holds each candidate's
    reference, score, band and the levels of its features with your own query values;
    never another agency's stored values or images. Requires X-Purpose.

    ``face_image`` (base64 JPEG, PNG or WebP) adds a face: it passes the same quality
    gate as an upload (422 with the reasons when refused), is compared with the faces
    of the shared galleries and is never stored.

    The query reaches the galleries whose sharing agreement allows the stated purpose
    (the agreement's purpose, or it followed by more words; 403 purpose_not_allowed when
    the agency has agreements and none allows it). Each partner agency may make a set
    number of queries per window (429 rate_limited with Retry-After past it); while
    matching is suspended the query is refused (503 matching_suspended)."""
    return service.match(ctx, body)
