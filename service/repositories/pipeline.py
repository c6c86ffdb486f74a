"""SQL of the matching pipeline: outbox, profiles and keys, runs, candidates, decisions."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.rows import class_row

from service.db import Conn
from service.repositories.evidence import vector_literal

# Outbox ----------------------------------------------------------------------------------


def enqueue(conn: Conn, agency_id: UUID, kind: str, payload: Mapping[str, Any]) -> int:
    """Add a job in the caller's transaction; it leaves only if that transaction commits."""
    row = conn.execute(
        "INSERT INTO outbox (agency_id, kind, payload) VALUES (%s, %s, %s) RETURNING id",
        (agency_id, kind, json.dumps(payload)),
    ).fetchone()
    assert row is not None
    job_id: int = row[0]
    return job_id


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    agency_id: UUID
    kind: str
    payload: dict[str, Any]
    attempts: int
    done_at: datetime | None


def claim_publishable(conn: Conn, *, redeliver_after_s: float, limit: int = 100) -> list[int]:
    """Jobs to publish, locked for us: never published; taken by a worker whose lease
    lapsed (it died); or published long ago, never taken and still not done (a lost
    message)."""
    rows = conn.execute(
        """SELECT id FROM outbox
           WHERE done_at IS NULL
             AND (published_at IS NULL
                  OR lease_until < now()
                  OR (lease_until IS NULL
                      AND published_at < now() - make_interval(secs => %s)))
           ORDER BY id
           LIMIT %s
           FOR UPDATE SKIP LOCKED""",
        (redeliver_after_s, limit),
    ).fetchall()
    return [row[0] for row in rows]


def mark_published(conn: Conn, job_ids: Sequence[int]) -> None:
    conn.execute(
        "UPDATE outbox SET published_at = now(), publish_count = publish_count + 1, "
        "lease_until = NULL, leased_by = NULL WHERE id = ANY(%s)",
        (list(job_ids),),
    )


def take_lease(conn: Conn, job_id: int, *, worker: str, lease_s: float) -> bool:
    """Mark the job taken by ``worker`` for ``lease_s`` seconds; False when it is done.

    While the job's transaction runs, its row lock keeps the relay away (it skips
    locked rows); the lease covers the moments before that lock is taken. A worker
    killed at any point leaves a lapsed lease and no lock: the relay publishes the job
    again."""
    row = conn.execute(
        "UPDATE outbox SET lease_until = now() + make_interval(secs => %s), leased_by = %s "
        "WHERE id = %s AND done_at IS NULL RETURNING id",
        (lease_s, worker, job_id),
    ).fetchone()
    return row is not None


def release_lease(conn: Conn, job_id: int) -> None:
    conn.execute("UPDATE outbox SET lease_until = NULL, leased_by = NULL WHERE id = %s", (job_id,))


def beat(conn: Conn, *, worker: str, pid: int, host: str, started_at: datetime) -> None:
    """Say that ``worker`` is alive now."""
    conn.execute(
        """INSERT INTO worker_heartbeats (worker, pid, host, started_at, seen_at)
           VALUES (%s, %s, %s, %s, now())
           ON CONFLICT (worker) DO UPDATE
              SET pid = EXCLUDED.pid, host = EXCLUDED.host,
                  started_at = EXCLUDED.started_at, seen_at = now()""",
        (worker, pid, host, started_at),
    )


def forget_worker(conn: Conn, worker: str) -> None:
    conn.execute("DELETE FROM worker_heartbeats WHERE worker = %s", (worker,))


@dataclass(frozen=True, slots=True)
class PipelineHealth:
    workers_alive: int
    unpublished: int
    oldest_unpublished_s: float | None
    pending: int
    oldest_pending_s: float | None
    oldest_queued_run_s: float | None


def pipeline_health(conn: Conn, *, alive_s: float) -> PipelineHealth:
    """Counts and ages only (``tessera_pipeline_health``, readable without an agency)."""
    with conn.cursor(row_factory=class_row(PipelineHealth)) as cur:
        cur.execute("SELECT * FROM tessera_pipeline_health(%s)", (alive_s,))
        found = cur.fetchone()
    assert found is not None
    return found


def lock_job(conn: Conn, job_id: int) -> Job | None:
    """The job, locked so that two deliveries of it never run side by side."""
    with conn.cursor(row_factory=class_row(Job)) as cur:
        cur.execute(
            "SELECT id, agency_id, kind, payload, attempts, done_at FROM outbox "
            "WHERE id = %s FOR UPDATE",
            (job_id,),
        )
        return cur.fetchone()


