"""Cross-script search through the service: native-script names against Latin galleries.

The HTTP counterpart of bench/xscript_names.py (which measures the library alone).
It starts its own stack (bench/harness.py: embedded PostgreSQL and Valkey, the API and
``--workers`` workers), then for each gallery size in ``--sizes``:

1. builds a gallery of Latin names, one registry record each (a single-part name, a
   birth date, sex): the Latin spellings of every query's native token (its truth),
   ``--namesakes`` of those once more as a second record with another birth date, and
   filler Latin names (every Latin token of the other pairs of the same files, all
   scripts, train and dev) up to the size; filler near a true name is what a real
   gallery holds too: distractors;
2. imports it through ``POST /v1/identities/bulk`` under an agency of its own, and polls
   ``GET /v1/imports/{id}`` until every import says ``searchable``;
3. sends each query as a partner would, names only (``POST /v1/match``, ``limit`` 10),
   through a partner agency whose sharing agreement covers this gallery only.

A query is right when a record whose name is one of the Latin spellings paired with
the query token comes first (rank-1) or among the first ten (recall@10); a namesake of
the true name counts alike (a names-only query cannot tell them apart).

Blocking recall (was a true record among the candidates blocking returned, i.e. scored
at all?) is measured without any debug path: the bench runs, in-process and under the
gallery owner's row-level security, the very function the service blocks with
(:func:`service.indexing.search.block_candidates`) against the same database, and also says
whether a true record was among the first ``LIMITS.early_score`` blocked (always scored).

Queries come from the ``dev`` split (the only labelled set here). They are split by a
stable hash of the native token into ``tune`` (even) and ``test`` (odd): changes were
made looking at ``tune`` only; ``test`` is reported separately as held out.

Figures per script and part are printed and written to ``--out`` (``.txt`` and
``.json``).

    .venv/bin/python bench/xscript_http.py --sizes 10000,60000 --queries 300
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import Stack  # noqa: E402
from bench.harness import start as start_stack  # noqa: E402
from bench.pipeline_load import pct  # noqa: E402
from bench.xscript_names import SCRIPTS, load_split  # noqa: E402
from matching import build_profile  # noqa: E402
from service.db import set_context  # noqa: E402
from service.indexing import repository as repo  # noqa: E402
from service.indexing.search import LIMITS, block_candidates  # noqa: E402
from service.ops.migrate import app_url  # noqa: E402
from tests.principals import principal_of  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "xscript-names"


@dataclass(frozen=True)
class Query:
    script: str
    native: str
    truth: frozenset[str]  # Latin spellings, as stored (title case)

    @property
    def part(self) -> str:
        digest = hashlib.sha256(self.native.encode()).digest()
        return "test" if digest[0] % 2 else "tune"


def _title(latin: str) -> str:
    return latin[:1].upper() + latin[1:]


def make_queries(data: Path, per_script: int, seed: int) -> list[Query]:
    """``per_script`` native tokens of each script's dev file, seeded, with their truth."""
    queries: list[Query] = []
    for script in SCRIPTS:
        by_native: dict[str, set[str]] = defaultdict(set)
        for latin, native in load_split(data / f"{script}.dev.tsv"):
            by_native[native].add(_title(latin))
        rng = random.Random(f"{seed}:{script}")
        for native in rng.sample(sorted(by_native), min(per_script, len(by_native))):
            queries.append(Query(script, native, frozenset(by_native[native])))
    return queries


def filler_names(data: Path, exclude: set[str]) -> list[str]:
    """Every Latin token of the files (all scripts, train and dev) not in ``exclude``,
    in a stable order."""
    pool: set[str] = set()
    for script in SCRIPTS:
        for split in ("train", "dev"):
            path = data / f"{script}.{split}.tsv"
            if path.exists():
                pool.update(_title(latin) for latin, _ in load_split(path))
    # a token without a letter ("-", a number) is not a name the API takes
    return sorted(n for n in pool - exclude if any(ch.isalpha() for ch in n))


def _record(rng: random.Random, external_id: str, name: str) -> dict[str, Any]:
    year = rng.randint(1950, 2010)
    return {
        "external_id": external_id,
        "names": [name],
        "birth_date": f"{year:04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "sex": rng.choice("MF"),
    }


