"""The pipeline at scale: bulk import, indexing, partner queries, case runs, recall.

Starts its own embedded PostgreSQL and Valkey under ``--home``, the API (uvicorn) and
``--workers`` matching workers as separate processes, then:

1. bulk-imports ``--n`` synthetic identity records (bench/gallery.py) through
   ``POST /v1/identities/bulk`` and reports records per second;
2. waits for the workers to index them (profiles and search keys) and reports the rate;
3. sends ``--queries`` mated partner queries to ``POST /v1/match`` one after another:
   p50/p95 latency, recall@10 of the true record, and blocking recall (whether the
   true record was among the candidates blocking returned, measured in-process with
   the same SQL);
4. opens ``--cases`` cases with mated subjects, asks for a match run each and times
   ``POST /v1/cases/{id}/match`` → ``candidates_ready`` (p50/p95).

The last line is one JSON object with every figure.

    .venv/bin/python bench/pipeline_load.py --n 100000 --queries 1000 --cases 100
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.gallery import DEFAULT_DATA, load_tokens, people, query_for  # noqa: E402
from bench.harness import start as start_stack  # noqa: E402
from matching import build_profile  # noqa: E402
from service.db import Principal, set_context  # noqa: E402
from service.indexing import repository as repo  # noqa: E402
from service.indexing.search import block_candidates  # noqa: E402
from service.ops.migrate import app_url  # noqa: E402


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def partner_setup(
    stack: Any, client: Any, admin: dict[str, str], office: dict[str, Any]
) -> tuple[dict[str, str], UUID, dict[str, str]]:
    """A consulate under a sharing agreement with ``office``; a caseworker of the
    office and a partner user of the consulate: (caseworker headers, caseworker id,
    partner headers)."""
    consulate = stack.agency(client, admin, "Bench consulate")
    client.post(
        "/v1/sharing-agreements",
        headers=admin,
        json={
            "owner_agency_id": office["id"],
            "partner_agency_id": consulate["id"],
            "purpose": "benchmark",
        },
    ).raise_for_status()
    caseworker, caseworker_id_text = stack.user(client, admin, office["id"], "caseworker")
    partner, _ = stack.user(client, admin, consulate["id"], "partner")
    return caseworker, UUID(caseworker_id_text), partner


def bulk_import(
    client: Any, caseworker: dict[str, str], records: list[dict[str, Any]], chunk: int = 5000
) -> float:
    """``POST /v1/identities/bulk`` in NDJSON chunks; the seconds it took."""
    started = time.perf_counter()
    for start in range(0, len(records), chunk):
        body = "".join(
            json.dumps(r, ensure_ascii=False) + "\n" for r in records[start : start + chunk]
        )
        response = client.post(
            "/v1/identities/bulk",
            content=body.encode(),
            headers={**caseworker, "Content-Type": "application/x-ndjson"},
        )
        response.raise_for_status()
    return time.perf_counter() - started


def wait_profiles(owner: str, office_id: UUID, n: int) -> None:
    """Until the workers have built at least ``n`` match profiles for the office."""
    while True:
        with psycopg.connect(owner) as conn:
            row = conn.execute(
                "SELECT count(*) FROM match_profiles WHERE agency_id = %s", (office_id,)
            ).fetchone()
        if (row[0] if row else 0) >= n:
            return
        time.sleep(2)


def _earlier_office(owner: str) -> dict[str, Any]:
    """The agency that owns the gallery of an earlier run in the same home."""
    with psycopg.connect(owner) as conn:
        row = conn.execute(
            "SELECT id FROM agencies WHERE name LIKE 'Bench office%%' "
            "ORDER BY created_at DESC LIMIT 1"
        ).fetchone()
    if row is None:
        raise SystemExit("--reuse: no earlier run in this home")
    return {"id": str(row[0])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--home", type=Path, default=ROOT / "bench" / "out" / "pipeline-home")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="query the gallery an earlier run with the same --n and --seed left in --home",
    )
    args = parser.parse_args()

    stack = start_stack(args.home, port=args.port, workers=args.workers)
    owner = stack.owner_url
    figures: dict[str, Any] = {"n": args.n}
    try:
        client = stack.client()
        admin = stack.admin_headers()
        office = (
            _earlier_office(owner) if args.reuse else stack.agency(client, admin, "Bench office")
        )
        caseworker, caseworker_id, partner = partner_setup(stack, client, admin, office)
        suffix = f"{args.n}-{args.seed}-{int(time.time())}"
        tokens = load_tokens(args.data)
        everyone = list(people(tokens, args.n, args.seed))

        if not args.reuse:
            # 1. bulk import
            imported = bulk_import(client, caseworker, [p.record() for p in everyone])
            figures["bulk_import_per_s"] = round(args.n / imported)
            print(
                f"bulk import: {args.n} records in {imported:.1f} s ({args.n / imported:.0f}/s)",
                flush=True,
            )

            # 2. indexing by the workers
            started = time.perf_counter()
            wait_profiles(owner, UUID(office["id"]), args.n)
            took = time.perf_counter() - started + imported
            figures["indexed_per_s"] = round(args.n / took)
            print(
                f"indexing: {args.n} profiles ready {took:.1f} s after the import began "
                f"({args.n / took:.0f}/s)",
                flush=True,
            )

        office_id = UUID(office["id"])

        # 3. partner queries
        rng = random.Random(args.seed + 1)
        sample = rng.sample(everyone, args.queries + args.cases)
        queries = [(p.external_id, query_for(rng, p)) for p in sample[: args.queries]]
        latencies, found10, found1, blocked_found = [], 0, 0, 0
        with psycopg.connect(app_url(owner)) as conn:
            for expect, query in queries:
                t0 = time.perf_counter()
                response = client.post(
                    "/v1/match",
                    json={"person": query, "limit": 10},
                    headers={**partner, "X-Purpose": "benchmark"},
                )
                latencies.append(time.perf_counter() - t0)
                response.raise_for_status()
                refs = [c["ref"] for c in response.json()["candidates"]]
                found10 += expect in refs
                found1 += bool(refs) and refs[0] == expect
                with conn.transaction():
                    set_context(conn, Principal(caseworker_id, office_id, "caseworker"))
                    blocked = block_candidates(conn, build_profile(query), exclude=None)
                    stored = repo.load_profiles(conn, blocked)
                    blocked_found += any(s.ref == expect for s in stored)
        figures.update(
            {
                "match_p50_ms": round(pct(latencies, 0.5) * 1000, 1),
                "match_p95_ms": round(pct(latencies, 0.95) * 1000, 1),
                "recall10": round(found10 / len(queries), 4),
                "rank1": round(found1 / len(queries), 4),
                "blocking_recall": round(blocked_found / len(queries), 4),
            }
        )
        print(
            f"partner /v1/match: p50 {figures['match_p50_ms']} ms, "
            f"p95 {figures['match_p95_ms']} ms; recall@10 {figures['recall10']}, "
            f"rank-1 {figures['rank1']}, blocking recall {figures['blocking_recall']}",
            flush=True,
        )

        # 4. case runs
        durations = []
        for number, person in enumerate(sample[args.queries :]):
            subject = query_for(rng, person)
            created = client.post(
                "/v1/cases",
                headers=caseworker,
                json={"reference": f"BENCH-{suffix}-{number}", "subject": subject},
            )
            created.raise_for_status()
            t0 = time.perf_counter()
            started_run = client.post(f"/v1/cases/{created.json()['id']}/match", headers=caseworker)
            if started_run.status_code != 202:
                print(f"case {number}: match refused: {started_run.text}", flush=True)
                continue
            run = started_run.json()
            while True:
                state = client.get(
                    f"/v1/match-runs/{run['match_run_id']}", headers=caseworker
                ).json()["state"]
                if state in ("done", "failed"):
                    break
                time.sleep(0.01)
            durations.append(time.perf_counter() - t0)
        if durations:
            figures["case_run_p50_s"] = round(statistics.median(durations), 3)
            figures["case_run_p95_s"] = round(pct(durations, 0.95), 3)
            print(
                f"case match → candidates_ready: p50 {figures['case_run_p50_s']} s, "
                f"p95 {figures['case_run_p95_s']} s",
                flush=True,
            )
    finally:
        stack.stop()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