def finish_job(conn: Conn, job_id: int) -> None:
    conn.execute("UPDATE outbox SET done_at = now(), last_error = NULL WHERE id = %s", (job_id,))


def unpublish_job(conn: Conn, job_id: int) -> None:
    """Hand a job back to the relay (used while matching is suspended)."""
    conn.execute(
        "UPDATE outbox SET published_at = NULL, lease_until = NULL, leased_by = NULL WHERE id = %s",
        (job_id,),
    )


def record_failure(conn: Conn, job_id: int, error: str) -> int:
    row = conn.execute(
        "UPDATE outbox SET attempts = attempts + 1, last_error = %s, lease_until = NULL, "
        "leased_by = NULL WHERE id = %s RETURNING attempts",
        (error[:2000], job_id),
    ).fetchone()
    assert row is not None
    attempts: int = row[0]
    return attempts


def dead_letter(conn: Conn, job: Job, error: str, attempts: int) -> None:
    conn.execute(
        "INSERT INTO dead_letters (outbox_id, agency_id, kind, payload, error, attempts) "
        "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (outbox_id) DO NOTHING",
        (job.id, job.agency_id, job.kind, json.dumps(job.payload), error[:2000], attempts),
    )
    conn.execute(
        "UPDATE outbox SET done_at = now(), last_error = %s WHERE id = %s", (error[:2000], job.id)
    )


# Stop switch ----------------------------------------------------------------------------------


def matching_suspended(conn: Conn) -> bool:
    row = conn.execute(
        "SELECT value FROM control_flags WHERE name = 'matching_suspended'"
    ).fetchone()
    return bool(row and row[0])


def set_matching_suspended(conn: Conn, value: bool, reason: str | None, user_id: UUID) -> None:
    conn.execute(
        "UPDATE control_flags SET value = %s, reason = %s, updated_by = %s, updated_at = now() "
        "WHERE name = 'matching_suspended'",
        (value, reason, user_id),
    )


def matching_state(conn: Conn) -> tuple[bool, str | None, datetime]:
    row = conn.execute(
        "SELECT value, reason, updated_at FROM control_flags WHERE name = 'matching_suspended'"
    ).fetchone()
    assert row is not None
    return bool(row[0]), row[1], row[2]


# Profiles and keys -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredProfile:
    subject_id: UUID
    subject_kind: str
    agency_id: UUID
    ref: str | None
    person: dict[str, Any]
    person_hash: str


@dataclass(frozen=True, slots=True)
class ProfileRow:
    """A profile ready to store: the merged person, its digest and its search keys."""

    subject_id: UUID
    subject_kind: str
    agency_id: UUID
    ref: str | None
    person: Mapping[str, Any]
    person_hash: str
    name_text: str
    birth_year: int | None
    keys: tuple[str, ...]
    algorithm: str


_KEY_SEPARATOR = chr(31)


