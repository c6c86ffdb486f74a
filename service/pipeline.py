"""The matching pipeline's services: index, block, score, store, decide.

Blocking happens in PostgreSQL on equality keys (never a gallery scan in Python);
scoring happens here with ``matching`` on the few hundred candidates blocking returns.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import numpy as np

from matching import MatchResult, Profile, build_profile, query_keys, score_pair, search_keys
from matching.comparison import Comparison
from matching.faces import compare_face_sets, load_face_config
from matching.keys import KEYS_VERSION
from matching.profile import with_name_counts
from matching.scoring import DEFAULT, extend_algorithm
from service.db import Conn
from service.profiles import merge_person, person_hash
from service.repositories import pipeline as repo

#: A key held by more reachable profiles than this is too common to fetch: it would
#: cost more than it tells. Rarer keys are fetched whole.
BLOCK_PER_KEY = 5000
#: When every key of a query is that common, the rarest few are fetched, this many
#: postings each, so a query still gets candidates.
FALLBACK_KEYS = 3
BLOCK_LIMIT = 300
#: Past the first EARLY_SCORE, a blocked candidate is kept only if its blocking score is
#: at least this share of the best one's: one sharing a fraction of the evidence the
#: best candidate shares is rarely the person (measured: bench/pipeline_load.py).
BLOCK_RELATIVE = 0.4
# Candidates arrive best-first by shared keys; when one of the first EARLY_SCORE is a
# strong match the rest of the key-blocked list is not loaded (faces always are).
EARLY_SCORE = 50
MAX_CANDIDATES = 20
#: A candidate is listed when its evidence (match weight less the gallery's prior) is at
#: least this many bits: the record is at least 2^5 times likelier the person than a
#: record drawn at random. On the evidence and not the match weight, so that the true
#: record of a common name with a vague date is not cut from the list as the gallery
#: (and with it the prior against each record) grows.
MIN_EVIDENCE = 5.0
INDEX_BATCH = 500
#: Faces fetched per query face by nearest-neighbour search, and the HNSW search width.
#: Over 1,000,000 synthetic faces fitted to real embeddings (index m 32, ef_construction
#: 128: 0007), ef_search 400 finds 99.2 % of the exact 10 nearest and 99.8 % of the
#: query person's own stored photos; 200 finds 97.2 % and 99.3 % in about half the
#: time (bench/face_search.py).
FACE_NEIGHBOURS = 50
FACE_EF_SEARCH = 400


def key_weights(counts: Mapping[str, int], keys: Sequence[str]) -> dict[str, float]:
    """Blocking weights by rarity: a key held by ``df`` of ``n`` profiles weighs
    ``log(1 + n / df)`` (a smoothed inverse document frequency), so a shared document
    number or a rare name part outweighs many shared common ones. Keys nobody holds
    are left out, and so are keys held by more than :data:`BLOCK_PER_KEY` profiles,
    unless every key is: then the :data:`FALLBACK_KEYS` rarest stay.

    >>> key_weights({"*": 1000, "sk:hmd": 10, "by:1990": 100}, ["sk:hmd", "by:1990", "x"])
    {'sk:hmd': 4.615, 'by:1990': 2.398}
    """
    total = max(counts.get("*", 0), 1)
    held = sorted((counts[k], k) for k in keys if counts.get(k, 0) > 0)
    kept = [(df, k) for df, k in held if df <= BLOCK_PER_KEY] or held[:FALLBACK_KEYS]
    return {k: round(math.log1p(total / df), 3) for df, k in kept}


def block_candidates(conn: Conn, query: Profile, *, exclude: UUID | None) -> list[UUID]:
    """Candidates for ``query`` from the key index: subjects sharing the most weighted
    keys, best first, at most :data:`BLOCK_LIMIT`; past the first :data:`EARLY_SCORE`,
    only those scoring at least :data:`BLOCK_RELATIVE` of the best."""
    return block_candidates_sized(conn, query, exclude=exclude)[0]


def block_candidates_sized(
    conn: Conn, query: Profile, *, exclude: UUID | None
) -> tuple[list[UUID], int, dict[str, int]]:
    """:func:`block_candidates`, the size of the gallery searched (the count of
    reachable profiles, ``"*"`` of the key counts): the scorer's prior depends on it,
    and the key counts read (the name parts' gallery counts weigh a name agreement)."""
    keys = sorted(query_keys(query))
    counts = repo.key_counts(conn, [*keys, "*"])
    gallery = max(int(counts.get("*", 0)), 1)
    weights = key_weights(counts, keys)
    blocked = repo.block(
        conn,
        list(weights),
        list(weights.values()),
        exclude=exclude,
        per_key=BLOCK_PER_KEY,
        limit=BLOCK_LIMIT,
    )
    floor = BLOCK_RELATIVE * blocked[0][1] if blocked else 0.0
    kept = [s for rank, (s, score) in enumerate(blocked) if rank < EARLY_SCORE or score >= floor]
    return kept, gallery, counts


def face_comparator(query: Profile, candidate: Profile) -> Comparison:
    """Face: the closest pair of the two people's face embeddings, judged against the
    calibrated distance thresholds; the detail states the distance and the threshold."""
    return compare_face_sets(query.faces, candidate.faces)


FACE_CONFIG = load_face_config()
#: The service's algorithm: the name-and-attribute features plus the face, whose weight
#: is capped so a face alone never makes a match strong. Profiles and runs record its id.
MATCHER = extend_algorithm(
    DEFAULT, FACE_CONFIG.raw["feature"], face_comparator, label=f"face-{FACE_CONFIG.version}"
)
ALGORITHM = MATCHER.id
#: What a stored profile was built with: the algorithm and the search-key scheme. A
#: profile of another version is rebuilt (see :mod:`service.reindex`).
PROFILE_VERSION = f"{ALGORITHM}/{KEYS_VERSION}"
#: Face levels that put a candidate on the list whatever the rest of its score: a
#: reviewer must see a close face even under different names.
_FACE_KEEP = frozenset({"strong", "close"})


class ProfileCache:
    """Built profiles by subject and content, so a worker builds each one once."""

    def __init__(self, size: int = 100_000) -> None:
        self._size = size
        self._items: OrderedDict[tuple[UUID, str], Profile] = OrderedDict()

    def get(self, stored: repo.StoredProfile) -> Profile:
        key = (stored.subject_id, stored.person_hash)
        profile = self._items.get(key)
        if profile is None:
            profile = build_profile(stored.person)
            self._items[key] = profile
            if len(self._items) > self._size:
                self._items.popitem(last=False)
        else:
            self._items.move_to_end(key)
        return profile


PROFILES = ProfileCache()


@dataclass(frozen=True, slots=True)
class Scored:
    stored: repo.StoredProfile
    result: MatchResult


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
    faces: Sequence[Sequence[float]] = (),
    exclude: UUID | None = None,
    limit: int = MAX_CANDIDATES,
) -> tuple[list[Scored], dict[str, float], int]:
    """Block in PostgreSQL, score here; best first. Also the timings and blocked count.

    Two routes fetch candidates: shared search keys, and (for each query face) the
    nearest stored faces by pgvector. Both lists are scored alike.
    """
    started = time.perf_counter()
    query = build_profile(person, faces=[np.asarray(f, dtype=np.float64) for f in faces])
    profiled = time.perf_counter()
    keyed, gallery, counts = block_candidates_sized(conn, query, exclude=exclude)
    # how common the query's name parts are in this gallery weighs its name agreements
    query = with_name_counts(query, counts, gallery)
    face_subjects = face_candidates(conn, faces, exclude=exclude)
    blocked = time.perf_counter()
    # Key-blocked candidates arrive best first. The first EARLY_SCORE of them (and every
    # face candidate) are loaded and scored; the rest only when none of those is strong.
    first = list(dict.fromkeys([*keyed[:EARLY_SCORE], *face_subjects]))
    scored = _load_and_score(conn, query, first, with_faces=bool(faces), gallery=gallery)
    if not any(item.result.band == "strong" for item in scored):
        rest = [s for s in keyed[EARLY_SCORE:] if s not in face_subjects]
        scored += _load_and_score(conn, query, rest, with_faces=bool(faces), gallery=gallery)
    floor = MATCHER.prior_for(gallery) + MIN_EVIDENCE
    scored = [s for s in scored if s.result.match_weight >= floor or _face_kept(s)]
    scored.sort(key=lambda s: (-s.result.match_weight, str(s.stored.subject_id)))
    finished = time.perf_counter()
    timings = {
        "profile_ms": round((profiled - started) * 1000, 2),
        "block_ms": round((blocked - profiled) * 1000, 2),
        "score_ms": round((finished - blocked) * 1000, 2),
    }
    return scored[:limit], timings, len(set(keyed) | face_subjects)


