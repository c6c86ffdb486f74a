"""1:N face search in PostgreSQL with a pgvector HNSW index: query time and recall.

Starts its own embedded PostgreSQL in a temporary folder, loads ``--n`` synthetic
128-d embeddings, builds the HNSW index the gallery uses (``vector_l2_ops``,
``m = 16``, ``ef_construction = 64``) and runs ``--queries`` searches for the ``--k``
(10) nearest faces. Each query is a stored embedding plus noise of the size of a
same-person distance (about 0.4); recall@k compares the index's answer with an
exact scan (numpy over the same vectors, float32 like the database); the twin rate is
how often the stored embedding of the query's own person is among the k returned —
what identification needs.

Synthetic embeddings are Gaussian vectors scaled so that unrelated pairs sit about
0.9 apart, as different people do with dlib embeddings. ``--spectrum faces`` (the
default) gives them the spread real embeddings show: on the labelled photos the
different-person distances (median 0.89, 1st-99th percentile 0.66-1.06) are as
spread as in about 50 independent dimensions, not 128, so the variance falls off as
a power law over 128 randomly rotated axes with that effective dimension.
``--spectrum iid`` (equal variance on all 128 axes) is the hardest case for HNSW.

Usage: ``python bench/face_search.py [--n 1000000] [--queries 200] [--k 10]
[--ef-search 40,100,200] [--spectrum faces|iid]`` (building the index over 1,000,000
vectors takes about 11 minutes on 2 cores).
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


def synthetic(rng: np.random.Generator, n: int, *, spectrum: str) -> npt.NDArray[np.float32]:
    """``n`` synthetic embeddings; unrelated pairs about 0.9 apart on average."""
    if spectrum == "iid":
        return rng.normal(0.0, SPREAD, (n, DIM)).astype(np.float32)
    # Power-law variances λ_i ∝ i^-0.65: participation ratio (Σλ)²/Σλ² ≈ 54.
    variances = np.arange(1, DIM + 1, dtype=np.float64) ** -0.65
    variances *= DIM * SPREAD**2 / variances.sum()
    rotation, _ = np.linalg.qr(rng.normal(size=(DIM, DIM)))
    out = np.empty((n, DIM), dtype=np.float32)
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        z = rng.normal(size=(stop - start, DIM)) * np.sqrt(variances)
        out[start:stop] = z @ rotation.T
    return out


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
    parser.add_argument("--ef-search", default="40,100,200", help="comma-separated hnsw.ef_search")
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--k", type=int, default=10, help="neighbours asked for")
    parser.add_argument("--spectrum", choices=("faces", "iid"), default="faces")
    args = parser.parse_args(argv)
    k = args.k
    rng = np.random.default_rng(args.seed)
    vectors = synthetic(rng, args.n, spectrum=args.spectrum)
    twins = rng.choice(args.n, size=args.queries, replace=False)
    queries = (vectors[twins] + rng.normal(0.0, SAME_PERSON_NOISE, (args.queries, DIM))).astype(
        np.float32
    )

    start = time.perf_counter()
    exact: list[set[int]] = []
    for q in queries:
        d = np.linalg.norm(vectors - q, axis=1)
        exact.append({int(i) for i in np.argpartition(d, k)[:k]})
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
                    "SELECT id FROM face_bench ORDER BY embedding <-> %s::vector LIMIT %s",
                    (literal, k),
                ).fetchall()
                times.append(time.perf_counter() - start)
                found = {int(r[0]) for r in rows}
                recalls.append(len(found & truth) / k)
                twin_hits.append(float(int(twin) in found))
            twin_found = statistics.mean(
                float(int(t) in s) for t, s in zip(twins, exact, strict=True)
            )
            plan = conn.execute(
                "EXPLAIN SELECT id FROM face_bench ORDER BY embedding <-> %s::vector LIMIT %s",
                (vector_literal(queries[0]), k),
            ).fetchall()
            uses_index = any("face_bench_hnsw" in str(r[0]) for r in plan)
            result = {
                "n": args.n,
                "spectrum": args.spectrum,
                "ef_search": ef,
                "queries": args.queries,
                "p50_ms": round(percentile(times, 50) * 1000, 2),
                "p95_ms": round(percentile(times, 95) * 1000, 2),
                "k": k,
                f"recall_at_{k}": round(statistics.mean(recalls), 4),
                "build_s": round(build_s, 1),
                "index_used": uses_index,
                "twin_in_top_k": round(statistics.mean(twin_hits), 4),
                "exact_twin_in_top_k": round(twin_found, 4),
            }
            results.append(result)
            print(
                f"  ef_search {ef}: p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, "
                f"recall@{k} {result[f'recall_at_{k}']:.4f}, same-person twin in the top {k} "
                f"{result['twin_in_top_k']:.4f} (index used: {uses_index})"
            )
        print(json.dumps(results[0]))


if __name__ == "__main__":
    main()