def upsert_profiles(conn: Conn, rows: Sequence[ProfileRow]) -> int:
    """Store profiles and their keys in a few set-based statements; unchanged profiles
    (same content, same algorithm) are left alone. Returns how many changed."""
    if not rows:
        return 0
    changed = conn.execute(
        """INSERT INTO match_profiles (subject_id, subject_kind, agency_id, ref, person,
                                       person_hash, name_text, birth_year, keys, algorithm)
           SELECT t.subject_id, t.subject_kind, t.agency_id, t.ref, t.person, t.person_hash,
                  t.name_text, t.birth_year, string_to_array(t.keys, chr(31)), t.algorithm
           FROM unnest(%s::uuid[], %s::text[], %s::uuid[], %s::text[], %s::jsonb[],
                       %s::text[], %s::text[], %s::int[], %s::text[], %s::text[])
                AS t(subject_id, subject_kind, agency_id, ref, person, person_hash,
                     name_text, birth_year, keys, algorithm)
           ON CONFLICT (subject_id) DO UPDATE
              SET ref = EXCLUDED.ref, person = EXCLUDED.person,
                  person_hash = EXCLUDED.person_hash, name_text = EXCLUDED.name_text,
                  birth_year = EXCLUDED.birth_year, keys = EXCLUDED.keys,
                  algorithm = EXCLUDED.algorithm,
                  gallery_version = nextval('gallery_version_seq'), updated_at = now()
              WHERE match_profiles.person_hash IS DISTINCT FROM EXCLUDED.person_hash
                 OR match_profiles.algorithm IS DISTINCT FROM EXCLUDED.algorithm
                 OR match_profiles.ref IS DISTINCT FROM EXCLUDED.ref
           RETURNING subject_id, agency_id, xmax = 0""",
        (
            [r.subject_id for r in rows],
            [r.subject_kind for r in rows],
            [r.agency_id for r in rows],
            [r.ref for r in rows],
            [json.dumps(r.person, ensure_ascii=False) for r in rows],
            [r.person_hash for r in rows],
            [r.name_text for r in rows],
            [r.birth_year for r in rows],
            # a 2-D array needs rows of equal length, so each row's keys travel joined by
            # the unit separator (no key contains a control character)
            [_KEY_SEPARATOR.join(sorted(set(r.keys))) for r in rows],
            [r.algorithm for r in rows],
        ),
    ).fetchall()
    ids = {row[0] for row in changed}
    if not ids:
        return 0
    created = [row[1] for row in changed if row[2]]
    postings = [
        (k, r.subject_id, r.agency_id, r.subject_kind)
        for r in rows
        if r.subject_id in ids
        for k in sorted(set(r.keys))
    ]
    # One statement swaps the postings and moves the key counts by the difference, in
    # key order, so two indexers updating the same counts queue rather than deadlock.
    conn.execute(
        """WITH gone AS (
               DELETE FROM match_keys WHERE subject_id = ANY(%s) RETURNING agency_id, key
           ), added AS (
               INSERT INTO match_keys (key, subject_id, agency_id, subject_kind)
               SELECT * FROM unnest(%s::text[], %s::uuid[], %s::uuid[], %s::text[])
               RETURNING agency_id, key
           ), moves AS (
               SELECT agency_id, key, -1 AS d FROM gone
               UNION ALL SELECT agency_id, key, 1 FROM added
               UNION ALL SELECT agency_id, '*', 1 FROM unnest(%s::uuid[]) AS n(agency_id)
           )
           INSERT INTO match_key_stats AS s (agency_id, key, df)
           SELECT agency_id, key, sum(d) FROM moves
           GROUP BY agency_id, key HAVING sum(d) <> 0
           ORDER BY agency_id, key
           ON CONFLICT (agency_id, key) DO UPDATE SET df = s.df + EXCLUDED.df""",
        (
            list(ids),
            [p[0] for p in postings],
            [p[1] for p in postings],
            [p[2] for p in postings],
            [p[3] for p in postings],
            created,
        ),
    )
    return len(ids)


def key_counts(conn: Conn, keys: Sequence[str]) -> dict[str, int]:
    """How many reachable profiles hold each key (``'*'``: how many profiles there are)."""
    rows = conn.execute(
        """SELECT key, sum(df)::bigint FROM match_key_stats
           WHERE key = ANY(%s)
             AND agency_id = ANY ((SELECT tessera_readable_agencies())::uuid[])
           GROUP BY key""",
        (list(keys),),
    ).fetchall()
    return {row[0]: int(row[1]) for row in rows}


def block(
    conn: Conn,
    keys: Sequence[str],
    weights: Sequence[float],
    *,
    exclude: UUID | None,
    per_key: int,
    limit: int,
) -> list[tuple[UUID, float]]:
    """Subjects sharing the most (weighted) keys with the query, from the key index only.

    Each key contributes at most ``per_key`` postings, so a very common key (a frequent
    surname, a birth year) costs a bounded amount and cannot flood the candidate set.
    """
    rows = conn.execute(
        """SELECT p.subject_id, sum(q.weight) AS score
           FROM unnest(%s::text[], %s::float8[]) AS q(key, weight)
           CROSS JOIN LATERAL (
               SELECT k.subject_id FROM match_keys k
               WHERE k.key = q.key
                 AND k.agency_id = ANY ((SELECT tessera_readable_agencies())::uuid[])
               LIMIT %s
           ) AS p
           WHERE p.subject_id IS DISTINCT FROM %s
           GROUP BY p.subject_id
           ORDER BY score DESC, p.subject_id
           LIMIT %s""",
        (list(keys), list(weights), per_key, exclude, limit),
    ).fetchall()
    return [(row[0], float(row[1])) for row in rows]


