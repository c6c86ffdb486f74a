"""Partner queries: the same blocking and scoring, a minimal answer, an audited trace."""

from __future__ import annotations

import hashlib
import json

from schemas.matching import ExplanationItem, PartnerAnswer, PartnerCandidate, PartnerQuery
from service.deps import Context
from service.evidence.photos import query_embedding
from service.indexing import repository as index_repo
from service.indexing.algorithm import ALGORITHM, matcher
from service.indexing.search import explanation, find_candidates


def match(ctx: Context, body: PartnerQuery) -> PartnerAnswer:
    """Query the galleries shared with the partner's agency: each candidate's reference,
    score, band and feature levels with the partner's own query values; never another
    agency's stored values or images. Requires a purpose; the query is audited by its
    digest, never stored. A query photo passes the upload's quality gate."""
    purpose = ctx.require_purpose()
    faces = []
    if body.face_image is not None:
        faces.append(query_embedding(body.face_image, ctx.settings))
    person = body.person.stored()
    scored, timings, blocked = find_candidates(
        ctx.conn, person, matcher=matcher(), faces=faces, limit=body.limit
    )
    candidates = [
        PartnerCandidate(
            kind=item.stored.subject_kind,
            ref=item.stored.ref if item.stored.subject_kind == "identity" else None,
            score=round(item.result.probability, 6),
            band=item.result.band,
            match_weight=round(item.result.match_weight, 4),
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
        gallery_version=index_repo.gallery_version(ctx.conn),
        pending_index=index_repo.pending_index(ctx.conn),
        candidates=candidates,
    )
