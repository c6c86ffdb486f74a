"""Bringing stored profiles up to the current algorithm after an upgrade.

A profile records the algorithm and key version it was built with
(:data:`service.pipeline.PROFILE_VERSION`). When either changes, stored search keys
no longer match what queries look up, so every older profile is rebuilt: identity
records through the same ``index_subjects`` jobs a bulk import sends (the workers
do the work, nothing is lost if one dies), cases here and now (there are few, and
each is rebuilt again at its next match run anyway).
"""

from __future__ import annotations

from uuid import UUID

from service.db import Conn, Principal, set_context
from service.jobs import worker_principal
from service.pipeline import INDEX_BATCH, PROFILE_VERSION, case_person, index_subject
from service.repositories import pipeline as repo

_ADMIN = Principal(user_id=UUID(int=0), agency_id=UUID(int=0), role="admin")


def reindex_stale(conn: Conn) -> tuple[int, int]:
    """Queue every identity record whose profile is missing or older than the current
    version, and rebuild such cases. Returns (identities queued, cases rebuilt).
    ``conn`` is an owner connection outside a transaction; one transaction per agency."""
    with conn.transaction():
        set_context(conn, _ADMIN)
        agencies = [row[0] for row in conn.execute("SELECT id FROM agencies ORDER BY id")]
    queued = rebuilt = 0
    for agency in agencies:
        with conn.transaction():
            set_context(conn, worker_principal(agency))
            identities = [
                row[0]
                for row in conn.execute(
                    """SELECT i.id FROM identities i
                       LEFT JOIN match_profiles p ON p.subject_id = i.id
                       WHERE i.agency_id = %s
                         AND (p.subject_id IS NULL OR p.algorithm IS DISTINCT FROM %s)
                       ORDER BY i.id""",
                    (agency, PROFILE_VERSION),
                )
            ]
            for start in range(0, len(identities), INDEX_BATCH):
                batch = [str(i) for i in identities[start : start + INDEX_BATCH]]
                repo.enqueue(conn, agency, "index_subjects", {"ids": batch})
            queued += len(identities)
            cases = [
                row[0]
                for row in conn.execute(
                    """SELECT p.subject_id FROM match_profiles p
                       WHERE p.agency_id = %s AND p.subject_kind = 'case'
                         AND p.algorithm IS DISTINCT FROM %s""",
                    (agency, PROFILE_VERSION),
                )
            ]
            for case_id in cases:
                case = repo.lock_case(conn, case_id)
                if case is None:
                    continue
                index_subject(
                    conn,
                    subject_id=case.id,
                    subject_kind="case",
                    agency_id=case.agency_id,
                    ref=case.reference,
                    person=case_person(conn, case),
                )
                rebuilt += 1
    return queued, rebuilt