def load_profiles(conn: Conn, subject_ids: Sequence[UUID]) -> list[StoredProfile]:
    with conn.cursor(row_factory=class_row(StoredProfile)) as cur:
        cur.execute(
            "SELECT subject_id, subject_kind, agency_id, ref, person, person_hash "
            "FROM match_profiles WHERE subject_id = ANY(%s)",
            (list(subject_ids),),
        )
        return cur.fetchall()


def pending_index(conn: Conn) -> int:
    """How many records of the galleries this agency may reach still wait to be
    indexed (the ids of index jobs not done yet): a search does not find them yet."""
    row = conn.execute("SELECT tessera_pending_index()").fetchone()
    assert row is not None
    return int(row[0])


def gallery_version(conn: Conn) -> int:
    """The newest profile version among the galleries this agency may reach.

    One index probe per reachable agency: a single max() over an array predicate
    would read every entry of the index (hundreds of milliseconds at a million).
    """
    row = conn.execute(
        """SELECT coalesce(max(newest.gallery_version), 0)
           FROM unnest((SELECT tessera_readable_agencies())::uuid[]) AS reach(agency_id)
           CROSS JOIN LATERAL (
               SELECT p.gallery_version FROM match_profiles p
               WHERE p.agency_id = reach.agency_id
               ORDER BY p.gallery_version DESC
               LIMIT 1
           ) AS newest"""
    ).fetchone()
    assert row is not None
    version: int = row[0]
    return version


# Face embeddings ------------------------------------------------------------------------------


def nearest_faces(
    conn: Conn, vector: Sequence[float], *, exclude: UUID | None, k: int, ef_search: int
) -> list[tuple[UUID, UUID, float]]:
    """The ``k`` stored faces nearest to ``vector`` that this agency may reach, through
    the HNSW index: (case id, evidence id, distance), nearest first (rows found by a
    continued search may come slightly out of order; all of them are scored).

    Rows of agencies out of reach (and the excluded case's own) are filtered after the
    index scan. One pass of ``ef_search`` usually leaves ``k`` of them; only when it
    leaves fewer is the search run again, continued iteratively (pgvector 0.8) until
    ``k`` reachable rows are found, so a crowd of unreachable faces cannot hide the
    answer. The first pass is a plain scan because an iterative one keeps every face it
    passes over for later, which cost 7-11 % more per search over 1,000,000 faces
    (bench/face_search.py), and it returns the same rows: the iterative scan's first
    batch is that pass.
    """
    literal = vector_literal(vector)
    for iterative in ("off", "relaxed_order"):
        conn.execute(
            "SELECT set_config('hnsw.ef_search', %s, true), "
            "set_config('hnsw.iterative_scan', %s, true)",
            (str(ef_search), iterative),
        )
        rows = conn.execute(
            """SELECT f.case_id, f.evidence_id, f.embedding <-> %s::vector AS distance
               FROM face_embeddings f
               WHERE f.case_id IS DISTINCT FROM %s
               ORDER BY f.embedding <-> %s::vector
               LIMIT %s""",
            (literal, exclude, literal, k),
        ).fetchall()
        if len(rows) >= k:
            break
    return [(row[0], row[1], float(row[2])) for row in rows]


def faces_of(conn: Conn, subject_ids: Sequence[UUID]) -> dict[UUID, list[list[float]]]:
    """The face embeddings of these cases that this agency may reach, oldest first."""
    rows = conn.execute(
        """SELECT case_id, embedding::real[] FROM face_embeddings
           WHERE case_id = ANY(%s) ORDER BY created_at, evidence_id""",
        (list(subject_ids),),
    ).fetchall()
    out: dict[UUID, list[list[float]]] = {}
    for case_id, vector in rows:
        out.setdefault(case_id, []).append([float(x) for x in vector])
    return out


def face_evidence_ids(conn: Conn, case_id: UUID) -> list[UUID]:
    """The evidence ids of the case's stored embeddings: part of its evidence state."""
    rows = conn.execute(
        "SELECT evidence_id FROM face_embeddings WHERE case_id = %s ORDER BY evidence_id",
        (case_id,),
    ).fetchall()
    return [row[0] for row in rows]


# Match runs and candidates ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Run:
    id: UUID
    agency_id: UUID
    case_id: UUID
    state: str
    algorithm: str
    evidence_hash: str
    gallery_version: int | None
    requested_by: UUID
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    attempts: int
    candidate_count: int | None
    timings: dict[str, Any]
    error: str | None
    pending_index: int | None