def _load_and_score(
    conn: Conn, query: Profile, subjects: Sequence[UUID], *, with_faces: bool, gallery: int
) -> list[Scored]:
    position = {subject: i for i, subject in enumerate(subjects)}
    stored = sorted(repo.load_profiles(conn, subjects), key=lambda s: position[s.subject_id])
    # a query without a face scores every face as missing: no vectors need reading
    stored_faces = repo.faces_of(conn, [s.subject_id for s in stored]) if with_faces else {}
    return [
        Scored(
            item,
            score_pair(
                query,
                _with_faces(item, stored_faces),
                algorithm=MATCHER,
                gallery_size=gallery,
            ),
        )
        for item in stored
    ]


def face_candidates(
    conn: Conn, faces: Sequence[Sequence[float]], *, exclude: UUID | None
) -> set[UUID]:
    """The face route of blocking: for each query face, the cases among its
    :data:`FACE_NEIGHBOURS` nearest reachable stored faces (pgvector HNSW, searched
    :data:`FACE_EF_SEARCH` wide) that lie within the ``far`` threshold: only those could
    score above 'different'."""
    far = FACE_CONFIG.threshold("far")
    found: set[UUID] = set()
    for vector in faces:
        near = repo.nearest_faces(
            conn, vector, exclude=exclude, k=FACE_NEIGHBOURS, ef_search=FACE_EF_SEARCH
        )
        found.update(case_id for case_id, _, distance in near if distance < far)
    return found


