"""Bulk import through the HTTP API: ``POST /v1/identities/bulk`` in NDJSON chunks.

Starts its own stack (embedded PostgreSQL, the API in its own process, no worker: the
indexing jobs the import queues are measured by bench/pipeline_load.py), imports
``--n`` synthetic records (bench/gallery.py), then imports them again unchanged, then
again with every tenth record changed. The last line is one JSON object;
``records_per_s`` is the first (all new) import.

    .venv/bin/python bench/bulk_import.py --n 50000
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.gallery import DEFAULT_DATA, load_tokens, people
from bench.harness import start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--chunk", type=int, default=5_000)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="tessera-bulk-"))
    stack = start(home, port=args.port, workers=0)
    try:
        client = stack.client()
        admin = stack.admin_headers()
        agency = stack.agency(client, admin, "Bulk bench")
        caseworker, _ = stack.user(client, admin, agency["id"], "caseworker")
        headers = {**caseworker, "Content-Type": "application/x-ndjson"}
        records = [p.record() for p in people(load_tokens(args.data), args.n, seed=11)]
        changed = [
            {**r, "names": [*r["names"], "Changed Alias"]} if n % 10 == 0 else r
            for n, r in enumerate(records)
        ]

        def chunked(rows: list[dict[str, Any]]) -> list[bytes]:
            return [
                "".join(
                    json.dumps(r, ensure_ascii=False) + "\n" for r in rows[i : i + args.chunk]
                ).encode()
                for i in range(0, len(rows), args.chunk)
            ]

        figures: dict[str, float] = {"n": args.n, "chunk": args.chunk}
        for label, rows in (("first", records), ("again", records), ("changed", changed)):
            chunks = chunked(rows)
            started = time.perf_counter()
            totals = {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0}
            for body in chunks:
                response = client.post("/v1/identities/bulk", content=body, headers=headers)
                response.raise_for_status()
                result = response.json()
                for key in ("created", "updated", "unchanged"):
                    totals[key] += result[key]
                totals["rejected"] += len(result["rejected"])
            took = time.perf_counter() - started
            figures[f"{label}_records_per_s"] = round(args.n / took)
            print(
                f"{label} import: {args.n} records in {took:.2f} s "
                f"({args.n / took:,.0f} records/s) {totals}",
                flush=True,
            )
    finally:
        stack.stop()
        shutil.rmtree(home, ignore_errors=True)
    figures["records_per_s"] = figures["first_records_per_s"]
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
