"""SQL of the match index: stored profiles, their search keys and key counts, blocking,
face embeddings by nearest neighbour, and the gallery's version."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from psycopg import sql
from psycopg.rows import class_row

from service.db import Conn
from service.evidence.repository import vector_literal

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


def _profile_record(r: ProfileRow) -> dict[str, Any]:
    return {
        "subject_id": str(r.subject_id),
        "subject_kind": r.subject_kind,
        "agency_id": str(r.agency_id),
        "ref": r.ref,
        "person": r.person,
        "person_hash": r.person_hash,
        "name_text": r.name_text,
        "birth_year": r.birth_year,
        # each row's keys travel joined by the unit separator (no key contains a
        # control character), sorted and distinct as they are stored
        "keys": _KEY_SEPARATOR.join(sorted(set(r.keys))),
        "algorithm": r.algorithm,
    }


#: The one statement that writes profiles, postings and key counts (bench/index_write.py
#: explains it).
_UPSERT_PROFILES = """WITH changed AS (
               INSERT INTO match_profiles (subject_id, subject_kind, agency_id, ref, person,
                                           person_hash, name_text, birth_year, keys,
                                           algorithm)
               SELECT t.subject_id, t.subject_kind, t.agency_id, t.ref, t.person,
                      t.person_hash, t.name_text, t.birth_year,
                      string_to_array(t.keys, chr(31)), t.algorithm
               FROM jsonb_to_recordset(%s::jsonb)
                    AS t(subject_id uuid, subject_kind text, agency_id uuid, ref text,
                         person jsonb, person_hash text, name_text text, birth_year int,
                         keys text, algorithm text)
               ON CONFLICT (subject_id) DO UPDATE
                  SET ref = EXCLUDED.ref, person = EXCLUDED.person,
                      person_hash = EXCLUDED.person_hash, name_text = EXCLUDED.name_text,
                      birth_year = EXCLUDED.birth_year, keys = EXCLUDED.keys,
                      algorithm = EXCLUDED.algorithm,
                      gallery_version = nextval('gallery_version_seq'), updated_at = now()
                  WHERE match_profiles.person_hash IS DISTINCT FROM EXCLUDED.person_hash
                     OR match_profiles.algorithm IS DISTINCT FROM EXCLUDED.algorithm
                     OR match_profiles.ref IS DISTINCT FROM EXCLUDED.ref
               RETURNING subject_id, subject_kind, agency_id, keys, old.keys AS old_keys,
                         xmax = 0 AS created
           ), gone AS (
               -- a re-indexed profile's postings are its old keys (migration 0023):
               -- one probe of the (key, subject_id) index each
               DELETE FROM match_keys k
               USING changed c CROSS JOIN LATERAL unnest(c.old_keys) AS o(key)
               WHERE NOT c.created AND k.key = o.key AND k.subject_id = c.subject_id
               RETURNING k.agency_id, k.key
           ), added AS (
               INSERT INTO match_keys (key, subject_id, agency_id, subject_kind)
               SELECT p.key, c.subject_id, c.agency_id, c.subject_kind
               FROM changed c CROSS JOIN LATERAL unnest(c.keys) AS p(key)
               RETURNING agency_id, key
           ), moves AS (
               SELECT agency_id, key, -1 AS d FROM gone
               UNION ALL SELECT agency_id, key, 1 FROM added
               UNION ALL SELECT agency_id, '*', 1 FROM changed WHERE created
           ), counted AS (
               -- the key counts move by the difference, in key order, so two indexers
               -- updating the same counts queue rather than deadlock
               INSERT INTO match_key_stats AS s (agency_id, key, df)
               SELECT agency_id, key, sum(d) FROM moves
               GROUP BY agency_id, key HAVING sum(d) <> 0
               ORDER BY agency_id, key
               ON CONFLICT (agency_id, key) DO UPDATE SET df = s.df + EXCLUDED.df
           )
           SELECT count(*) FROM changed"""


def upsert_profiles(conn: Conn, rows: Sequence[ProfileRow]) -> int:
    """Store profiles and their keys in one set-based statement; unchanged profiles
    (same content, same algorithm) are left alone. Returns how many changed.

    The rows travel as one JSON document (encoded in C, read by ``jsonb_to_recordset``)
    and the postings of a changed profile are its stored ``keys`` column, unnested in
    the database: no array parameter is built and quoted element by element here, which
    cost about as much as building the profiles. Postings and the ``keys`` column are
    written only here and together, so a profile's old postings are found by its old
    keys."""
    if not rows:
        return 0
    row = conn.execute(
        _UPSERT_PROFILES,
        (json.dumps([_profile_record(r) for r in rows], ensure_ascii=False),),
    ).fetchone()
    assert row is not None
    changed: int = row[0]
    return changed


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


def identities_by_id(
    conn: Conn, ids: Sequence[UUID]
) -> list[tuple[UUID, UUID, str | None, dict[str, Any]]]:
    # joined to the ids, so each is one probe of the primary key: with `id = ANY(...)`
    # the planner preferred the agency's index (row-level security adds the agency),
    # which it skips through record by record, slower the larger the gallery
    rows = conn.execute(
        "SELECT i.id, i.agency_id, i.external_id, i.person "
        "FROM unnest(%s::uuid[]) AS wanted(id) JOIN identities i ON i.id = wanted.id",
        (list(ids),),
    ).fetchall()
    return [(row[0], row[1], row[2], row[3]) for row in rows]


def stale_identity_ids(conn: Conn, agency_id: UUID, version: str) -> list[UUID]:
    """The agency's identity records whose profile is missing or of another version."""
    rows = conn.execute(
        """SELECT i.id FROM identities i
           LEFT JOIN match_profiles p ON p.subject_id = i.id
           WHERE i.agency_id = %s
             AND (p.subject_id IS NULL OR p.algorithm IS DISTINCT FROM %s)
           ORDER BY i.id""",
        (agency_id, version),
    ).fetchall()
    return [row[0] for row in rows]


