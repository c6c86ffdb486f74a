"""Finding candidates: block in PostgreSQL on search keys and faces, score here.

Blocking happens in PostgreSQL on equality keys (never a gallery scan in Python);
scoring happens here with ``matching`` on the few hundred candidates blocking returns.
Every cut-off is a field of :class:`SearchLimits`, passed by the caller.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import numpy as np

from matching import MatchResult, Profile, build_profile, query_keys, score_pair
from matching.names import unread_parts
from matching.profile import with_name_counts
from service.db import Conn
from service.indexing import repository as repo
from service.indexing.algorithm import FACE_CONFIG, Matcher


@dataclass(frozen=True, slots=True)
class SearchLimits:
    """The cut-offs of one search."""

    #: A key held by more reachable profiles than this is too common to fetch: it would
    #: cost more than it tells. Rarer keys are fetched whole.
    block_per_key: int = 5000
    #: When every key of a query is that common, the rarest few are fetched, this many
    #: postings each, so a query still gets candidates.
    fallback_keys: int = 3
    block_limit: int = 300
    #: Past the first ``early_score``, a blocked candidate is kept only if its blocking
    #: score is at least this share of the best one's: one sharing a fraction of the
    #: evidence the best candidate shares is rarely the person (bench/pipeline_load.py).
    #: A native-script name often reaches its Latin spelling by one coarse key only while
    #: wrong readings share several finer ones: 0.4 lost 3 to 9 points of blocking recall
    #: for Chinese, Korean and katakana at 60,000 names (bench/xscript_replay.py).
    block_relative: float = 0.2
    #: Candidates arrive best-first by shared keys; when one of the first
    #: ``early_score`` is a strong match the rest of the key-blocked list is not loaded
    #: (faces always are).
    early_score: int = 50
    max_candidates: int = 20
    #: A candidate is listed when its evidence (match weight less the gallery's prior)
    #: is at least this many bits: the record is at least 2^5 times likelier the person
    #: than a record drawn at random. On the evidence and not the match weight, so that
    #: the true record of a common name with a vague date is not cut from the list as
    #: the gallery (and with it the prior against each record) grows.
    min_evidence: float = 5.0
    #: Faces fetched per query face by nearest-neighbour search, and the HNSW search
    #: width. Over 1,000,000 synthetic faces fitted to real embeddings (index m 32,
    #: ef_construction 128: 0007), ef_search 400 finds 99.2 % of the exact 10 nearest
    #: and 99.8 % of the query person's own stored photos; 200 finds 97.2 % and 99.3 %
    #: in about half the time (bench/face_search.py).
    face_neighbours: int = 50
    face_ef_search: int = 400


#: The limits the API and the workers search with.
LIMITS = SearchLimits()
#: Face levels that put a candidate on the list whatever the rest of its score: a
#: reviewer must see a close face even under different names.
_FACE_KEEP = frozenset({"strong", "close"})


def key_weights(
    counts: Mapping[str, int], keys: Sequence[str], *, limits: SearchLimits = LIMITS
) -> dict[str, float]:
    """Blocking weights by rarity: a key held by ``df`` of ``n`` profiles weighs
    ``log(1 + n / df)`` (a smoothed inverse document frequency), so a shared document
    number or a rare name part outweighs many shared common ones. Keys nobody holds
    are left out, and so are keys held by more than ``limits.block_per_key`` profiles,
    unless every key is: then the ``limits.fallback_keys`` rarest stay.

    >>> key_weights({"*": 1000, "sk:hmd": 10, "by:1990": 100}, ["sk:hmd", "by:1990", "x"])
    {'sk:hmd': 4.615, 'by:1990': 2.398}
    """
    total = max(counts.get("*", 0), 1)
    held = sorted((counts[k], k) for k in keys if counts.get(k, 0) > 0)
    kept = [(df, k) for df, k in held if df <= limits.block_per_key] or held[: limits.fallback_keys]
    return {k: round(math.log1p(total / df), 3) for df, k in kept}


def block_candidates(
    conn: Conn, query: Profile, *, exclude: UUID | None, limits: SearchLimits = LIMITS
) -> list[UUID]:
    """Candidates for ``query`` from the key index: subjects sharing the most weighted
    keys, best first, at most ``limits.block_limit``; past the first
    ``limits.early_score``, only those scoring at least ``limits.block_relative`` of
    the best."""
    return block_candidates_sized(conn, query, exclude=exclude, limits=limits)[0]


def block_candidates_sized(
    conn: Conn, query: Profile, *, exclude: UUID | None, limits: SearchLimits = LIMITS
) -> tuple[list[UUID], int, dict[str, int]]:
    """:func:`block_candidates`, the size of the gallery searched (the count of
    reachable profiles, ``"*"`` of the key counts): the scorer's prior depends on it,
    and the key counts read (the name parts' gallery counts weigh a name agreement)."""
    keys = sorted(query_keys(query))
    counts = repo.key_counts(conn, [*keys, "*"])
    gallery = max(int(counts.get("*", 0)), 1)
    weights = key_weights(counts, keys, limits=limits)
    blocked = repo.block(
        conn,
        list(weights),
        list(weights.values()),
        exclude=exclude,
        per_key=limits.block_per_key,
        limit=limits.block_limit,
    )
    floor = limits.block_relative * blocked[0][1] if blocked else 0.0
    kept = [
        s for rank, (s, score) in enumerate(blocked) if rank < limits.early_score or score >= floor
    ]
    return kept, gallery, counts


@dataclass(frozen=True, slots=True)
class Scored:
    stored: repo.StoredProfile
    result: MatchResult
    #: the candidate's name parts in a script the matcher cannot read (compared only
    #: as written): reported as a count, never dropped without a word
    unread_parts: int = 0


def unread_name_parts(person: Mapping[str, Any]) -> int:
    """How many name parts of ``person`` are in a script the matcher cannot read."""
    return len(unread_parts(build_profile({"names": person.get("names") or []}).names))


def explanation(result: MatchResult, *, disclose_candidate: bool) -> list[dict[str, Any]]:
    """The features of a score as stored and shown. Another agency's stored values are
    never disclosed: for its records only the level, weight and our own query value stay."""
    items: list[dict[str, Any]] = []
    for feature in result.features:
        item: dict[str, Any] = {
            "feature": feature.feature,
            "level": feature.level,
            "weight": round(feature.weight, 3),
            "query": feature.query,
        }
        if disclose_candidate:
            item["candidate"] = feature.candidate
            item["detail"] = feature.detail
        items.append(item)
    return items


def find_candidates(
    conn: Conn,
    person: Mapping[str, Any],
    *,
    matcher: Matcher,
    faces: Sequence[Sequence[float]] = (),
    exclude: UUID | None = None,
    limit: int | None = None,
    limits: SearchLimits = LIMITS,
) -> tuple[list[Scored], dict[str, float], int]:
    """Block in PostgreSQL, score here; best first. Also the timings and blocked count.

    Two routes fetch candidates: shared search keys, and (for each query face) the
    nearest stored faces by pgvector. Both lists are scored alike. At most ``limit``
    candidates (default ``limits.max_candidates``) are returned.
    """
    started = time.perf_counter()
    query = build_profile(person, faces=[np.asarray(f, dtype=np.float64) for f in faces])
    profiled = time.perf_counter()
    keyed, gallery, counts = block_candidates_sized(conn, query, exclude=exclude, limits=limits)
    # how common the query's name parts are in this gallery weighs its name agreements
    query = with_name_counts(query, counts, gallery)
    face_subjects = face_candidates(conn, faces, exclude=exclude, limits=limits)
    blocked = time.perf_counter()
    # Key-blocked candidates arrive best first. The first early_score of them (and every
    # face candidate) are loaded and scored; the rest only when none of those is strong.
    early = limits.early_score
    first = list(dict.fromkeys([*keyed[:early], *face_subjects]))
    with_faces = bool(faces)
    scored = _load_and_score(conn, matcher, query, first, with_faces=with_faces, gallery=gallery)
    if not any(item.result.band == "strong" for item in scored):
        rest = [s for s in keyed[early:] if s not in face_subjects]
        scored += _load_and_score(
            conn, matcher, query, rest, with_faces=with_faces, gallery=gallery
        )
    floor = matcher.algorithm.prior_for(gallery) + limits.min_evidence
    scored = [
        s for s in scored if s.result.match_weight >= floor or _face_kept(s) or name_kept(s.result)
    ]
    scored.sort(key=lambda s: (-s.result.match_weight, str(s.stored.subject_id)))
    finished = time.perf_counter()
    timings = {
        "profile_ms": round((profiled - started) * 1000, 2),
        "block_ms": round((blocked - profiled) * 1000, 2),
        "score_ms": round((finished - blocked) * 1000, 2),
    }
    top = limits.max_candidates if limit is None else limit
    return scored[:top], timings, len(set(keyed) | face_subjects)


def _load_and_score(
    conn: Conn,
    matcher: Matcher,
    query: Profile,
    subjects: Sequence[UUID],
    *,
    with_faces: bool,
    gallery: int,
) -> list[Scored]:
    position = {subject: i for i, subject in enumerate(subjects)}
    stored = sorted(repo.load_profiles(conn, subjects), key=lambda s: position[s.subject_id])
    # a query without a face scores every face as missing: no vectors need reading
    stored_faces = repo.faces_of(conn, [s.subject_id for s in stored]) if with_faces else {}
    scored = []
    for item in stored:
        candidate = _with_faces(matcher, item, stored_faces)
        result = score_pair(query, candidate, algorithm=matcher.algorithm, gallery_size=gallery)
        scored.append(Scored(item, result, len(unread_parts(candidate.names))))
    return scored


def face_candidates(
    conn: Conn,
    faces: Sequence[Sequence[float]],
    *,
    exclude: UUID | None,
    limits: SearchLimits = LIMITS,
) -> set[UUID]:
    """The face route of blocking: for each query face, the cases among its
    ``limits.face_neighbours`` nearest reachable stored faces (pgvector HNSW, searched
    ``limits.face_ef_search`` wide) that lie within the ``far`` threshold: only those
    could score above 'different'."""
    far = FACE_CONFIG.threshold("far")
    found: set[UUID] = set()
    for vector in faces:
        near = repo.nearest_faces(
            conn,
            vector,
            exclude=exclude,
            k=limits.face_neighbours,
            ef_search=limits.face_ef_search,
        )
        found.update(case_id for case_id, _, distance in near if distance < far)
    return found


def _with_faces(
    matcher: Matcher, stored: repo.StoredProfile, faces: Mapping[UUID, list[list[float]]]
) -> Profile:
    profile = matcher.profiles.get(stored)
    vectors = faces.get(stored.subject_id)
    if not vectors:
        return profile
    return dataclasses.replace(
        profile, faces=tuple(np.asarray(v, dtype=np.float64) for v in vectors)
    )


#: Name levels that keep a candidate on the list whatever its evidence: with a
#: names-only query (a partner often has nothing else) a common name's agreement can
#: fall short of the evidence floor, and the name the comparator found across scripts
#: must still be shown (bench/xscript_http.py). Listing only: the band is the score's.
_NAME_KEEP = frozenset({"exact", "transliteration", "strong"})


def name_kept(result: MatchResult) -> bool:
    """Whether the name agrees well enough to list the candidate whatever its weight."""
    return any(f.feature == "name" and f.level in _NAME_KEEP for f in result.features)


def _face_kept(item: Scored) -> bool:
    return any(f.feature == "face" and f.level in _FACE_KEEP for f in item.result.features)