def make_gallery(
    queries: list[Query], filler: list[str], size: int, namesakes: float, seed: int
) -> list[dict[str, Any]]:
    rng = random.Random(f"{seed}:gallery:{size}")
    names: list[str] = sorted({n for q in queries for n in q.truth})
    twins = rng.sample(names, int(namesakes * len(names)))
    shuffled = list(filler)
    rng.shuffle(shuffled)
    names = names + twins
    names += shuffled[: max(0, size - len(names))]
    if len(names) < size:
        raise SystemExit(f"only {len(names)} Latin names for a gallery of {size}")
    return [_record(rng, f"XS-{size}-{i:07d}", n) for i, n in enumerate(names)]


def bulk_import(
    client: httpx.Client, headers: dict[str, str], records: list[dict[str, Any]], chunk: int
) -> tuple[float, list[str]]:
    started = time.perf_counter()
    imports: list[str] = []
    for start in range(0, len(records), chunk):
        body = "".join(
            json.dumps(r, ensure_ascii=False) + "\n" for r in records[start : start + chunk]
        )
        response = client.post(
            "/v1/identities/bulk",
            content=body.encode(),
            headers={**headers, "Content-Type": "application/x-ndjson"},
        )
        response.raise_for_status()
        result = response.json()
        if result["rejected"]:
            raise SystemExit(f"bulk import rejected lines: {result['rejected'][:3]}")
        imports.append(result["import_id"])
    return time.perf_counter() - started, imports


def wait_searchable(client: httpx.Client, headers: dict[str, str], imports: list[str]) -> None:
    pending = list(imports)
    while pending:
        state = client.get(f"/v1/imports/{pending[0]}", headers=headers)
        state.raise_for_status()
        if state.json()["state"] == "searchable":
            pending.pop(0)
        else:
            time.sleep(2)


def _gallery_setup(
    stack: Stack, client: httpx.Client, admin: dict[str, str], size: int
) -> tuple[dict[str, str], dict[str, str]]:
    office = stack.agency(client, admin, f"Xscript office {size}")
    consulate = stack.agency(client, admin, f"Xscript consulate {size}")
    client.post(
        "/v1/sharing-agreements",
        headers=admin,
        json={
            "owner_agency_id": office["id"],
            "partner_agency_id": consulate["id"],
            "purpose": "benchmark",
        },
    ).raise_for_status()
    caseworker, _ = stack.user(client, admin, office["id"], "caseworker")
    partner, _ = stack.user(client, admin, consulate["id"], "partner")
    return caseworker, partner


def _rate(hits: list[bool]) -> float:
    return round(sum(hits) / len(hits), 4) if hits else 0.0


def run_size(
    stack: Stack,
    client: httpx.Client,
    admin: dict[str, str],
    queries: list[Query],
    filler: list[str],
    size: int,
    args: argparse.Namespace,
) -> dict[str, Any]:
    records = make_gallery(queries, filler, size, args.namesakes, args.seed)
    name_of = {r["external_id"]: r["names"][0] for r in records}
    caseworker, partner = _gallery_setup(stack, client, admin, size)
    took, imports = bulk_import(client, caseworker, records, args.chunk)
    started = time.perf_counter()
    wait_searchable(client, caseworker, imports)
    indexed = time.perf_counter() - started + took
    print(
        f"[{size}] {len(records)} records imported in {took:.0f} s, searchable "
        f"{indexed:.0f} s after the import began",
        flush=True,
    )
    rows: list[dict[str, Any]] = []
    latencies: list[float] = []
    headers = {**partner, "X-Purpose": "benchmark"}
    # the caseworker's own token enters its context (migration 0019), as the API does
    acting = principal_of(app_url(stack.owner_url), caseworker["Authorization"].split()[-1])
    with psycopg.connect(app_url(stack.owner_url)) as conn:
        for q in queries:
            person = {"names": [q.native]}
            t0 = time.perf_counter()
            response = client.post(
                "/v1/match", json={"person": person, "limit": 10}, headers=headers
            )
            latencies.append(time.perf_counter() - t0)
            response.raise_for_status()
            refs = [c["ref"] for c in response.json()["candidates"]]
            names = [name_of.get(r, "") for r in refs]
            with conn.transaction():
                set_context(conn, acting)
                blocked = block_candidates(conn, build_profile(person), exclude=None)
                stored = repo.load_profiles(conn, blocked)
            position = {s: i for i, s in enumerate(blocked)}
            true_at = [
                position[s.subject_id] for s in stored if name_of.get(s.ref or "") in q.truth
            ]
            rows.append(
                {
                    "script": q.script,
                    "part": q.part,
                    "native": q.native,
                    "truth": sorted(q.truth),
                    "top": names[:10],
                    "rank1": bool(names) and names[0] in q.truth,
                    "recall10": bool(set(names[:10]) & q.truth),
                    "blocked": bool(true_at),
                    "blocked_early": bool(true_at) and min(true_at) < LIMITS.early_score,
                    "block_position": min(true_at) if true_at else None,
                    "blocked_count": len(blocked),
                }
            )
    summary: dict[str, Any] = {
        "size": len(records),
        "bulk_import_s": round(took, 1),
        "searchable_s": round(indexed, 1),
        "match_p50_ms": round(statistics.median(latencies) * 1000, 1),
        "match_p95_ms": round(pct(latencies, 0.95) * 1000, 1),
        "scripts": {},
    }
    for script in SCRIPTS:
        for part in ("tune", "test", "all"):
            chosen = [
                r for r in rows if r["script"] == script and (part == "all" or r["part"] == part)
            ]
            summary["scripts"].setdefault(script, {})[part] = {
                "queries": len(chosen),
                "rank1": _rate([r["rank1"] for r in chosen]),
                "recall10": _rate([r["recall10"] for r in chosen]),
                "blocking_recall": _rate([r["blocked"] for r in chosen]),
                "blocked_in_first_scored": _rate([r["blocked_early"] for r in chosen]),
                "blocked_median": (
                    statistics.median(r["blocked_count"] for r in chosen) if chosen else 0
                ),
            }
    if args.misses:
        with args.misses.open("a", encoding="utf-8") as fh:
            for r in rows:
                if not r["rank1"]:
                    fh.write(json.dumps({"size": size, **r}, ensure_ascii=False) + "\n")
    return summary


