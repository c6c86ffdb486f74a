"""1:N face search in PostgreSQL with a pgvector HNSW index: query time and recall.

Starts its own embedded PostgreSQL in a temporary folder, loads ``--n`` synthetic
128-d embeddings, builds the HNSW index the gallery uses (``vector_l2_ops``,
``m = 16``, ``ef_construction = 64``) and runs ``--queries`` searches for the 10
nearest faces. Each query is a stored embedding plus noise of the size of a
same-person distance (about 0.4); recall@10 compares the index's answer with an
exact scan (numpy over the same vectors, float32 like the database); the twin rate is
how often the stored embedding of the query's own person is among the 10 returned —
what identification needs.

Synthetic embeddings are isotropic Gaussian vectors scaled so that unrelated pairs
sit about 0.9 apart, as different people do with dlib embeddings. That is harder
for HNSW than real faces (which lie on a lower-dimensional surface), so recall here
is a floor.

Usage: ``python bench/face_search.py [--n 1000000] [--queries 200] [--ef-search 40,100]``
(building the index over 1,000,000 vectors takes about 11 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import atexit
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.embedded import start_postgres  # noqa: E402

DIM = 128
#: Per-dimension spread giving unrelated pairs a distance of about 0.9 (σ·√(2·128)).
SPREAD = 0.9 / np.sqrt(2 * DIM)
#: Noise giving a query a distance of about 0.4 from its stored twin.
SAME_PERSON_NOISE = 0.4 / np.sqrt(DIM)


def vector_literal(v: npt.NDArray[np.float32]) -> str:
    return "[" + ",".join(f"{x:.6f}" for x in v) + "]"


def load(conn: psycopg.Connection[tuple[object, ...]], vectors: npt.NDArray[np.float32]) -> None:
    conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    conn.execute("DROP TABLE IF EXISTS face_bench")
    conn.execute(f"CREATE TABLE face_bench (id integer PRIMARY KEY, embedding vector({DIM}))")
    with conn.cursor() as cur, cur.copy("COPY face_bench (id, embedding) FROM STDIN") as copy:
        for i, v in enumerate(vectors):
            copy.write_row((i, vector_literal(v)))
    conn.execute("ANALYZE face_bench")


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--ef-search", default="40,100", help="comma-separated hnsw.ef_search")
    parser.add_argument("--seed", type=int, default=20261127)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    vectors = (rng.normal(0.0, SPREAD, (args.n, DIM))).astype(np.float32)
    twins = rng.choice(args.n, size=args.queries, replace=False)
    queries = (vectors[twins] + rng.normal(0.0, SAME_PERSON_NOISE, (args.queries, DIM))).astype(
        np.float32
    )

    start = time.perf_counter()
    exact: list[set[int]] = []
    for q in queries:
        d = np.linalg.norm(vectors - q, axis=1)
        exact.append({int(i) for i in np.argpartition(d, 10)[:10]})
    exact_s = (time.perf_counter() - start) / args.queries

    home = Path(tempfile.mkdtemp(prefix="tessera-face-search-"))
    # Registered before the server starts, so it runs after the server's own atexit
    # handler has stopped it.
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    url = start_postgres(home)
    with psycopg.connect(url, autocommit=True) as conn:
        start = time.perf_counter()
        load(conn, vectors)
        load_s = time.perf_counter() - start
        conn.execute("SET maintenance_work_mem = '1GB'")
        conn.execute("SET max_parallel_maintenance_workers = 1")
        start = time.perf_counter()
        conn.execute(
            "CREATE INDEX face_bench_hnsw ON face_bench "
            "USING hnsw (embedding vector_l2_ops) WITH (m = 16, ef_construction = 64)"
        )
        build_s = time.perf_counter() - start
        size = conn.execute("SELECT pg_size_pretty(pg_relation_size('face_bench_hnsw'))").fetchone()
        print(
            f"n={args.n:,}: loaded in {load_s:.1f} s, HNSW (m 16, ef_construction 64) "
            f"built in {build_s:.1f} s, index {size[0] if size else '?'}; "
            f"exact numpy scan {exact_s * 1000:.1f} ms/query"
        )
        results = []
        for ef in (int(x) for x in args.ef_search.split(",")):
            conn.execute(f"SET hnsw.ef_search = {ef}")
            times: list[float] = []
            recalls: list[float] = []
            twin_hits: list[float] = []
            for q, truth, twin in zip(queries, exact, twins, strict=True):
                literal = vector_literal(q)
                start = time.perf_counter()
                rows = conn.execute(
                    "SELECT id FROM face_bench ORDER BY embedding <-> %s::vector LIMIT 10",
                    (literal,),
                ).fetchall()
                times.append(time.perf_counter() - start)
                found = {int(r[0]) for r in rows}
                recalls.append(len(found & truth) / 10)
                twin_hits.append(float(int(twin) in found))
            twin_found = statistics.mean(
                float(int(t) in s) for t, s in zip(twins, exact, strict=True)
            )
            plan = conn.execute(
                "EXPLAIN SELECT id FROM face_bench ORDER BY embedding <-> %s::vector LIMIT 10",
                (vector_literal(queries[0]),),
            ).fetchall()
            uses_index = any("face_bench_hnsw" in str(r[0]) for r in plan)
            result = {
                "n": args.n,
                "ef_search": ef,
                "queries": args.queries,
                "p50_ms": round(percentile(times, 50) * 1000, 2),
                "p95_ms": round(percentile(times, 95) * 1000, 2),
                "recall_at_10": round(statistics.mean(recalls), 4),
                "build_s": round(build_s, 1),
                "index_used": uses_index,
                "twin_in_top10": round(statistics.mean(twin_hits), 4),
                "exact_twin_in_top10": round(twin_found, 4),
            }
            results.append(result)
            print(
                f"  ef_search {ef}: p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, "
                f"recall@10 {result['recall_at_10']:.4f}, same-person twin in the top 10 "
                f"{result['twin_in_top10']:.4f} (index used: {uses_index})"
            )
        print(json.dumps(results[0]))


if __name__ == "__main__":
    main()