_RUN_COLUMNS = (
    "id, agency_id, case_id, state, algorithm, evidence_hash, gallery_version, requested_by, "
    "created_at, started_at, finished_at, attempts, candidate_count, timings, error, "
    "pending_index"
)


def insert_run(
    conn: Conn, *, case_id: UUID, algorithm: str, evidence_hash: str, requested_by: UUID
) -> tuple[UUID, bool]:
    """The run for this case, evidence state and algorithm: (id, created now)."""
    row = conn.execute(
        "INSERT INTO match_runs (case_id, algorithm, evidence_hash, requested_by) "
        "VALUES (%s, %s, %s, %s) ON CONFLICT (case_id, evidence_hash, algorithm) DO NOTHING "
        "RETURNING id",
        (case_id, algorithm, evidence_hash, requested_by),
    ).fetchone()
    if row is not None:
        return row[0], True
    existing = conn.execute(
        "SELECT id FROM match_runs WHERE case_id = %s AND evidence_hash = %s AND algorithm = %s",
        (case_id, evidence_hash, algorithm),
    ).fetchone()
    assert existing is not None
    return existing[0], False


def get_run(conn: Conn, run_id: UUID, *, lock: bool = False) -> Run | None:
    suffix = " FOR UPDATE" if lock else ""
    with conn.cursor(row_factory=class_row(Run)) as cur:
        cur.execute(f"SELECT {_RUN_COLUMNS} FROM match_runs WHERE id = %s{suffix}", (run_id,))  # noqa: S608
        return cur.fetchone()


def latest_done_run(conn: Conn, case_id: UUID) -> Run | None:
    with conn.cursor(row_factory=class_row(Run)) as cur:
        cur.execute(
            f"SELECT {_RUN_COLUMNS} FROM match_runs WHERE case_id = %s AND state = 'done' "  # noqa: S608
            "ORDER BY finished_at DESC LIMIT 1",
            (case_id,),
        )
        return cur.fetchone()


def requeue_run(conn: Conn, run_id: UUID) -> None:
    conn.execute(
        "UPDATE match_runs SET state = 'queued', error = NULL, started_at = NULL WHERE id = %s",
        (run_id,),
    )


def start_run(conn: Conn, run_id: UUID) -> None:
    conn.execute(
        "UPDATE match_runs SET state = 'running', started_at = now(), attempts = attempts + 1 "
        "WHERE id = %s",
        (run_id,),
    )


def finish_run(
    conn: Conn, run_id: UUID, *, gallery: int, count: int, timings: Mapping[str, float]
) -> None:
    conn.execute(
        "UPDATE match_runs SET state = 'done', finished_at = now(), gallery_version = %s, "
        "candidate_count = %s, timings = %s, pending_index = tessera_pending_index() "
        "WHERE id = %s",
        (gallery, count, json.dumps(timings), run_id),
    )


def fail_run(conn: Conn, run_id: UUID, error: str) -> None:
    conn.execute(
        "UPDATE match_runs SET state = 'failed', finished_at = now(), error = %s WHERE id = %s",
        (error[:2000], run_id),
    )


def replace_candidates(conn: Conn, run: Run, rows: Sequence[Mapping[str, Any]]) -> None:
    """The run's candidates, best first; a retried run replaces a half-written list."""
    conn.execute("DELETE FROM candidates WHERE match_run_id = %s", (run.id,))
    with conn.cursor() as cur:
        cur.executemany(
            """INSERT INTO candidates (agency_id, match_run_id, case_id, rank, kind, subject_id,
                                       owner_agency_id, ref, score, match_weight, band,
                                       explanation)
               VALUES (%(agency_id)s, %(run_id)s, %(case_id)s, %(rank)s, %(kind)s,
                       %(subject_id)s, %(owner)s, %(ref)s, %(score)s, %(weight)s, %(band)s,
                       %(explanation)s)""",
            [
                {
                    "agency_id": run.agency_id,
                    "run_id": run.id,
                    "case_id": run.case_id,
                    "explanation": json.dumps(row["explanation"], ensure_ascii=False),
                    **{k: v for k, v in row.items() if k != "explanation"},
                }
                for row in rows
            ],
        )


@dataclass(frozen=True, slots=True)
class CandidateRow:
    id: UUID
    match_run_id: UUID
    case_id: UUID
    rank: int
    kind: str
    subject_id: UUID
    owner_agency_id: UUID
    ref: str | None
    score: float
    match_weight: float
    band: str
    explanation: list[dict[str, Any]]
    status: str


