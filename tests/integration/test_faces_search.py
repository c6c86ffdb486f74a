"""The face route of blocking against real PostgreSQL and its HNSW index: a stored
near-duplicate is found among many distractors, within the agency's reach."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import numpy as np
import numpy.typing as npt
import psycopg

from service.db import Principal, set_context
from service.evidence.repository import vector_literal
from service.indexing import repository as index_repo
from service.indexing.algorithm import FACE_CONFIG
from service.indexing.search import LIMITS, face_candidates
from service.ops.migrate import WORKER_ROLE
from tests.conftest import AgencyUsers, Servers

DIM = 128
#: Per-dimension spread that puts unrelated faces about 0.9 apart, as different people.
SPREAD = 0.9 / np.sqrt(2 * DIM)


def _around(
    rng: np.random.Generator, centre: npt.NDArray[np.float64], low: float, high: float, n: int
) -> list[npt.NDArray[np.float64]]:
    """``n`` vectors at distances drawn between ``low`` and ``high`` from ``centre``."""
    out = []
    for distance in rng.uniform(low, high, n):
        direction = rng.normal(size=DIM)
        out.append(centre + distance * direction / np.linalg.norm(direction))
    return out


def _store(
    conn: psycopg.Connection[Any],
    agency: AgencyUsers,
    reference: str,
    vectors: Sequence[npt.NDArray[np.float64]],
) -> UUID:
    """One case of ``agency`` holding these face embeddings (written as the owner)."""
    row = conn.execute(
        "INSERT INTO cases (agency_id, reference, subject, created_by) "
        "VALUES (%s, %s, %s, %s) RETURNING id",
        (agency.id, reference, json.dumps({"names": [reference]}), agency.caseworker_id),
    ).fetchone()
    assert row is not None
    case_id: UUID = row[0]
    conn.execute(
        """WITH items AS (
               INSERT INTO evidence (agency_id, case_id, kind, data, created_by)
               SELECT %(agency)s, %(case)s, 'face_image', '{}', %(user)s
               FROM generate_series(1, %(n)s)
               RETURNING id
           ), numbered AS (
               SELECT id, row_number() OVER (ORDER BY id) AS i FROM items
           )
           INSERT INTO face_embeddings (evidence_id, agency_id, case_id, embedding, model)
           SELECT numbered.id, %(agency)s, %(case)s, v.embedding::vector, 'test'
           FROM numbered
           JOIN unnest(%(vectors)s::text[]) WITH ORDINALITY AS v(embedding, i) USING (i)""",
        {
            "agency": agency.id,
            "case": case_id,
            "user": agency.caseworker_id,
            "n": len(vectors),
            "vectors": [vector_literal(v.tolist()) for v in vectors],
        },
    )
    return case_id


def test_the_face_route_finds_a_near_duplicate_behind_a_crowd_of_unreachable_faces(
    servers: Servers, agency: AgencyUsers, other_agency: AgencyUsers
) -> None:
    far = FACE_CONFIG.threshold("far")
    rng = np.random.default_rng(20261127)
    query = rng.normal(0.0, SPREAD, DIM)
    with psycopg.connect(servers.owner_url) as conn, conn.transaction(force_rollback=True):
        # the querying case's own faces are the nearest of all, and must be left out
        own = _store(conn, agency, "own", _around(rng, query, 0.02, 0.05, 3))
        # another agency (no sharing agreement) holds more faces nearer than the
        # duplicate than one search of LIMITS.face_ef_search visits: only a search that goes on
        # past the rows the agency cannot read finds anything
        hidden_faces = _around(rng, query, 0.10, 0.30, 2 * LIMITS.face_ef_search)
        hidden = {
            _store(conn, other_agency, f"hidden-{i}", hidden_faces[i : i + 10])
            for i in range(0, len(hidden_faces), 10)
        }
        duplicate = _store(conn, agency, "duplicate", _around(rng, query, 0.35, 0.35, 1))
        inside = {
            _store(conn, agency, f"inside-{i}", [face])
            for i, face in enumerate(_around(rng, query, 0.50, far - 0.03, 30))
        }
        outside = {
            _store(conn, agency, f"outside-{i}", [face])
            for i, face in enumerate(_around(rng, query, far + 0.02, 0.80, 30))
        }
        background = [rng.normal(0.0, SPREAD, DIM) for _ in range(2000)]
        crowd = {
            _store(conn, agency, f"background-{i}", background[i : i + 10])
            for i in range(0, len(background), 10)
        }
        assert 1 + len(inside) < LIMITS.face_neighbours  # all of them fit in one answer

        conn.execute(f"SET LOCAL ROLE {WORKER_ROLE}")
        # A few thousand rows, most of them out of reach, are sorted exactly by a
        # sequential scan; a gallery of millions is searched through the HNSW index,
        # which is what this test is about.
        conn.execute("SET LOCAL enable_seqscan = off")
        set_context(conn, Principal(user_id=UUID(int=0), agency_id=agency.id, role="worker"))
        found = face_candidates(conn, [query.tolist()], exclude=own)

        assert duplicate in found
        assert found == {duplicate} | inside
        assert not found & (hidden | outside | crowd | {own})

        # the crowd really hides the duplicate from a search that stops after one pass
        conn.execute("SET LOCAL hnsw.iterative_scan = off")
        conn.execute(f"SET LOCAL hnsw.ef_search = {LIMITS.face_ef_search}")
        plain = conn.execute(
            "SELECT case_id FROM face_embeddings WHERE case_id <> %s "
            "ORDER BY embedding <-> %s::vector LIMIT %s",
            (own, vector_literal(query.tolist()), LIMITS.face_neighbours),
        ).fetchall()
        assert duplicate not in {row[0] for row in plain}


def test_a_first_pass_left_short_by_unreachable_faces_is_searched_again_to_k(
    servers: Servers, agency: AgencyUsers, other_agency: AgencyUsers
) -> None:
    rng = np.random.default_rng(20261128)
    query = rng.normal(0.0, SPREAD, DIM)
    with psycopg.connect(servers.owner_url) as conn, conn.transaction(force_rollback=True):
        early = {
            _store(conn, agency, f"early-{i}", [f])
            for i, f in enumerate(_around(rng, query, 0.10, 0.15, 5))
        }
        # more unreachable faces than one search of LIMITS.face_ef_search keeps, all nearer
        # than the rest of the agency's own
        crowd_faces = _around(rng, query, 0.20, 0.30, 2 * LIMITS.face_ef_search)
        for i in range(0, len(crowd_faces), 10):
            _store(conn, other_agency, f"crowd-{i}", crowd_faces[i : i + 10])
        late_faces = _around(rng, query, 0.35, 0.45, LIMITS.face_neighbours - len(early))
        late = {_store(conn, agency, f"late-{i}", [f]): f for i, f in enumerate(late_faces)}
        beyond = {
            _store(conn, agency, f"beyond-{i}", [f])
            for i, f in enumerate(_around(rng, query, 0.70, 0.80, 20))
        }
        conn.execute(f"SET LOCAL ROLE {WORKER_ROLE}")
        conn.execute("SET LOCAL enable_seqscan = off")
        set_context(conn, Principal(user_id=UUID(int=0), agency_id=agency.id, role="worker"))

        near = index_repo.nearest_faces(
            conn,
            query.tolist(),
            exclude=None,
            k=LIMITS.face_neighbours,
            ef_search=LIMITS.face_ef_search,
        )

        # the k nearest reachable: the early ones and every late one, none from beyond
        assert len(near) == LIMITS.face_neighbours
        assert {case_id for case_id, _, _ in near} == early | set(late)
        assert not {case_id for case_id, _, _ in near} & beyond
        for case_id, _, distance in near:
            if case_id in late:
                assert abs(distance - float(np.linalg.norm(late[case_id] - query))) < 1e-5

        # one plain pass really leaves fewer than k: only the early ones
        conn.execute("SET LOCAL hnsw.iterative_scan = off")
        conn.execute(f"SET LOCAL hnsw.ef_search = {LIMITS.face_ef_search}")
        plain = conn.execute(
            "SELECT case_id FROM face_embeddings ORDER BY embedding <-> %s::vector LIMIT %s",
            (vector_literal(query.tolist()), LIMITS.face_neighbours),
        ).fetchall()
        assert {row[0] for row in plain} == early
