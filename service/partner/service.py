"""Partner queries: the same blocking and scoring, a minimal answer, an audited trace."""

from __future__ import annotations

import hashlib
import json

from schemas.matching import ExplanationItem, PartnerAnswer, PartnerCandidate, PartnerQuery
from service.deps import Context
from service.errors import Forbidden, Unavailable
from service.evidence.photos import query_embedding
from service.indexing import repository as index_repo
from service.indexing.algorithm import ALGORITHM, matcher
from service.indexing.search import explanation, find_candidates, unread_name_parts
from service.partner import repository as partner_queries
from service.runs.service import matching_suspended


def match(ctx: Context, body: PartnerQuery) -> PartnerAnswer:
    """Query the galleries shared with the partner's agency: each candidate's reference,
    score, band and feature levels with the partner's own query values; never another
    agency's stored values or images. Requires a purpose; the query is audited by its
    digest, never stored. A query photo passes the upload's quality gate.

    The query reaches only galleries whose agreement allows the stated purpose (403
    purpose_not_allowed when the agency has agreements and none allows it); while
    matching is suspended it is refused (503 matching_suspended)."""
    purpose = ctx.require_purpose()
    if matching_suspended(ctx.conn):
        raise Unavailable(
            "Matching is suspended by an administrator; try again later.",
            code="matching_suspended",
        )
    allowing, agreements = partner_queries.purpose_reach(ctx.conn, purpose)
    if agreements and not allowing:
        raise Forbidden(
            "No sharing agreement of your agency allows the purpose stated in X-Purpose; "
            "state the purpose an agreement was made for.",
            code="purpose_not_allowed",
        )
    partner_queries.state_purpose(ctx.conn, purpose)
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
        gallery_version=index_repo.gallery_version(ctx.conn),
        pending_index=index_repo.pending_index(ctx.conn),
        unread_parts=unread_name_parts(person),
        candidates=candidates,
    )