def stale_case_ids(conn: Conn, agency_id: UUID, version: str) -> list[UUID]:
    """The agency's cases whose stored profile is of another version."""
    rows = conn.execute(
        """SELECT p.subject_id FROM match_profiles p
           WHERE p.agency_id = %s AND p.subject_kind = 'case'
             AND p.algorithm IS DISTINCT FROM %s""",
        (agency_id, version),
    ).fetchall()
    return [row[0] for row in rows]


# Statistics of the index tables ----------------------------------------------------------------

#: The tables a search reads, which a large import grows by millions of rows.
INDEX_TABLES = ("match_profiles", "match_keys", "match_key_stats")

#: A session advisory lock: one worker vacuums the index tables at a time.
_MAINTENANCE_LOCK = 7_202_612_070


def tables_grown(conn: Conn, *, min_pages: int) -> list[str]:
    """The index tables that have grown by at least ``min_pages`` pages since they were
    last vacuumed or analyzed (by anyone, autovacuum included): their size on disk
    against the size those recorded. Read from storage, not from the statistics
    collector, which learns of a worker's writes only some seconds later."""
    rows = conn.execute(
        """SELECT c.relname FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND c.relname = ANY(%s)
             AND pg_relation_size(c.oid) / current_setting('block_size')::bigint
                 - c.relpages >= %s
           ORDER BY c.relname""",
        (list(INDEX_TABLES), min_pages),
    ).fetchall()
    return [row[0] for row in rows]


def try_maintenance_lock(conn: Conn) -> bool:
    """Take the index tables' maintenance lock for this session; False if another has it."""
    row = conn.execute("SELECT pg_try_advisory_lock(%s)", (_MAINTENANCE_LOCK,)).fetchone()
    return row is not None and bool(row[0])


def release_maintenance_lock(conn: Conn) -> None:
    conn.execute("SELECT pg_advisory_unlock(%s)", (_MAINTENANCE_LOCK,))


def vacuum_analyze(conn: Conn, table: str) -> None:
    """``VACUUM (ANALYZE)`` one index table; ``conn`` in autocommit mode, outside any
    transaction (the worker role holds MAINTAIN on these tables, migration 0022)."""
    if table not in INDEX_TABLES:
        raise ValueError(f"not an index table: {table}")
    conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(table)))