def _with_faces(stored: repo.StoredProfile, faces: Mapping[UUID, list[list[float]]]) -> Profile:
    profile = PROFILES.get(stored)
    vectors = faces.get(stored.subject_id)
    if not vectors:
        return profile
    return dataclasses.replace(
        profile, faces=tuple(np.asarray(v, dtype=np.float64) for v in vectors)
    )


def _face_kept(item: Scored) -> bool:
    return any(f.feature == "face" and f.level in _FACE_KEEP for f in item.result.features)


def profile_row(
    *,
    subject_id: UUID,
    subject_kind: str,
    agency_id: UUID,
    ref: str | None,
    person: Mapping[str, Any],
) -> repo.ProfileRow:
    """What is stored for one case or identity record: its person, keys and digest."""
    profile = build_profile(person)
    keys = tuple(key for key in search_keys(profile) if _KEY_SEPARATOR not in key)
    return repo.ProfileRow(
        subject_id=subject_id,
        subject_kind=subject_kind,
        agency_id=agency_id,
        ref=ref,
        person=person,
        person_hash=person_hash(person),
        name_text=" ".join(_name_strings(person))[:2000],
        birth_year=profile.birth.year if profile.birth is not None else None,
        keys=keys,
        algorithm=PROFILE_VERSION,
    )


_KEY_SEPARATOR = chr(31)


def index_subject(
    conn: Conn,
    *,
    subject_id: UUID,
    subject_kind: str,
    agency_id: UUID,
    ref: str | None,
    person: Mapping[str, Any],
) -> bool:
    """Store the profile and keys of one case or identity record (no-op if current)."""
    row = profile_row(
        subject_id=subject_id,
        subject_kind=subject_kind,
        agency_id=agency_id,
        ref=ref,
        person=person,
    )
    return repo.upsert_profiles(conn, [row]) > 0


def _name_strings(person: Mapping[str, Any]) -> list[str]:
    names = person.get("names") or []
    out: list[str] = []
    for name in names:
        if isinstance(name, str):
            out.append(name)
        elif isinstance(name, Mapping) and isinstance(name.get("full"), str):
            out.append(name["full"])
    return out


def index_identities(conn: Conn, ids: Sequence[UUID]) -> int:
    """(Re)build the profiles of identity records; returns how many changed."""
    rows = [
        profile_row(
            subject_id=identity_id,
            subject_kind="identity",
            agency_id=agency_id,
            ref=external_id or str(identity_id),
            person=person,
        )
        for identity_id, agency_id, external_id, person in repo.identities_by_id(conn, ids)
    ]
    return repo.upsert_profiles(conn, rows)


def case_person(conn: Conn, case: repo.CaseFacts) -> dict[str, Any]:
    """The case's merged person, from its subject and current evidence."""
    evidence = [(kind, data) for _, kind, data in repo.case_evidence(conn, case.id)]
    return merge_person(case.subject, evidence)


def case_evidence_hash(conn: Conn, case: repo.CaseFacts) -> str:
    """The evidence state a run answers for: the merged person and, when the case has
    faces, which face images (a new or erased photo is a new state). A case without
    faces keeps the digest it had before faces existed."""
    person = case_person(conn, case)
    face_ids = repo.face_evidence_ids(conn, case.id)
    if not face_ids:
        return person_hash(person)
    return person_hash({"person": person, "faces": [str(i) for i in face_ids]})


def run_match(conn: Conn, run: repo.Run) -> int:
    """Execute one match run inside the caller's transaction; returns the candidate count.

    Matching moves the case to ``candidates_ready`` and never further: only people's
    decisions change it after that.
    """
    case = repo.lock_case(conn, run.case_id)
    if case is None:
        raise LookupError(f"case {run.case_id} of run {run.id} is gone")
    started = time.perf_counter()
    person = case_person(conn, case)
    index_subject(
        conn,
        subject_id=case.id,
        subject_kind="case",
        agency_id=case.agency_id,
        ref=case.reference,
        person=person,
    )
    faces = list(repo.faces_of(conn, [case.id]).get(case.id, []))
    scored, timings, blocked = find_candidates(conn, person, faces=faces, exclude=case.id)
    rows = []
    for rank, item in enumerate(scored, start=1):
        own = item.stored.agency_id == case.agency_id
        rows.append(
            {
                "rank": rank,
                "kind": item.stored.subject_kind,
                "subject_id": item.stored.subject_id,
                "owner": item.stored.agency_id,
                "ref": item.stored.ref,
                "score": round(item.result.probability, 6),
                "weight": round(item.result.match_weight, 4),
                "band": item.result.band,
                "explanation": explanation(item.result, disclose_candidate=own),
            }
        )
    repo.replace_candidates(conn, run, rows)
    timings["total_ms"] = round((time.perf_counter() - started) * 1000, 2)
    timings["blocked"] = blocked
    repo.finish_run(
        conn, run.id, gallery=repo.gallery_version(conn), count=len(rows), timings=timings
    )
    if case.state in ("open", "matching"):
        repo.set_case_state(conn, case.id, "candidates_ready")
    return len(rows)