def table(results: list[dict[str, Any]]) -> str:
    lines = []
    for res in results:
        lines.append(
            f"gallery {res['size']}: import {res['bulk_import_s']} s, searchable "
            f"{res['searchable_s']} s, /v1/match p50 {res['match_p50_ms']} ms, "
            f"p95 {res['match_p95_ms']} ms"
        )
        lines.append(
            f"{'script':<10} {'part':<5} {'n':>4} {'rank1':>6} {'rec@10':>7} "
            f"{'block':>6} {'block50':>8} {'blocked~':>8}"
        )
        for script, parts in res["scripts"].items():
            for part, m in parts.items():
                lines.append(
                    f"{script:<10} {part:<5} {m['queries']:>4} {m['rank1']:>6.3f} "
                    f"{m['recall10']:>7.3f} {m['blocking_recall']:>6.3f} "
                    f"{m['blocked_in_first_scored']:>8.3f} {m['blocked_median']:>8.0f}"
                )
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--sizes", default="10000,60000")
    parser.add_argument("--queries", type=int, default=300, help="per script")
    parser.add_argument("--namesakes", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk", type=int, default=5000)
    parser.add_argument("--port", type=int, default=8819)
    parser.add_argument("--home", type=Path, default=ROOT / "bench" / "out" / "xscript-home")
    parser.add_argument("--out", type=Path, default=None, help="results stem (.txt, .json)")
    parser.add_argument("--misses", type=Path, default=None, help="NDJSON of rank-1 misses")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    queries = make_queries(args.data, args.queries, args.seed)
    filler = filler_names(args.data, {n for q in queries for n in q.truth})
    print(f"{len(queries)} queries, {len(filler)} filler names", flush=True)
    if args.misses:
        args.misses.write_text("")
    stack = start_stack(args.home, port=args.port, workers=args.workers)
    results: list[dict[str, Any]] = []
    try:
        client = stack.client()
        admin = stack.admin_headers()
        for size in sizes:
            results.append(run_size(stack, client, admin, queries, filler, size, args))
            print(table(results[-1:]), flush=True)
    finally:
        stack.stop()
    text = table(results)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        # the stem is a name, not a path with a suffix: "…_1.4" keeps its ".4"
        stem = str(args.out)
        Path(stem + ".txt").write_text(text + "\n", encoding="utf-8")
        payload = {"seed": args.seed, "queries_per_script": args.queries, "results": results}
        Path(stem + ".json").write_text(json.dumps(payload, indent=1) + "\n")
    print(json.dumps({"results": [{k: v for k, v in r.items()} for r in results]}))


if __name__ == "__main__":
    main()
