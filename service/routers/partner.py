"""Partner queries: the same blocking and scoring, a minimal answer, an audited trace."""

from __future__ import annotations

import hashlib
import json

from fastapi import APIRouter

from schemas.matching import ExplanationItem, PartnerAnswer, PartnerCandidate, PartnerQuery
from service.deps import Partner
from service.faces import query_embedding
from service.pipeline import ALGORITHM, explanation, find_candidates, unread_name_parts
from service.repositories import pipeline as repo

router = APIRouter(prefix="/v1", tags=["partner"])


@router.post("/match")
def partner_match(body: PartnerQuery, ctx: Partner) -> PartnerAnswer:
    """Query the galleries shared with your agency. The answer holds each candidate's
    reference, score, band and the levels of its features with your own query values;
    never another agency's stored values or images. Requires X-Purpose.

    ``face_image`` (base64 JPEG, PNG or WebP) adds a face: it passes the same quality
    gate as an upload (422 with the reasons when refused), is compared with the faces
    of the shared galleries and is never stored."""
    purpose = ctx.require_purpose()
    faces = []
    if body.face_image is not None:
        faces.append(query_embedding(body.face_image, ctx.settings))
    person = body.person.stored()
    scored, timings, blocked = find_candidates(ctx.conn, person, faces=faces, limit=body.limit)
    candidates = [
        PartnerCandidate(
            kind=item.stored.subject_kind,
            ref=item.stored.ref if item.stored.subject_kind == "identity" else None,
            score=round(item.result.probability, 6),
            band=item.result.band,
            match_weight=round(item.result.match_weight, 4),
            unread_parts=item.unread_parts,
            explanation=[
                ExplanationItem(**e) for e in explanation(item.result, disclose_candidate=False)
            ],
        )
        for item in scored
    ]
    canonical = json.dumps(person, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    ctx.audit(
        "partner.match",
        object_type="query",
        details={
            "query_sha256": hashlib.sha256(canonical.encode()).hexdigest(),
            "purpose": purpose,
            "refs": [c.ref for c in candidates],
            "algorithm": ALGORITHM,
            "face_query": bool(faces),
            "blocked": blocked,
            **timings,
        },
    )
    return PartnerAnswer(
        algorithm=ALGORITHM,
        gallery_version=repo.gallery_version(ctx.conn),
        pending_index=repo.pending_index(ctx.conn),
        unread_parts=unread_name_parts(person),
        candidates=candidates,
    )