_CANDIDATE_COLUMNS = (
    "id, match_run_id, case_id, rank, kind, subject_id, owner_agency_id, ref, score, "
    "match_weight, band, explanation, status"
)


def candidates_of_run(conn: Conn, run_id: UUID) -> list[CandidateRow]:
    with conn.cursor(row_factory=class_row(CandidateRow)) as cur:
        cur.execute(
            f"SELECT {_CANDIDATE_COLUMNS} FROM candidates WHERE match_run_id = %s ORDER BY rank",  # noqa: S608
            (run_id,),
        )
        return cur.fetchall()


def get_candidate(conn: Conn, candidate_id: UUID) -> CandidateRow | None:
    with conn.cursor(row_factory=class_row(CandidateRow)) as cur:
        cur.execute(
            f"SELECT {_CANDIDATE_COLUMNS} FROM candidates WHERE id = %s",  # noqa: S608
            (candidate_id,),
        )
        return cur.fetchone()


@dataclass(frozen=True, slots=True)
class DecisionRow:
    id: UUID
    candidate_id: UUID
    case_id: UUID
    match_run_id: UUID
    reviewer_id: UUID
    verdict: str
    reason: str
    algorithm: str
    score: float
    band: str
    explanation: list[dict[str, Any]]
    created_at: datetime


_DECISION_COLUMNS = (
    "id, candidate_id, case_id, match_run_id, reviewer_id, verdict, reason, algorithm, score, "
    "band, explanation, created_at"
)


def insert_decision(
    conn: Conn, *, candidate_id: UUID, reviewer_id: UUID, verdict: str, reason: str
) -> DecisionRow:
    """Record a verdict; the database fills in what it was taken on and applies the rule."""
    with conn.cursor(row_factory=class_row(DecisionRow)) as cur:
        cur.execute(
            f"""INSERT INTO decisions (candidate_id, reviewer_id, verdict, reason)
               VALUES (%s, %s, %s, %s)
               RETURNING {_DECISION_COLUMNS}""",  # noqa: S608
            (candidate_id, reviewer_id, verdict, reason),
        )
        row = cur.fetchone()
        assert row is not None
        return row


def decisions_on(conn: Conn, candidate_ids: Sequence[UUID]) -> list[DecisionRow]:
    with conn.cursor(row_factory=class_row(DecisionRow)) as cur:
        cur.execute(
            f"SELECT {_DECISION_COLUMNS} FROM decisions WHERE candidate_id = ANY(%s) "  # noqa: S608
            "ORDER BY created_at",
            (list(candidate_ids),),
        )
        return cur.fetchall()


# Cases, as the pipeline needs them -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaseFacts:
    id: UUID
    agency_id: UUID
    reference: str
    state: str
    subject: dict[str, Any]
    created_by: UUID


def lock_case(conn: Conn, case_id: UUID) -> CaseFacts | None:
    with conn.cursor(row_factory=class_row(CaseFacts)) as cur:
        cur.execute(
            "SELECT id, agency_id, reference, state, subject, created_by FROM cases "
            "WHERE id = %s FOR UPDATE",
            (case_id,),
        )
        return cur.fetchone()


def case_evidence(conn: Conn, case_id: UUID) -> list[tuple[UUID, str, dict[str, Any]]]:
    """The case's current evidence: items nothing supersedes, oldest first."""
    rows = conn.execute(
        """SELECT e.id, e.kind, e.data FROM evidence e
           WHERE e.case_id = %s AND e.erased_at IS NULL
             AND NOT EXISTS (SELECT 1 FROM evidence s WHERE s.supersedes = e.id)
           ORDER BY e.created_at, e.id""",
        (case_id,),
    ).fetchall()
    return [(row[0], row[1], row[2]) for row in rows]


def set_case_state(conn: Conn, case_id: UUID, state: str) -> None:
    conn.execute("UPDATE cases SET state = %s, updated_at = now() WHERE id = %s", (state, case_id))


def identities_by_id(
    conn: Conn, ids: Sequence[UUID]
) -> list[tuple[UUID, UUID, str | None, dict[str, Any]]]:
    rows = conn.execute(
        "SELECT id, agency_id, external_id, person FROM identities WHERE id = ANY(%s)",
        (list(ids),),
    ).fetchall()
    return [(row[0], row[1], row[2], row[3]) for row in rows]
