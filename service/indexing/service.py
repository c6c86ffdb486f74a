"""Indexing: what is stored for each case and identity record so that searches find it.

A record's profile (its merged person, digest and search keys) is rebuilt whenever
what it is matched on changes: identity records through ``index_subjects`` jobs in the
outbox (:func:`queue_identities`), cases under the case's lock (:func:`index_case`).
After an upgrade :func:`reindex_stale` brings every profile built by an older
algorithm or key scheme up to date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from matching import build_profile, search_keys
from service.admin import repository as admin_repo
from service.cases import repository as cases_repo
from service.db import ADMIN, SYSTEM, Conn, set_context, worker_principal
from service.evidence import repository as evidence_repo
from service.indexing import repository as repo
from service.indexing.algorithm import PROFILE_VERSION
from service.indexing.person import merge_person, person_hash
from service.worker import repository as outbox

_KEY_SEPARATOR = chr(31)


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


def case_person(conn: Conn, case: cases_repo.CaseFacts) -> dict[str, Any]:
    """The case's merged person, from its subject and current evidence."""
    evidence = [(kind, data) for _, kind, data in evidence_repo.case_evidence(conn, case.id)]
    return merge_person(case.subject, evidence)


def case_evidence_hash(conn: Conn, case: cases_repo.CaseFacts) -> str:
    """The evidence state a run answers for: the merged person and, when the case has
    faces, which face images (a new or erased photo is a new state). A case without
    faces keeps the digest it had before faces existed."""
    person = case_person(conn, case)
    face_ids = repo.face_evidence_ids(conn, case.id)
    if not face_ids:
        return person_hash(person)
    return person_hash({"person": person, "faces": [str(i) for i in face_ids]})


@dataclass(frozen=True, slots=True)
class IndexedCase:
    """A case locked and indexed: its facts, its merged person, and whether its stored
    profile changed."""

    case: cases_repo.CaseFacts
    person: dict[str, Any]
    changed: bool


def index_case(conn: Conn, case_id: UUID) -> IndexedCase | None:
    """Lock the case, merge its person from its current evidence and store its profile
    and keys (a no-op when unchanged); None when the case is not there."""
    case = cases_repo.lock_case(conn, case_id)
    if case is None:
        return None
    person = case_person(conn, case)
    changed = index_subject(
        conn,
        subject_id=case.id,
        subject_kind="case",
        agency_id=case.agency_id,
        ref=case.reference,
        person=person,
    )
    return IndexedCase(case=case, person=person, changed=changed)


def queue_identities(
    conn: Conn,
    agency_id: UUID,
    ids: Sequence[UUID],
    *,
    batch_size: int,
    import_id: UUID | None = None,
) -> None:
    """Queue (re)indexing of these identity records in the caller's transaction, in
    jobs of ``batch_size`` records (``TESSERA_INDEX_BATCH``); they leave only if it
    commits. The jobs of a bulk import name it, so that its status counts them."""
    for start in range(0, len(ids), batch_size):
        batch = [str(i) for i in ids[start : start + batch_size]]
        outbox.enqueue(
            conn,
            agency_id,
            "index_subjects",
            {"ids": batch},
            import_id=import_id,
            subjects=len(batch) if import_id is not None else None,
        )


def queue_case(conn: Conn, agency_id: UUID, case_id: UUID) -> None:
    """Queue the rebuild of a case's profile in the caller's transaction: every
    evidence change may change what the case is matched on (a no-op if unchanged)."""
    outbox.enqueue(conn, agency_id, "index_subjects", {"cases": [str(case_id)]})


def refresh_index_statistics(conn: Conn, *, min_pages: int) -> list[str]:
    """Once no indexing job waits, ``VACUUM (ANALYZE)`` the index tables that grew by
    ``min_pages`` pages or more since they were last vacuumed or analyzed; the tables
    done.

    Right after a large import the planner would otherwise plan searches with the
    statistics of a far smaller table, and index-only scans would visit the heap for
    every new row, until autovacuum came round (migration 0022 has the figures).
    ``conn`` is a worker connection in autocommit mode, outside any transaction; a
    worker that finds another doing this leaves it to that one.
    """
    with conn.transaction():
        set_context(conn, SYSTEM)
        if outbox.index_jobs_waiting(conn):
            return []
    tables = repo.tables_grown(conn, min_pages=min_pages)
    if not tables or not repo.try_maintenance_lock(conn):
        return []
    try:
        for table in tables:
            repo.vacuum_analyze(conn, table)
    finally:
        repo.release_maintenance_lock(conn)
    return tables


def reindex_stale(conn: Conn, *, batch_size: int) -> tuple[int, int]:
    """Queue every identity record whose profile is missing or older than
    :data:`~service.indexing.algorithm.PROFILE_VERSION`, and rebuild such cases now
    (there are few, and each is rebuilt again at its next match run anyway). Returns
    (identities queued, cases rebuilt). ``conn`` is an owner connection outside a
    transaction; one transaction per agency."""
    with conn.transaction():
        set_context(conn, ADMIN)
        agencies = admin_repo.agency_ids(conn)
    queued = rebuilt = 0
    for agency in agencies:
        with conn.transaction():
            set_context(conn, worker_principal(agency))
            identities = repo.stale_identity_ids(conn, agency, PROFILE_VERSION)
            queue_identities(conn, agency, identities, batch_size=batch_size)
            queued += len(identities)
            for case_id in repo.stale_case_ids(conn, agency, PROFILE_VERSION):
                if index_case(conn, case_id) is not None:
                    rebuilt += 1
    return queued, rebuilt
